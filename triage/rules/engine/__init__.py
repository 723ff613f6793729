"""Everything that knows durable-rules: its expression syntax, its limits, and the C
calls, behind one boundary (`DurableEngine`) that maps each of its failures to
`EngineError`. No other module imports durable."""

from __future__ import annotations

from ._compile import CATCH_ALL, PRESENT, Chunk, Layout, compile_rule, make_keys, pack
from ._durable import DurableEngine
from ._json import FactEncoder

__all__ = [
    "CATCH_ALL",
    "PRESENT",
    "Chunk",
    "DurableEngine",
    "FactEncoder",
    "Layout",
    "compile_rule",
    "make_keys",
    "pack",
]
