"""The search language, parsed once into a small tree that every backend compiles.

    économie sociale              both words (implicit AND)
    "économie sociale"            the phrase
    habitation OR logement        either (OU in French); AND / ET; NOT / SAUF; a leading "-" is NOT
    (parc OU espace) ET vert      parentheses group
    approvision*                  words starting with "approvision" (at least 2 letters before *)
    type:case_study  theme:"approvisionnement responsable"  municipality:"Ville de Lévis"
    year:2021  year:2020..2024    (French aliases: thème:, municipalité:, année:/annee:)

Operators are recognized in capitals only: lowercase "et" / "ou" are words (stop words).
Small mistakes degrade gracefully: an unbalanced quote is ignored, unbalanced parentheses are closed
or dropped, a dangling operator is dropped. A missing field value, a malformed year, a query over
500 characters or with more than 50 terms raises ``QuerySyntaxError`` with a message for the user.
"""
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from .analysis import URL_RE, WORD_RE, analyze, fold
from .base import QuerySyntaxError

MAX_LENGTH = 500
MAX_TERMS = 50
MAX_DEPTH = 20
MIN_PREFIX = 2

OPERATORS = {"AND": "AND", "ET": "AND", "OR": "OR", "OU": "OR", "NOT": "NOT", "SAUF": "NOT"}
# Keyed by the folded name, so "Thème:", "municipalité:" and "ANNÉE:" work too.
FIELD_ALIASES = {
    "type": "type",
    "theme": "theme",
    "municipality": "municipality",
    "municipalite": "municipality",
    "year": "year",
    "annee": "year",
}
# Field name → a function giving {stored value: [what people may type instead]}: "type" gives
# {"case_study": ["Étude de cas", "Case study"], …} once the resources register it.
FIELD_VALUES = {}
MAX_VALUE_WORDS = 5


def register_values(name, provider):
    FIELD_VALUES[name] = provider


def _value_key(text):
    return " ".join(fold(text).replace("_", " ").replace("-", " ").split())


def field_values(name):
    """{typed form (folded): stored value} for a field with registered values, else {}."""
    provider = FIELD_VALUES.get(name)
    if provider is None:
        return {}
    try:
        values = provider()
    except RuntimeError:  # outside an application: codes only
        return {}
    known = {}
    for stored, labels in values.items():
        for form in (stored, *labels):
            known.setdefault(_value_key(str(form)), stored)
    return known


_FIELD_RE = re.compile(r"^([^\W\d_]+):(.*)$", re.UNICODE | re.DOTALL)
_YEAR_RE = re.compile(r"^(\d{4})?(?:(\.\.)(\d{4})?)?$")


# --- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Prefix:
    text: str  # without the "*"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Field:
    name: str  # "type", "theme", "municipality" or "year"
    value: object  # a string; for "year" a (low, high) pair, either end may be None


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


@dataclass(frozen=True)
class Not:
    child: object


TEXT_NODES = (Word, Prefix, Phrase)


@dataclass(frozen=True)
class ParsedQuery:
    root: object  # a node, or None
    text: str  # the query as typed

    @property
    def is_empty(self):
        """Nothing typed at all: every readable document matches (filters still apply)."""
        return not self.text.strip()


# --- lexer ------------------------------------------------------------------------------


@dataclass
class _Token:
    kind: str  # "(", ")", "OP", "NEG", "PHRASE", "FIELD", "NODE"
    value: object = None


def _words(raw, offset):
    """A bare token as word (and prefix) nodes: "l'économie" -> l, économie; "approvision*" -> prefix.

    A web address stays one word (it is indexed by its host)."""
    if URL_RE.fullmatch(raw):
        return [Word(raw, offset, offset + len(raw))]
    matches = list(WORD_RE.finditer(raw))
    nodes = []
    for index, m in enumerate(matches):
        start, end = offset + m.start(), offset + m.end()
        is_last = index == len(matches) - 1
        if is_last and m.end() < len(raw) and raw[m.end()] == "*" and len(m.group(0)) >= MIN_PREFIX:
            nodes.append(Prefix(m.group(0), start, end))
        else:
            nodes.append(Word(m.group(0), start, end))
    return nodes


def _year(value):
    m = _YEAR_RE.match(value.strip())
    if not m or (m.group(1) is None and m.group(3) is None):
        raise QuerySyntaxError(_l("year: expects a year such as 2021 or a range such as 2020..2024."))
    low = int(m.group(1)) if m.group(1) else None
    if not m.group(2):
        return (low, low)
    high = int(m.group(3)) if m.group(3) else None
    if low is not None and high is not None and low > high:
        low, high = high, low
    return (low, high)


def _lex(text):
    tokens = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token(c))
            i += 1
        elif c == '"':
            close = text.find('"', i + 1)
            if close == -1:  # unbalanced: forget the quote, read the rest as words
                i += 1
                continue
            tokens.append(_Token("PHRASE", text[i + 1:close]))
            i = close + 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in "-)":
            tokens.append(_Token("NEG"))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            raw = text[i:j]
            m = _FIELD_RE.match(raw)
            if raw in OPERATORS:
                tokens.append(_Token("OP", OPERATORS[raw]))
            elif m and fold(m.group(1)) in FIELD_ALIASES:
                name, value = FIELD_ALIASES[fold(m.group(1))], m.group(2)
                if value == "" and j < n and text[j] == '"':
                    close = text.find('"', j + 1)
                    if close == -1:  # unbalanced: the rest of the query is the value
                        value, j = text[j + 1:], n
                    else:
                        value, j = text[j + 1:close], close + 1
                value = " ".join(value.split())
                known = field_values(name) if value else {}
                if known and _value_key(value) in known:
                    value = known[_value_key(value)]
                elif known:  # an unquoted value of several words: "type:étude de cas"
                    words, end, k = [value], j, j
                    for _ in range(MAX_VALUE_WORDS - 1):
                        while k < n and text[k].isspace():
                            k += 1
                        start = k
                        while k < n and not text[k].isspace() and text[k] not in '()"':
                            k += 1
                        if k == start:
                            break
                        words.append(text[start:k])
                        if _value_key(" ".join(words)) in known:
                            value, end = known[_value_key(" ".join(words))], k
                    j = end
                if not value:
                    raise QuerySyntaxError(_l("Give a value after %(field)s: (for example %(example)s).", field=m.group(1), example=_EXAMPLES[name]))
                tokens.append(_Token("FIELD", Field(name, _year(value) if name == "year" else value)))
            else:
                nodes = _words(raw, i)
                if nodes:
                    tokens.append(_Token("NODE", nodes[0] if len(nodes) == 1 else And(tuple(nodes))))
            i = j
    return tokens


_EXAMPLES = {"type": "type:case_study", "theme": 'theme:"habitation"', "municipality": 'municipality:"Ville de Lévis"', "year": "year:2020..2024"}


# --- parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def _is(self, token, kind, value=None):
        return token is not None and token.kind == kind and (value is None or token.value == value)

    def parse(self):
        parts = []
        while self.peek() is not None:
            node = self.expression(0)
            if node is not None:
                parts.append(node)
            if self._is(self.peek(), ")"):  # a parenthesis closed but never opened: dropped
                self.take()
        return _combine(And, parts)

    def expression(self, depth):
        branches = [self.conjunction(depth)]
        while self._is(self.peek(), "OP", "OR"):
            self.take()
            branches.append(self.conjunction(depth))
        return _combine(Or, [b for b in branches if b is not None])

    def conjunction(self, depth):
        items = []
        while True:
            token = self.peek()
            if token is None or token.kind == ")" or self._is(token, "OP", "OR"):
                break
            if self._is(token, "OP", "AND"):
                self.take()
                continue
            node = self.unary(depth)
            if node is not None:
                items.append(node)
        return _combine(And, items)

    def unary(self, depth):
        token = self.peek()
        if self._is(token, "NEG") or self._is(token, "OP", "NOT"):
            self.take()
            following = self.peek()
            if following is None or following.kind == ")" or self._is(following, "OP", "OR") or self._is(following, "OP", "AND"):
                return None  # a dangling NOT
            operand = self.unary(depth)
            return Not(operand) if operand is not None else None
        return self.atom(depth)

    def atom(self, depth):
        token = self.take()
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                raise QuerySyntaxError(_l("Too many nested parentheses."))
            inner = self.expression(depth + 1)
            if self._is(self.peek(), ")"):
                self.take()
            return inner  # an unclosed parenthesis is closed at the end
        if token.kind == "PHRASE":
            return Phrase(" ".join(token.value.split())) if WORD_RE.search(token.value) else None
        if token.kind in ("FIELD", "NODE"):
            return token.value
        return None


def _combine(cls, items):
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    flat = []
    for item in items:
        flat.extend(item.children if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def parse(text):
    """Parse the user's query; raises QuerySyntaxError when it cannot be understood."""
    text = (text or "").encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(_l("The search is too long (at most %(max)d characters).", max=MAX_LENGTH))
    tokens = _lex(text)
    terms = sum(_count_terms(t.value) if t.kind in ("NODE", "FIELD") else (t.kind == "PHRASE") for t in tokens)
    if terms > MAX_TERMS:
        raise QuerySyntaxError(_l("The search has too many terms (at most %(max)d).", max=MAX_TERMS))
    return ParsedQuery(_Parser(tokens).parse(), text)


def _count_terms(node):
    if isinstance(node, (And, Or)):
        return sum(_count_terms(c) for c in node.children)
    if isinstance(node, Not):
        return _count_terms(node.child)
    return 1


# --- what backends use ------------------------------------------------------------------


def simplify(node, language):
    """The tree without what analysis drops in ``language`` (stop words such as "et", "les", "the").

    None when nothing is left. A NOT of a stop word is dropped, an AND or OR keeps its other terms.
    """
    if node is None:
        return None
    if isinstance(node, (Word, Prefix, Phrase)):
        return node if analyze(node.text, language) else None
    if isinstance(node, Field):
        return node
    if isinstance(node, Not):
        child = simplify(node.child, language)
        if child is None:
            return None
        return child.child if isinstance(child, Not) else Not(child)
    children = [c for c in (simplify(c, language) for c in node.children) if c is not None]
    return _combine(type(node), children)


def has_text(node):
    """True when the tree matches on words (and so ranks by relevance), not only on fields."""
    if node is None or isinstance(node, Field):
        return False
    if isinstance(node, TEXT_NODES):
        return True
    if isinstance(node, Not):
        return False
    return any(has_text(c) for c in node.children)


def words(node):
    """The plain words of the query (not phrases, prefixes or field values), in order."""
    if node is None or isinstance(node, (Field, Phrase, Prefix)):
        return []
    if isinstance(node, Word):
        return [node]
    if isinstance(node, Not):
        return words(node.child)
    return [w for c in node.children for w in words(c)]


def positive_words(node):
    """Words that must or may be present (not under a NOT): the ones worth correcting."""
    if node is None or isinstance(node, (Field, Phrase, Prefix, Not)):
        return []
    if isinstance(node, Word):
        return [node]
    return [w for c in node.children for w in positive_words(c)]
