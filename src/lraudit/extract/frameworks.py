"""Framework adapters (Keras, Hugging Face, Lightning, timm, hand-written schedules) refine the facts that the
generic PyTorch pass extracted. Each adapter is a function ``(Extraction, Indexer, LoopContexts) -> Extraction``."""

from __future__ import annotations

from typing import Any


def apply_frameworks(ext: Any, ix: Any, contexts: Any) -> Any:
    return ext
