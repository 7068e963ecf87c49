"""A SOQL subset: parser and evaluator over the sandbox's in-memory records.

Supported: ``SELECT f, ... | COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]`` with ``= != <> < > <= >= IN NOT IN LIKE``,
``AND OR NOT``, parentheses and string, number, boolean, date, date-time and null literals.
As in Salesforce, text comparisons ignore case and ``=`` with null matches empty fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from leadsync.sandbox.salesforce.ids import parse_datetime
from leadsync.sandbox.salesforce.schema import FieldDef, ObjectDef, object_def

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<str>'(?:[^'\\]|\\.)*')
    |(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT"}
_KEYWORDS |= {"IN", "LIKE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "TRUE", "FALSE", "NULL"}


class SoqlError(Exception):
    """A query Salesforce would reject (MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token: kind (dt, date, num, str, ident, kw, op, punct, end) and value."""

    kind: str
    value: Any
    text: str


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens.

    Raises:
        SoqlError: MALFORMED_QUERY on an unexpected character.
    """
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{stripped[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        pos = match.end()
        value: Any = raw
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "num":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "dt":
            value = parse_datetime(raw)
        elif kind == "date":
            value = datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
        elif kind == "ident" and raw.upper() in _KEYWORDS:
            kind, value = "kw", raw.upper()
        tokens.append(Token(kind, value, raw))
    tokens.append(Token("end", None, "end of query"))
    return tokens


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY term."""

    field: str
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    """A parsed query, ready to run against a list of records."""

    obj: ObjectDef
    fields: tuple[str, ...]
    count_only: bool
    where: Predicate | None
    order: tuple[OrderKey, ...]
    limit: int | None
    offset: int

    def run(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Filter, sort and cut ``rows`` (stored records, not copied)."""
        out = [r for r in rows if self.where(r)] if self.where else list(rows)
        for key in reversed(self.order):
            present = [r for r in out if r.get(key.field) is not None]
            absent = [r for r in out if r.get(key.field) is None]
            present.sort(key=_sort_key(key.field), reverse=key.descending)
            out = present + absent if key.nulls_last else absent + present
        out = out[self.offset :]
        return out if self.limit is None else out[: self.limit]


def _sort_key(name: str) -> Callable[[dict[str, Any]], Any]:
    def key(record: dict[str, Any]) -> Any:
        value = record[name]
        return value.lower() if isinstance(value, str) else value

    return key


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.obj: ObjectDef | None = None

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def accept_kw(self, *words: str) -> bool:
        tok = self.peek()
        if tok.kind == "kw" and tok.value in words:
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, value: Any = None) -> Token:
        tok = self.next()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = value or kind
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}', expected {want}")
        return tok

    def field(self, name: str) -> FieldDef:
        assert self.obj is not None
        fdef = self.obj.field_ci(name)
        if fdef is None:
            raise SoqlError(
                "INVALID_FIELD", f"No such column '{name}' on entity '{self.obj.name}'."
            )
        return fdef

    def select_list(self) -> tuple[list[str], bool]:
        if self.peek().kind == "ident" and self.peek().value.upper() == "COUNT":
            self.next()
            self.expect("punct", "(")
            self.expect("punct", ")")
            return [], True
        names = [self.expect("ident").value]
        while self.peek().kind == "punct" and self.peek().value == ",":
            self.next()
            names.append(self.expect("ident").value)
        return names, False

    def condition(self) -> Predicate:
        left = self.conjunction()
        while self.accept_kw("OR"):
            right = self.conjunction()
            left = _or(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.accept_kw("AND"):
            right = self.negation()
            left = _and(left, right)
        return left

    def negation(self) -> Predicate:
        if self.accept_kw("NOT"):
            inner = self.negation()
            return lambda r: not inner(r)
        if self.peek().kind == "punct" and self.peek().value == "(":
            self.next()
            inner = self.condition()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def literal(self, fdef: FieldDef) -> Any:
        tok = self.next()
        if tok.kind == "kw" and tok.value in ("TRUE", "FALSE", "NULL"):
            return {"TRUE": True, "FALSE": False, "NULL": None}[tok.value]
        if tok.kind not in ("str", "num", "dt", "date"):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")
        is_time = fdef.type == "datetime"
        if is_time != (tok.kind in ("dt", "date")):
            kind = "dateTime and should not be enclosed in quotes" if is_time else fdef.type
            msg = f"value of filter criterion for field '{fdef.name}' must be of type {kind}"
            raise SoqlError("INVALID_FIELD", msg)
        return tok.value.lower() if isinstance(tok.value, str) else tok.value

    def comparison(self) -> Predicate:
        fdef = self.field(self.expect("ident").value)
        name = fdef.name
        negate = self.accept_kw("NOT")
        if self.accept_kw("IN"):
            self.expect("punct", "(")
            values = {self.literal(fdef)}
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                values.add(self.literal(fdef))
            self.expect("punct", ")")
            return lambda r: (_norm(r.get(name)) in values) != negate
        if negate:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: 'NOT'")
        if self.accept_kw("LIKE"):
            tok = self.expect("str")
            pattern = re.compile(_like_to_regex(tok.value), re.IGNORECASE | re.DOTALL)
            return lambda r: isinstance(r.get(name), str) and bool(pattern.fullmatch(r[name]))
        op = self.expect("op").value
        return _compare(name, op, self.literal(fdef))


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda r: left(r) and right(r)


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda r: left(r) or right(r)


def _like_to_regex(pattern: str) -> str:
    return "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)


def _compare(name: str, op: str, value: Any) -> Predicate:
    if op in ("=", "!=", "<>"):
        equal = op == "="
        return lambda r: (_norm(r.get(name)) == value) == equal
    if value is None:
        raise SoqlError("MALFORMED_QUERY", f"null is only allowed with = and != (got {op})")
    checks: dict[str, Callable[[Any], bool]] = {
        "<": lambda v: v < value, ">": lambda v: v > value,
        "<=": lambda v: v <= value, ">=": lambda v: v >= value,
    }  # fmt: skip
    check = checks[op]

    def predicate(r: dict[str, Any]) -> bool:
        current = r.get(name)
        return current is not None and check(_norm(current))

    return predicate


def parse(text: str) -> Query:
    """Parse a SOQL query.

    Raises:
        SoqlError: MALFORMED_QUERY, INVALID_TYPE (unknown object) or INVALID_FIELD.
    """
    p = _Parser(text)
    p.expect("kw", "SELECT")
    names, count_only = p.select_list()
    p.expect("kw", "FROM")
    obj_token = p.expect("ident")
    p.obj = object_def(obj_token.value)
    if p.obj is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{obj_token.value}' is not supported.")
    fields = tuple(dict.fromkeys(p.field(n).name for n in names))
    where = p.condition() if p.accept_kw("WHERE") else None
    order: list[OrderKey] = []
    if p.accept_kw("ORDER"):
        p.expect("kw", "BY")
        while True:
            name = p.field(p.expect("ident").value).name
            desc = p.accept_kw("DESC") or (p.accept_kw("ASC") and False)
            nulls_last = desc
            if p.accept_kw("NULLS"):
                nulls_last = p.accept_kw("LAST") or not p.accept_kw("FIRST")
            order.append(OrderKey(name, desc, nulls_last))
            if not (p.peek().kind == "punct" and p.peek().value == ","):
                break
            p.next()
    limit = int(p.expect("num").value) if p.accept_kw("LIMIT") else None
    offset = int(p.expect("num").value) if p.accept_kw("OFFSET") else 0
    if p.peek().kind != "end":
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{p.peek().text}'")
    return Query(p.obj, fields, count_only, where, tuple(order), limit, offset)
