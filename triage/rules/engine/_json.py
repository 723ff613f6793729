"""JSON as durable-rules reads it.

The engine's number parser refuses an exponent without a fraction ("1e-07",
"2e-05", "1e+20": error 204), which is how Python writes small and large
floats. A model probability of 2e-05 in a fact, or a threshold of 0.00001 in a
rule, would make it fail, so such numbers are written out in positional form
("0.00002"), with exactly the digits of Python's shortest round-trip repr.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "encode_fact", "positional"]

_encode = json.JSONEncoder(separators=(",", ":")).encode  # built once: dumps() is per call
_MARK = "\x00"  # never in a validated value; JSON writes it as \u0000


def positional(x: float) -> str:
    """``x`` without an exponent, the same number as ``repr(x)``."""
    return format(Decimal(repr(x)), "f")


def _exponent(x: float) -> bool:
    # repr() switches to an exponent below 1e-4 and from 1e16 on
    return x != 0 and not 1e-4 <= abs(x) < 1e16


def _plain(value: Any, out: list[str]) -> Any:
    if type(value) is float and _exponent(value):
        out.append(positional(value))
        return f"{_MARK}{len(out) - 1}"
    if isinstance(value, dict):
        return {k: _plain(v, out) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, out) for v in value]
    return value


def dumps(value: Any) -> str:
    """``value`` as compact JSON that the engine parses (rule definitions)."""
    numbers: list[str] = []
    text = _encode(_plain(value, numbers))
    for i, number in enumerate(numbers):
        text = text.replace(f'"\\u0000{i}"', number, 1)
    return text


def encode_fact(
    keys: tuple[tuple[str, str, str | None], ...],
    values: dict[str, Any],
    missing: Any,
    catch_all: str,
) -> str:
    """The engine fact for ``values``: each (fact name, engine key, presence key or None)
    of ``keys``; a value that is ``missing`` is left out and its presence key is 0."""
    fact: dict[str, Any] = {catch_all: 1}
    awkward = False
    for name, fkey, present in keys:
        value = values[name]
        if value is not missing:
            fact[fkey] = value
            if type(value) is float and _exponent(value):
                awkward = True
        if present is not None:
            fact[present] = 0 if value is missing else 1
    return dumps(fact) if awkward else _encode(fact)
