"""Highlighted snippets without analysing whole documents.

A snippet shows where the query's words occur in a document's text: up to two passages of about
``SNIPPET_CHARS`` characters, text escaped, matches wrapped in ``<mark>``. Analysing the whole text
of every hit to find them (as Whoosh's highlighter does) costs a stem per word of the text; here a
regular expression first finds the words that *may* match (they start like a query term's stem), and only those few words are analysed (cached, see ``analysis``) to confirm.

The regular expression is accent-insensitive (each letter stands for its accented forms). A stem is not always a prefix of the words it comes from ("municipaux" -> "municipal",
"community" -> "communiti"), so the regular expression looks for the stem less its last two
letters; the analysis then decides.
"""
import html
import re
from functools import lru_cache

from .analysis import TOKEN_RE, _terms, analyze, fold
from .query import Field, Not, Phrase, Prefix, Word, simplify

SNIPPET_CHARS = 240
SURROUND = 60  # characters of context before the first match of a passage
MAX_PASSAGES = 2
MAX_MATCHES = 400  # candidate words looked at, at most, in one text
MAX_WINDOWS = 12  # passages found before the best MAX_PASSAGES are chosen (the text is not read further)

_SPACES = re.compile(r"\s+")


def _letter_classes():
    """Each ASCII letter -> a regular-expression class of itself and the Latin letters that fold
    to it alone ("e" -> "[eéèêë…]"), so a folded stem start finds accented words."""
    variants = {}
    for code in range(0x80, 0x250):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            variants.setdefault(folded, []).append(char)
    return {letter: "[" + letter + "".join(chars) + "]" for letter, chars in variants.items()}


_LETTERS = _letter_classes()


def _accent_insensitive(start):
    return "".join(_LETTERS.get(c, re.escape(c)) for c in start)


@lru_cache(maxsize=1024)
def _candidates(stems, prefixes):
    starts = set()
    for term in stems + prefixes:
        starts.add(_accent_insensitive(term[: max(2, len(term) - 2)] if len(term) > 2 else term))
    if not starts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(starts, key=len, reverse=True)) + ")", re.IGNORECASE)


def find_matches(text, language, stems, prefixes=()):
    """(start, end, term) of the words of ``text`` whose analysed form is one of ``stems`` or
    starts with one of ``prefixes`` (stems and prefixes already analysed in ``language``)."""
    stems, prefixes = tuple(sorted(stems)), tuple(sorted(prefixes))
    pattern = _candidates(stems, prefixes)
    if pattern is None or not text:
        return []
    wanted = frozenset(stems)
    term = _terms(language).term
    found = []
    last_end = -1
    window_end, windows = -1, 0
    for count, candidate in enumerate(pattern.finditer(text)):
        if count >= MAX_MATCHES:
            break
        start = candidate.start()
        if start < last_end:
            continue
        token = TOKEN_RE.match(text, start)
        if token is None:
            continue
        analysed = term(token.group(0))
        if analysed is None or analysed[1]:
            continue
        value = analysed[0]
        if value in wanted or any(value.startswith(p) for p in prefixes):
            if start >= window_end:
                windows += 1
                if windows > MAX_WINDOWS:
                    break
                window_end = max(0, start - SURROUND) + SNIPPET_CHARS
            found.append((start, token.end(), value))
            last_end = token.end()
    return found


def _passages(matches):
    """The best passages: windows of SNIPPET_CHARS starting SURROUND before a match, scored by
    their distinct terms then their matches; returned in text order."""
    windows = []
    i = 0
    while i < len(matches):
        begin = max(0, matches[i][0] - SURROUND)
        end = begin + SNIPPET_CHARS
        inside = [matches[i]]  # (even a match longer than the window)
        for m in matches[i + 1:]:
            if m[1] > end:
                break
            inside.append(m)
        windows.append((begin, end, inside))
        i += len(inside)
    best = sorted(windows, key=lambda w: (-len({m[2] for m in w[2]}), -len(w[2]), w[0]))[:MAX_PASSAGES]
    return sorted(best, key=lambda w: w[0])


def _clip(text, begin, end, first, last):
    """Move the window's ends to word boundaries, keeping its matches inside."""
    if begin > 0:
        space = text.find(" ", begin, first)
        begin = space + 1 if space != -1 else begin
    if end < len(text):
        space = text.rfind(" ", last, end)
        end = space if space != -1 else max(end, last)
    return begin, min(end, len(text))


def highlight(text, language, stems, prefixes=()):
    """Escaped passages of ``text`` with the matches in <mark>, or None when nothing matches."""
    matches = find_matches(text, language, stems, prefixes)
    if not matches:
        return None
    parts = []
    for begin, end, inside in _passages(matches):
        begin, end = _clip(text, begin, end, inside[0][0], inside[-1][1])
        out, at = [], begin
        for start, stop, _term in inside:
            out.append(html.escape(_SPACES.sub(" ", text[at:start]), quote=False))
            out.append("<mark>" + html.escape(text[start:stop], quote=False) + "</mark>")
            at = stop
        out.append(html.escape(_SPACES.sub(" ", text[at:end]), quote=False))
        parts.append("".join(out).strip())
    return " … ".join(parts)


def _positive_leaves(node):
    if node is None or isinstance(node, (Field, Not)):
        return
    if isinstance(node, (Word, Prefix, Phrase)):
        yield node
        return
    for child in node.children:
        yield from _positive_leaves(child)


def highlight_terms(parsed):
    """Per language: (stems, prefixes) of the words a parsed query looks for (not under a NOT)."""
    wanted = {}
    for language in ("fr", "en"):
        stems, prefixes = set(), set()
        node = simplify(parsed.root, language) if not parsed.is_empty else None
        for leaf in _positive_leaves(node):
            tokens = analyze(leaf.text, language)
            if isinstance(leaf, Prefix):
                if tokens:
                    prefixes.add(tokens[-1])
                    stems.update(tokens[:-1])
            else:
                stems.update(tokens)
        wanted[language] = (frozenset(stems), frozenset(prefixes))
    return wanted
