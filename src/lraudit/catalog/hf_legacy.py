"""The schedule classes of ``pytorch_transformers`` 1.x and ``transformers`` 2.0-2.1 (``optimization.py``), before
the ``get_*_schedule_with_warmup`` functions replaced them, and that release's ``AdamW``.

Each class is a ``LambdaLR`` whose lambda is the one the function of the same schedule computes (read in the
pytorch_transformers 1.2.0 and transformers 2.1.1 wheels, whose ``optimization.py`` are identical there):
``WarmupLinearSchedule(optimizer, warmup_steps, t_total)`` is ``get_linear_schedule_with_warmup(optimizer,
num_warmup_steps, num_training_steps)``, and so on. The entries therefore carry the functions' parameter names,
in the same order, with the class's keyword spellings (``warmup_steps``, ``t_total``, ``cycles``) as ``keywords``:
the rules, curves and words that know the functions read them unchanged; ``FUNCTION_OF`` maps each class to its
function.
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P

_PT = "pytorch_transformers."
_T2 = "transformers."
_D = "pytorch_transformers 1.2 default"

#: class -> the transformers function that computes the same schedule
FUNCTION_OF: dict[str, str] = {
    "ConstantLRSchedule": "get_constant_schedule",
    "WarmupConstantSchedule": "get_constant_schedule_with_warmup",
    "WarmupLinearSchedule": "get_linear_schedule_with_warmup",
    "WarmupCosineSchedule": "get_cosine_schedule_with_warmup",
    "WarmupCosineWithHardRestartsSchedule": "get_cosine_with_hard_restarts_schedule_with_warmup",
}

_KEYWORDS = (("warmup_steps", "num_warmup_steps"), ("t_total", "num_training_steps"), ("cycles", "num_cycles"))


def _names(cls: str) -> tuple[str, ...]:
    return tuple(f"{root}{mod}{cls}" for root in (_PT, _T2) for mod in ("", "optimization."))[1:]


def _schedule(cls: str, params: tuple, length: tuple[str, ...], summary: str) -> Entry:
    return Entry(qualname=_PT + cls, kind="scheduler", framework="hf", params=tuple(P(*p) for p in params),
                 aliases=_names(cls), unit="step", length_args=length, closed_form=True, summary=summary,
                 default_source=_D, keywords=_KEYWORDS)


SCHEDULES: tuple[Entry, ...] = (
    _schedule("ConstantLRSchedule", (("optimizer",), ("last_epoch", -1)), (),
              "keeps the optimizer's rate constant (the class form of get_constant_schedule)"),
    _schedule("WarmupConstantSchedule", (("optimizer",), ("num_warmup_steps", REQUIRED), ("last_epoch", -1)),
              ("num_warmup_steps",),
              "linear warm-up from 0 over warmup_steps, then constant (get_constant_schedule_with_warmup)"),
    _schedule("WarmupLinearSchedule", (("optimizer",), ("num_warmup_steps", REQUIRED),
                                       ("num_training_steps", REQUIRED), ("last_epoch", -1)),
              ("num_warmup_steps", "num_training_steps"),
              "linear warm-up from 0 over warmup_steps, then linear decay to 0 at t_total "
              "(get_linear_schedule_with_warmup)"),
    _schedule("WarmupCosineSchedule", (("optimizer",), ("num_warmup_steps", REQUIRED),
                                       ("num_training_steps", REQUIRED), ("num_cycles", 0.5), ("last_epoch", -1)),
              ("num_warmup_steps", "num_training_steps"),
              "linear warm-up from 0, then a cosine to 0 at t_total (get_cosine_schedule_with_warmup)"),
    _schedule("WarmupCosineWithHardRestartsSchedule", (("optimizer",), ("num_warmup_steps", REQUIRED),
                                                       ("num_training_steps", REQUIRED), ("num_cycles", 1.0),
                                                       ("last_epoch", -1)),
              ("num_warmup_steps", "num_training_steps"),
              "linear warm-up from 0, then cycles cosines to 0 with hard restarts "
              "(get_cosine_with_hard_restarts_schedule_with_warmup)"),
)

# pytorch_transformers.AdamW: the same signature and defaults as transformers.AdamW (lr 1e-3, eps 1e-6, no weight
# decay, correct_bias), without no_deprecation_warning
ADAMW = Entry(
    qualname=_PT + "AdamW", kind="optimizer", framework="hf",
    params=tuple(P(*p) for p in (("params",), ("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-6),
                                 ("weight_decay", 0.0), ("correct_bias", True))),
    aliases=(_PT + "optimization.AdamW",), default_source=_D,
    summary="pytorch_transformers' AdamW; defaults differ from torch's (eps 1e-6, no decay)")

ENTRIES: tuple[Entry, ...] = SCHEDULES + (ADAMW,)


def function_of(short: str) -> str:
    """The transformers function a legacy class computes, else ``short`` itself."""
    return FUNCTION_OF.get(short, short)


__all__ = ["ENTRIES", "FUNCTION_OF", "SCHEDULES", "function_of"]
