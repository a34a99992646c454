"""Text analysis shared by both backends: French first, English for English documents.

French: lowercase, fold accents, drop stop words and elided articles (l', d', qu', j'…), then
French Snowball stemming. Folding comes *before* stemming, on the index side and on the query side
alike, so "economie" and "économie" give the same stem; PostgreSQL's ``hub_fr`` configuration does
the same (unaccent, then french_stem).

English: lowercase, fold accents, English stop words, English Snowball (Porter 2) stemming.

The tokenizer splits at apostrophes, so "l'économie" gives "l" (an elision, dropped as a stop
word) and "économie".
"""
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from whoosh.analysis import Composable, Filter, Token
from whoosh.lang import stopwords_for_language

LANGUAGES = ("fr", "en")

# The same shape of word as Whoosh's default tokenizer; the query parser splits bare words with it.
WORD_PATTERN = r"\w+(?:\.?\w+)*"
WORD_RE = re.compile(WORD_PATTERN, re.UNICODE)
# A web address is one token, indexed by its host (as PostgreSQL's parser does, the words of its
# path are not words of the text).
URL_PATTERN = r"(?:https?|ftp)://[^\s<>\"'()\[\]{}]+"
URL_RE = re.compile(URL_PATTERN, re.IGNORECASE)
TOKEN_PATTERN = URL_PATTERN + "|" + WORD_PATTERN
TOKEN_RE = re.compile(TOKEN_PATTERN, re.UNICODE)

# Articles and pronouns that lose their vowel before another word: l'économie, qu'il, jusqu'à.
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"})

_SPECIAL = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"})


def fold(text):
    """Lowercase without accents: 'Économie' -> 'economie', 'cœur' -> 'coeur'."""
    text = text or ""
    if text.isascii():  # most words: casefold is lower for ASCII, nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _stoplist(language):
    words = set(stopwords_for_language(language))
    if language == "fr":
        words |= ELISIONS | {"les", "cet", "cette", "dont", "où"}
    return frozenset(words | {fold(w) for w in words})


FRENCH_STOP_WORDS = _stoplist("fr")
ENGLISH_STOP_WORDS = _stoplist("en")
ALL_STOP_WORDS = FRENCH_STOP_WORDS | ENGLISH_STOP_WORDS


def url_host(url):
    """'https://www.exemple.ca/gestion-parcs' -> 'www.exemple.ca' (None when there is none)."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


class UrlFilter(Filter):
    """Web addresses stand for their host; with ``keep_hosts=False`` they are dropped."""

    def __init__(self, keep_hosts=True):
        self.keep_hosts = keep_hosts

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__ and self.keep_hosts == other.keep_hosts

    def __call__(self, tokens):
        for t in tokens:
            if "://" in t.text:
                host = url_host(t.text) if self.keep_hosts else None
                if not host:
                    continue
                t.text = host
            yield t


class FoldFilter(Filter):
    """Removes accents (after lowercasing): économie -> economie."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


TERM_CACHE_SIZE = 1 << 18  # distinct raw words remembered per language (each a few hundred bytes)


class _Terms:
    """Raw word -> index term for one language, cached: the same steps as the filter chain
    Url -> Lowercase -> Fold -> Stop (2 letters at least) -> Snowball stem, done once per distinct
    word instead of once per occurrence. ``term(raw)`` is None for a web address without a host
    (dropped), ``(folded, True)`` for a stop word, ``(stem, False)`` otherwise."""

    def __init__(self, language):
        from whoosh.lang import stemmer_for_language

        self.language = language
        self.stops = ENGLISH_STOP_WORDS if language == "en" else FRENCH_STOP_WORDS
        self.stem = stemmer_for_language(language)
        self.term = lru_cache(maxsize=TERM_CACHE_SIZE)(self._term)

    def _term(self, raw):
        if "://" in raw:
            raw = url_host(raw)
            if not raw:
                return None
        text = fold(raw.lower())
        if len(text) < 2 or text in self.stops:
            return (text, True)
        return (self.stem(text), False)


@lru_cache(maxsize=None)
def _terms(language):
    return _Terms(language)


class HubAnalyzer(Composable):
    """The French (or English) analyzer in one pass over the text, with a per-word cache.

    Tokens, positions and character offsets are those of the former chain
    ``RegexTokenizer(TOKEN_PATTERN) | UrlFilter() | LowercaseFilter() | FoldFilter() |
    StopFilter(minsize=2) | StemFilter()`` (stop words removed, positions renumbered as
    StopFilter does). ``index_terms`` gives the same terms without Token objects, for indexing.
    """

    def __init__(self, language):
        self.language = normalize_language(language)

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__ and self.language == other.language

    def __getstate__(self):
        return {"language": self.language}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def index_terms(self, value):
        """The terms of ``value`` in order, stop words removed: their positions are 0, 1, 2… plus
        the position of the first kept token (as StopFilter numbers them)."""
        term = _terms(self.language).term
        out = []
        first = None
        for index, raw in enumerate(tokens(value)):
            found = term(raw)
            if found is not None and not found[1]:
                if first is None:
                    first = index
                out.append(found[0])
        return (first or 0), out

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        term = _terms(self.language).term
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            matches = [_Whole(value)]
        else:
            matches = TOKEN_RE.finditer(value)
        pos = None
        for index, match in enumerate(matches):
            raw = match.group(0)
            found = term(raw)
            if found is None:
                continue
            text, stopped = found
            if stopped and removestops:
                continue
            t.text = text
            t.stopped = stopped
            t.boost = 1.0
            if keeporiginal:
                t.original = raw
            if positions:
                if stopped:
                    t.pos = start_pos + index
                else:
                    pos = start_pos + index if pos is None else pos + 1
                    t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


class _Whole:
    """A match-like stand-in for the whole value (``tokenize=False``)."""

    def __init__(self, value):
        self.value = value

    def group(self, _n=0):
        return self.value

    def start(self):
        return 0

    def end(self):
        return len(self.value)


class SpellingAnalyzer(Composable):
    """Whole words, lowercased, accents kept, each distinct word once (no positions): the vocabulary
    "did you mean" picks from. Same words as ``RegexTokenizer(TOKEN_PATTERN) |
    UrlFilter(keep_hosts=False) | LowercaseFilter() | StopFilter(ALL_STOP_WORDS, 3, 40)``."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def words(self, value):
        return _spelling_words(value)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(sorted(_spelling_words(value) if tokenize else _spelling_words(value, whole=True))):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:  # no offsets: this field is never highlighted
                t.startchar = t.endchar = start_char
            yield t


_last_tokens = (None, [])


def tokens(text):
    """The raw tokens of ``text`` (TOKEN_PATTERN); the last text's are remembered, as indexing
    reads a body twice (its terms, then its spelling words)."""
    global _last_tokens
    last, found = _last_tokens
    if last is not text:
        found = TOKEN_RE.findall(text)
        _last_tokens = (text, found)
    return found


def _spelling_words(value, whole=False):
    words = set()
    if isinstance(value, (list, tuple)):  # several texts (a title and a body)
        for part in value:
            words |= _spelling_words(part, whole)
        return words
    for raw in ((value,) if whole else set(tokens(value or ""))):
        if "://" in raw:
            continue
        word = raw.lower()
        if 3 <= len(word) <= 40 and word not in ALL_STOP_WORDS:
            words.add(word)
    return words


def french_analyzer():
    return HubAnalyzer("fr")


def english_analyzer():
    return HubAnalyzer("en")


def spelling_analyzer():
    """Whole words, lowercased, accents kept: the vocabulary "did you mean" picks from."""
    return SpellingAnalyzer()


@lru_cache(maxsize=None)
def analyzer(language):
    return english_analyzer() if normalize_language(language) == "en" else french_analyzer()


def normalize_language(language):
    """'en', 'en-CA', 'en_US' -> 'en'; everything else -> 'fr' (the hub's language)."""
    return "en" if isinstance(language, str) and language.lower().startswith("en") else "fr"


def analyze(text, language="fr"):
    """The index terms of ``text`` in ``language``: ["econom", "social"] for "l'économie sociale"."""
    return analyzer(normalize_language(language)).index_terms(text or "")[1]


def is_stopword(word, language="fr"):
    return not analyze(word, language)


def spelling_words(text):
    """The distinct words of ``text`` that suggestions may be built from (lowercase, accents kept)."""
    return {w for w in _spelling_words(text) if not any(ch.isdigit() for ch in w)}


def levenshtein(a, b, limit=None):
    """Edit distance between two strings (stops early once every path exceeds ``limit``)."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
