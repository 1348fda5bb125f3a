"""Regressions from auditing public repositories: manual rate writes, param-group spellings and the wording of
unknown values (notes/audit A items 3, 9, 10 and B item 3)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import libcst as cst
import pytest

from lraudit.api import audit_source
from lraudit.extract.build import extract
from lraudit.facts import FileFacts, Known, Unknown
from lraudit.render.explain_text import render_explain_text
from lraudit.results import FileResult
from lraudit.simulate import genuine_error, missing_value_text


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def _facts(text: str) -> FileFacts:
    return extract(cst.parse_module(_src(text)), "example.py").facts


def _audit(text: str) -> FileResult:
    return audit_source(_src(text), "example.py")


def _codes(r: FileResult) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in r.findings]


def _manual(r: FileResult) -> list[dict[str, Any]]:
    return [s for s in r.schedulers if s["class"].startswith("manual:")]


# ----------------------------------------------------------------------------- A3: which optimizer a write reaches
# Two optimizers, so a write whose optimizer is lost cannot fall back to "the only optimizer in the file".
_TWO = """
import torch

model = torch.nn.Linear(4, 2)
other = torch.optim.Adam(model.parameters(), lr=1e-3)
optimizer = torch.optim.SGD(model.parameters(), lr=0, momentum=0.9)
for epoch in range(10):
    {loop}
    optimizer.step()
"""

WRITES = {
    "plain": "for g in optimizer.param_groups:\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "enumerate": "for i, g in enumerate(optimizer.param_groups):\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "enumerate_start": "for i, g in enumerate(optimizer.param_groups, 1):\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "slice": "for g in optimizer.param_groups[:1]:\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "enumerate_slice": "for i, g in enumerate(optimizer.param_groups[1:]):\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "list": "for g in list(optimizer.param_groups):\n        g['lr'] = 0.1 * 0.9 ** epoch",
    "index": "optimizer.param_groups[0]['lr'] = 0.1 * 0.9 ** epoch",
    "first_group": "pg = optimizer.param_groups[0]\n    pg['lr'] = 0.1 * 0.9 ** epoch",
}


@pytest.mark.parametrize("spelling", sorted(WRITES))
def test_every_group_spelling_is_a_write_to_that_optimizer(spelling: str) -> None:
    text = _TWO.replace("{loop}", WRITES[spelling])
    facts = _facts(text)
    assert {w.optimizer for w in facts.lr_writes} == {"opt2"}
    r = _audit(text)
    assert _codes(r) == []  # no LR001 on SGD(lr=0): the loop sets its rate
    (m,) = _manual(r)
    assert m["optimizer"] == "opt2"
    assert m["stepped"] == "epoch"
    assert m["lr"][:3] == pytest.approx([0.1, 0.09, 0.081])


def test_zip_of_groups_and_scales_is_a_write_to_that_optimizer() -> None:
    text = _TWO.replace("{loop}", "for g, s in zip(optimizer.param_groups, [1.0]):\n"
                                  "        g['lr'] = 0.1 * s * 0.9 ** epoch")
    assert {w.optimizer for w in _facts(text).lr_writes} == {"opt2"}
    r = _audit(text)
    assert _codes(r) == []
    (m,) = _manual(r)
    assert m["optimizer"] == "opt2"
    # the per-group scale is a loop variable: the curve is honestly unknown, and "only the groups of zip(...)"
    # (which would claim a subset of groups) is not said
    assert m["lr"] is None
    assert "s is a loop variable" in m["summary"]
    assert "only the groups" not in m["summary"]


def test_alias_of_param_groups_is_not_a_training_loop() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        other = torch.optim.Adam(model.parameters(), lr=1e-3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0, momentum=0.9)
        groups = optimizer.param_groups
        for epoch in range(10):
            for g in groups:
                g["lr"] = 0.1 * 0.9 ** epoch
            optimizer.step()
    """)
    assert {w.optimizer for w in _facts(text).lr_writes} == {"opt2"}
    r = _audit(text)
    assert _codes(r) == []
    (m,) = _manual(r)
    assert (m["optimizer"], m["stepped"]) == ("opt2", "epoch")  # per epoch, not "per batch over len(groups)"
    assert m["horizon"]["value"] == 10


@pytest.mark.parametrize("loop", [
    "for g in optimizer.param_groups:\n        g['lr'] = lr",
    "for i, g in enumerate(optimizer.param_groups):\n        g['lr'] = lr",
])
def test_helper_that_writes_the_rate(loop: str) -> None:
    text = _src(f"""
        import torch


        def set_lr(optimizer, lr):
            {loop.replace(chr(10) + '        ', chr(10) + '                ')}


        model = torch.nn.Linear(4, 2)
        other = torch.optim.Adam(model.parameters(), lr=1e-3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0, momentum=0.9)
        for epoch in range(10):
            set_lr(optimizer, 0.1 * 0.9 ** epoch)
            optimizer.step()
    """)
    assert {w.optimizer for w in _facts(text).lr_writes} == {"opt2"}
    r = _audit(text)
    assert _codes(r) == []
    (m,) = _manual(r)
    assert (m["class"], m["optimizer"]) == ("manual:set_lr", "opt2")
    assert m["lr"][:2] == pytest.approx([0.1, 0.09])


def test_self_optimizer_groups() -> None:
    text = _src("""
        import torch


        class Trainer:
            def __init__(self):
                self.model = torch.nn.Linear(4, 2)
                self.other = torch.optim.Adam(self.model.parameters(), lr=1e-3)
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0, momentum=0.9)

            def train(self):
                for epoch in range(10):
                    for i, g in enumerate(self.optimizer.param_groups):
                        g["lr"] = 0.1 * 0.9 ** epoch
                    self.optimizer.step()


        Trainer().train()
    """)
    assert {w.optimizer for w in _facts(text).lr_writes} == {"opt2"}
    r = _audit(text)
    assert _codes(r) == []
    (m,) = _manual(r)
    assert m["optimizer"] == "opt2"


DINO = """
import sys

import torch


def train_one_epoch(model, batches, optimizer, lr_table, epoch):
    for it, x in enumerate(batches):
        it = len(batches) * epoch + it
        for i, group in enumerate(optimizer.param_groups):
            group["lr"] = lr_table[it]
        model(x).sum().backward()
        optimizer.step()


model = torch.nn.Linear(4, 2)
batches = [torch.randn(8, 4) for _ in range(50)]
if sys.argv[1] == "sgd":
    optimizer = torch.optim.SGD(model.parameters(), lr=0, momentum=0.9)  # lr is set by the table
else:
    optimizer = torch.optim.AdamW(model.parameters())
lr_table = [0.1 * (1 - k / 500) for k in range(500)]
for epoch in range(10):
    train_one_epoch(model, batches, optimizer, lr_table, epoch)
"""


def test_dino_enumerate_write_links_both_candidates_and_lr001_is_quiet() -> None:
    facts = _facts(DINO)
    assert sorted(w.optimizer for w in facts.lr_writes) == ["opt1", "opt2"]
    r = _audit(DINO)
    assert _codes(r) == []
    (m,) = _manual(r)
    assert m["optimizer"] == "opt1"
    assert m["stepped"] == "batch"


def test_lr001_still_fires_when_the_write_is_to_the_other_optimizer() -> None:
    # the loop writes `other`'s groups; SGD(lr=0) really trains at 0
    text = _TWO.replace("{loop}", "for i, g in enumerate(other.param_groups):\n        g['lr'] = 1e-3 * 0.9 ** epoch")
    facts = _facts(text)
    assert {w.optimizer for w in facts.lr_writes} == {"opt1"}
    r = _audit(text)
    assert _codes(r) == [("LR001", 5)]
    (m,) = _manual(r)
    assert m["optimizer"] == "opt1"


def test_lr001_fires_without_any_write() -> None:
    text = _TWO.replace("{loop}", "pass")
    assert _facts(text).lr_writes == ()
    assert _codes(_audit(text)) == [("LR001", 5)]


def test_enumerate_of_something_else_is_not_a_group_write() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        other = torch.optim.Adam(model.parameters(), lr=1e-3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        configs = [{"lr": 0.1}, {"lr": 0.2}]
        for i, cfg in enumerate(configs):
            cfg["lr"] = 0.5
        for pair in enumerate(optimizer.param_groups):
            pass
        for epoch in range(3):
            optimizer.step()
    """)
    assert [w.optimizer for w in _facts(text).lr_writes] == [None]


# ----------------------------------------------------------------------------- B3: param groups as dict(...)
def _opt_lrs(text: str) -> list[Any]:
    return [o.lr.value if isinstance(o.lr, Known) else o.lr for o in _facts(text).optimizers]


_MODEL = """
import torch

model = torch.nn.Linear(4, 1)
backbone = torch.nn.Linear(4, 4)
"""


def test_dict_call_param_group_sets_the_lr() -> None:
    text = _MODEL + "optimizer = torch.optim.Adam([dict(params=model.parameters(), lr=1e-4)])\n"
    (o,) = _facts(text).optimizers
    assert o.lr == Known(1e-4, "literal")
    assert [g.lr for g in o.groups] == [Known(1e-4, "literal")]
    r = _audit(text + "for epoch in range(3):\n    optimizer.step()\n")
    assert r.optimizers[0]["lr"] == {"value": 1e-4, "source": "literal"}


def test_dict_literal_param_group_still_works() -> None:
    text = _MODEL + "optimizer = torch.optim.Adam([{'params': model.parameters(), 'lr': 1e-4}])\n"
    assert _opt_lrs(text) == [1e-4]


def test_several_dict_call_groups_and_the_optimizer_default() -> None:
    text = _MODEL + ("optimizer = torch.optim.SGD([dict(params=backbone.parameters(), lr=1e-5),\n"
                     "                             dict(params=model.parameters())], lr=0.1)\n")
    (o,) = _facts(text).optimizers
    assert [g.lr.value for g in o.groups] == [1e-5, 0.1]  # a group without lr takes the optimizer's
    assert o.lr.value == 1e-5  # the first group's, as get_last_lr()[0] reports


def test_mixed_and_named_groups() -> None:
    text = _MODEL + ("head = dict(params=model.parameters(), lr=3e-4)\n"
                     "optimizer = torch.optim.AdamW([head, {'params': backbone.parameters()}], lr=1e-3)\n")
    (o,) = _facts(text).optimizers
    assert [g.lr.value for g in o.groups] == [3e-4, 1e-3]


def test_group_list_through_a_name_and_merged_dicts() -> None:
    text = _MODEL + ("base = {'params': model.parameters(), 'weight_decay': 0.0}\n"
                     "groups = [{**base, 'lr': 2e-4}, dict(base, lr=5e-4), dict(**base)]\n"
                     "optimizer = torch.optim.AdamW(groups, lr=1e-3)\n")
    (o,) = _facts(text).optimizers
    assert [g.lr.value for g in o.groups] == [2e-4, 5e-4, 1e-3]


def test_appended_groups() -> None:
    text = _MODEL + ("groups = []\n"
                     "groups.append({'params': model.parameters(), 'lr': 7e-4})\n"
                     "groups.append(dict(params=backbone.parameters()))\n"
                     "optimizer = torch.optim.SGD(groups, lr=0.1)\n")
    (o,) = _facts(text).optimizers
    assert [g.lr.value for g in o.groups] == [7e-4, 0.1]


def test_group_lr_that_cannot_be_known_is_unknown_not_the_default() -> None:
    text = _MODEL + ("mults = [1.0, 0.1]\n"
                     "a = torch.optim.SGD([{'params': p, 'lr': 0.1 * m} for p, m in zip([1, 2], mults)], lr=0.1)\n"
                     "cfg = get_cfg()\n"
                     "b = torch.optim.Adam([dict(params=model.parameters(), **cfg)])\n")
    a, b = _facts(text).optimizers
    assert isinstance(a.lr, Unknown) and "computed by the comprehension" in a.lr.reason
    assert isinstance(b.lr, Unknown) and "may set its lr" in b.lr.reason


def test_plain_parameters_keep_the_optimizer_lr() -> None:
    text = _MODEL + ("a = torch.optim.Adam(model.parameters(), lr=3e-4)\n"
                     "b = torch.optim.Adam(list(model.parameters()))\n"
                     "c = torch.optim.Adam([{'params': model.parameters()}], lr=1e-2)\n")
    a, b, c = _facts(text).optimizers
    assert (a.lr, a.groups) == (Known(3e-4, "literal"), ())
    assert isinstance(b.lr, Known) and b.lr.value == 1e-3 and "default" in b.lr.source and b.groups == ()
    assert c.lr == Known(1e-2, "literal")


# ----------------------------------------------------------------------------- A9: no internal marker in output
TIMM = """
import sys

import torch
from timm.optim import create_optimizer_v2

model = torch.nn.Linear(4, 2)
opt_name = sys.argv[1].split("timm/")[-1]
optimizer = create_optimizer_v2(model, opt_name, lr=1e-3, weight_decay=0.05)
for epoch in range(10):
    optimizer.step()
"""


def test_unknown_timm_optimizer_name_is_reported_under_its_parameter_name() -> None:
    r = _audit(TIMM)
    (o,) = r.optimizers
    assert set(o["params"]) == {"opt", "weight_decay"}
    assert o["params"]["opt"]["value"] is None
    assert "which optimizer is built is not known" in o["params"]["opt"]["unresolved"]
    assert "computed at run time" in o["params"]["opt"]["unresolved"]
    text = render_explain_text([r], [])
    dumped = json.dumps(r.to_dict())
    for out in (text, dumped):
        assert "__unresolved__" not in out
    assert "    opt = unknown (" in text


def test_known_timm_optimizer_name_has_no_opt_entry() -> None:
    r = _audit(TIMM.replace('sys.argv[1].split("timm/")[-1]', '"adamw"'))
    (o,) = r.optimizers
    assert o["class"] == "torch.optim.AdamW"
    assert "opt" not in o["params"] and not any(k.startswith("__") for k in o["params"])


def test_text_renderer_hides_internal_keys_of_cached_results() -> None:
    r = FileResult("x.py", optimizers=[{
        "id": "opt1", "class": "torch.optim.SGD", "line": 1, "variable": "o", "lr": {"value": 0.1, "source": "literal"},
        "params": {"__unresolved__": {"value": None, "unresolved": "r"}, "momentum": {"value": 0.9,
                                                                                      "source": "literal"}}}])
    text = render_explain_text([r], [])
    assert "__unresolved__" not in text and "momentum = 0.9" in text


def test_manual_schedule_failure_names_no_synthetic_function() -> None:
    r = _audit(DINO.replace("lr_table = [0.1 * (1 - k / 500) for k in range(500)]", "lr_table = load_table()"))
    (m,) = _manual(r)
    assert m["lr"] is None
    assert "the hand-written schedule reads lr_table, which is not known here" in m["summary"]
    for marker in ("lraudit_manual", "lraudit_step", "lraudit_optimizer", "EvalError"):
        assert marker not in m["summary"]


def test_dino_table_indexed_by_the_global_iteration_over_a_list_of_known_length() -> None:
    # `it = len(batches) * epoch + it` with batches = [... for _ in range(50)]: 10 epochs x 50 batches, the
    # table's 500 entries in order
    (m,) = _manual(_audit(DINO))
    assert m["lr"] is not None and len(m["lr"]) == 500
    assert all(abs(a - 0.1 * (1 - k / 500)) < 1e-15 for k, a in enumerate(m["lr"]))


# ----------------------------------------------------------------------------- A10: missing value vs real error
CFG_LAMBDA = """
import torch


def build(optimizer, warmup_steps):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / warmup_steps))


def train(cfg, loader):
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = build(optimizer, cfg.warmup_steps)
    for x in loader:
        model(x).sum().backward()
        optimizer.step()
        scheduler.step()
"""


def test_missing_config_value_is_worded_as_unknown() -> None:
    r = _audit(CFG_LAMBDA)
    (s,) = r.schedulers
    assert s["lr"] is None
    err = r.details["schedulers"][s["id"]]["error"]
    assert err.startswith("lr_lambda, the lambda at line 5, reads warmup_steps, which is not known here: "
                          "cfg.warmup_steps is not resolved")
    for bad in ("would raise", "EvalError", "raised at construction"):
        assert bad not in err and bad not in s["summary"]
    assert _codes(r) == []


def test_real_division_by_zero_is_still_an_error_of_the_run() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        warmup = 0
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / warmup))
        for epoch in range(10):
            optimizer.step()
            scheduler.step()
    """)
    r = _audit(text)
    err = r.details["schedulers"]["sched1"]["error"]
    assert err == ("the library would raise: lr_lambda, the lambda at line 6, raises ZeroDivisionError at "
                   "construction (step 0): division by zero")


def test_index_error_past_a_table_names_the_step() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        table = [1.0, 0.5]
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: table[step])
        for epoch in range(10):
            optimizer.step()
            scheduler.step()
    """)
    err = _audit(text).details["schedulers"]["sched1"]["error"]
    assert err == ("the library would raise: lr_lambda, the lambda at line 6, raises IndexError at step 2: "
                   "index 2 out of range for a list of length 2")


def test_index_error_under_an_assumed_length_is_conditional() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        table = [1.0, 0.5]
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: table[step])
        for x in loader:
            optimizer.step()
            scheduler.step()
    """)
    err = _audit(text).details["schedulers"]["sched1"]["error"]
    assert "raises IndexError at step 2" in err
    assert "(if the run is that long: assumed" in err


def test_unknown_function_in_a_user_schedule() -> None:
    text = _src("""
        import torch
        from mylib import helper

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)


        def get_factor(step):
            return helper(step)


        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, get_factor)
        for epoch in range(10):
            optimizer.step()
            scheduler.step()
    """)
    err = _audit(text).details["schedulers"]["sched1"]["error"]
    assert err.startswith("lr_lambda, get_factor() at line 9, could not be evaluated: calls unknown function helper()")
    assert "would raise" not in err


def test_library_argument_errors_keep_their_wording() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=0)
        for epoch in range(10):
            optimizer.step()
            scheduler.step()
    """)
    err = _audit(text).details["schedulers"]["sched1"]["error"]
    assert err.startswith("the library would raise: ValueError: ")


def test_manual_schedule_index_error_is_the_script_own() -> None:
    text = _src("""
        import torch

        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        table = [0.1, 0.05, 0.01]
        for epoch in range(10):
            for g in optimizer.param_groups:
                g["lr"] = table[epoch]
            optimizer.step()
    """)
    (m,) = _manual(_audit(text))
    assert "the hand-written schedule raises IndexError at step 3: index 3 out of range for a list of length 3" \
        in m["summary"]


def test_keras_schedule_reading_an_imported_config() -> None:
    text = _src("""
        import keras
        from config import cfg


        def schedule(epoch, lr):
            return lr * cfg.decay if epoch > 5 else lr


        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        model.fit(x, y, epochs=20, callbacks=[keras.callbacks.LearningRateScheduler(schedule)])
    """)
    r = _audit(text)
    (s,) = [x for x in r.schedulers if x["class"].endswith("LearningRateScheduler")]
    err = r.details["schedulers"][s["id"]]["error"]
    assert err == ("the schedule function, schedule() at line 6, reads config.cfg.decay, which is imported, "
                   "so its value is not known here")


@pytest.mark.parametrize("reason, error", [
    ("division by zero", "ZeroDivisionError"),
    ("math domain error in math.log(-1)", "ValueError"),
    ("index 3 out of range for a list of length 3", "IndexError"),
    ("key 'x' not found", "KeyError"),
    ("name warmup is unknown: cfg.warmup is not resolved", None),
    ("calls unknown function helper()", None),
    ("float overflow", None),
    ("attribute access x.y not allowed (attributes of values are never read)", None),
    ("time budget exceeded: evaluation took more than 0.5 s", None),
])
def test_genuine_error_classification(reason: str, error: str | None) -> None:
    assert genuine_error(reason) == error


def test_missing_value_text_forms() -> None:
    assert missing_value_text("lr_lambda", "name w is unknown at `w` in lambda, line 3") == \
        "lr_lambda, the lambda at line 3, reads w, which is not known here"
    assert missing_value_text("lr_lambda", "name w is unknown: w comes from args (calling f, line 9)") == \
        "lr_lambda, f() at line 9, reads w, which is not known here: w comes from args"
    # a reason that merely ends in " in <word>" is not a position
    assert missing_value_text("x", "calls unknown function g() in this") == \
        "x could not be evaluated: calls unknown function g() in this"
