"""The framework-wiring rules (LR401-LR404) on the realistic scripts of fixtures/frameworks/.

The table below is the expectation for every script and notebook there, derived from EXPECTED.yaml's ``bad:``
text: a script whose mistake is one of LR401-LR404 must carry exactly that code among them, every other script
none of them. It also pins that LR201 leaves a Lightning-stepped schedule to LR401 (one finding per mistake).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lraudit.analyze import AnalysisOptions, analyze_path
from lraudit.api import audit_source

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "fixtures" / "frameworks"
FRAMEWORK_CODES = ("LR401", "LR402", "LR403", "LR404")

#: path (relative to fixtures/frameworks) -> the LR40x codes it must fire (every other LR40x must stay quiet).
EXPECTED_CODES: dict[str, tuple[str, ...]] = {
    # Lightning
    "lightning/bad_onecycle_epoch_interval.py": ("LR401",),  # OneCycleLR sized 20 x 300 steps, stepped per epoch
    "lightning/bad_plateau_without_monitor.py": ("LR402",),  # ReduceLROnPlateau returned bare, no monitor
    "lightning/bad_scheduler_key_at_top_level.py": (),  # never stepped ("scheduler" key dropped): not an LR40x
    "lightning/cosine_hparams_lists.py": (),
    "lightning/cosine_trainer_max_epochs.py": (),
    "lightning/manual_optimization_steplr.py": (),  # stepped by hand: Lightning's interval does not apply
    "lightning/onecycle_interval_step.py": (),  # OneCycleLR with "interval": "step"
    "lightning/plateau_monitor_dict.py": (),  # monitor in the scheduler config
    "lightning/warmup_lambda_max_steps.py": (),
    # Keras
    "keras/bad_callback_on_schedule_optimizer.py": ("LR403",),  # LearningRateScheduler on a PiecewiseConstantDecay
    "keras/bad_exponential_decay_rate_above_one.py": (),
    "keras/bad_keras2_lr_kwarg.py": (),
    "keras/bad_tf1_global_step_never_advanced.py": (),
    "keras/compile_string_reduce_on_plateau.py": (),  # ReduceLROnPlateau callback on a float rate
    "keras/cosine_decay_warmup.py": (),
    "keras/custom_callback_sets_lr.py": (),  # custom callback writing a float rate
    "keras/custom_schedule_class.py": (),
    "keras/exponential_decay_staircase.py": (),
    "keras/lr_scheduler_callback_two_arg.py": (),  # LearningRateScheduler on a float rate
    "keras/step_decay_one_arg.py": (),
    "keras/tf1_momentum_global_step.py": (),
    "notebooks/keras_inverse_time_decay.ipynb": (),
    # Hugging Face / accelerate
    "hf/bad_accelerate_one_process_schedule.py": ("LR404",),  # sized from the prepared loader, then prepared
    # len() of the unprepared loader x num_processes: the facts record sizing "global" (see the report: by the
    # accelerate source this counts every batch twice over, which extract/frameworks.py does not distinguish)
    "hf/accelerate_get_scheduler.py": (),
    "hf/bad_warmup_longer_than_training.py": (),
    "hf/bad_warmup_ratio_transformers5.py": (),
    "hf/custom_loop_linear_warmup.py": (),
    "hf/seq2seq_polynomial_kwargs.py": (),
    "hf/trainer_cosine_max_steps.py": (),
    "hf/trainer_defaults.py": (),
    "hf/trainer_given_optimizer_only.py": (),
    "hf/trainer_with_own_optimizer.py": (),
    "notebooks/hf_trainer_constant_warmup.ipynb": (),
    # timm, hand-written, plain torch notebooks: no framework wiring the LR40x rules look at
    "timm/bad_step_update_in_epochs.py": (),
    "timm/cosine_step_update.py": (),
    "timm/create_scheduler_argparse.py": (),
    "timm/create_scheduler_v2_epochs.py": (),
    "timm/multistep_v2_on_updates.py": (),
    "timm/step_scheduler_epochs.py": (),
    "manual/bad_first_group_only.py": (),
    "manual/engine_imports_lr_helper.py": (),
    "manual/fractional_epoch_cosine.py": (),
    "manual/poly_lr_per_iteration.py": (),
    "manual/step_decay_adjust_kwargs.py": (),
    "manual/warmup_cosine_iters.py": (),
    "manual/warmup_interp_then_lambda.py": (),
    "manual/warmup_step_utils.py": (),
    "notebooks/bad_cosine_tmax_too_short.ipynb": (),
    "notebooks/torch_onecycle_per_batch.ipynb": (),
}


def _fixture_files() -> list[str]:
    return sorted(p.relative_to(FRAMEWORKS).as_posix() for p in FRAMEWORKS.rglob("*")
                  if p.suffix in (".py", ".ipynb") and "__pycache__" not in p.parts)


def _codes(rel: str) -> list[tuple[str, int, str]]:
    path = FRAMEWORKS / rel
    if path.suffix == ".ipynb":
        result = analyze_path(str(path), rel, AnalysisOptions())
    else:
        result = audit_source(path.read_text(encoding="utf-8"), str(path))
    assert result.error is None, f"{rel}: {result.error}"
    return [(f.code, f.line, f.message) for f in result.findings]


def test_the_table_covers_every_framework_fixture() -> None:
    assert sorted(EXPECTED_CODES) == _fixture_files()


def test_the_table_agrees_with_expected_yaml() -> None:
    """Scripts EXPECTED.yaml calls correct (bad: null) expect no LR40x finding."""
    data = yaml.safe_load((FRAMEWORKS / "EXPECTED.yaml").read_text(encoding="utf-8"))
    for rel, codes in EXPECTED_CODES.items():
        if codes:
            assert data[rel]["bad"], f"{rel}: the table expects {codes} but EXPECTED.yaml says it is correct"


@pytest.mark.parametrize("rel", sorted(EXPECTED_CODES))
def test_framework_fixture(rel: str) -> None:
    findings = _codes(rel)
    got = sorted({code for code, _, _ in findings if code in FRAMEWORK_CODES})
    shown = "\n".join(f"  {c} line {line}: {msg}" for c, line, msg in findings) or "  (no findings)"
    assert got == sorted(EXPECTED_CODES[rel]), f"{rel}: want {EXPECTED_CODES[rel]}, got:\n{shown}"


def test_lightning_interval_mismatch_is_reported_once() -> None:
    findings = _codes("lightning/bad_onecycle_epoch_interval.py")
    assert [(c, line) for c, line, _ in findings if c in ("LR201", "LR401")] == [("LR401", 26)]
    message = next(m for c, _, m in findings if c == "LR401")
    assert "steps_per_epoch=300" in message and '"interval": "step"' in message


def test_findings_point_at_the_mistake() -> None:
    where = {
        "lightning/bad_plateau_without_monitor.py": ("LR402", 27),  # the ReduceLROnPlateau(...) call
        "keras/bad_callback_on_schedule_optimizer.py": ("LR403", 46),  # the LearningRateScheduler(...) callback
        "hf/bad_accelerate_one_process_schedule.py": ("LR404", 19),  # the schedule sized per process
    }
    for rel, (code, line) in where.items():
        assert [ln for c, ln, _ in _codes(rel) if c == code] == [line], rel


def test_lr201_still_owns_a_scheduler_stepped_by_hand() -> None:
    """A per-epoch StepLR stepped per batch by hand in a Lightning module is LR201's, not LR401's."""
    text = '''
import lightning as L
import torch
from torch import nn


class Lit(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(4, 1)
        self.automatic_optimization = False

    def training_step(self, batch, batch_idx):
        opt = self.optimizers()
        sch = self.lr_schedulers()
        loss = self.net(batch).sum()
        opt.zero_grad()
        self.manual_backward(loss)
        opt.step()
        sch.step()
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
        return [optimizer], [scheduler]


trainer = L.Trainer(max_epochs=50)
'''
    codes = {f.code for f in audit_source(text, "lit.py").findings}
    assert "LR401" not in codes
    assert "LR201" in codes
