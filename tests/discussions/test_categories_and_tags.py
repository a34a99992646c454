"""Categories and tags as facilitators and authors manage them: categories renamed, reordered and
deleted into another one; a thread moved and retagged; tags renamed, merged and deleted across the
community; refusals that change nothing; search and the thread list following every change."""

import pytest
import sqlalchemy as sa

from tests.api.spec import assert_matches_spec
from tests.discussions.conftest import auth, cast, signed_in, start_thread  # noqa: F401  (cast is a fixture)


def _text(response):
    return response.get_data(as_text=True)


def _categories(client, cast):  # noqa: F811
    response = client.get(f"/api/v1/communities/{cast.slug}/categories", headers=auth(cast, "observer"))
    return {c["name"]: c for c in assert_matches_spec(response, "get", "/communities/{slug}/categories")["categories"]}


def _thread(client, cast, thread_id, who="observer"):  # noqa: F811
    return client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, who)).get_json()


def _search(client, cast, who="observer", **params):  # noqa: F811
    response = client.get("/api/v1/search", query_string=params, headers=auth(cast, who))
    assert response.status_code == 200, _text(response)
    return {(r["kind"], r["id"]) for r in response.get_json()["results"]}


def _state(app):
    """Everything these pages may change: categories, where each thread is, and its tags."""
    from hub.discussions.models import Category, Thread, ThreadTag
    from hub.extensions import db

    with app.app_context():
        return (
            db.session.execute(sa.select(Category.id, Category.name, Category.description, Category.position).order_by(Category.id)).all(),
            db.session.execute(sa.select(Thread.id, Thread.category_id).order_by(Thread.id)).all(),
            db.session.execute(sa.select(ThreadTag.thread_id, ThreadTag.name).order_by(ThreadTag.thread_id, ThreadTag.name)).all(),
        )


def _add_category(client, cast, name, description=""):  # noqa: F811
    response = client.post(f"/c/{cast.slug}/discussions/categories", data={"name": name, "description": description})
    assert response.status_code == 302, _text(response)


# --- categories ------------------------------------------------------------------------------


def test_facilitator_adds_renames_reorders_and_deletes_categories(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    page = _text(facilitator.get(f"/c/{cast.slug}/discussions/categories"))
    assert "Général" in page and 'data-testid="category-form"' in page
    _add_category(facilitator, cast, "Financement", "Programmes de financement municipaux")
    _add_category(facilitator, cast, "Habitation")
    _add_category(facilitator, cast, "Parcs")
    ids = {name: c["id"] for name, c in _categories(client, cast).items()}
    assert list(_categories(client, cast)) == ["Général", "Financement", "Habitation", "Parcs"]
    assert _categories(client, cast)["Général"]["default"] is True

    # The same name with other capitals is refused, next to the field.
    duplicate = facilitator.post(f"/c/{cast.slug}/discussions/categories", data={"name": "  financement "})
    assert duplicate.status_code == 422
    assert 'id="name-error"' in _text(duplicate) and 'aria-describedby="name-error"' in _text(duplicate)
    renamed_as_other = facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Parcs']}", data={"name": "HABITATION"})
    assert renamed_as_other.status_code == 422 and 'id="name-error"' in _text(renamed_as_other)

    # Rename, with a description; its own name with other capitals is fine.
    form = _text(facilitator.get(f"/c/{cast.slug}/discussions/categories/{ids['Parcs']}"))
    assert 'value="Parcs"' in form and 'data-testid="category-delete-form"' in form
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Parcs']}",
                            data={"name": "Parcs et espaces verts", "description": "Gestion des parcs"}).status_code == 302
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Habitation']}", data={"name": "habitation"}).status_code == 302
    cats = _categories(client, cast)
    assert cats["Parcs et espaces verts"]["description"] == "Gestion des parcs" and "habitation" in cats

    # Reorder: the default category stays first.
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Parcs']}/move", data={"direction": "up"}).status_code == 302
    assert list(_categories(client, cast)) == ["Général", "Financement", "Parcs et espaces verts", "habitation"]
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Financement']}/move", data={"direction": "up"}).status_code == 302
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Général']}/move", data={"direction": "down"}).status_code == 302
    assert list(_categories(client, cast)) == ["Général", "Financement", "Parcs et espaces verts", "habitation"]
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Financement']}/move", data={"direction": "down"}).status_code == 302
    assert list(_categories(client, cast)) == ["Général", "Parcs et espaces verts", "Financement", "habitation"]
    wrong = facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Financement']}/move", data={"direction": "sideways"}, follow_redirects=True)
    assert "Choisissez de monter ou de descendre la catégorie." in _text(wrong)


def test_deleting_a_category_moves_its_threads_to_the_chosen_one(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    for name in ("Financement", "Habitation", "Parcs"):
        _add_category(facilitator, cast, name)
    ids = {name: c["id"] for name, c in _categories(client, cast).items()}
    first = start_thread(client, cast, title="Programme d’aide aux coopératives", category=ids["Financement"])
    second = start_thread(client, cast, title="Fonds d’habitation communautaire", category=ids["Financement"])
    third = start_thread(client, cast, title="Parc linéaire", category=ids["Parcs"])

    deleted = facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Financement']}/delete", data={"target": str(ids["Habitation"])})
    assert deleted.status_code == 302
    assert "Financement" not in _categories(client, cast)
    assert {_thread(client, cast, t)["category"]["name"] for t in (first, second)} == {"Habitation"}
    assert _categories(client, cast)["Habitation"]["thread_count"] == 2
    listing = _text(facilitator.get(f"/c/{cast.slug}/discussions?category={ids['Habitation']}"))
    assert "Programme d’aide aux coopératives" in listing and "Parc linéaire" not in listing

    # No category chosen: the default one.
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Parcs']}/delete").status_code == 302
    assert _thread(client, cast, third)["category"]["name"] == "Général"

    # A target that is the category itself, or of nowhere, is refused next to the field; nothing moves.
    before = _state(app)
    for target in (str(ids["Habitation"]), "987654", "abc"):
        refused = facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Habitation']}/delete", data={"target": target})
        assert refused.status_code == 422 and 'id="target-error"' in _text(refused), target
    assert _state(app) == before

    # The default category (here the last one left but one) cannot be deleted.
    page = _text(facilitator.get(f"/c/{cast.slug}/discussions/categories/{ids['Général']}"))
    assert 'data-testid="default-category"' in page and 'data-testid="category-delete-form"' not in page
    refused = facilitator.post(f"/c/{cast.slug}/discussions/categories/{ids['Général']}/delete", data={"target": str(ids["Habitation"])},
                               follow_redirects=True)
    assert "La catégorie par défaut ne peut pas être supprimée" in _text(refused)
    assert _state(app) == before


@pytest.mark.parametrize("who", ["julie", "observer", "guest"])
def test_members_observers_and_guests_cannot_manage_categories(app, client, cast, who):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Financement")
    start_thread(client, cast)
    category = _categories(client, cast)["Financement"]["id"]
    before = _state(app)
    other = signed_in(app, cast, who)
    base = f"/c/{cast.slug}/discussions/categories"
    assert other.get(base).status_code == 403
    assert other.post(base, data={"name": "Nouvelle"}).status_code == 403
    assert other.get(f"{base}/{category}").status_code == 403
    assert other.post(f"{base}/{category}", data={"name": "Renommée"}).status_code == 403
    assert other.post(f"{base}/{category}/move", data={"direction": "up"}).status_code == 403
    assert other.post(f"{base}/{category}/delete").status_code == 403
    assert other.get(f"/c/{cast.slug}/discussions/tags").status_code == 403
    assert other.post(f"/c/{cast.slug}/discussions/tags/rename", data={"rename-tag": "x", "rename-name": "y"}).status_code == 403
    assert other.post(f"/c/{cast.slug}/discussions/tags/delete", data={"delete-tag": "x"}).status_code == 403
    outsider = signed_in(app, cast, "outsider")
    assert outsider.get(base).status_code == 404 and outsider.post(f"{base}/{category}/delete").status_code == 404
    assert _state(app) == before


# --- a thread's category and tags -------------------------------------------------------------


def test_author_and_facilitator_move_and_retag_a_thread(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Habitation")
    habitation = _categories(client, cast)["Habitation"]["id"]
    thread_id = start_thread(client, cast, body="Qui a un règlement ? #Logement")
    julie = signed_in(app, cast, "julie")
    page = _text(julie.get(f"/threads/{thread_id}"))
    assert 'data-testid="edit-thread"' in page
    form = _text(julie.get(f"/threads/{thread_id}/edit"))
    assert 'value="logement"' in form and 'data-testid="thread-edit-form"' in form

    saved = julie.post(f"/threads/{thread_id}/edit", data={"category": str(habitation), "tags": "#Habitation, coopératives  École logement,logement"})
    assert saved.status_code == 302
    data = _thread(client, cast, thread_id)
    assert data["category"]["name"] == "Habitation"
    assert data["tags"] == ["coopératives", "habitation", "logement", "école"]
    listing = _text(julie.get(f"/c/{cast.slug}/discussions?tag=coopératives"))
    assert "Approvisionnement responsable" in listing
    assert "Approvisionnement responsable" in _text(julie.get(f"/c/{cast.slug}/discussions?category={habitation}"))

    # A field not sent keeps its value; an empty one takes every tag off.
    assert facilitator.post(f"/threads/{thread_id}/edit", data={"tags": ""}).status_code == 302
    assert _thread(client, cast, thread_id)["tags"] == [] and _thread(client, cast, thread_id)["category"]["name"] == "Habitation"
    assert facilitator.post(f"/threads/{thread_id}/edit", data={"tags": "parcs"}).status_code == 302
    assert _thread(client, cast, thread_id)["tags"] == ["parcs"]

    before = _state(app)
    for tags in ("123, parcs", "parcs!", "a" * 51, ", ".join(f"t{i}" for i in range(11)), "-parcs", "#"):
        refused = julie.post(f"/threads/{thread_id}/edit", data={"category": str(habitation), "tags": tags})
        assert refused.status_code == 422 and 'id="tags-error"' in _text(refused), tags
    refused = julie.post(f"/threads/{thread_id}/edit", data={"category": "999999", "tags": "parcs"})
    assert refused.status_code == 422 and 'id="category-error"' in _text(refused)
    assert _state(app) == before


@pytest.mark.parametrize("who", ["karim", "observer", "guest"])
def test_others_cannot_move_or_retag_a_thread(app, client, cast, who):  # noqa: F811
    thread_id = start_thread(client, cast, body="Premier message #habitation")
    before = _state(app)
    other = signed_in(app, cast, who)
    assert 'data-testid="edit-thread"' not in _text(other.get(f"/threads/{thread_id}"))
    assert other.get(f"/threads/{thread_id}/edit").status_code == 403
    assert other.post(f"/threads/{thread_id}/edit", data={"tags": "autre"}).status_code == 403
    refused = client.patch(f"/api/v1/threads/{thread_id}", json={"tags": ["autre"]}, headers=auth(cast, who))
    assert assert_matches_spec(refused, "patch", "/threads/{thread_id}") and refused.status_code == 403
    assert signed_in(app, cast, "outsider").get(f"/threads/{thread_id}/edit").status_code == 404
    assert client.patch(f"/api/v1/threads/{thread_id}", json={"tags": ["autre"]}, headers=auth(cast, "outsider")).status_code == 404
    assert _state(app) == before


def test_a_locked_thread_is_retagged_by_facilitators_only(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    facilitator = signed_in(app, cast, "facilitator")
    assert facilitator.post(f"/threads/{thread_id}/lock").status_code == 302
    assert signed_in(app, cast, "julie").post(f"/threads/{thread_id}/edit", data={"tags": "parcs"}).status_code == 403
    assert facilitator.post(f"/threads/{thread_id}/edit", data={"tags": "parcs"}).status_code == 302
    assert _thread(client, cast, thread_id)["tags"] == ["parcs"]


# --- the community's tags ----------------------------------------------------------------------


def test_facilitator_renames_merges_and_deletes_tags(app, client, cast):  # noqa: F811
    both = start_thread(client, cast, title="Fil avec les deux", body="#logement et #habitation")
    only_old = start_thread(client, cast, title="Fil logement", body="#logement #parcs")
    only_new = start_thread(client, cast, title="Fil habitation", body="#habitation")
    facilitator = signed_in(app, cast, "facilitator")
    page = _text(facilitator.get(f"/c/{cast.slug}/discussions/tags?tag=logement"))
    assert "#logement" in page and '<option selected value="logement">' in page

    # Merge: "logement" into the existing "habitation"; a thread with both keeps one.
    merged = facilitator.post(f"/c/{cast.slug}/discussions/tags/rename", data={"rename-tag": "logement", "rename-name": "#Habitation"})
    assert merged.status_code == 302
    assert "est fusionnée avec #habitation" in _text(facilitator.get(merged.headers["Location"]))
    assert _thread(client, cast, both)["tags"] == ["habitation"]
    assert _thread(client, cast, only_old)["tags"] == ["habitation", "parcs"]
    assert _thread(client, cast, only_new)["tags"] == ["habitation"]
    listing = _text(facilitator.get(f"/c/{cast.slug}/discussions?tag=habitation"))
    assert all(title in listing for title in ("Fil avec les deux", "Fil logement", "Fil habitation"))
    assert "Fil logement" not in _text(facilitator.get(f"/c/{cast.slug}/discussions?tag=logement"))

    # Rename to a new name.
    assert facilitator.post(f"/c/{cast.slug}/discussions/tags/rename", data={"rename-tag": "parcs", "rename-name": "espaces-verts"}).status_code == 302
    assert _thread(client, cast, only_old)["tags"] == ["espaces-verts", "habitation"]

    # Refusals next to their field; nothing changes.
    before = _state(app)
    for data, field in (({"rename-tag": "habitation", "rename-name": "1abc"}, "rename-name"),
                        ({"rename-tag": "habitation", "rename-name": ""}, "rename-name"),
                        ({"rename-tag": "inconnue", "rename-name": "autre"}, "rename-tag"),
                        ({"rename-name": "autre"}, "rename-tag")):
        refused = facilitator.post(f"/c/{cast.slug}/discussions/tags/rename", data=data)
        assert refused.status_code == 422 and f'id="{field}-error"' in _text(refused), data
    refused = facilitator.post(f"/c/{cast.slug}/discussions/tags/delete", data={"delete-tag": "inconnue"})
    assert refused.status_code == 422 and 'id="delete-tag-error"' in _text(refused)
    assert _state(app) == before

    # Delete: off every thread, the threads stay.
    assert facilitator.post(f"/c/{cast.slug}/discussions/tags/delete", data={"delete-tag": "habitation"}).status_code == 302
    assert [_thread(client, cast, t)["tags"] for t in (both, only_old, only_new)] == [[], ["espaces-verts"], []]


def test_tags_of_another_community_are_left_alone(app, client, cast, factory):  # noqa: F811
    other = factory.community(cast.emails["julie"], "CP Habitation")
    mine = start_thread(client, cast, body="#logement")
    response = client.post(f"/api/v1/communities/{other}/threads", json={"title": "Ailleurs", "body": "#logement"}, headers=auth(cast, "julie"))
    theirs = response.get_json()["id"]
    facilitator = signed_in(app, cast, "facilitator")
    assert facilitator.post(f"/c/{cast.slug}/discussions/tags/rename", data={"rename-tag": "logement", "rename-name": "habitation"}).status_code == 302
    assert _thread(client, cast, mine)["tags"] == ["habitation"]
    assert _thread(client, cast, theirs, who="julie")["tags"] == ["logement"]


# --- search -----------------------------------------------------------------------------------


def test_search_follows_tags_and_categories(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Financement")
    financement = _categories(client, cast)["Financement"]["id"]
    thread_id = start_thread(client, cast, title="Rues commerciales", body="Revitalisation du centre-ville")
    reply = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Une SDC a aidé."}, headers=auth(cast, "karim")).get_json()["id"]
    assert ("thread", thread_id) not in _search(client, cast, q="artères")

    assert signed_in(app, cast, "julie").post(f"/threads/{thread_id}/edit", data={"tags": "artères, commerce-local"}).status_code == 302
    assert ("thread", thread_id) in _search(client, cast, q="artères")
    assert {("thread", thread_id)} == _search(client, cast, theme="artères")

    assert facilitator.post(f"/c/{cast.slug}/discussions/tags/rename", data={"rename-tag": "artères", "rename-name": "rues-principales"}).status_code == 302
    assert ("thread", thread_id) not in _search(client, cast, q="artères")
    assert ("thread", thread_id) in _search(client, cast, q="principales")
    assert {("thread", thread_id)} == _search(client, cast, theme="rues-principales")
    assert not _search(client, cast, theme="artères")

    # The category is a theme of the thread's documents: moving or renaming it reaches search.
    assert not _search(client, cast, theme="Financement")
    assert client.patch(f"/api/v1/threads/{thread_id}", json={"category": financement}, headers=auth(cast, "julie")).status_code == 200
    assert {("thread", thread_id)} == _search(client, cast, theme="Financement")
    assert facilitator.post(f"/c/{cast.slug}/discussions/categories/{financement}", data={"name": "Programmes de financement"}).status_code == 302
    assert not _search(client, cast, theme="Financement")
    assert ("thread", thread_id) in _search(client, cast, theme="Programmes de financement")

    assert facilitator.post(f"/c/{cast.slug}/discussions/tags/delete", data={"delete-tag": "rues-principales"}).status_code == 302
    assert ("thread", thread_id) not in _search(client, cast, q="principales")
    assert _search(client, cast, who="outsider", q="Rues") == set()


# --- API ----------------------------------------------------------------------------------------


def test_patch_a_thread_through_the_api(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Parcs")
    parcs = _categories(client, cast)["Parcs"]["id"]
    thread_id = start_thread(client, cast, body="#habitation")
    url = f"/api/v1/threads/{thread_id}"

    changed = assert_matches_spec(client.patch(url, json={"category": parcs, "tags": ["#Parcs", "espaces-verts", "parcs"]}, headers=auth(cast, "julie")),
                                  "patch", "/threads/{thread_id}")
    assert changed["category"]["name"] == "Parcs" and changed["tags"] == ["espaces-verts", "parcs"]
    assert changed["posts"] and changed["page"] == 1
    assert client.patch(url, json={}, headers=auth(cast, "facilitator")).get_json()["tags"] == ["espaces-verts", "parcs"]
    assert client.patch(url, json={"tags": []}, headers=auth(cast, "facilitator")).get_json()["tags"] == []

    before = _state(app)
    for body, field in (({"tags": "parcs"}, "tags"), ({"tags": [1]}, "tags"), ({"tags": ["1abc"]}, "tags"),
                        ({"tags": [f"t{i}" for i in range(11)]}, "tags"), ({"category": 987654}, "category"),
                        ({"category": "2"}, "category"), ({"category": True}, "category"), ({"title": "x"}, "title")):
        refused = client.patch(url, json=body, headers=auth(cast, "julie"))
        data = assert_matches_spec(refused, "patch", "/threads/{thread_id}")
        assert refused.status_code == 422 and field in data["error"]["fields"], body
    assert client.patch(url, data="tags=x", headers=auth(cast, "julie")).status_code == 415
    assert client.patch(url, json={"tags": ["x"]}).status_code == 404  # a private community: anonymous callers learn nothing
    assert client.patch("/api/v1/threads/987654", json={}, headers=auth(cast, "julie")).status_code == 404
    assert _state(app) == before


def test_list_categories_through_the_api(app, client, cast):  # noqa: F811
    assert [(c["name"], c["default"]) for c in _categories(client, cast).values()] == [("Général", True)]
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Parcs", "Gestion des parcs")
    start_thread(client, cast)
    cats = _categories(client, cast)
    assert cats["Général"]["thread_count"] == 1 and cats["Parcs"]["description"] == "Gestion des parcs"
    assert client.get(f"/api/v1/communities/{cast.slug}/categories", headers=auth(cast, "outsider")).status_code == 404


# --- garbage ---------------------------------------------------------------------------------------


def test_garbage_to_the_new_forms_changes_nothing(app, client, cast):  # noqa: F811
    facilitator = signed_in(app, cast, "facilitator")
    _add_category(facilitator, cast, "Parcs")
    parcs = _categories(client, cast)["Parcs"]["id"]
    thread_id = start_thread(client, cast, body="#habitation")
    before = _state(app)
    routes = [
        f"/c/{cast.slug}/discussions/categories", f"/c/{cast.slug}/discussions/categories/{parcs}",
        f"/c/{cast.slug}/discussions/categories/{parcs}/move", f"/c/{cast.slug}/discussions/categories/{parcs}/delete",
        f"/c/{cast.slug}/discussions/tags/rename", f"/c/{cast.slug}/discussions/tags/delete", f"/threads/{thread_id}/edit",
    ]
    form = "application/x-www-form-urlencoded"
    bodies = [
        dict(data={"name": "   ", "description": "x" * 301, "direction": "left", "rename-tag": ["habitation", "x"], "rename-name": "é" * 61,
                   "delete-tag": "nulle-part", "target": "abc", "category": "x", "tags": "1, 2, 3"}),
        dict(data={"name": "", "rename-tag": "habitation", "rename-name": "   ", "delete-tag": "", "target": "-1", "category": "-5", "tags": "# ## ###"}),
        dict(data={"name": "x" * 81, "rename-tag": "zzz", "rename-name": "ok", "delete-tag": "zzz", "target": str(parcs), "category": "99999999999",
                   "tags": "<script>"}),
        dict(data=b"name=%FF%FE&rename-tag=habitation&rename-name=%FF%FE&delete-tag=%00&tags=a%00b", content_type=form),
        dict(json={"name": ["x"], "rename-tag": {"y": None}, "tags": [1], "target": {}}),
    ]
    for url in routes:
        for body in bodies:
            response = facilitator.post(url, **body)
            assert response.status_code in (302, 400, 415, 422), (url, body, response.status_code)
            if response.status_code == 422:
                assert 'data-testid="form-errors"' in _text(response) and "error-text" in _text(response), (url, body)
            elif response.status_code == 302:
                assert response.headers["Location"].endswith(f"#category-{parcs}"), (url, body)  # the move: "up or down" flashed
    assert _state(app) == before
