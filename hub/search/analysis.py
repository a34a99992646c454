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

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
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

# Articles and pronouns that lose their vowel before another word: l'économie, qu'il, jusqu'à.
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"})

_SPECIAL = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"})


def fold(text):
    """Lowercase without accents: 'Économie' -> 'economie', 'cœur' -> 'coeur'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_SPECIAL))
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


def french_analyzer():
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | UrlFilter()
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=FRENCH_STOP_WORDS, minsize=2)
        | StemFilter(lang="fr", cachesize=50000)
    )


def english_analyzer():
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | UrlFilter()
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=ENGLISH_STOP_WORDS, minsize=2)
        | StemFilter(lang="en", cachesize=50000)
    )


def spelling_analyzer():
    """Whole words, lowercased, accents kept: the vocabulary "did you mean" picks from."""
    return RegexTokenizer(TOKEN_PATTERN) | UrlFilter(keep_hosts=False) | LowercaseFilter() | StopFilter(stoplist=ALL_STOP_WORDS, minsize=3, maxsize=40)


@lru_cache(maxsize=None)
def analyzer(language):
    return english_analyzer() if normalize_language(language) == "en" else french_analyzer()


def normalize_language(language):
    """'en', 'en-CA', 'en_US' -> 'en'; everything else -> 'fr' (the hub's language)."""
    return "en" if isinstance(language, str) and language.lower().startswith("en") else "fr"


def analyze(text, language="fr"):
    """The index terms of ``text`` in ``language``: ["econom", "social"] for "l'économie sociale"."""
    return [t.text for t in analyzer(normalize_language(language))(text or "", mode="query")]


def is_stopword(word, language="fr"):
    return not analyze(word, language)


_SPELL = None


def spelling_words(text):
    """The distinct words of ``text`` that suggestions may be built from (lowercase, accents kept)."""
    global _SPELL
    if _SPELL is None:
        _SPELL = spelling_analyzer()
    return {t.text for t in _SPELL(text or "") if not t.text.isdigit() and not any(ch.isdigit() for ch in t.text)}


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
