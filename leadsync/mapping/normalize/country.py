"""Country and region normalisation to ISO 3166 codes with pycountry, plus common aliases."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from leadsync.mapping.normalize._text import clean_text, fold

# Spellings people type that pycountry does not know: abbreviations, endonyms, old names.
_COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US",
    "us": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "gb": "GB",
    "deutschland": "DE",
    "germany": "DE",
    "bundesrepublik deutschland": "DE",
    "holland": "NL",
    "nederland": "NL",
    "the netherlands": "NL",
    "espana": "ES",
    "mexico": "MX",
    "brasil": "BR",
    "italia": "IT",
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "belgique": "BE",
    "belgie": "BE",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "polska": "PL",
    "cesko": "CZ",
    "czech republic": "CZ",
    "magyarorszag": "HU",
    "hellas": "GR",
    "eire": "IE",
    "turkey": "TR",
    "turkiye": "TR",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "taiwan": "TW",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "burma": "MM",
    "ivory coast": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "uae": "AE",
    "emirates": "AE",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "palestine": "PS",
    "vatican": "VA",
    "prc": "CN",
    "peoples republic of china": "CN",
    "nippon": "JP",
    "nihon": "JP",
}

# English names for subdivisions that pycountry lists under their local name.
_REGION_ALIASES: dict[str, dict[str, str]] = {
    "DE": {
        "bavaria": "BY",
        "lower saxony": "NI",
        "north rhine westphalia": "NW",
        "hesse": "HE",
        "rhineland palatinate": "RP",
        "saxony": "SN",
        "saxony anhalt": "ST",
        "thuringia": "TH",
        "mecklenburg western pomerania": "MV",
    },
    "US": {"washington dc": "DC", "washington d c": "DC"},
}

_NON_WORD = re.compile(r"[^\w]+")
_QUOTES = re.compile(r"[.'\u2019\u2018`]")


def _key(text: str) -> str:
    """Fold and drop punctuation so "U.S.A." and "usa" share one key."""
    folded = _QUOTES.sub("", fold(text))
    key = _NON_WORD.sub(" ", folded).strip()
    return key[4:] if key.startswith("the ") else key


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.alpha_2, country.alpha_3, country.name]
        names += [getattr(country, a, "") for a in ("official_name", "common_name")]
        for name in names:
            if name:
                table.setdefault(_key(name), code)
    for alias, code in _COUNTRY_ALIASES.items():
        table[_key(alias)] = code
    return table


@lru_cache(maxsize=8192)
def normalize_country(raw: str | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a country name, code or common alias.

    Args:
        raw: e.g. ``"USA"``, ``"U.K."``, ``"Deutschland"``, ``"nld"``.

    Returns:
        The alpha-2 code (``"US"``, ``"GB"``, ``"DE"``, ``"NL"``), or None when unknown.
    """
    text = clean_text(raw)
    if text is None or len(text) > 80:
        return None
    return _country_table().get(_key(text))


@lru_cache(maxsize=256)
def _region_table(country: str) -> dict[str, str]:
    table: dict[str, str] = {}
    subs = pycountry.subdivisions.get(country_code=country)  # type: ignore[no-untyped-call]
    for sub in subs or ():
        suffix = sub.code.split("-", 1)[1]
        table.setdefault(_key(suffix), suffix)
        table.setdefault(_key(sub.name), suffix)
    for alias, suffix in _REGION_ALIASES.get(country, {}).items():
        table[_key(alias)] = suffix
    return table


@lru_cache(maxsize=8192)
def normalize_region(raw: str | None, country: str | None) -> str | None:
    """Return the ISO 3166-2 subdivision code (without country) of a region in ``country``.

    Args:
        raw: e.g. ``"California"``, ``"ca"``, ``"US-CA"``, ``"Bayern"``.
        country: The country, in any form :func:`normalize_country` accepts.

    Returns:
        The code after the dash (``"CA"``, ``"BY"``), or None when it cannot be resolved.
    """
    text = clean_text(raw)
    code = normalize_country(country)
    if text is None or code is None or len(text) > 80:
        return None
    key = _key(text)
    prefix = code.lower() + " "
    table = _region_table(code)
    if key not in table and key.startswith(prefix):
        key = key[len(prefix) :]  # "US-CA" folds to "us ca"
    return table.get(key)
