"""The grammar of filter expressions: parse CreateFilter's ``filterExpression`` into a tree.

One job: turn an expression into :class:`Expression` (a list of :class:`Part`), or say
where and why it cannot be read. No data is touched here: the local target evaluates the
tree (``local.filtering``), CreateFilter refuses what does not parse
(``local.control.filters``), and the manifest check reports the same message
(``rules.filters.expression_problems``), so the three agree on one grammar.

Grammar (the Developer Guide's "Filter expression structure and elements" and "Filter
expression examples"; keywords in capitals, as the guide writes them)::

    expression := part ("|" part)*
    part       := ("INCLUDE" | "EXCLUDE") ("ItemID" | "UserID" | "ActionID")
                  "WHERE" where ["IF" if]
    where      := and ("OR" and)*          -- AND binds tighter than OR
    and        := cond ("AND" cond)*
    cond       := "(" where ")" | ref ("IN" | "NOT" "IN") "(" value ("," value)* ")"
                | ref ("=" | "!=" | "<" | "<=" | ">" | ">=") value
    if         := cond over CurrentUser ("AND" cond over CurrentUser)*
    ref        := <dataset>.<COLUMN>   (dataset: Items, Users, Interactions, Actions,
                                        Action_Interactions; CurrentUser / CurrentItem
                                        only as values, CurrentUser also after IF)
    value      := "quoted string" | number | $PARAMETER | CurrentUser.<C> | CurrentItem.<C>

Rules the guide states and the parser enforces: conditions chained with AND/OR use the
dataset of the first condition ("can only affect fields of the dataset used in the first
condition"); only ``EVENT_TYPE`` of Interactions (and Action_Interactions) can be
filtered; the IF condition comes once, at the end, over ``CurrentUser`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DATASETS = ("Items", "Users", "Interactions", "Actions", "Action_Interactions")
"""Dataset words that may start a condition."""

CURRENT = {"CurrentUser": "Users", "CurrentItem": "Items"}
"""Words that stand for the request's user or item, with the dataset they read."""

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
EVENT_DATASETS = ("Interactions", "Action_Interactions")


class FilterSyntaxError(ValueError):
    """The expression cannot be parsed; ``str()`` is one sentence naming the 1-based
    character position, e.g. ``at position 22: expected IN, NOT IN or a comparison
    (=, !=, <, <=, >, >=), found "LIKE"``; ``position`` holds the number."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"at position {position}: {message}")
        self.position = position


@dataclass(frozen=True)
class Value:
    """One value: ``kind`` is ``"str"``, ``"num"``, ``"param"`` (``text`` is the name
    without ``$``) or ``"current"`` (``text`` is ``CurrentUser.AGE``: ``dataset`` is
    ``Users``, ``column`` ``AGE``)."""

    kind: str
    text: str
    number: float = 0.0
    dataset: str = ""
    column: str = ""


@dataclass(frozen=True)
class Cond:
    """``<dataset>.<column> <op> values``; ``op`` is ``IN``, ``NOT IN`` or a comparison.
    ``dataset`` is ``Users`` for ``CurrentUser`` after IF (``current`` is then True);
    ``position`` is where it starts (1-based)."""

    dataset: str
    column: str
    op: str
    values: tuple[Value, ...]
    current: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Bool:
    """``op`` (``AND`` or ``OR``) over ``terms`` (each a :class:`Cond` or a Bool)."""

    op: str
    terms: tuple


@dataclass
class Part:
    """One ``|``-separated part: ``action`` INCLUDE/EXCLUDE, ``target`` ItemID/UserID/
    ActionID, ``where`` (Cond or Bool), ``when`` (the IF condition or None), ``dataset``
    (the dataset of the first WHERE condition), ``params`` (placeholder names, in order)."""

    action: str
    target: str
    where: object
    when: object | None
    dataset: str
    params: list[str] = field(default_factory=list)


@dataclass
class Expression:
    """A parsed filter expression: its parts, applied one after the other."""

    parts: list[Part]

    @property
    def params(self) -> list[str]:
        """Every placeholder name, in order, once each."""
        out: dict[str, None] = {}
        for p in self.parts:
            out.update(dict.fromkeys(p.params))
        return list(out)


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"[^"]*")
    | (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
    | (?P<param>\$[A-Za-z0-9_]+)
    | (?P<ref>[A-Za-z_]+\.[A-Za-z_][A-Za-z0-9_]*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><=|>=|!=|[=<>(),|])
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, 1-based position)`` per token, ending with ``("end", "", n+1)``."""
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            out.append(("end", "", len(text) + 1))
            return out
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos] == '"':
                raise FilterSyntaxError(pos + 1, 'a quoted value is not closed: add the closing "')
            raise FilterSyntaxError(pos + 1, f'unexpected character "{text[pos]}"')
        kind = m.lastgroup or "op"
        start = m.start(kind)
        out.append((kind, m.group(kind), start + 1))
        pos = m.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.params: list[str] = []

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str) -> FilterSyntaxError:
        kind, text, pos = self.peek()
        found = "the end of the expression" if kind == "end" else f'"{text}"'
        return FilterSyntaxError(pos, f"expected {expected}, found {found}")

    def word(self, *choices: str) -> str:
        kind, text, _ = self.peek()
        if kind == "word" and text in choices:
            self.take()
            return text
        raise self.fail(" or ".join(choices))

    def is_word(self, text: str) -> bool:
        kind, t, _ = self.peek()
        return kind == "word" and t == text

    def op(self, text: str) -> None:
        kind, t, _ = self.peek()
        if kind != "op" or t != text:
            raise self.fail(f'"{text}"')
        self.take()

    def expression(self) -> Expression:
        parts = [self.part()]
        while self.peek()[:2] == ("op", "|"):
            self.take()
            parts.append(self.part())
        if self.peek()[0] != "end":
            raise self.fail("AND, OR, IF, | or the end of the expression")
        return Expression(parts)

    def part(self) -> Part:
        self.params = []
        action = self.word("INCLUDE", "EXCLUDE")
        target = self.word("ItemID", "UserID", "ActionID")
        self.word("WHERE")
        where = self.disjunction()
        dataset = _first(where).dataset
        _same_dataset(where, dataset)
        when = None
        if self.is_word("IF"):
            self.take()
            terms = [self.condition(after_if=True)]
            while self.is_word("AND"):
                self.take()
                terms.append(self.condition(after_if=True))
            when = terms[0] if len(terms) == 1 else Bool("AND", tuple(terms))
        return Part(action, target, where, when, dataset, list(dict.fromkeys(self.params)))

    def disjunction(self) -> object:
        terms = [self.conjunction()]
        while self.is_word("OR"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else Bool("OR", tuple(terms))

    def conjunction(self) -> object:
        terms = [self.condition()]
        while self.is_word("AND"):
            self.take()
            terms.append(self.condition())
        return terms[0] if len(terms) == 1 else Bool("AND", tuple(terms))

    def condition(self, after_if: bool = False) -> object:
        kind, text, pos = self.peek()
        if not after_if and (kind, text) == ("op", "("):
            self.take()
            inner = self.disjunction()
            self.op(")")
            return inner
        if kind != "ref":
            raise self.fail("CurrentUser.<field>" if after_if else "a <dataset>.<field>")
        word, column = text.split(".", 1)
        if after_if:
            if word != "CurrentUser":
                raise FilterSyntaxError(
                    pos, f"an IF condition can only test CurrentUser; found {text}"
                )
            dataset = "Users"
        elif word in CURRENT:
            raise FilterSyntaxError(
                pos,
                f"{word} can only be a value (or follow IF); start the condition with a dataset",
            )
        elif word not in DATASETS:
            raise FilterSyntaxError(
                pos,
                f"{word} is not a dataset type; use "
                + ", ".join(DATASETS[:-1])
                + f" or {DATASETS[-1]}",
            )
        else:
            dataset = word
        if dataset in EVENT_DATASETS and column != "EVENT_TYPE":
            raise FilterSyntaxError(pos, f"only {dataset}.EVENT_TYPE can be filtered, not {text}")
        self.take()
        if self.is_word("NOT"):
            self.take()
            self.word("IN")
            op = "NOT IN"
        elif self.is_word("IN"):
            self.take()
            op = "IN"
        elif self.peek()[0] == "op" and self.peek()[1] in COMPARISONS:
            op = self.take()[1]
            return Cond(dataset, column, op, (self.value(),), after_if, pos)
        else:
            raise self.fail("IN, NOT IN or a comparison (=, !=, <, <=, >, >=)")
        self.op("(")
        values = [self.value()]
        while self.peek()[:2] == ("op", ","):
            self.take()
            values.append(self.value())
        self.op(")")
        return Cond(dataset, column, op, tuple(values), after_if, pos)

    def value(self) -> Value:
        kind, text, pos = self.peek()
        if kind == "str":
            self.take()
            return Value("str", text[1:-1])
        if kind == "num":
            self.take()
            return Value("num", text, float(text))
        if kind == "param":
            self.take()
            self.params.append(text[1:])
            return Value("param", text[1:])
        if kind == "ref" and text.split(".", 1)[0] in CURRENT:
            self.take()
            word, column = text.split(".", 1)
            return Value("current", text, dataset=CURRENT[word], column=column)
        raise self.fail(
            'a value: "text", a number, a $PARAMETER, CurrentUser.<field> or CurrentItem.<field>'
        )


def _first(node: object) -> Cond:
    while isinstance(node, Bool):
        node = node.terms[0]
    assert isinstance(node, Cond)
    return node


def _same_dataset(node: object, dataset: str) -> None:
    if isinstance(node, Bool):
        for term in node.terms:
            _same_dataset(term, dataset)
    elif isinstance(node, Cond) and node.dataset != dataset:
        raise FilterSyntaxError(
            node.position,
            f"conditions joined with AND or OR must use the dataset of the first one "
            f"({dataset}), not {node.dataset}.{node.column}; join them with | instead",
        )


def parse(expression: str) -> Expression:
    """Parse ``expression`` (see the module docstring for the grammar).

    Raises:
        FilterSyntaxError: the expression does not follow the grammar; the message names
            the 1-based character position and what was expected there.
    """
    return _Parser(expression).expression()
