"""Turn pydantic's validation errors into bilingual, value-free problems."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from .._errors import Problem, ReportError
from .._suggest import suggest
from ._model import ID_PATTERN, LABEL_PATTERN

__all__ = ["code_problem", "report_error", "translate"]

# pydantic error type -> (stable code, English, Chinese). {ge}/{le}/{max_length} come
# from the schema's own limits, never from the input.
_MESSAGES: dict[str, tuple[str, str, str]] = {
    "missing": ("missing", "required field is missing", "缺少必填字段"),
    "extra_forbidden": ("unknown-field", "unknown field", "未知字段"),
    "int_type": ("wrong-type", "must be a whole number", "必须是整数"),
    "int_parsing": ("wrong-type", "must be a whole number", "必须是整数"),
    "int_from_float": ("wrong-type", "must be a whole number", "必须是整数"),
    "bool_type": ("wrong-type", "must be true or false", "必须是 true 或 false"),
    "bool_parsing": ("wrong-type", "must be true or false", "必须是 true 或 false"),
    "string_type": ("wrong-type", "must be text", "必须是文本"),
    "string_too_short": ("empty", "must not be empty", "不能为空"),
    "string_too_long": (
        "too-long",
        "too long (at most {max_length} characters)",
        "过长（最多 {max_length} 个字符）",
    ),
    "string_pattern_mismatch": ("bad-format", "not in the allowed form", "格式不符合要求"),
    "greater_than_equal": ("out-of-range", "must be at least {ge}", "不能小于 {ge}"),
    "less_than_equal": ("out-of-range", "must be at most {le}", "不能大于 {le}"),
    "greater_than": ("out-of-range", "must be more than {gt}", "必须大于 {gt}"),
    "less_than": ("out-of-range", "must be less than {lt}", "必须小于 {lt}"),
    "datetime_type": (
        "wrong-type",
        "must be an RFC 3339 date-time text with a UTC offset, e.g. 2026-03-02T21:15:00+08:00",
        "必须是带时区偏移的 RFC 3339 时间文本，例如 2026-03-02T21:15:00+08:00",
    ),
    "datetime_parsing": (
        "bad-format",
        "not an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss, optional fraction, then Z or ±hh:mm)",
        "不是 RFC 3339 时间（YYYY-MM-DDThh:mm:ss，可带小数秒，再加 Z 或 ±hh:mm）",
    ),
    "date_type": (
        "wrong-type",
        "must be a date text, YYYY-MM-DD",
        "必须是日期文本，格式为 YYYY-MM-DD",
    ),
    "date_parsing": (
        "bad-format",
        "not a date in the form YYYY-MM-DD",
        "不是 YYYY-MM-DD 格式的日期",
    ),
    "datetime_value": (
        "bad-format",
        "not a real date and time (month, day, hour or offset out of range)",
        "不是真实存在的日期时间（月、日、时或偏移超出范围）",
    ),
    "datetime_from_date_parsing": (
        "bad-format",
        "not a valid ISO 8601 date-time",
        "不是有效的 ISO 8601 时间",
    ),
    "timezone_aware": (
        "naive-datetime",
        "must carry a UTC offset, e.g. +08:00",
        "必须带时区偏移，例如 +08:00",
    ),
    "dict_type": ("wrong-type", "must be an object", "必须是对象"),
    "mapping_type": ("wrong-type", "must be an object", "必须是对象"),
    "model_type": ("wrong-type", "must be an object", "必须是对象"),
    "model_attributes_type": ("wrong-type", "must be an object", "必须是对象"),
}

_TRI = ("yes", "no", "unknown")

# What each pattern of the report schema allows, in words (keyed by the pattern itself,
# so a message can never describe another field's form).
_PATTERNS: dict[str, tuple[str, str]] = {
    ID_PATTERN: (
        "not a valid id: letters A-Z a-z, digits and _ . : - only, beginning with a "
        "letter or digit",
        "不是有效的编号：只能包含英文字母、数字和 _ . : -，并以字母或数字开头",
    ),
    LABEL_PATTERN: (
        "must not contain control characters (line breaks, tabs)",
        "不能包含控制字符（换行、制表符等）",
    ),
}
SHORT_LIST = 12  # closed lists up to this long are spelt out in the message

# Keys that other tools put beside a report, named (they are no one's data) with a hint.
_FOREIGN: dict[str, tuple[str, str]] = {
    "outcome": (
        "an outcome is not part of a report; keep outcomes in their own file "
        "(triage cohort --outcomes, model --outcomes)",
        "结局不属于报告；请将结局另存一个文件（triage cohort --outcomes，model --outcomes）",
    ),
}


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc``, if any."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the item model was already reached
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        nxt = None
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                nxt = candidate
        current = nxt
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def _path(loc: tuple[Any, ...]) -> str:
    # A key may be anything the sender typed; only identifier-like keys are shown.
    parts = [
        str(p) if isinstance(p, int) or p == "<key>" or _KEY.fullmatch(str(p)) else "<key>"
        for p in loc
        if p != "[key]"
    ]
    return ".".join(parts) if parts else "(report)"


def _literal(err: Any, model: type[BaseModel]) -> tuple[str, str, str, str | None]:
    expected = str(err.get("ctx", {}).get("expected", ""))
    allowed = [w.strip().strip("'") for w in expected.replace(" or ", ",").split(",") if w.strip()]
    raw = err.get("input")
    hint = suggest(raw, allowed) if allowed else None
    if sorted(allowed) == sorted(_TRI):
        return (
            "wrong-value",
            "must be yes, no or unknown",
            "只能是 是（yes）、否（no）或 不详（unknown）",
            None,
        )
    if err["loc"] and err["loc"][-1] == "[key]":
        return "unknown-code", "unknown indicator", "未知的风险指标", hint
    en, zh = _not_allowed(allowed)
    return "unknown-code", en, zh, hint


def _not_allowed(allowed: Sequence[str]) -> tuple[str, str]:
    """(English, Chinese): not one of ``allowed``, spelt out when the list is short."""
    if 0 < len(allowed) <= SHORT_LIST:
        listed = ", ".join(allowed)
        return f"not one of the allowed codes: {listed}", f"不是允许的编码：{listed}"
    return "not one of the allowed codes", "不是允许的编码"


def code_problem(path: str, raw: object, allowed: Sequence[str]) -> Problem:
    """The problem of a code not in ``allowed`` (a list a policy may extend)."""
    en, zh = _not_allowed(allowed)
    return Problem(path, "unknown-code", zh, en, suggestion=suggest(raw, allowed))


def translate(
    exc: ValidationError, model: type[BaseModel]
) -> list[tuple[tuple[Any, ...], str, str, str, str | None]]:
    """Each error of ``exc`` as (loc, code, English, Chinese, suggestion), value-free."""
    out = []
    for err in exc.errors(include_url=False, include_context=True, include_input=True):
        loc = tuple(err["loc"])
        kind = err["type"]
        hint: str | None = None
        if kind == "literal_error":
            code, en, zh, hint = _literal(err, model)
        elif kind == "string_pattern_mismatch":
            code = "bad-format"
            pattern = str(err.get("ctx", {}).get("pattern", ""))
            en, zh = _PATTERNS.get(pattern, _MESSAGES[kind][1:])
        elif kind in _MESSAGES:
            code, en, zh = _MESSAGES[kind]
            ctx = {k: v for k, v in err.get("ctx", {}).items() if isinstance(v, int | float | str)}
            with contextlib.suppress(KeyError, IndexError):
                en, zh = en.format(**ctx), zh.format(**ctx)
            if kind == "extra_forbidden":
                owner = _model_at(model, loc[:-1])
                if len(loc) == 1 and loc[0] in _FOREIGN:
                    en, zh = _FOREIGN[loc[0]]
                elif owner is not None:
                    hint = suggest(str(loc[-1]), owner.model_fields)
        elif kind == "value_error":
            # Our own validators raise ValueError("English / 中文"); the text is ours.
            text = str(err.get("ctx", {}).get("error", "invalid value"))
            en, _, zh = text.partition(" / ")
            code, zh = "invalid", zh or "值无效"
        else:
            code, en, zh = "invalid", "invalid value", "值无效"
        out.append((loc, code, en, zh, hint))
    return out


_FOREIGN_PATHS = {(key,) for key in _FOREIGN}


def _shown(loc: tuple[Any, ...], code: str, hint: str | None) -> tuple[Any, ...]:
    """The location to show: a key the sender made up is shown only when it is a near
    miss of a known one ("did you mean"); anything else may be personal data
    (``"wang_xiaohong_13800138000": …``) and is shown as ``<key>``."""
    if code == "unknown-field" and hint is None and loc not in _FOREIGN_PATHS:
        return (*loc[:-1], "<key>")
    if loc and loc[-1] == "[key]" and hint is None:
        return (*loc[:-2], "<key>")
    return loc


def report_error(
    exc: ValidationError | None, model: type[BaseModel], more: Sequence[Problem] = ()
) -> ReportError:
    """One ReportError listing every problem of ``exc`` (and ``more``), without the
    rejected values."""
    said = {p.path for p in more}  # a field a check outside the schema has spoken for
    problems = [
        Problem(_path(_shown(loc, code, hint)), code, zh, en, suggestion=hint)
        for loc, code, en, zh, hint in (translate(exc, model) if exc is not None else ())
    ]
    problems = [p for p in problems if p.path not in said]
    problems.extend(more)
    problems.sort(key=lambda p: (p.path, p.code))
    unique = tuple(dict.fromkeys(problems))
    noun = "problem" if len(unique) == 1 else "problems"
    return ReportError(f"invalid report: {len(unique)} {noun}", unique)
