"""Guess a CSV file's encoding and delimiter from its first bytes; normalise its headers."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

SAMPLE_BYTES = 64 * 1024
_CANDIDATES = ",;\t|"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Dialect:
    """What :func:`sniff` decided about a file."""

    encoding: str
    delimiter: str
    quotechar: str = '"'


def detect_encoding(sample: bytes) -> str:
    """Return the encoding of ``sample``: BOM first, then strict UTF-8, then charset-normalizer.

    UTF-8 is tried before guessing because most files are UTF-8 and a guesser can mistake
    short ASCII-heavy UTF-8 for a legacy code page.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:
        # The sample may end inside a multi-byte character; drop up to 3 trailing bytes.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    if best is None:
        return "cp1252"
    # Single-byte code pages often tie; Excel's Western default is the likeliest of the tied.
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return "cp1252" if "cp1252" in tied else best.encoding


def detect_delimiter(text: str) -> str:
    """Return the delimiter of CSV ``text``: csv.Sniffer, else the commonest candidate in line 1."""
    try:
        return csv.Sniffer().sniff(text, delimiters=_CANDIDATES).delimiter
    except csv.Error:
        pass
    first = text.splitlines()[0] if text else ""
    counts = {d: first.count(d) for d in _CANDIDATES}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def sniff(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Dialect:
    """Read the first :data:`SAMPLE_BYTES` of ``path`` and decide its dialect.

    Args:
        path: The CSV file.
        encoding: Use this instead of detecting.
        delimiter: Use this instead of detecting.
    """
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    chosen = encoding or detect_encoding(sample)
    if delimiter:
        return Dialect(chosen, delimiter)
    text = sample.decode(chosen, errors="ignore")
    # Sniff whole lines only: a cut last line confuses the sniffer.
    if len(sample) == SAMPLE_BYTES and "\n" in text:
        text = text[: text.rfind("\n")]
    return Dialect(chosen, detect_delimiter(text))


def normalise_headers(raw: list[str]) -> list[str]:
    """Lower-case snake_case headers, unique, none empty (``column_3`` for a blank one).

    ``" E-Mail Address "`` becomes ``e_mail_address``; a repeated name gets ``_2``, ``_3``.
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    for index, header in enumerate(raw, start=1):
        name = re.sub(r"[^0-9a-z]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")
        name = name or f"column_{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out
