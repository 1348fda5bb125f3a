"""Prints, as JSON, what the live bitsandbytes optimizers are: for each public optimizer class of
``bitsandbytes.optim``, its ``__init__`` signature, the module that defines it, and the keys (``momentum``/``betas``)
its param groups hold once built on the CPU.

Run in its own process by tests/test_optimizer_library_signatures.py: importing bitsandbytes registers more
``torch.optim.Optimizer`` subclasses named ``SGD``, ``Adam``, ... in the interpreter, and Lightning CLI's
short class names (``optimizer: SGD``) then become ambiguous for every later test of that process."""

from __future__ import annotations

import inspect
import json
import sys

KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "pos",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
    inspect.Parameter.KEYWORD_ONLY: "kwonly",
    inspect.Parameter.VAR_POSITIONAL: "varpos",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def _value(v: object) -> object:
    if v is inspect.Parameter.empty:
        return "REQUIRED"
    if isinstance(v, tuple):
        return {"tuple": [_value(x) for x in v]}
    return v


def main() -> int:
    try:
        import bitsandbytes as bnb
        import torch
    except ImportError as exc:
        print(json.dumps({"error": f"cannot import bitsandbytes: {exc}"}))
        return 0
    out: dict[str, object] = {"version": bnb.__version__, "classes": {}}
    for name, cls in sorted(vars(bnb.optim).items()):
        if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
            continue
        params = [[p.name, _value(p.default), KINDS[p.kind]] for p in inspect.signature(cls).parameters.values()]
        kwargs = {"momentum": 0.9} if "momentum" in inspect.signature(cls).parameters else {}  # 8-bit SGD/LARS
        opt = cls([torch.nn.Parameter(torch.zeros(8))], lr=1e-3, **kwargs)
        out["classes"][name] = {"module": cls.__module__, "params": params,  # type: ignore[index]
                                "held": sorted({"momentum", "betas"} & set(opt.defaults))}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
