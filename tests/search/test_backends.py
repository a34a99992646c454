"""Both backends, fed the same documents, answer the same queries the same way."""
import re
from collections import Counter

import pytest

from hub.search import QuerySyntaxError, SearchDocument, SearchQuery, get_backend
from hub.search.analysis import analyze
from tests.search.conftest import utc

READER = frozenset({"community:1", "user:10"})  # reads community 1 and their own notes
INSIDER = frozenset({"community:1", "community:2", "user:20"})


def doc(id, title, body, community_id=1, readers=None, language="fr", updated_at=None, **fields):
    return SearchDocument(
        kind=fields.pop("kind", "memo"), id=id, community_id=community_id,
        readers=readers if readers is not None else [f"community:{community_id}"],
        title=title, body=body, url=f"/memos/{id}", language=language,
        updated_at=updated_at or utc(2024, 1, 1, id % 24, id // 24), **fields,
    )


CORPUS = [
    doc(1, "L'économie sociale à Lévis", "Les entreprises d'économie sociale soutiennent le développement local et "
        "l'approvisionnement responsable des municipalités.", type="case_study", themes=["Approvisionnement responsable"],
        municipality="Ville de Lévis", year=2021, updated_at=utc(2024, 1, 10)),
    doc(2, "Approvisionnements responsables", "Guide des approvisionnements responsables pour les villes : "
        "une politique d'achat local.", type="guide", themes=["Approvisionnement responsable", "Politique municipale"],
        municipality="Ville de Québec", year=2023, updated_at=utc(2024, 3, 1)),
    doc(3, "Responsible procurement in Quebec cities", "Housing cooperatives and community land trusts: the cities "
        "procured services from social enterprises.", language="en", type="case_study", themes=["Habitation"],
        municipality="Ville de Montréal", year=2022, updated_at=utc(2023, 12, 1)),
    doc(4, "Gestion des parcs", "Entretien des parcs & espaces <b>verts</b> <script>alert('x')</script> "
        "par des entreprises d'insertion.", type="guide", themes=["Parcs"], municipality="Ville de Gatineau",
        year=2020, updated_at=utc(2024, 2, 1)),
    doc(5, "Projet confidentiel", "Le mot zorglubement n'existe que dans ce document privé sur l'économie sociale "
        "et l'habitation.", community_id=2, type="secret_type", themes=["Thème secret"], municipality="Ville de Laval",
        year=2019, updated_at=utc(2024, 5, 1)),
    doc(6, "Note personnelle", "Matières résiduelles et itinérance.", community_id=None, readers=["user:10"],
        updated_at=utc(2024, 4, 1)),
    doc(7, "Économie circulaire", "Les matières résiduelles sont une ressource économique et solidaire.",
        type="guide", updated_at=utc(2023, 11, 5)),
]
READABLE = {1, 2, 3, 4, 6, 7}  # by READER


@pytest.fixture
def corpus(app):
    with app.app_context():
        get_backend().upsert(CORPUS)
    return CORPUS


@pytest.fixture
def run(app, corpus):
    def run(text="", principals=READER, **fields):
        with app.app_context():
            return get_backend().search(SearchQuery(text=text, principals=principals, **fields))

    return run


def ids(results):
    return {hit.id for hit in results.hits}


def test_accents_are_folded(run):
    assert ids(run("economie")) == {1, 7} == ids(run("ÉCONOMIE")) == ids(run("économie"))
    assert ids(run("Levis")) == {1}
    assert ids(run("economiques")) == {1, 7}  # économie, économique: one stem
    assert ids(run("itinerance")) == {6}


def test_stemming(run):
    assert ids(run("approvisionnements responsables")) == {1, 2}
    assert ids(run("approvisionnement responsable")) == {1, 2}
    assert ids(run("entreprise")) == {1, 4}


def test_stop_words_and_elisions(run):
    assert run("les et la de").total == 0
    assert ids(run("économie et sociale")) == ids(run("économie sociale")) == {1}
    assert ids(run("l'approvisionnement")) == {1, 2}
    assert ids(run("d'insertion")) == {4}


def test_english_documents_use_english_analysis(run):
    assert ids(run("housing")) == {3}
    assert ids(run("community")) == {3}  # "communities" by its English stem
    assert analyze("community", "fr") != analyze("communities", "fr"), "the French stemmer would not have matched"
    assert ids(run("procure")) == {3}  # procurement, procured
    assert run("the").total == 0  # an English stop word
    assert ids(run("cooperative")) == {3}


def test_phrases(run):
    assert ids(run('"économie sociale"')) == {1}
    assert ids(run('"sociale économie"')) == set()
    assert ids(run('"politique d\'achat"')) == {2}
    assert ids(run('"land trusts"')) == {3}
    assert ids(run('approvisionnement -"politique d\'achat"')) == {1}  # a phrase under a NOT
    assert ids(run('"économie sociale" OR parcs')) == {1, 4}
    assert ids(run('"économie sociale" type:case_study')) == {1}
    assert ids(run('"économie sociale"', principals=INSIDER)) == {1, 5}  # only readers find the private one


def test_boolean_operators_in_english_and_french(run):
    assert ids(run("parcs OR approvisionnement")) == {1, 2, 4}
    assert ids(run("parcs OU approvisionnement")) == {1, 2, 4}
    assert ids(run("approvisionnement AND guide")) == ids(run("approvisionnement ET guide")) == {2}
    assert ids(run("approvisionnement NOT guide")) == ids(run("approvisionnement SAUF guide")) == {1}
    assert ids(run("approvisionnement -guide")) == {1}
    assert ids(run("(parcs OU circulaire) ET entreprises")) == {4}
    assert ids(run("parcs ou approvisionnement")) == set(), "lowercase 'ou' is a word, not OR"
    assert ids(run("-économie")) == READABLE - {1, 7}


def test_prefixes(run):
    assert ids(run("approvision*")) == {1, 2}
    assert ids(run("écono*")) == {1, 7}
    assert ids(run("resid*")) == {6, 7}


def test_field_filters(run):
    assert ids(run("type:case_study")) == {1, 3}
    assert ids(run('theme:"approvisionnement responsable"')) == {1, 2}
    assert ids(run("thème:Habitation")) == {3}
    assert ids(run('municipalité:"ville de levis"')) == {1}
    assert ids(run('municipality:"Ville de Lévis"')) == {1}
    assert ids(run("année:2021..2023")) == {1, 2, 3}
    assert ids(run("year:2022")) == {3}
    assert ids(run("annee:..2020")) == {4}
    assert ids(run("économie type:guide")) == {7}
    assert ids(run("type:guide OR year:2022")) == {2, 3, 4, 7}
    assert ids(run("", type="case_study", year=2021)) == {1}
    assert ids(run("", theme="Parcs")) == {4}
    assert ids(run("", municipality="Ville de Québec")) == {2}
    assert ids(run("", language="en")) == {3}
    assert ids(run("", community_ids=(1,))) == {1, 2, 3, 4, 7}
    assert ids(run("", kinds=("other",))) == set()


def test_malformed_queries_degrade_or_explain(run):
    assert ids(run('"économie sociale')) == {1}  # unbalanced quote: words
    assert ids(run("(parcs OU circulaire")) == {4, 7}  # unclosed parenthesis
    assert ids(run("parcs )")) == {4}
    assert ids(run("parcs OR")) == {4}
    assert run("AND").total == 0
    for bad in ("type:", "year:abc", "x" * 501, " ".join(["mot"] * 51)):
        with pytest.raises(QuerySyntaxError):
            run(bad)


def test_sort_by_date_and_relevance(run):
    by_date = run("", sort="date").hits
    assert [h.updated_at for h in by_date] == sorted((h.updated_at for h in by_date), reverse=True)
    assert [h.id for h in by_date] == [6, 2, 4, 1, 3, 7]
    relevance = run("approvisionnement responsable").hits
    assert relevance[0].id == 2, "the title match ranks first"
    assert relevance[0].score >= relevance[1].score


def test_pagination_keeps_the_total(run):
    seen = []
    for page in (1, 2, 3):
        results = run("", sort="date", page=page, per_page=2)
        assert results.total == len(READABLE)
        seen += [h.id for h in results.hits]
    assert seen == [6, 2, 4, 1, 3, 7]
    beyond = run("", page=9, per_page=2)
    assert beyond.total == len(READABLE) and beyond.hits == []


def test_snippets_are_escaped_and_marked(run):
    [hit] = run("espaces").hits
    assert "<mark>espaces</mark>" in hit.snippet
    assert "&amp; <mark>espaces" in hit.snippet
    assert "<" not in re.sub("</?mark>", "", hit.snippet) and ">" not in re.sub("</?mark>", "", hit.snippet)
    [hit] = run("parcs").hits
    assert "<mark>parcs</mark>" in hit.snippet.lower()
    [hit] = run("type:guide -économie parcs").hits
    assert hit.title == "Gestion des parcs"


def test_did_you_mean(run):
    results = run("economi socialle")
    assert results.total == 0
    assert results.suggestion == "économie sociale"
    assert run("habitaton", principals=frozenset({"community:1"})).suggestion is None  # "habitation" is only private
    assert run("zorglubemant", principals=INSIDER).suggestion == "zorglubement"


def test_an_outsider_learns_nothing_from_private_documents(run):
    for text in ("zorglubement", "confidentiel", '"projet confidentiel"', "zorglub*", "type:secret_type",
                 'theme:"thème secret"', "municipality:laval", "year:2019"):
        results = run(text)
        assert results.total == 0 and results.hits == [], text
        assert all(not values for values in results.facets.values()), text
    assert run("zorglubemant").suggestion is None
    assert run("zorglubemant", principals=INSIDER).suggestion == "zorglubement"
    # Totals and facets are those of the readable documents only.
    everything = run("")
    assert everything.total == len(READABLE)
    readable = [d for d in CORPUS if d.id in READABLE]
    assert everything.facets["type"] == dict(Counter(d.type for d in readable if d.type))
    assert everything.facets["municipality"] == dict(Counter(d.municipality for d in readable if d.municipality))
    assert everything.facets["year"] == dict(Counter(d.year for d in readable if d.year))
    assert everything.facets["theme"] == dict(Counter(t for d in readable for t in d.themes))
    assert everything.facets["community"] == {1: 5}
    assert everything.facets["kind"] == {"memo": len(READABLE)}
    assert everything.facets["language"] == {"fr": 5, "en": 1}
    social = run("sociale")
    assert social.total == 2 and ids(social) == {1, 3}  # "social enterprises" in the English one
    assert run("sociale", principals=INSIDER).total == 3


def test_readers_decide(run):
    assert ids(run("matières")) == {6, 7}
    assert ids(run("matières", principals=frozenset({"community:1", "user:11"}))) == {7}
    assert run("", principals=frozenset()).total == 0
    assert run("zorglubement", principals=frozenset({"admin"})).total == 1
    assert run("", principals=frozenset({"admin"})).total == len(CORPUS)


def test_updates_deletes_keys_and_clear(app, run):
    with app.app_context():
        backend = get_backend()
        backend.upsert([doc(4, "Gestion des parcs urbains", "Tout autre texte.", updated_at=utc(2024, 6, 1))])
        assert ids(run("urbains")) == {4} and ids(run("insertion")) == set()
        backend.delete(["memo:4", "memo:999"])
        assert run("parcs").total == 0
        keys = backend.keys()
        assert set(keys) == {f"memo:{d.id}" for d in CORPUS} - {"memo:4"}
        assert keys["memo:1"] == utc(2024, 1, 10)
        assert backend.status()["status"] == "ok" and backend.status()["documents"] == 6
        backend.clear()
        assert backend.keys() == {} and run("").total == 0


def test_concurrent_writers(app):
    """Threads writing at once: every document lands, the index stays readable."""
    from concurrent.futures import ThreadPoolExecutor

    def write(n):
        with app.app_context():
            get_backend().upsert([doc(100 + n, f"Document {n}", f"parallèle numéro{n}")])

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(24)))
    with app.app_context():
        assert len(get_backend().keys()) == 24
        assert get_backend().search(SearchQuery(text="parallèle", principals=READER, per_page=50)).total == 24


def test_text_no_storage_accepts_is_cleaned(app, run):
    with app.app_context():
        get_backend().upsert([doc(50, "Extrait\x00 abîmé", "Texte extrait d'un fichier abîmé\x00 \udc80 avec coopérative.")])
    assert ids(run("abîmé coopérative")) == {50}
    assert run("abîmé\x00 \udc80").total == 1
