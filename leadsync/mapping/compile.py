"""Turns a mapping file's field specs into fast read and write closures.

Compiling once per file keeps the per-record work to a list walk: no spec lookups, no
registry lookups and no branching on options the field does not use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Literal

from leadsync.mapping.canonical import COERCERS, EXPECTED, CanonicalField, canonical_field
from leadsync.mapping.memo import MISSING, Memo
from leadsync.mapping.model import Lead
from leadsync.mapping.normalize.picklist import PicklistMap
from leadsync.mapping.registry import COMPUTED, Transform, build_transform
from leadsync.mapping.spec import FieldSpec, OnError

Action = Literal["ok", "drop_fields", "skip", "dead_letter"]
SEVERITY: dict[Action, int] = {"ok": 0, "drop_fields": 1, "skip": 2, "dead_letter": 3}
POLICY_ACTION: dict[OnError, Action] = {
    "drop_field": "drop_fields",
    "skip_record": "skip",
    "dead_letter": "dead_letter",
}
SKIP = object()  # a write converter's answer for "the target cannot hold this value"
_HEADER_JUNK = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)
def fold_key(name: str) -> str:
    """Return a field name without case, spaces or punctuation (``First Name``: ``firstname``)."""
    return _HEADER_JUNK.sub("", name.casefold())


class BadValue(Exception):  # noqa: N818 - internal signal, never leaves the mapping package
    """Raised inside a read closure: the source holds an unusable value."""

    def __init__(self, value: Any, expected: str) -> None:
        super().__init__(expected)
        self.value = value
        self.expected = expected


@dataclass(frozen=True, slots=True)
class ReadStep:
    """One canonical field's compiled read.

    For a field with one plain source, ``read(fields)`` is ``default`` when
    ``raw = fields.get(key)`` is None, ``process(raw)`` when it is not a str, else the
    remembered ``peek(raw, miss)`` or ``fill(raw)``. The parts are kept so that the
    per-record loop can inline that case; ``key`` is None for every other field.
    """

    field: CanonicalField
    label: str
    action: Action
    required: bool
    read: Callable[[Mapping[str, Any]], Any]
    key: str | None
    peek: Callable[[Any, Any], Any]
    fill: Callable[[str], Any]
    process: Callable[[Any], Any]
    default: Any


@dataclass(frozen=True, slots=True)
class WriteStep:
    """One canonical field's compiled write."""

    path: str
    target: str
    get: Callable[[Lead], Any]
    convert: Callable[[Any], Any]
    outputs: tuple[str, ...]  # the value-map outputs, for picklist checks
    default: Any = None
    plain: bool = False  # convert only unwraps enums, so a per-record loop may inline it


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _getter(spec: FieldSpec, folded: bool) -> Callable[[Mapping[str, Any]], Any]:
    names = [fold_key(s) if folded else s for s in spec.sources]
    if spec.const is not None:
        const = spec.const
        return lambda fields: const
    if len(names) == 1:
        only = names[0]
        return lambda fields: fields.get(only)
    return lambda fields: next((v for n in names if not _blank(v := fields.get(n))), None)


_TEXT_OR_NONE = frozenset({str, type(None)})


def _computed_read(
    spec: FieldSpec, folded: bool, process: Callable[[Any], Any], default: Any
) -> Callable[[Mapping[str, Any]], Any]:
    """Build the read of a computed field: its function of the sources, then ``process``."""
    comp = COMPUTED[spec.computed or ""]
    names = [fold_key(s) if folded else s for s in spec.sources]
    needs = comp.needs

    def compute(*values: Any) -> Any:
        blanks = [v is None or (isinstance(v, str) and not v.strip()) for v in values]
        if all(blanks) or any(blanks[:needs]):
            return default
        result = comp.func(*values)
        if result is None:
            if comp.none_ok:
                return default
            raise BadValue(values[0] if len(values) == 1 else list(values), comp.expected)
        return process(result)

    # Pure in the sources, which repeat (state and country pairs, a company's website).
    # Only text is remembered: an equal number or date of another type or form could give
    # another result (coalesce returns its argument).
    memo = Memo()

    def read(fields: Mapping[str, Any]) -> Any:
        key = tuple(map(fields.get, names))
        if not set(map(type, key)) <= _TEXT_OR_NONE:
            return compute(*key)
        value = memo.get(key, MISSING)
        return memo.put(key, compute(*key)) if value is MISSING else value

    return read


def _value_map_step(vmap: PicklistMap) -> Callable[[Any], Any]:
    expected = "one of " + ", ".join(repr(s) for s in vmap.sources)

    def lookup(value: Any) -> Any:
        mapped = vmap.get(value, MISSING)
        if mapped is MISSING:
            raise BadValue(value, expected)
        return mapped

    return lookup


def _pipeline(
    chain: list[Transform],
    lookup: Callable[[Any], Any] | None,
    coerce: Callable[[Any], Any],
    expected: str,
    default: Any,
) -> tuple[Callable[[Any, Any], Any], Callable[[str], Any], Callable[[Any], Any]]:
    """Build raw value → canonical value for one field, remembered for text.

    Returns:
        ``peek(raw, miss)``: the remembered value of a str ``raw``, else ``miss``;
        ``fill(raw)``: the value of a str ``raw``, computed and remembered; and
        ``process(raw)``: the value of any ``raw``, computed.
    """

    def process(raw: Any) -> Any:
        if isinstance(raw, str) and not raw.strip():
            return default
        value = raw
        for transform in chain:
            out = transform.func(value)
            if out is None:
                if transform.none_ok:
                    return default
                raise BadValue(raw, transform.expected)
            value = out
        if lookup is not None:
            value = lookup(value)
            if value is None:
                return default
        try:
            return coerce(value)
        except (ValueError, ArithmeticError):
            raise BadValue(raw, expected) from None

    # Pure in the raw value, and picklists, countries and companies repeat a lot. Only
    # exact str keys: 1, 1.0 and True are equal keys but not equal inputs. Failures raise,
    # and so are never remembered.
    memo = Memo()

    def fill(raw: str) -> Any:
        return memo.put(raw, process(raw))

    return memo.get, fill, process


def compile_read(path: str, spec: FieldSpec, default_policy: OnError, *, folded: bool) -> ReadStep:
    """Compile the read of one field.

    Raises:
        ValueError: unknown canonical field, transform or computed function, or a default
            that does not fit the field.
    """
    cf = canonical_field(path)
    if spec.computed is not None:
        comp = COMPUTED.get(spec.computed)
        if comp is None:
            raise ValueError(f"unknown computed function {spec.computed!r} ({', '.join(COMPUTED)})")
        if comp.arity is not None and comp.arity != len(spec.args):
            raise ValueError(f"{spec.computed} takes {comp.arity} args, got {len(spec.args)}")
    chain: list[Transform] = [build_transform(t) for t in spec.transforms]
    lookup = _value_map_step(PicklistMap(spec.value_map)) if spec.value_map else None
    coerce, expected = COERCERS[cf.kind], EXPECTED[cf.kind]
    default = None if spec.default is None else coerce(spec.default)
    peek, fill, process = _pipeline(chain, lookup, coerce, expected, default)

    def run(raw: Any) -> Any:
        if type(raw) is not str:
            return process(raw)
        value = peek(raw, MISSING)
        return fill(raw) if value is MISSING else value

    key: str | None = None
    read: Callable[[Mapping[str, Any]], Any]
    if isinstance(spec.source, str):
        only = key = fold_key(spec.source) if folded else spec.source

        def read_one(fields: Mapping[str, Any]) -> Any:
            raw = fields.get(only)
            return default if raw is None else run(raw)

        read = read_one

    elif spec.computed is not None:
        read = _computed_read(spec, folded, run, default)
    else:
        get = _getter(spec, folded)

        def read_any(fields: Mapping[str, Any]) -> Any:
            raw = get(fields)
            return default if raw is None else run(raw)

        read = read_any

    label = spec.computed if spec.computed else ("const" if spec.const is not None else "")
    label = "/".join(spec.sources) or label
    action = POLICY_ACTION[spec.on_error or default_policy]
    return ReadStep(cf, label, action, spec.required, read, key, peek, fill, process, default)


def _lead_getter(cf: CanonicalField) -> Callable[[Lead], Any]:
    key, group = cf.key, cf.group
    if group is None:
        return lambda lead: getattr(lead, key)
    if group in ("custom", "external_ids"):
        return lambda lead: getattr(lead, group).get(key)
    return lambda lead: getattr(getattr(lead, group), key, None)


def _write_map(path: str, spec: FieldSpec) -> PicklistMap | None:
    if spec.write is not None and spec.write.value_map is not None:
        return PicklistMap(spec.write.value_map)
    if not spec.value_map:
        return None
    inverse = PicklistMap(spec.value_map).inverse()
    if inverse is None:
        raise ValueError(
            f"value_map of {path!r} sends several source values to one canonical value, so "
            "it cannot be inverted: add write.value_map or write: false"
        )
    return inverse


def compile_write(path: str, spec: FieldSpec) -> WriteStep | None:
    """Compile the write-back of one field, or return None when it is not written.

    Plain and transformed sources are written to the (first) source field; value maps are
    inverted; computed and constant fields need an explicit ``write: <target>``.

    Raises:
        ValueError: the value map cannot be inverted and no write map is given.
    """
    write = spec.write
    if write is not None and not write.enabled:
        return None
    chain = [build_transform(t) for t in spec.transforms]
    explicit = write is not None and write.target is not None
    if not explicit and (spec.source is None or any(not t.reversible for t in chain)):
        return None
    target = write.target if write is not None and write.target else spec.sources[0]
    vmap = _write_map(path, spec)
    out_chain = [build_transform(t) for t in (write.transforms if write else [])]

    def convert_value(value: Any) -> Any:
        if vmap is not None:
            value = vmap.get(value.value if isinstance(value, Enum) else value, SKIP)
        elif isinstance(value, Enum):
            value = value.value
        for transform in out_chain:
            if value is None or value is SKIP:
                break
            value = transform.func(value)
        return SKIP if value is None else value

    plain = vmap is None and not out_chain
    memo = Memo()

    def convert(value: Any) -> Any:
        # A function of the text (an enum's value): picklist values repeat on every record.
        key = value._value_ if isinstance(value, Enum) else value
        if plain or type(key) is not str:
            return convert_value(value)
        out = memo.get(key, MISSING)
        return memo.put(key, convert_value(value)) if out is MISSING else out

    outputs = vmap.targets() if vmap is not None else ()
    default = write.default if write is not None else None
    getter = _lead_getter(canonical_field(path))
    return WriteStep(path, target, getter, convert, outputs, default, plain)
