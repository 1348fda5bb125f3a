"""Keras optimizers, learning-rate schedules and callbacks (Keras 3.15.1 signatures and defaults).

Also covers the names the same objects have in ``tf.keras`` (TF >= 2.16 is Keras 3), ``tf_keras`` / Keras 2
(TF 2.x before 2.16, ``TF_USE_LEGACY_KERAS=1``), ``keras.optimizers.legacy`` and the TF1 decay functions
``tf.compat.v1.train.*_decay``, which build the same schedule objects.

Conventions (reference section 2):

* A schedule is a pure function of ``optimizer.iterations`` (one per batch), so every schedule entry has
  ``unit="step"``; the n-th update uses ``schedule(n-1)``.
* ``LearningRateScheduler`` and ``ReduceLROnPlateau`` act once per epoch (``unit="epoch"``).
* ``closed_form=True`` on a schedule means "a pure function of the step counter".
* Keras 3 accepts ``learning_rate`` only as a Python float, a ``LearningRateSchedule`` or a zero-argument
  callable. The Keras 2 spelling ``lr=`` lands in ``**kwargs``: Keras 3 raises, the TF 2.11-2.15 optimizer
  silently ignores it, older Keras honours it (see ``LEGACY_NOTES``).
"""

from __future__ import annotations

from .base import REQUIRED, Entry, P, Param

_O = "keras.optimizers."
_S = "keras.optimizers.schedules."
_C = "keras.callbacks."
_TF1 = "tensorflow.compat.v1.train."
_D = "Keras default"

# The tail every Keras 3 optimizer signature shares, after its own arguments.
_TAIL: tuple[Param, ...] = (
    P("clipnorm", None),
    P("clipvalue", None),
    P("global_clipnorm", None),
    P("use_ema", False),
    P("ema_momentum", 0.99),
    P("ema_overwrite_frequency", None),
    P("loss_scale_factor", None),
    P("gradient_accumulation_steps", None),
    P("name", None),
)
_KWARGS = P("kwargs", kind="varkw")


def _optimizer_aliases(name: str, legacy: bool) -> tuple[str, ...]:
    names = [
        f"keras.optimizers.{name}",  # qualname itself is filtered out below
        f"tensorflow.keras.optimizers.{name}",
        f"tf_keras.optimizers.{name}",
        f"tensorflow.python.keras.optimizers.{name}",
        f"keras.optimizers.experimental.{name}",
        f"tensorflow.keras.optimizers.experimental.{name}",
        f"tf_keras.optimizers.experimental.{name}",
    ]
    if legacy:
        names += [
            f"keras.optimizers.legacy.{name}",
            f"tensorflow.keras.optimizers.legacy.{name}",
            f"tf_keras.optimizers.legacy.{name}",
        ]
    qual = _O + name
    return tuple(n for n in names if n != qual)


def _opt(name: str, own: tuple[tuple, ...], after: tuple[tuple, ...] = (), *, summary: str,
         legacy: bool = True) -> Entry:
    params = tuple(P(*p) for p in own) + _TAIL + tuple(P(*p) for p in after) + (_KWARGS,)
    return Entry(
        qualname=_O + name,
        kind="optimizer",
        framework="keras",
        params=params,
        aliases=_optimizer_aliases(name, legacy),
        summary=summary,
        default_source=_D,
    )


OPTIMIZERS: tuple[Entry, ...] = (
    _opt("SGD", (("learning_rate", 0.01), ("momentum", 0.0), ("nesterov", False), ("weight_decay", None)),
         summary="stochastic gradient descent (optionally with momentum)"),
    _opt("Adam", (("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-07),
                  ("amsgrad", False), ("weight_decay", None)), summary="Adam, an adaptive method"),
    _opt("AdamW", (("learning_rate", 0.001), ("weight_decay", 0.004), ("beta_1", 0.9), ("beta_2", 0.999),
                   ("epsilon", 1e-07), ("amsgrad", False)), legacy=False,
         summary="AdamW, Adam with decoupled weight decay"),
    _opt("RMSprop", (("learning_rate", 0.001), ("rho", 0.9), ("momentum", 0.0), ("epsilon", 1e-07),
                     ("centered", False), ("weight_decay", None)), summary="RMSprop"),
    _opt("Adagrad", (("learning_rate", 0.001), ("initial_accumulator_value", 0.1), ("epsilon", 1e-07),
                     ("weight_decay", None)), summary="Adagrad"),
    _opt("Adadelta", (("learning_rate", 0.001), ("rho", 0.95), ("epsilon", 1e-07), ("weight_decay", None)),
         summary="Adadelta"),
    _opt("Adamax", (("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-07),
                    ("weight_decay", None)), summary="Adamax"),
    _opt("Nadam", (("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-07),
                   ("weight_decay", None)), summary="Adam with Nesterov momentum"),
    _opt("Ftrl", (("learning_rate", 0.001), ("learning_rate_power", -0.5), ("initial_accumulator_value", 0.1),
                  ("l1_regularization_strength", 0.0), ("l2_regularization_strength", 0.0),
                  ("l2_shrinkage_regularization_strength", 0.0), ("beta", 0.0), ("weight_decay", None)),
         summary="FTRL-proximal"),
    _opt("Lion", (("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.99), ("weight_decay", None)),
         legacy=False, summary="Lion (sign-based momentum)"),
    _opt("Lamb", (("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-07),
                  ("weight_decay", None)), legacy=False, summary="LAMB (layer-wise adaptive Adam)"),
    _opt("Adafactor", (("learning_rate", 0.001), ("beta_2_decay", -0.8), ("epsilon_1", 1e-30),
                       ("epsilon_2", 0.001), ("clip_threshold", 1.0), ("relative_step", True),
                       ("weight_decay", None)), legacy=False, summary="Adafactor"),
    _opt("Muon", (("learning_rate", 0.001), ("adam_beta_1", 0.9), ("adam_beta_2", 0.999),
                  ("adam_weight_decay", 0.004), ("epsilon", 1e-07), ("weight_decay", 0.004)),
         (("exclude_layers", None), ("exclude_embeddings", True), ("muon_a", 3.4445), ("muon_b", -4.775),
          ("muon_c", 2.0315), ("adam_lr_ratio", 1), ("momentum", 0.95), ("ns_steps", 5), ("nesterov", True),
          ("rms_rate", 0.2)), legacy=False, summary="Muon (orthogonalised momentum, Adam for other weights)"),
    _opt("ScheduleFreeAdamW", (("learning_rate", 0.0025), ("beta_1", 0.9), ("beta_2", 0.999),
                               ("epsilon", 1e-08), ("warmup_steps", 0), ("weight_decay", None)),
         legacy=False, summary="schedule-free AdamW"),
)

# Default learning rates of standalone Keras <= 2.3 (``keras.optimizers.X(lr=...)``), where they differ
# from nothing else: the analyser needs them for scripts written against old Keras.
STANDALONE_KERAS2_LR: dict[str, float] = {
    _O + "SGD": 0.01,
    _O + "RMSprop": 0.001,
    _O + "Adagrad": 0.01,
    _O + "Adadelta": 1.0,
    _O + "Adam": 0.001,
    _O + "Adamax": 0.002,
    _O + "Nadam": 0.002,
}

# tf_keras 2.21 (new and legacy optimizers): SGD 0.01, every other optimizer 0.001, as in Keras 3.
TF_KERAS_LR: dict[str, float] = {e.qualname: (0.01 if e.short == "SGD" else 0.001)
                                 for e in OPTIMIZERS if e.short != "ScheduleFreeAdamW"}

LEGACY_LR_KWARG = "lr"
LEGACY_DECAY_KWARG = "decay"

LEGACY_NOTES: dict[str, str] = {
    "lr": (
        "`lr=` is the Keras 2 spelling of `learning_rate=`: Keras 3 (and tf.keras in TF >= 2.16) raises "
        "ValueError \"Argument(s) not recognized: {'lr': ...}\"; the tf_keras optimizer of TF 2.11-2.15 "
        "accepts it and silently trains at the default rate; tf_keras legacy optimizers and TF <= 2.10 "
        "honour it with a deprecation warning; standalone Keras <= 2.2 used it as the real name"
    ),
    "decay": (
        "`decay=` (old time-based decay, lr / (1 + decay * iterations)) is ignored with a warning by Keras 3 "
        "and applied by tf_keras legacy optimizers and old Keras"
    ),
    "learning_rate_int": (
        "Keras 3 rejects an int learning_rate (`learning_rate=1`) with ValueError; it wants a Python float, "
        "a LearningRateSchedule or a zero-argument callable"
    ),
    "legacy_namespace": (
        "`keras.optimizers.legacy.X` raises ImportError in Keras 3; it is the Keras 2 optimizer in tf_keras "
        "and TF 2.11-2.15"
    ),
    "standalone_defaults": (
        "standalone Keras <= 2.3 defaults differ: Adadelta lr=1.0, Adagrad 0.01, Adamax and Nadam 0.002"
    ),
}

# Strings accepted by ``model.compile(optimizer=...)`` / ``keras.optimizers.get`` in Keras 3.15: the
# lower-cased class name (the lookup lower-cases, so "Adam" and "ADAM" work too). "lamb" is NOT accepted
# (ValueError "Could not interpret optimizer identifier: lamb"). Every optimizer is built with its defaults.
STRING_OPTIMIZERS: dict[str, str] = {
    "sgd": _O + "SGD",
    "adam": _O + "Adam",
    "adamw": _O + "AdamW",
    "rmsprop": _O + "RMSprop",
    "adagrad": _O + "Adagrad",
    "adadelta": _O + "Adadelta",
    "adamax": _O + "Adamax",
    "nadam": _O + "Nadam",
    "ftrl": _O + "Ftrl",
    "lion": _O + "Lion",
    "adafactor": _O + "Adafactor",
    "muon": _O + "Muon",
    "schedulefreeadamw": _O + "ScheduleFreeAdamW",
}


def string_optimizer(identifier: str) -> str | None:
    """Qualified name of the optimizer Keras 3 builds for ``compile(optimizer=identifier)``, else None."""
    return STRING_OPTIMIZERS.get(identifier.lower())


def _schedule_aliases(name: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return (
        f"keras.optimizers.schedules.learning_rate_schedule.{name}",
        f"tensorflow.keras.optimizers.schedules.{name}",
        f"tf_keras.optimizers.schedules.{name}",
        f"keras.src.optimizers.schedules.learning_rate_schedule.{name}",
        f"tensorflow.keras.optimizers.schedules.learning_rate_schedule.{name}",
        f"tensorflow.python.keras.optimizer_v2.learning_rate_schedule.{name}",
        f"keras.optimizer_v2.learning_rate_schedule.{name}",
    ) + extra


def _schedule(name: str, *params: tuple, length: tuple[str, ...], summary: str,
              extra_aliases: tuple[str, ...] = ()) -> Entry:
    return Entry(
        qualname=_S + name,
        kind="schedule",
        framework="keras",
        params=tuple(P(*p) for p in params),
        aliases=_schedule_aliases(name, extra_aliases),
        unit="step",
        length_args=length,
        closed_form=True,
        summary=summary,
        default_source=_D,
    )


_EXPERIMENTAL = ("tensorflow.keras.experimental.", "tf_keras.experimental.", "keras.experimental.")

SCHEDULES: tuple[Entry, ...] = (
    _schedule("ExponentialDecay", ("initial_learning_rate",), ("decay_steps",), ("decay_rate",),
              ("staircase", False), ("name", "ExponentialDecay"), length=("decay_steps",),
              summary="multiplies the rate by decay_rate every decay_steps steps (smoothly or in stairs)"),
    _schedule("PiecewiseConstantDecay", ("boundaries",), ("values",), ("name", "PiecewiseConstant"),
              length=("boundaries",),
              summary="holds values[i] between boundaries (the change happens at step boundary+1)"),
    _schedule("PolynomialDecay", ("initial_learning_rate",), ("decay_steps",), ("end_learning_rate", 0.0001),
              ("power", 1.0), ("cycle", False), ("name", "PolynomialDecay"), length=("decay_steps",),
              summary="decays polynomially to end_learning_rate over decay_steps steps"),
    _schedule("InverseTimeDecay", ("initial_learning_rate",), ("decay_steps",), ("decay_rate",),
              ("staircase", False), ("name", "InverseTimeDecay"), length=("decay_steps",),
              summary="divides the rate by 1 + decay_rate * step / decay_steps"),
    _schedule("CosineDecay", ("initial_learning_rate",), ("decay_steps",), ("alpha", 0.0),
              ("name", "CosineDecay"), ("warmup_target", None), ("warmup_steps", 0),
              length=("decay_steps", "warmup_steps"),
              summary="half a cosine from the rate to alpha x rate over decay_steps (after an optional warm-up)",
              extra_aliases=tuple(p + "CosineDecay" for p in _EXPERIMENTAL)),
    _schedule("CosineDecayRestarts", ("initial_learning_rate",), ("first_decay_steps",), ("t_mul", 2.0),
              ("m_mul", 1.0), ("alpha", 0.0), ("name", "SGDRDecay"), length=("first_decay_steps",),
              summary="cosine decay that restarts, each period t_mul times longer and m_mul times lower",
              extra_aliases=tuple(p + "CosineDecayRestarts" for p in _EXPERIMENTAL)),
)

# Base class user code subclasses (``__call__(self, step)`` is the formula).
SCHEDULE_BASES: tuple[str, ...] = (
    _S + "LearningRateSchedule",
    "tensorflow.keras.optimizers.schedules.LearningRateSchedule",
    "tf_keras.optimizers.schedules.LearningRateSchedule",
    "keras.optimizers.schedules.learning_rate_schedule.LearningRateSchedule",
)


def _callback_aliases(name: str) -> tuple[str, ...]:
    return (f"tensorflow.keras.callbacks.{name}", f"tf_keras.callbacks.{name}",
            f"tensorflow.python.keras.callbacks.{name}")


CALLBACKS: tuple[Entry, ...] = (
    Entry(
        qualname=_C + "LearningRateScheduler",
        kind="callback",
        framework="keras",
        params=(P("schedule"), P("verbose", 0)),
        aliases=_callback_aliases("LearningRateScheduler"),
        unit="epoch",
        summary="sets the rate at the start of every epoch to schedule(epoch, lr) (or schedule(epoch))",
        default_source=_D,
    ),
    Entry(
        qualname=_C + "ReduceLROnPlateau",
        kind="callback",
        framework="keras",
        params=(P("monitor", "val_loss"), P("factor", 0.1), P("patience", 10), P("verbose", 0),
                P("mode", "auto"), P("min_delta", 0.0001), P("cooldown", 0), P("min_lr", 0.0), _KWARGS),
        aliases=_callback_aliases("ReduceLROnPlateau"),
        unit="epoch",
        summary="cuts the rate by factor after patience epochs without improvement of the monitored metric",
        default_source=_D,
    ),
)


def _tf1(name: str, *params: tuple, length: tuple[str, ...], summary: str,
         aliases: tuple[str, ...] = ()) -> Entry:
    return Entry(
        qualname=_TF1 + name,
        kind="schedule",
        framework="keras",
        params=tuple(P(*p) for p in params),
        aliases=(f"tensorflow.train.{name}",) + aliases,
        unit="step",
        length_args=length,
        closed_form=True,
        summary=summary,
        default_source="TensorFlow default",
    )


TF1_SCHEDULES: tuple[Entry, ...] = (
    _tf1("exponential_decay", ("learning_rate",), ("global_step",), ("decay_steps",), ("decay_rate",),
         ("staircase", False), ("name", None), length=("decay_steps",),
         summary="learning_rate * decay_rate ** (global_step / decay_steps) (TF1; same as ExponentialDecay)"),
    _tf1("piecewise_constant", ("x",), ("boundaries",), ("values",), ("name", None), length=("boundaries",),
         summary="values[i] between boundaries (TF1; same as PiecewiseConstantDecay)",
         aliases=("tensorflow.compat.v1.train.piecewise_constant_decay",
                  "tensorflow.train.piecewise_constant_decay")),
    _tf1("polynomial_decay", ("learning_rate",), ("global_step",), ("decay_steps",),
         ("end_learning_rate", 0.0001), ("power", 1.0), ("cycle", False), ("name", None),
         length=("decay_steps",), summary="polynomial decay to end_learning_rate (TF1; same as PolynomialDecay)"),
    _tf1("cosine_decay", ("learning_rate",), ("global_step",), ("decay_steps",), ("alpha", 0.0),
         ("name", None), length=("decay_steps",),
         summary="half a cosine to alpha x rate over decay_steps (TF1; same as CosineDecay)"),
    _tf1("cosine_decay_restarts", ("learning_rate",), ("global_step",), ("first_decay_steps",),
         ("t_mul", 2.0), ("m_mul", 1.0), ("alpha", 0.0), ("name", None), length=("first_decay_steps",),
         summary="cosine decay with warm restarts (TF1; same as CosineDecayRestarts)"),
    _tf1("inverse_time_decay", ("learning_rate",), ("global_step",), ("decay_steps",), ("decay_rate",),
         ("staircase", False), ("name", None), length=("decay_steps",),
         summary="learning_rate / (1 + decay_rate * global_step / decay_steps) (TF1; same as InverseTimeDecay)"),
    _tf1("natural_exp_decay", ("learning_rate",), ("global_step",), ("decay_steps",), ("decay_rate",),
         ("staircase", False), ("name", None), length=("decay_steps",),
         summary="learning_rate * exp(-decay_rate * global_step / decay_steps) (TF1; ExponentialDecay with "
                 "decay_rate=exp(-decay_rate))"),
)

ENTRIES: tuple[Entry, ...] = OPTIMIZERS + SCHEDULES + CALLBACKS + TF1_SCHEDULES

__all__ = [
    "CALLBACKS",
    "ENTRIES",
    "LEGACY_DECAY_KWARG",
    "LEGACY_LR_KWARG",
    "LEGACY_NOTES",
    "OPTIMIZERS",
    "REQUIRED",
    "SCHEDULES",
    "SCHEDULE_BASES",
    "STANDALONE_KERAS2_LR",
    "STRING_OPTIMIZERS",
    "TF1_SCHEDULES",
    "TF_KERAS_LR",
    "string_optimizer",
]
