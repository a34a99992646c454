""""Did you mean": corrections chosen only from words the searcher may read.

A backend supplies two things: ``candidates(word)``, words of its vocabulary that look like
``word`` (they may come from any document, readable or not), and ``readable_count(candidate)``,
how many documents the searcher may read contain exactly that word (0 when none). A correction is
offered only when ``readable_count`` is at least 1, so a word that only occurs in documents the
searcher cannot read is never shown, and ties are broken by readable counts only.
"""
from .analysis import fold, levenshtein
from .query import positive_words

MAX_CANDIDATES = 8  # readable checks per word, at most


def max_distance(word):
    return 1 if len(word) <= 4 else 2


def build_suggestion(parsed, candidates, readable_count):
    """The query text with its misspelled words corrected, or None."""
    replacements = []
    counts = {}

    def count(candidate):
        if candidate not in counts:
            counts[candidate] = readable_count(candidate)
        return counts[candidate]

    for word in positive_words(parsed.root):
        lowered = word.text.lower()
        if len(lowered) < 3 or not lowered.isalpha():
            continue
        folded = fold(lowered)
        limit = max_distance(folded)
        scored = []
        for candidate in set(candidates(lowered)):
            distance = levenshtein(fold(candidate), folded, limit)
            if distance <= limit:
                scored.append((distance, candidate))
        scored.sort()
        if any(count(c) for d, c in scored[:MAX_CANDIDATES] if d == 0):
            continue  # the word (perhaps without its accents) is in a readable document
        best = None
        for distance, candidate in scored[:MAX_CANDIDATES]:
            if distance == 0 or (best is not None and distance > best[0]):
                continue
            found = count(candidate)
            if found and (best is None or (distance, -found, candidate) < best):
                best = (distance, -found, candidate)
        if best is not None:
            replacements.append((word, _same_case(word.text, best[2])))
    if not replacements:
        return None
    text = parsed.text
    for word, correction in sorted(replacements, key=lambda r: r[0].start, reverse=True):
        text = text[: word.start] + correction + text[word.end:]
    return " ".join(text.split())


def _same_case(original, correction):
    if original.isupper() and len(original) > 1:
        return correction.upper()
    if original[:1].isupper():
        return correction[:1].upper() + correction[1:]
    return correction
