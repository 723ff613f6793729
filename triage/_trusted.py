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
# per model class: (every field with its default, in order; fields with a default
# factory; required fields; the field names in order)
_Spec = tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str], tuple[str, ...]]
_SPECS: dict[type, _Spec] = {}
_set = object.__setattr__
_new = object.__new__  # BaseModel defines no __new__ of its own
# BaseModel's slots, set through their descriptors (what object.__setattr__ looks up)
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _spec_of(cls: type[BaseModel]) -> _Spec:
    fields = cls.model_fields
    template = {
        name: _REQUIRED if info.is_required() or info.default_factory else info.default
        for name, info in fields.items()
    }
    factories = tuple(
        (name, info.default_factory) for name, info in fields.items() if info.default_factory
    )
    required = frozenset(name for name, info in fields.items() if info.is_required())
    return template, factories, required, tuple(fields)


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of ``cls`` holding ``values`` as they are; fields left out take their
    defaults. The fields keep their declared order, which is the order JSON is written in
    (updating a dict keeps each key where it was). ``values`` becomes the object's own:
    give a dict made for it."""
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _spec_of(cls)
    template, factories, required, names = spec
    if len(values) == len(names) and tuple(values) == names:
        return _instance(cls, values, values)  # every field, in order: nothing to fill in
    if not required <= values.keys():
        raise TypeError(f"{cls.__name__} needs {sorted(required - values.keys())}")
    fields = template.copy()
    fields.update(values)
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    if len(fields) != len(template):
        raise TypeError(f"{cls.__name__} has no field {sorted(fields.keys() - template.keys())}")
    return _instance(cls, fields, values)


def _instance(cls: type[M], fields: dict[str, Any], values: dict[str, Any]) -> M:
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set_fields_set(obj, set(values))
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj
