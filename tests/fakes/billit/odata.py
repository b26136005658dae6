"""The slice of OData that Billit documents: ``$filter`` with ``eq``/``ge``/``le``/``and``,
``$orderby``, ``$top`` and ``$skip``.

A tokenizer plus a recursive-descent parser turn ``$filter`` into a tiny tree, checked against
the entity's filterable properties when parsed (unknown ones fail like Billit's
"Could not find a property named …"). Operators Billit does not document (``ne``, ``gt``,
``or``, functions…) are refused, so a client that works here only uses what Billit promises.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

Literal = str | int | Decimal | bool | datetime | None

OPERATORS = ("eq", "ge", "le")
UNSUPPORTED = frozenset({"ne", "gt", "lt", "or", "not", "has", "add", "sub", "mul", "div", "mod"})


class ODataError(Exception):
    """An unusable query; answered as 400 ``GenericError`` with this description."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class Schema:
    """What may be filtered and sorted on, and which of those properties are date-times."""

    entity: str  # e.g. "Order", used in error texts
    properties: frozenset[str]  # paths such as "LastModified" or "CounterParty/PartyID"
    datetimes: frozenset[str]

    def check(self, path: str) -> None:
        if path not in self.properties:
            name = path.rsplit("/", 1)[-1]
            raise ODataError(
                f"Could not find a property named '{name}' on type 'Billit.{self.entity}'."
            )


@dataclass(frozen=True)
class Comparison:
    path: str
    op: str
    value: Literal


@dataclass(frozen=True)
class And:
    left: "Expr"
    right: "Expr"


Expr = Comparison | And


@dataclass(frozen=True)
class Token:
    kind: str  # "string" | "datetime" | "number" | "name" | "(" | ")"
    text: str
    at: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>DateTime'[^']*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_]\w*(?:/[A-Za-z_]\w*)*)
  | (?P<paren>[()])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ODataError(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        if kind == "paren":
            tokens.append(Token(match.group(), match.group(), position))
        elif kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.index = 0

    def parse(self) -> Expr:
        if not self.tokens:
            raise ODataError("The $filter query option is empty.")
        expr = self._conjunction()
        if self.index != len(self.tokens):
            raise self._error(self.tokens[self.index])
        return expr

    def _conjunction(self) -> Expr:
        expr = self._term()
        while self._peek_word("and"):
            self.index += 1
            expr = And(expr, self._term())
        return expr

    def _term(self) -> Expr:
        token = self._next()
        if token.kind == "(":
            expr = self._conjunction()
            if self._next().kind != ")":
                raise ODataError(f"')' expected in '{self.text}'.")
            return expr
        if token.kind != "name" or token.text.lower() in {"true", "false", "null"}:
            raise self._error(token)
        if "/" not in token.text and self._peek_kind("("):
            raise ODataError(f"Unknown function '{token.text}'.")
        self.schema.check(token.text)
        operator = self._next()
        word = operator.text.lower() if operator.kind == "name" else ""
        if word in UNSUPPORTED:
            raise ODataError(f"The operator '{operator.text}' is not supported.")
        if word not in OPERATORS:
            raise self._error(operator)
        value = self._literal(self._next())
        if isinstance(value, str) and token.text in self.schema.datetimes:
            raise ODataError(
                "A binary operator with incompatible types was detected. "
                f"Found operand types 'Edm.DateTime' and 'Edm.String' for operator kind '{word}'."
            )
        return Comparison(token.text, word, value)

    def _literal(self, token: Token) -> Literal:
        match token.kind:
            case "string":
                return token.text[1:-1].replace("''", "'")
            case "datetime":
                return parse_datetime_literal(token.text[len("DateTime'") : -1])
            case "number":
                return Decimal(token.text) if "." in token.text else int(token.text)
            case "name" if token.text.lower() in {"true", "false"}:
                return token.text.lower() == "true"
            case "name" if token.text.lower() == "null":
                return None
        raise self._error(token)

    def _next(self) -> Token:
        if self.index >= len(self.tokens):
            raise ODataError(f"Unexpected end of $filter '{self.text}'.")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _peek_word(self, word: str) -> bool:
        return self.index < len(self.tokens) and (
            self.tokens[self.index].kind == "name" and self.tokens[self.index].text.lower() == word
        )

    def _peek_kind(self, kind: str) -> bool:
        return self.index < len(self.tokens) and self.tokens[self.index].kind == kind

    def _error(self, token: Token) -> ODataError:
        return ODataError(f"Syntax error: '{token.text}' at position {token.at} in '{self.text}'.")


def parse_filter(text: str, schema: Schema) -> Expr:
    return _Parser(text, schema).parse()


def parse_datetime_literal(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ODataError(f"Unrecognized 'Edm.DateTime' literal 'DateTime'{text}''.") from None
    if value.tzinfo is not None:  # Billit's DateTime carries no zone
        raise ODataError(f"Unrecognized 'Edm.DateTime' literal 'DateTime'{text}''.")
    return value


def resolve(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("/"):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _comparable(field: Any, literal: Literal, path: str) -> tuple[Any, Any]:
    """Both sides as values Python can compare, or an OData type error."""
    if isinstance(literal, datetime):
        if isinstance(field, str):
            try:
                return datetime.fromisoformat(field), literal
            except ValueError:
                pass
    elif isinstance(literal, bool):
        if isinstance(field, bool):
            return field, literal
    elif isinstance(literal, int | Decimal):
        if isinstance(field, int | Decimal) and not isinstance(field, bool):
            return field, literal
    elif isinstance(field, str):
        return field, literal
    raise ODataError(
        f"A binary operator with incompatible types was detected for property '{path}'."
    )


def matches(expr: Expr, record: Mapping[str, Any]) -> bool:
    if isinstance(expr, And):
        return matches(expr.left, record) and matches(expr.right, record)
    field = resolve(record, expr.path)
    if expr.value is None or field is None:
        return expr.op == "eq" and field is None and expr.value is None
    left, right = _comparable(field, expr.value, expr.path)
    if expr.op == "eq":
        return bool(left == right)
    if expr.op == "ge":
        return bool(left >= right)
    return bool(left <= right)


@dataclass(frozen=True)
class OrderKey:
    path: str
    descending: bool


def parse_orderby(text: str, schema: Schema) -> list[OrderKey]:
    keys: list[OrderKey] = []
    for clause in text.split(","):
        words = clause.split()
        if not words or len(words) > 2:
            raise ODataError(f"Syntax error in $orderby '{text}'.")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in {"asc", "desc"}:
            raise ODataError(f"Syntax error in $orderby '{text}'.")
        schema.check(words[0])
        keys.append(OrderKey(words[0], direction == "desc"))
    return keys


def _sort_value(record: Mapping[str, Any], key: OrderKey, schema: Schema) -> tuple[bool, Any]:
    value = resolve(record, key.path)
    if value is not None and key.path in schema.datetimes and isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value is not None, value  # nulls first ascending, like SQL Server


def sort(records: list[dict[str, Any]], keys: Sequence[OrderKey], schema: Schema) -> None:
    for key in reversed(keys):  # stable sorts, last key first
        records.sort(key=lambda record: _sort_value(record, key, schema), reverse=key.descending)


def _non_negative(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ODataError(f"Invalid value '{raw}' for {name} query option.")
    return int(raw)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    count: int
    next_skip: int | None  # the $skip of the next page, or None on the last page


def query(
    records: Sequence[dict[str, Any]],
    params: Mapping[str, str],
    schema: Schema,
    page_size: int,
    reuse: dict[tuple[object, ...], list[dict[str, Any]]] | None = None,
) -> Page:
    """Filter, sort and cut one page; ``records`` come in their natural (ID) order.

    ``reuse``: filtered, ordered rows of earlier pages of the same query over the same number
    of records (only for data that does not change between pages: see ``reuse_ordered_rows``).
    """
    top = _non_negative(params, "$top")
    skip = _non_negative(params, "$skip") or 0
    if top is not None and top > page_size:
        raise ODataError(f"The limit of '{page_size}' for Top query has been exceeded.")
    key = (id(schema), len(records), params.get("$filter"), params.get("$orderby"))
    if reuse is not None and key in reuse:
        rows = reuse[key]
    else:
        rows = list(records)
        if raw_filter := params.get("$filter"):
            expr = parse_filter(raw_filter, schema)
            rows = [row for row in rows if matches(expr, row)]
        if raw_orderby := params.get("$orderby"):
            sort(rows, parse_orderby(raw_orderby, schema), schema)
        if reuse is not None:
            reuse[key] = rows
    size = page_size if top is None else top
    items = rows[skip : skip + size]
    more = size > 0 and skip + size < len(rows)
    return Page(items=items, count=len(rows), next_skip=skip + size if more else None)
