"""The query language and the French analysis, without any backend."""
import pytest

from hub.search import QuerySyntaxError
from hub.search.analysis import analyze, fold, spelling_words
from hub.search.query import And, Field, Not, Or, Phrase, Prefix, Word, parse, positive_words, simplify


def tree(text):
    return parse(text).root


def test_words_phrases_prefixes_and_implicit_and():
    assert tree("économie sociale") == And((Word("économie"), Word("sociale")))
    assert tree('"économie sociale" habitation') == And((Phrase("économie sociale"), Word("habitation")))
    assert tree("approvision*") == Prefix("approvision")
    assert tree("a*") == Word("a"), "a prefix needs two letters"
    assert tree("l'économie") == And((Word("l"), Word("économie")))


def test_operators_in_english_and_french():
    assert tree("a OR b") == tree("a OU b") == Or((Word("a"), Word("b")))
    assert tree("a AND b") == tree("a ET b") == tree("a b") == And((Word("a"), Word("b")))
    assert tree("a NOT b") == tree("a SAUF b") == tree("a -b") == And((Word("a"), Not(Word("b"))))
    assert tree("(a OU b) ET c") == And((Or((Word("a"), Word("b"))), Word("c")))
    assert tree("a ou b") == And((Word("a"), Word("ou"), Word("b"))), "lowercase: words"
    assert tree("co-op") == And((Word("co"), Word("op"))), "a hyphen inside a word is not NOT"


def test_fields_and_aliases():
    assert tree("type:case_study") == Field("type", "case_study")
    assert tree('municipality:"Ville de Lévis"') == tree('municipalité:"Ville de Lévis"') == tree('MUNICIPALITE:"Ville de Lévis"')
    assert tree('thème:"approvisionnement responsable"') == Field("theme", "approvisionnement responsable")
    assert tree("year:2021") == tree("année:2021") == tree("annee:2021") == Field("year", (2021, 2021))
    assert tree("year:2024..2020") == Field("year", (2020, 2024))
    assert tree("year:2020..") == Field("year", (2020, None))
    assert tree("note:importante") == And((Word("note"), Word("importante"))), "unknown fields are words"


@pytest.mark.parametrize("text", ['"économie sociale', "(a b", "a ) b", "AND", "a OR", "NOT", "OU ET SAUF", "-", '""', "()", "*"])
def test_malformed_input_degrades(text):
    parse(text)  # never raises


@pytest.mark.parametrize("text, message", [
    ("type:", "type"), ("theme: x", "theme"), ("year:20x", "2021"), ("x" * 501, "500"), (" ".join(["mot"] * 51), "50"),
    ("(" * 30 + "x", "parentheses"),
])
def test_errors_say_why(text, message):
    with pytest.raises(QuerySyntaxError) as error:
        parse(text)
    assert message in str(error.value)


def test_simplify_drops_stop_words_per_language():
    assert simplify(tree("l'économie et les coopératives"), "fr") == And((Word("économie"), Word("coopératives")))
    assert simplify(tree("the housing"), "en") == Word("housing")
    assert simplify(tree("the housing"), "fr") == And((Word("the"), Word("housing")))
    assert simplify(tree("le OR la"), "fr") is None
    assert simplify(tree("économie -les"), "fr") == Word("économie")
    assert [w.text for w in positive_words(tree("economi -socialle (habitaton OR x)"))] == ["economi", "habitaton", "x"]


def test_french_analysis():
    assert fold("Économie cœur Lévis") == "economie coeur levis"
    assert analyze("économie") == analyze("economie") == analyze("ÉCONOMIQUES")
    assert analyze("approvisionnements responsables") == analyze("approvisionnement responsable")
    assert analyze("l'économie d'abord qu'il") == analyze("économie abord")
    assert analyze("les et la de") == []
    assert analyze("municipalités") == analyze("municipalites")
    assert analyze("housing", "en") == analyze("houses", "en")
    assert analyze("the", "en") == []
    assert analyze("Voir https://exemple.ca/gestion-parcs") == analyze("voir exemple.ca"), "a web address is its host"
    assert spelling_words("L'Économie sociale et 2024 https://x.ca/mot") == {"économie", "sociale"}
