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

__all__ = ["FactEncoder", "dumps", "positional"]

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


class FactEncoder:
    """Writes the engine fact for one ruleset's facts: ``keys`` holds (fact name, engine
    key, presence key or None); a ``missing`` value is left out, its presence key 0.

    The JSON is written from fragments rather than through a dict, as it is on every
    engine call; it is the text ``json`` would write for the same dict.
    """

    __slots__ = ("_items", "_missing")

    def __init__(self, keys: tuple[tuple[str, str, str | None], ...], missing: Any) -> None:
        self._missing = missing
        self._items = tuple(
            (
                name,
                f"{_encode(fkey)}:",
                f"{_encode(present)}:1" if present is not None else None,
                f"{_encode(present)}:0" if present is not None else None,
            )
            for name, fkey, present in keys
        )

    def __call__(self, values: dict[str, Any], catch_all: str) -> str:
        missing = self._missing
        parts = [f"{{{_encode(catch_all)}:1"]
        append = parts.append
        for name, prefix, given, absent in self._items:
            value = values[name]
            if value is missing:
                if absent is not None:
                    append(absent)
                continue
            kind = type(value)
            if kind is str:
                text = _STRINGS.get(value)
                if text is None:
                    text = _encode(value)
                    if len(_STRINGS) < _STRINGS_KEPT:
                        _STRINGS[value] = text
            elif kind is bool:
                text = "true" if value else "false"
            elif kind is float and _exponent(value):
                text = positional(value)
            else:
                text = _encode(value)
            append(prefix + text)
            if given is not None:
                append(given)
        return ",".join(parts) + "}"


_STRINGS: dict[str, str] = {}  # the JSON of values seen (codes, yes/no/unknown), bounded
_STRINGS_KEPT = 4096
