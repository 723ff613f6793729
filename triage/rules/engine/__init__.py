"""Everything that knows durable-rules: its expression syntax, its limits, and the C
calls, behind one boundary (`DurableEngine`) that maps each of its failures to
`EngineError`. No other module imports durable."""

from __future__ import annotations

from ._compile import CATCH_ALL, PRESENT, Chunk, Layout, compile_rule, make_keys, pack
from ._durable import DurableEngine
from ._json import encode_fact

__all__ = [
    "CATCH_ALL",
    "PRESENT",
    "Chunk",
    "DurableEngine",
    "Layout",
    "compile_rule",
    "encode_fact",
    "make_keys",
    "pack",
]
