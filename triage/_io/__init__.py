"""Reading untrusted input and writing output without harming what was there.

`_json`: bounded, strict JSON and JSON Lines. `_output`: output paths resolved
(stdout, links, devices, FIFOs) and regular files replaced whole or not at all.
"""

from __future__ import annotations

from ._json import (
    MAX_DEPTH,
    MAX_REPORT_BYTES,
    LineReader,
    iter_text_lines,
    line_col,
    parse_json,
    read_bounded,
)
from ._output import Target, check_distinct, open_output, resolve_output, write_output

__all__ = [
    "MAX_DEPTH",
    "MAX_REPORT_BYTES",
    "LineReader",
    "Target",
    "check_distinct",
    "iter_text_lines",
    "line_col",
    "open_output",
    "parse_json",
    "read_bounded",
    "resolve_output",
    "write_output",
]
