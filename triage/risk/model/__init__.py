"""The learned model: a calibrated, monotone estimate of severe or lethal re-assault.

Train (`train`), measure (`evaluate`, `plots`), persist (`save`, `load`, `loads`,
skops only) and describe (`triage.risk.model._card`) a `RiskModel`; the packaged
demonstration model is `demo_model()`. See `_model` for the details.
"""

from __future__ import annotations

from ._model import (
    BANDS,
    DEMO_MODEL,
    MAX_BYTES,
    SUBGROUPS,
    Evaluation,
    ModelOutput,
    RiskModel,
    build_demo,
    demo_model,
    evaluate,
    load,
    loads,
    plots,
    save,
    train,
)

__all__ = [
    "BANDS",
    "DEMO_MODEL",
    "MAX_BYTES",
    "SUBGROUPS",
    "Evaluation",
    "ModelOutput",
    "RiskModel",
    "build_demo",
    "demo_model",
    "evaluate",
    "load",
    "loads",
    "plots",
    "save",
    "train",
]
