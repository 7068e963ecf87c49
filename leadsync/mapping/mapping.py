"""A loaded mapping: source record ⇄ canonical Lead, with per-field error policy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leadsync.connectors.base import ObjectSchema
from leadsync.errors import FieldValueError, MappingError
from leadsync.mapping.canonical import canonical_field
from leadsync.mapping.compile import (
    POLICY_ACTION,
    SEVERITY,
    SKIP,
    Action,
    BadValue,
    ReadStep,
    WriteStep,
    compile_read,
    compile_write,
    fold_key,
)
from leadsync.mapping.issues import MappingIssue
from leadsync.mapping.memo import MISSING, Memo
from leadsync.mapping.model import Lead, Provenance, Touch
from leadsync.mapping.spec import MappingSpec
from leadsync.mapping.yamlsource import LocatedYaml, load_located_yaml

_ACTIONS: tuple[Action, ...] = ("ok", "drop_fields", "skip", "dead_letter")
_MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class MapResult:
    """The outcome of mapping one source record.

    Attributes:
        lead: The canonical lead; None when the record must be skipped or dead-lettered.
        errors: One error per bad field (record, field, value, expected).
        action: The strictest policy any error asked for: ``ok`` when there is no error,
            ``drop_fields`` (the lead lacks the bad fields), ``skip`` or ``dead_letter``.
    """

    lead: Lead | None
    errors: list[FieldValueError] = field(default_factory=list)
    action: Action = "ok"


def _shown(value: Any) -> Any:
    # Keep error messages (and logs) short; a whole notes field helps nobody.
    if isinstance(value, str) and len(value) > _MAX_SHOWN:
        return value[: _MAX_SHOWN - 3] + "..."
    return value


_TOUCH_GROUPS = ("first_touch", "latest_touch")


def _touch(values: dict[str, Any], touches: Memo) -> Touch | dict[str, Any]:
    # Touches are frozen (a test holds it), and the few sources, mediums and campaigns
    # repeat: records share one per combination of text values instead of validating anew.
    for value in values.values():
        if type(value) is not str:
            return values
    key = tuple(values.items())
    touch: Touch | None = touches.get(key)
    if touch is None:
        try:
            touch = touches.put(key, Touch.model_validate(values))
        except ValidationError:  # left to the Lead's validation, which says where
            return values
    return touch


def _lead(data: dict[str, Any], provenance: dict[str, Provenance], touches: Memo) -> Lead:
    """Validate ``data`` into a Lead and attach ``provenance`` to it.

    The same as validating ``{**data, "provenance": provenance}``, at about half the cost:
    validating only re-checks that each value is a Provenance (it always is) and copies
    the dict, which is fresh and owned by the lead either way. A Touch validated from the
    same text values is the same Touch (a model instance is taken as it is).
    """
    for group in _TOUCH_GROUPS:
        if type(values := data.get(group)) is dict:
            data[group] = _touch(values, touches)
    lead = Lead.model_validate(data)
    lead.provenance = provenance
    return lead


_WritePlan = list[tuple[str, str, Callable[[Lead], Any] | None, Callable[[Any], Any] | None, Any]]


def _write_plan(writes: list[WriteStep]) -> _WritePlan:
    """Flatten the writes for :meth:`Mapping.to_target`.

    Reading a top-level field and converting with a plain step are inlined there: their
    getter and converter are None in the plan.
    """
    plan: _WritePlan = []
    for step in writes:
        field = canonical_field(step.path)
        get = None if field.group is None else step.get
        plan.append(
            (step.target, field.key, get, None if step.plain else step.convert, step.default)
        )
    return plan


class Mapping:
    """One object's mapping between a system's fields and the canonical :class:`Lead`.

    Build it with :func:`load_mapping`. Reads and writes are compiled into closures once.
    """

    def __init__(self, spec: MappingSpec, located: LocatedYaml) -> None:
        self.spec = spec
        self.file = located.file
        self._located = located
        self._folded = spec.source_keys == "folded"
        issues: list[MappingIssue] = []
        self._reads: list[ReadStep] = []
        self._writes: list[WriteStep] = []
        for path, fspec in spec.fields.items():
            try:
                self._reads.append(compile_read(path, fspec, spec.on_error, folded=self._folded))
                step = compile_write(path, fspec)
            except (ValueError, ArithmeticError) as exc:
                issues.append(self.issue(("fields", path), str(exc)))
                continue
            if step is not None:
                self._writes.append(step)
        issues += self._duplicate_targets()
        if issues:
            raise MappingError("invalid mapping:\n" + "\n".join(map(str, issues)))
        self._by_path = {s.field.path: s for s in self._reads}
        self._write_plan = _write_plan(self._writes)
        self._last_seen: Provenance | None = None
        self._touches = Memo()
        # Flat tuples: the per-record loop then looks up no attribute but on errors.
        self._plan = [
            (s.key, s.read, s.peek, s.fill, s.process, s.default)
            + (s.field.group, s.field.key, s.field.path, s)
            for s in self._reads
        ]

    @property
    def object(self) -> str:
        """The object this mapping is for."""
        return self.spec.object

    @property
    def source_fields(self) -> tuple[str, ...]:
        """Every source field the mapping reads (fallbacks and computed arguments), in order."""
        names = (name for spec in self.spec.fields.values() for name in spec.sources)
        return tuple(dict.fromkeys(names))

    @property
    def writes(self) -> tuple[WriteStep, ...]:
        """The compiled writes (target field names and converters)."""
        return tuple(self._writes)

    def issue(self, path: tuple[str | int, ...], message: str) -> MappingIssue:
        """Make an issue located at a key path of the file."""
        return MappingIssue(self.file, self._located.line(path), ".".join(map(str, path)), message)

    def _duplicate_targets(self) -> list[MappingIssue]:
        seen: dict[str, str] = {}
        issues = []
        for step in self._writes:
            other = seen.setdefault(step.target.lower(), step.path)
            if other != step.path:
                issues.append(
                    self.issue(
                        ("fields", step.path),
                        f"{other!r} and {step.path!r} both write {step.target!r}; "
                        "add write: false to one of them",
                    )
                )
        return issues

    def to_canonical(
        self, fields: AbcMapping[str, Any], *, record: str, system: str, observed_at: datetime
    ) -> MapResult:
        """Map one source record to a canonical lead.

        Args:
            fields: Source field name to value.
            record: Identifier of the record, used in error messages.
            system: The system the record came from (recorded in provenance).
            observed_at: When the values were read (recorded in provenance).

        Returns:
            The lead (unless skipped), the per-field errors and the action to take.
        """
        if self._folded:
            fields = {fold_key(k): v for k, v in fields.items()}
        data: dict[str, Any] = {}
        provenance: dict[str, Provenance] = {}
        errors: list[FieldValueError] = []
        worst = 0
        seen = self._provenance(system, observed_at)
        plan = self._plan
        for source, read, peek, fill, process, default, group, key, path, step in plan:
            # ReadStep.read, inlined for fields with one plain source: most of them.
            try:
                if source is None:
                    value = read(fields)
                elif (raw := fields.get(source)) is None:
                    value = default
                elif type(raw) is not str:
                    value = process(raw)
                elif (value := peek(raw, MISSING)) is MISSING:
                    value = fill(raw)
            except BadValue as bad:
                errors.append(FieldValueError(record, step.label, _shown(bad.value), bad.expected))
                worst = max(worst, SEVERITY[step.action])
                continue
            if value is None:
                if step.required:
                    errors.append(FieldValueError(record, step.label, None, "a value (required)"))
                    worst = max(worst, SEVERITY[step.action], SEVERITY["skip"])
                continue
            if group is None:
                data[key] = value
            else:
                data.setdefault(group, {})[key] = value
            provenance[path] = seen
        if worst >= SEVERITY["skip"]:
            return MapResult(None, errors, _ACTIONS[worst])
        return self._build(data, provenance, errors, worst, record)

    def _provenance(self, system: str, observed_at: datetime) -> Provenance:
        # One shared by every field of the record (it is frozen), and kept for the next
        # record when that passes the very same system and time (a batch stamped once, as
        # imports and benchmarks do): building one costs as much as mapping a field.
        last = self._last_seen
        if last is not None and last.system is system and last.observed_at is observed_at:
            return last
        seen = Provenance(system=system, observed_at=observed_at)
        if seen.system is system and seen.observed_at is observed_at:
            self._last_seen = seen
        return seen

    def _build(
        self,
        data: dict[str, Any],
        provenance: dict[str, Provenance],
        errors: list[FieldValueError],
        worst: int,
        record: str,
    ) -> MapResult:
        try:
            return MapResult(_lead(data, provenance, self._touches), errors, _ACTIONS[worst])
        except ValidationError as exc:
            failed = exc.errors()
        for err in failed:
            loc = [str(p) for p in err["loc"]]
            step = self._by_path.get(".".join(loc[:2])) or self._by_path.get(loc[0])
            if step is None:  # a bug in the mapping layer, not in the data
                raise MappingError(f"record {record}: canonical lead invalid: {err['msg']}")
            errors.append(FieldValueError(record, step.label, _shown(err["input"]), err["msg"]))
            worst = max(worst, SEVERITY[step.action])
            group = step.field.group
            if group is None:
                data.pop(step.field.key, None)
            elif group in data:
                data[group].pop(step.field.key, None)
                if not data[group]:  # no empty Touch left behind
                    del data[group]
            provenance.pop(step.field.path, None)
        if worst >= SEVERITY["skip"]:
            return MapResult(None, errors, _ACTIONS[worst])
        try:
            return MapResult(_lead(data, provenance, self._touches), errors, _ACTIONS[worst])
        except ValidationError as exc:
            raise MappingError(f"record {record}: canonical lead invalid: {exc}") from exc

    def to_target(self, lead: Lead, *, include_none: bool = False) -> dict[str, Any]:
        """Map a canonical lead to the target's field names and values.

        Values the target cannot hold (a stage with no target picklist value) are left out.

        Args:
            lead: The canonical lead.
            include_none: Also emit empty fields as None (to clear them on update).

        Returns:
            Target field name to value (str, int, Decimal, bool or aware datetime).
        """
        out: dict[str, Any] = {}
        for target, attr, get, convert, default in self._write_plan:
            value = getattr(lead, attr) if get is None else get(lead)
            if value is None:
                if default is not None or include_none:
                    out[target] = default
                continue
            if convert is not None:
                value = convert(value)
                if value is SKIP:
                    continue
            elif isinstance(value, Enum):  # WriteStep.convert of a plain step, inlined
                value = value.value
                if value is None:
                    continue
            out[target] = value
        return out

    def validate(self, schema: ObjectSchema) -> list[MappingIssue]:
        """Check this mapping against the target's described fields.

        Args:
            schema: The object's fields, as the connector's ``describe`` returns them.

        Returns:
            Every issue found (unknown fields, type mismatches, picklist values the target
            refuses, required fields left unmapped, read-only fields mapped for write).
        """
        from leadsync.mapping.validate import validate_mapping

        return validate_mapping(self, schema)

    def without_read_only(self, schema: ObjectSchema) -> Mapping:
        """Return a copy that does not write the fields ``schema`` marks read-only.

        Args:
            schema: The target object's described fields.

        Returns:
            A mapping sharing this one's reads, minus writes to read-only fields.
        """
        clone = copy.copy(self)
        clone._writes = [
            w
            for w in self._writes
            if (info := schema.get(w.target)) is None or info.createable or info.updateable
        ]
        clone._write_plan = _write_plan(clone._writes)
        return clone

    def policy_of(self, path: str) -> Action:
        """Return the action an error in canonical field ``path`` leads to."""
        return (
            self._by_path[path].action
            if path in self._by_path
            else POLICY_ACTION[self.spec.on_error]
        )


def load_mapping(path: str | Path) -> Mapping:
    """Load, check and compile a mapping file.

    Args:
        path: The YAML file.

    Returns:
        The compiled mapping.

    Raises:
        MappingError: the file is unreadable or invalid; the message cites file:line.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise MappingError(f"{file}: cannot read mapping: {exc}") from exc
    located = load_located_yaml(text, file)
    try:
        spec = MappingSpec.model_validate(located.data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            lines.append(f"{file}:{located.line(loc)}: {'.'.join(map(str, loc))}: {err['msg']}")
        raise MappingError("invalid mapping:\n" + "\n".join(lines)) from exc
    return Mapping(spec, located)
