"""Framework adapters: Keras, Hugging Face, Lightning, timm, accelerate and hand-written schedules.

One module per framework (``keras``, ``keras_fit``, ``keras_callbacks``, ``hf``, ``lightning``, ``timm``,
``accelerate``, like ``catalog/``); ``base`` holds what they share. This module runs them in order.

Two hooks around the generic PyTorch pass:

* ``register_factories`` (before facts are built) turns factory calls into creations the generic pass can
  track like any constructor: ``transformers.get_scheduler(name, ...)``, timm ``create_scheduler(_v2)``,
  a ``Trainer(args=TrainingArguments(...))`` (which builds an AdamW and a schedule internally), user
  subclasses of Keras ``LearningRateSchedule``; it also tells the resolver what the Lightning Trainer states
  (``self.trainer.max_epochs``).
* ``apply_frameworks`` (after) refines the facts: who steps what and when (Keras ``fit`` steps schedules per
  update and callbacks per epoch; Lightning steps per epoch unless ``interval="step"``; the HF Trainer per
  optimizer step; timm acts on ``step`` or ``step_update`` depending on ``t_in_epochs``), horizons from
  ``fit(epochs=)``, ``Trainer(max_epochs=/max_steps=)``, ``TrainingArguments``, the ``num_epochs`` timm's
  factory returns, and hand-written schedules that write ``param_group["lr"]`` (see ``manual.py``).

Facts that only an adapter knows go into ``FileFacts.extra``:

* ``accelerate_prepared``: ids of schedulers passed to ``accelerator.prepare(...)``;
  ``accelerate``: ``{sid: {"prepare_line", "scaled_by_num_processes", "sizing", "steps_per_call"}}`` where
  ``steps_per_call`` is ``"num_processes"`` (the default: the prepared scheduler advances once per process on
  every ``step()``), ``1`` (``split_batches=True`` or ``step_scheduler_with_optimizer=False``) or ``None``;
  ``sizing`` is ``"global"`` (lengths multiplied by ``num_processes`` or taken from ``len()`` of a dataloader
  before it is prepared), ``"per_process"`` (``len()`` of a prepared, sharded dataloader, not multiplied) or
  ``"unknown"`` (constants).
* ``keras_fits``: ``[{"line", "epochs", "steps_per_epoch", "receiver"}]`` (plain values or None).
* ``lightning_unknown_keys``: ``{sid: [key, ...]}`` keys Lightning drops with a warning (a scheduler config dict
  with ``"intervals"``; an optimizer config dict with ``"scheduler"``/``"interval"`` at the top level, in which case
  the scheduler is never stepped).
* ``hf_trainer``: ``{sid: {"line", "per_device_train_batch_size", ...}}`` the TrainingArguments values used.

Keras rates written by hand (``self.model.optimizer.learning_rate = x`` in a callback, ``K.set_value(opt.lr, x)``,
``opt.learning_rate.assign(x)``) are added to ``FileFacts.lr_writes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...facts import FileFacts, FunctionValue
from ..index import Indexer
from ..objects import ObjectFlow
from ..values import Resolver
from .accelerate import _accelerate
from .base import ASSUMED_LEN, FactsBuilder, _qual
from .deepspeed import deepspeed_engines
from .ignite import drop_other_parameters, ignite_after
from .hf import _hf_after, _hf_get_scheduler, _hf_trainer, _trainer_spec
from .keras import _imports_keras, _keras, _keras_compile_optimizers, _keras_custom_schedule, _keras_schedule_classes
from .keras_callbacks import _keras_rate_callback_classes
from .pytorch_warmup import pytorch_warmup_after
from .lightning import _lightning, _lightning_trainer_attributes
from .timm import _TIMM_OPTIMIZER_FACTORIES, _timm_after, _timm_factory, _timm_optimizer_factory


# ================================================================================ before: factories
def register_factories(flow: ObjectFlow, ix: Indexer, resolver: Resolver) -> None:
    _lightning_trainer_attributes(flow, ix, resolver)
    _keras_compile_optimizers(flow, ix, resolver)
    drop_other_parameters(flow, ix, resolver)
    keras_schedule_classes = _keras_schedule_classes(ix)
    rate_callbacks = _keras_rate_callback_classes(ix) if _imports_keras(ix) else {}
    for site in sorted(ix.calls, key=lambda s: s.seq):
        q = _qual(flow, site)
        short = q.rsplit(".", 1)[-1]
        if q in ("transformers.get_scheduler", "transformers.optimization.get_scheduler") or (
            short == "get_scheduler" and ix.imports.mentions("transformers") and site.path == "get_scheduler"
        ):
            _hf_get_scheduler(flow, site, resolver)
        elif q in ("timm.scheduler.create_scheduler", "timm.scheduler.create_scheduler_v2",
                   "timm.scheduler.scheduler_factory.create_scheduler",
                   "timm.scheduler.scheduler_factory.create_scheduler_v2"):
            _timm_factory(flow, site, resolver, v2=q.endswith("_v2"))
        elif _trainer_spec(q) is not None:
            _hf_trainer(flow, site, resolver)
        elif q in _TIMM_OPTIMIZER_FACTORIES and id(site.node) not in flow.by_call:
            _timm_optimizer_factory(flow, site, resolver, v2=q.endswith("_v2"))
        elif site.path in keras_schedule_classes and id(site.node) not in flow.by_call:
            _keras_custom_schedule(flow, site, ix.classes[site.path])
        elif site.path in rate_callbacks and id(site.node) not in flow.by_call:
            _keras_custom_schedule(flow, site, ix.classes[site.path])
            flow.by_call[id(site.node)].keras_rate_callback = rate_callbacks[site.path]  # type: ignore[attr-defined]


if TYPE_CHECKING:
    from ..build import Extraction
    from ..loops import LoopContexts


# ================================================================================= after: refinement
def apply_frameworks(ext: "Extraction", ix: Indexer, contexts: "LoopContexts",
                     builder: FactsBuilder | None = None) -> "Extraction":
    facts: FileFacts = ext.facts
    flow: ObjectFlow = ext.flow
    resolver: Resolver = ext.resolver
    facts = _keras(facts, flow, ix, resolver, builder)
    facts = _hf_after(facts, flow, ix, resolver, builder)
    facts = _lightning(facts, flow, ix, resolver, builder)
    facts = _timm_after(facts, flow, ix, resolver)
    facts = _accelerate(facts, flow, ix, resolver, builder)
    facts = deepspeed_engines(facts, flow, ix, resolver, builder)
    facts = ignite_after(facts, flow, ix, resolver, builder)
    facts = pytorch_warmup_after(facts, flow, ix, resolver, builder)
    from ..manual import manual_schedules

    facts = manual_schedules(facts, flow, ix, resolver, contexts, builder)
    from ..classes import class_plans

    facts = class_plans(facts, flow, ix, resolver)
    from ..dead_branches import dead_branches

    facts = dead_branches(facts, ix, builder)
    ext.facts = facts
    return ext


__all__ = ["register_factories", "apply_frameworks", "FactsBuilder", "FunctionValue", "ASSUMED_LEN"]
