"""Typed schema of a mapping file (pydantic): one object's fields, transforms and policies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

OnError = Literal["skip_record", "dead_letter", "drop_field"]
SourceKeys = Literal["exact", "folded"]


def _scalar_text(value: Any) -> Any:
    # YAML reads `1: x` or `yes: x` as numbers/booleans; picklist values are always text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _text_map(value: Any) -> Any:
    if isinstance(value, dict):
        return {_scalar_text(k): (None if v is None else _scalar_text(v)) for k, v in value.items()}
    return value


TransformRef = str | dict[str, dict[str, Any]]
"""A transform by name, or ``{name: {param: value}}`` for a parameterised one."""

ValueMap = Annotated[dict[str, str | None], BeforeValidator(_text_map)]


class WriteSpec(BaseModel):
    """How a canonical field is written back to the target (the reverse direction).

    Attributes:
        target: Target field; defaults to the field's (first) ``source``.
        transforms: Applied to the canonical value before writing.
        value_map: Canonical value to target value; overrides the inverted read map.
        enabled: False to never write this field.
        default: Written when the canonical value is empty (for fields the target requires).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str | None = None
    transforms: list[TransformRef] = Field(default_factory=list)
    value_map: ValueMap | None = None
    enabled: bool = True
    default: Any = None


def _write_shorthand(value: Any) -> Any:
    # `write: false` disables writing; `write: State` names the target field.
    if isinstance(value, bool):
        return {"enabled": value}
    if isinstance(value, str):
        return {"target": value}
    return value


class FieldSpec(BaseModel):
    """How one canonical field is read from the source record.

    Exactly one of ``source``, ``computed`` or ``const`` says where the value comes from.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | list[str] | None = None
    computed: str | None = None
    args: list[str] = Field(default_factory=list)
    const: Any = None
    transforms: list[TransformRef] = Field(default_factory=list)
    value_map: ValueMap | None = None
    default: Any = None
    required: bool = False
    on_error: OnError | None = None
    write: Annotated[WriteSpec | None, BeforeValidator(_write_shorthand)] = None

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        origins = [self.source is not None, self.computed is not None, self.const is not None]
        if sum(origins) != 1:
            raise ValueError("give exactly one of source, computed or const")
        if self.args and self.computed is None:
            raise ValueError("args only go with computed")
        if self.source == []:
            raise ValueError("source list is empty")
        return self

    @property
    def sources(self) -> tuple[str, ...]:
        """The source fields read, in order (fallbacks and computed arguments included)."""
        if isinstance(self.source, str):
            return (self.source,)
        return tuple(self.source or self.args)


class MappingSpec(BaseModel):
    """A whole mapping file.

    Attributes:
        object: The source/target object, e.g. ``Lead``.
        on_error: Default policy for fields that do not set their own.
        source_keys: ``folded`` matches source field names ignoring case, spaces and
            punctuation (for CSV headers and form posts); ``exact`` is faster.
        fields: Canonical path (``email``, ``custom.x``, ``first_touch.source``) to spec.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: str
    on_error: OnError = "dead_letter"
    source_keys: SourceKeys = "exact"
    fields: dict[str, FieldSpec]
