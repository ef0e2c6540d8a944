"""
The SensorThings ``$filter`` language (the subset of docs/SENSORTHINGS.md): a tokenizer, a
recursive-descent parser and a compiler to parameterised SQL.

Grammar (keywords case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := operand ("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand
    operand    := property | 'text' | number | datetime | true | false | null

A property is one of the entity set's filterable properties (``result``, ``phenomenonTime``,
``id``, ``name``, ``Datastream/id`` ...), each mapped to a fixed SQL column; every literal becomes
a ``?`` parameter. User text never reaches the SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sensors.sta.errors import StaQueryError

PropType = Literal["int", "num", "text", "time", "bool"]

#: Comparison operators and their SQL.
OPERATORS: dict[str, str] = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

#: The mirror of each operator (``5 lt result`` is ``result gt 5``).
_FLIP = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}

#: Longest ``$filter`` accepted (characters).
MAX_FILTER_CHARS = 2_000

#: Deepest nesting of parentheses and ``not`` accepted.
MAX_DEPTH = 32

_DATETIME = (
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}|[ ]\d{2}:\d{2})"
)
_TOKEN = re.compile(
    rf"""\s*(?:
      (?P<lp>\() | (?P<rp>\)) |
      (?P<str>'(?:[^']|'')*') |
      (?P<dt>{_DATETIME}) |
      (?P<num>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?) |
      (?P<word>[A-Za-z_@][A-Za-z0-9_@./]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Prop:
    """A filterable property: its SQL column (fixed text) and type."""

    sql: str
    type: PropType


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Literal_:
    """A literal value and its kind (``text``, ``num``, ``time``, ``bool``, ``null``)."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: str | Literal_
    right: str | Literal_


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Compare | Logic | Not


def tokenize(text: str) -> list[Token]:
    """
    The tokens of a ``$filter`` text.

    Raises
    ------
    StaQueryError
        A character that starts no token, or a text longer than :data:`MAX_FILTER_CHARS`.

    Examples
    --------
    >>> [t.text for t in tokenize("result gt 2.5 and name eq 'S''1'")]
    ['result', 'gt', '2.5', 'and', 'name', 'eq', "'S''1'"]
    """
    if len(text) > MAX_FILTER_CHARS:
        raise StaQueryError(
            f"$filter is {len(text)} characters long; at most {MAX_FILTER_CHARS} are accepted."
        )
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise StaQueryError(
                f"$filter: cannot read {text[start : start + 20]!r} at character {start + 1}; "
                "expected a property, a literal ('text', 12.5, 2022-08-01T00:00:00Z, true, "
                "null), an operator (eq ne gt ge lt le), and/or/not or parentheses."
            )
        out.append(Token(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[Token], props: dict[str, Prop]) -> None:
        self.tokens = tokens
        self.i = 0
        self.props = props
        self.depth = 0

    def peek_word(self) -> str | None:
        if self.i < len(self.tokens) and self.tokens[self.i].kind == "word":
            return self.tokens[self.i].text.lower()
        return None

    def expect_more(self, what: str) -> Token:
        if self.i >= len(self.tokens):
            raise StaQueryError(f"$filter ends too early: expected {what}.")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek_word() == "or":
            self.i += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.peek_word() == "and":
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise StaQueryError(f"$filter nests deeper than {MAX_DEPTH} levels; simplify it.")
        try:
            if self.peek_word() == "not":
                self.i += 1
                return Not(self.unary())
            if self.i < len(self.tokens) and self.tokens[self.i].kind == "lp":
                self.i += 1
                node = self.expr()
                tok = self.expect_more("')'")
                if tok.kind != "rp":
                    raise StaQueryError(
                        f"$filter: expected ')' at character {tok.pos + 1}, found {tok.text!r}."
                    )
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Compare:
        left = self.operand()
        tok = self.expect_more("an operator (eq ne gt ge lt le)")
        op = tok.text.lower()
        if tok.kind != "word" or op not in OPERATORS:
            raise StaQueryError(
                f"$filter: expected an operator (eq ne gt ge lt le) at character {tok.pos + 1}, "
                f"found {tok.text!r}. Arithmetic and functions are not supported."
            )
        return Compare(op, left, self.operand())

    def operand(self) -> str | Literal_:
        tok = self.expect_more("a property or a literal")
        if tok.kind == "str":
            return Literal_("text", tok.text[1:-1].replace("''", "'"))
        if tok.kind == "num":
            return Literal_("num", float(tok.text) if _is_float(tok.text) else int(tok.text))
        if tok.kind == "dt":
            return Literal_("time", _parse_time(tok.text))
        if tok.kind == "word":
            word = tok.text.lower()
            if word in ("true", "false"):
                return Literal_("bool", word == "true")
            if word == "null":
                return Literal_("null", None)
            if tok.text in self.props:
                return tok.text
            raise StaQueryError(
                f"$filter: unknown property {tok.text!r} at character {tok.pos + 1}; this entity "
                f"set can filter on {', '.join(sorted(self.props))}."
            )
        raise StaQueryError(
            f"$filter: expected a property or a literal at character {tok.pos + 1}, found "
            f"{tok.text!r}."
        )


def _is_float(text: str) -> bool:
    return any(c in text for c in ".eE")


def _parse_time(text: str) -> datetime:
    try:
        # a "+" left unescaped in a URL arrives as a space: 10:00:00 09:00 is 10:00:00+09:00
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise StaQueryError(
            f"$filter: {text!r} is not a valid ISO 8601 time; write e.g. 2022-08-01T09:00:00Z."
        ) from None


def parse(text: str, props: dict[str, Prop]) -> Node:
    """
    The syntax tree of a ``$filter`` over the properties ``props``.

    Raises
    ------
    StaQueryError
        Unknown property, missing operand or parenthesis, trailing text.
    """
    tokens = tokenize(text)
    if not tokens:
        raise StaQueryError("$filter is empty; give a condition such as result gt 20.")
    p = _Parser(tokens, props)
    node = p.expr()
    if p.i < len(tokens):
        tok = tokens[p.i]
        raise StaQueryError(
            f"$filter: unexpected {tok.text!r} at character {tok.pos + 1}; join conditions with "
            "and/or."
        )
    return node


def _coerce(lit: Literal_, prop: Prop, name: str) -> Any:
    """The parameter value of ``lit`` compared with property ``name``."""
    if prop.type in ("int", "num") and lit.kind == "num":
        return lit.value
    if prop.type == "text" and lit.kind == "text":
        return lit.value
    if prop.type == "bool" and lit.kind == "bool":
        return lit.value
    if prop.type == "time":
        if lit.kind == "time":
            return lit.value
        if lit.kind == "text":
            value = _parse_time(lit.value)
            if value.tzinfo is None:
                raise StaQueryError(
                    f"$filter: the time {lit.value!r} compared with {name} has no UTC offset; "
                    "add Z or +09:00."
                )
            return value
    shown = repr(lit.value) if lit.kind == "text" else str(lit.value).lower()
    raise StaQueryError(
        f"$filter: {name} is a {prop.type} property and cannot be compared with the {lit.kind} "
        f"literal {shown}."
    )


def compile_sql(node: Node, props: dict[str, Prop]) -> tuple[str, list[Any]]:
    """
    Parameterised SQL (``?`` placeholders) for a syntax tree.

    Examples
    --------
    >>> props = {"result": Prop("o.result", "num"), "name": Prop("t.name", "text")}
    >>> compile_sql(parse("result gt 2 and not (name eq 'x' or name eq null)", props), props)
    ('((o.result > ?) AND (NOT ((t.name = ?) OR (t.name IS NULL))))', [2, 'x'])
    """
    params: list[Any] = []

    def walk(n: Node) -> str:
        if isinstance(n, Logic):
            return "(" + f" {n.op.upper()} ".join(walk(p) for p in n.parts) + ")"
        if isinstance(n, Not):
            return f"(NOT {walk(n.part)})"
        left, op, right = n.left, n.op, n.right
        if isinstance(left, Literal_) and isinstance(right, str):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, Literal_):
            raise StaQueryError(
                "$filter: a comparison needs at least one property; compare a property with a "
                "literal, e.g. result gt 20."
            )
        lp = props[left]
        if isinstance(right, str):
            rp = props[right]
            if {lp.type, rp.type} - {"int", "num"} and lp.type != rp.type:
                raise StaQueryError(
                    f"$filter: {left} ({lp.type}) and {right} ({rp.type}) cannot be compared."
                )
            return f"({lp.sql} {OPERATORS[op]} {rp.sql})"
        if right.kind == "null":
            if op not in ("eq", "ne"):
                raise StaQueryError(f"$filter: null can only be compared with eq or ne ({left}).")
            return f"({lp.sql} IS {'NOT ' if op == 'ne' else ''}NULL)"
        params.append(_coerce(right, lp, left))
        return f"({lp.sql} {OPERATORS[op]} ?)"

    return walk(node), params
