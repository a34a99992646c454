"""The translations stay complete: every catalog fully translated, placeholders intact, nothing stale.

French (fr_CA) is the default locale; English is the msgid itself. When a test here fails, run
`make update-messages`, translate what it lists in hub/translations/fr_CA/LC_MESSAGES/messages.po,
then `make translations`.
"""
import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "hub" / "translations"
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
FRENCH = TRANSLATIONS / "fr_CA" / "LC_MESSAGES" / "messages.po"

# printf-style conversions as Python's % operator reads them: %(name)s, %d, %5.2f…; %% is a literal.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")


def load(path):
    with open(path, "rb") as f:
        return read_po(f)


def catalog_id(path):
    return path.relative_to(TRANSLATIONS).parts[0]


def messages(catalog):
    return [m for m in catalog if m.id]


def placeholders(text):
    """The named placeholders as a set (order and repetition are free), the positional ones in order."""
    found = [m for m in PLACEHOLDER.finditer(text) if m.group("type") != "%"]
    named = sorted({m.group(0) for m in found if m.group("name") is not None})
    positional = [m.group(0) for m in found if m.group("name") is None]
    return named + positional


def show(msgid):
    return repr(msgid[0] if isinstance(msgid, (tuple, list)) else msgid)


def test_french_catalog_exists():
    assert FRENCH in CATALOGS, f"{FRENCH.relative_to(ROOT)} is missing: run `make update-messages`"


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_catalog_is_fully_translated(path):
    catalog = load(path)
    assert not catalog.fuzzy, f"{path.relative_to(ROOT)}: the header is marked fuzzy, so pybabel compile skips the whole catalog"
    untranslated, fuzzy = [], []
    for message in messages(catalog):
        forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if not forms or not all(form and form.strip() for form in forms):
            untranslated.append(show(message.id))
        if message.fuzzy:
            fuzzy.append(show(message.id))
    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated:\n  " + "\n  ".join(untranslated))
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (check the text, then remove '#, fuzzy'):\n  " + "\n  ".join(fuzzy))
    assert not problems, f"{path.relative_to(ROOT)}\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_placeholders_match(path):
    wrong = []
    for message in messages(load(path)):
        if isinstance(message.id, (tuple, list)):
            expected = [placeholders(text) for text in message.id]
            for index, form in enumerate(message.string or ()):
                if form and placeholders(form) not in expected:
                    wrong.append(f"{show(message.id)} msgstr[{index}] has {placeholders(form)}, expected {expected[-1]}")
        elif message.string and placeholders(message.string) != placeholders(message.id):
            wrong.append(f"{show(message.id)} has {placeholders(message.string)}, expected {placeholders(message.id)}")
    assert not wrong, f"{path.relative_to(ROOT)}: placeholders differ from the msgid:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_catalog_compiles_without_warnings(path):
    """The checks `pybabel compile` runs: placeholder types, number of plural forms."""
    problems = [f"{show(message.id)}: {error}" for message, errors in load(path).check() for error in errors]
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def makefile_keywords():
    """The -k options of `make extract-messages`, so this test extracts exactly what the Makefile does."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next((line for line in makefile.splitlines() if "pybabel extract" in line), "")
    return re.findall(r"-k\s+(\S+)", line) or ["_l", "lazy_gettext", "ngettext:1,2"]


def extract_sources():
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(makefile_keywords())}
    found = {}
    for filename, _lineno, msgid, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords):
        found.setdefault(msgid, filename)
    return found


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_catalog_has_every_source_string(path):
    catalog = load(path)
    extracted = extract_sources()
    assert extracted, "no message extracted from the sources: is babel.cfg right?"
    missing = []
    for msgid, filename in sorted(extracted.items(), key=lambda item: show(item[0])):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        if entry is None:
            missing.append(f"{show(msgid)}  ({filename})")
        elif isinstance(msgid, tuple) != entry.pluralizable:
            missing.append(f"{show(msgid)}  ({filename}): plural forms changed")
    assert not missing, (
        f"{path.relative_to(ROOT)} is stale: {len(missing)} source string(s) not in it. "
        "Run `make update-messages`, then translate:\n  " + "\n  ".join(missing)
    )


# --- The pages follow the language --------------------------------------------------------------

@pytest.fixture(scope="module")
def compiled():
    """Compile each catalog whose .mo is missing or older than its .po (what `make translations` does)."""
    for po in CATALOGS:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        handle, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(handle, "wb") as f:
                write_mo(f, load(po))
            os.replace(tmp, mo)  # atomic: a parallel worker never reads half a file
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def french(msgid):
    entry = load(FRENCH).get(msgid)
    assert entry is not None and entry.string, f"{msgid!r} is not translated"
    return entry.string


def page(response):
    assert response.status_code == 200
    return response.get_data(as_text=True)


HEADLINE = "One place for your community of practice"


def test_home_is_french_by_default(compiled, client):
    html = page(client.get("/"))
    assert '<html lang="fr-CA">' in html
    assert french(HEADLINE) in html
    assert HEADLINE not in html
    assert french("Log in") in html


def test_accept_language_english(compiled, client):
    html = page(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in html
    assert HEADLINE in html
    assert french(HEADLINE) not in html


def test_accept_language_french_variants(compiled, client):
    for header in ("fr", "fr-CA,fr;q=0.9,en;q=0.8", "de"):
        html = page(client.get("/", headers={"Accept-Language": header}))
        assert '<html lang="fr-CA">' in html, header
        assert french(HEADLINE) in html, header


def test_language_switch_is_remembered(compiled, client):
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 302
    html = page(client.get("/"))
    assert '<html lang="en">' in html
    assert HEADLINE in html
    assert french(HEADLINE) not in html

    client.post("/language", data={"lang": "fr_CA"})
    html = page(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="fr-CA">' in html, "the chosen language wins over the browser's"
    assert french(HEADLINE) in html
