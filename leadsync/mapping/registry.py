"""Named transforms and computed-field functions a mapping file may use (no expressions).

A transform turns one non-empty value into another, or into None when the value is
unusable (an error unless ``none_ok``). Computed functions take several source values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadsync.mapping.canonical import to_bool, to_decimal, to_int
from leadsync.mapping.normalize import (
    company_key,
    domain_from_email,
    domain_from_website,
    email_ascii,
    is_free_mail,
    normalize_company,
    normalize_country,
    normalize_email,
    normalize_person_name,
    normalize_region,
    parse_datetime,
    phone_e164,
    split_name,
)
from leadsync.mapping.normalize._text import clean_text


@dataclass(frozen=True, slots=True)
class Transform:
    """A named one-value function.

    Attributes:
        name: The name used in mapping files.
        func: Non-empty value in, new value (or None) out.
        expected: What a usable input looks like, for error messages.
        none_ok: None from a non-empty input means "no value", not an error.
        reversible: Feeding the output back through the chain gives it unchanged, so the
            field can be written back as is.
    """

    name: str
    func: Callable[[Any], Any]
    expected: str
    none_ok: bool = False
    reversible: bool = True


@dataclass(frozen=True, slots=True)
class Computed:
    """A named function of several source values (``args`` in the mapping file)."""

    name: str
    func: Callable[..., Any]
    arity: int | None
    expected: str
    none_ok: bool = False
    needs: int = 0  # leading args that must be non-empty, else the field is simply empty


def _text(func: Callable[[str], Any]) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        return func(value if isinstance(value, str) else str(value))

    return call


def _guard(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # Coercers raise ValueError on bad input; a transform reports that as None instead.
    def call(value: Any) -> Any:
        try:
            return func(value)
        except (ValueError, ArithmeticError):
            return None

    return call


def _phone(default_region: str = "US") -> Transform:
    func = _text(lambda v: phone_e164(v, default_region))
    return Transform("phone", func, f"a phone number (national numbers read as {default_region})")


def _datetime(default_tz: str = "UTC") -> Transform:
    try:
        zone = ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {default_tz!r}") from None
    return Transform("datetime", lambda v: parse_datetime(v, zone), "a date/time")


def _truncate(length: int) -> Transform:
    if not isinstance(length, int) or length < 1:
        raise ValueError("length must be a positive whole number")
    return Transform("truncate", _text(lambda v: v[:length]), "text")


def _none_if(values: list[str]) -> Transform:
    blanks = frozenset(str(v).strip().casefold() for v in values)
    func = _text(lambda v: None if v.strip().casefold() in blanks else v)
    return Transform("none_if", func, "text", none_ok=True)


def _simple(name: str, func: Callable[[Any], Any], expected: str, **flags: bool) -> Any:
    return lambda: Transform(name, func, expected, **flags)


TRANSFORMS: Mapping[str, Callable[..., Transform]] = MappingProxyType(
    {
        "strip": _simple("strip", _text(clean_text), "text", none_ok=True),
        "lower": _simple("lower", _text(str.lower), "text"),
        "upper": _simple("upper", _text(str.upper), "text"),
        "email": _simple("email", _text(normalize_email), "an email address"),
        "email_ascii": _simple("email_ascii", _text(email_ascii), "an email address"),
        "phone": _phone,
        "country": _simple("country", _text(normalize_country), "a country name or ISO code"),
        "person_name": _simple("person_name", _text(normalize_person_name), "a name"),
        "company": _simple("company", _text(normalize_company), "a company", none_ok=True),
        "company_key": _simple("company_key", _text(company_key), "a company", reversible=False),
        "domain": _simple("domain", _text(domain_from_website), "a website or domain"),
        "datetime": _datetime,
        "integer": _simple("integer", _guard(to_int), "a whole number"),
        "decimal": _simple("decimal", _guard(to_decimal), "a number"),
        "boolean": _simple("boolean", _guard(to_bool), "true or false"),
        "truncate": _truncate,
        "none_if": _none_if,
        "first_name_of": _simple(
            "first_name_of",
            _text(lambda v: split_name(v).first),
            "a name",
            none_ok=True,
            reversible=False,
        ),
        "last_name_of": _simple(
            "last_name_of", _text(lambda v: split_name(v).last), "a name", reversible=False
        ),
    }
)


def _company_domain(website: Any, email: Any) -> str | None:
    domain = domain_from_website(website) if isinstance(website, str) else None
    if domain is None and isinstance(email, str):
        from_email = domain_from_email(email)
        domain = None if from_email is None or is_free_mail(from_email) else from_email
    return domain


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None and v != ""), None)


COMPUTED: Mapping[str, Computed] = MappingProxyType(
    {
        "domain_from_website": Computed(
            "domain_from_website", _text(domain_from_website), 1, "a website or domain", needs=1
        ),
        "domain_from_email": Computed(
            "domain_from_email", _text(domain_from_email), 1, "an email address", needs=1
        ),
        "company_domain": Computed(
            "company_domain",
            _company_domain,
            2,
            "a website or a company email address",
            none_ok=True,
        ),
        "region": Computed(
            "region",
            lambda region, country: normalize_region(
                str(region), str(country) if country else None
            ),
            2,
            "a state/region of the record's country (ISO 3166-2)",
            needs=1,
        ),
        "coalesce": Computed("coalesce", _coalesce, None, "a value", none_ok=True),
    }
)


def build_transform(ref: str | Mapping[str, Any]) -> Transform:
    """Build the transform a mapping file names.

    Args:
        ref: ``"email"`` or ``{"phone": {"default_region": "GB"}}``.

    Returns:
        The transform.

    Raises:
        ValueError: unknown name or bad parameters.
    """
    params: dict[str, Any] = {}
    if isinstance(ref, str):
        name = ref
    elif len(ref) == 1:
        name, given = next(iter(ref.items()))
        params = dict(given or {})
    else:
        raise ValueError("a parameterised transform is a one-key mapping {name: {params}}")
    factory = TRANSFORMS.get(name)
    if factory is None:
        raise ValueError(f"unknown transform {name!r} (known: {', '.join(sorted(TRANSFORMS))})")
    try:
        return factory(**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for transform {name!r}: {exc}") from None
