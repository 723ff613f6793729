"""Building frozen pydantic models from values the library made itself.

Validation is for what comes from outside (reports, policy files, model files).
Results the library assembles from validated input — instrument results, trace
entries, routing plans, decisions — would otherwise be validated again on every
decision, which costs more than computing them. ``trusted`` builds such an object
as ``model_construct`` does, at a fraction of its cost; tests hold each one equal
to what validating its own dump gives, byte for byte.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["trusted"]

M = TypeVar("M", bound=BaseModel)
_REQUIRED: Any = object()
_FIELDS: dict[type, tuple[tuple[str, Any, Any], ...]] = {}
_set = object.__setattr__


def _fields_of(cls: type[BaseModel]) -> tuple[tuple[str, Any, Any], ...]:
    """(name, default or _REQUIRED, default factory or None) of each field, in order."""
    return tuple(
        (name, _REQUIRED if info.is_required() else info.default, info.default_factory)
        for name, info in cls.model_fields.items()
    )


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of ``cls`` holding ``values`` as they are; fields left out take their
    defaults. The fields keep their declared order, which is the order JSON is written in."""
    spec = _FIELDS.get(cls)
    if spec is None:
        spec = _FIELDS[cls] = _fields_of(cls)
    fields = {}
    for name, default, factory in spec:
        if name in values:
            fields[name] = values[name]
        elif factory is not None:
            fields[name] = factory()
        elif default is not _REQUIRED:
            fields[name] = default
        else:
            raise TypeError(f"{cls.__name__}.{name} is required")
    obj = cls.__new__(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj
