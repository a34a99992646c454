"""The note's live document: a pycrdt (Yjs-compatible) document holding the body in a Text named
"body". Browsers hold the same document with Yjs; both exchange Yjs updates."""
from difflib import SequenceMatcher

from pycrdt import Doc, Text

FIELD = "body"


def document(state=None):
    """A document from a saved state (a Yjs update), or an empty one; and its body text."""
    doc = Doc()
    text = doc.get(FIELD, type=Text)
    if state:
        doc.apply_update(bytes(state))
    return doc, text


def new_state(body):
    """The state of a fresh document holding ``body``."""
    doc, text = document()
    if body:
        text += body
    return doc.get_update()


def text_of(state):
    return str(document(state)[1])


def _offset(value, index):
    """pycrdt indexes text by UTF-8 bytes."""
    return len(value[:index].encode("utf-8"))


def _opcodes(old, new, limit=4000):
    """difflib's opcodes between the two texts, after trimming their common start and end; a long
    changed middle is replaced as one block (difflib is quadratic)."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    a, b = old[prefix:len(old) - suffix], new[prefix:len(new) - suffix]
    if len(a) + len(b) > limit:
        inner = [("replace", 0, len(a), 0, len(b))]
    else:
        inner = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix) for tag, i1, i2, j1, j2 in inner]


def replace_text(doc, text, new):
    """Edit ``text`` into ``new`` with the fewest insertions and deletions (so concurrent edits
    elsewhere in the text survive); returns the Yjs update of the change (b"" if none)."""
    old = str(text)
    if old == new:
        return b""
    before = doc.get_state()
    opcodes = _opcodes(old, new)
    with doc.transaction(origin="server"):
        # From the end, so earlier offsets stay valid.
        for tag, i1, i2, j1, j2 in reversed(opcodes):
            if tag == "equal":
                continue
            start, stop = _offset(old, i1), _offset(old, i2)
            if stop > start:
                del text[start:stop]
            if j2 > j1:
                text.insert(start, new[j1:j2])
    return doc.get_update(before)


def edited_state(state, new):
    """(new state, update) after editing the text of ``state`` into ``new``."""
    doc, text = document(state)
    update = replace_text(doc, text, new)
    return doc.get_update(), update
