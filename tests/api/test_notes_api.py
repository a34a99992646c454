"""The notes API end to end, every answer checked against openapi.json."""
from tests.api.spec import assert_matches_spec as _matches


def assert_matches_spec(response, method, path, status=None):
    expected = status or (201 if method == "post" and path.endswith("/notes") else 200)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    return _matches(response, method, path)
from tests.notes.conftest import auth, cast  # noqa: F401  (cast is a fixture)


def test_create_read_update_conflict_revisions_share(app, client, cast):  # noqa: F811
    created = assert_matches_spec(
        client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Bons et mauvais coups — marché public", "template": "lessons"},
                    headers=auth(cast, "owner")),
        "post", "/communities/{slug}/notes",
    )
    note_id = created["id"]
    assert created["revision"] == 1
    note = assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "owner")), "get", "/notes/{note_id}")
    assert note["visibility"] == "private" and "##" in note["body"] and note["can_edit"] is True
    # Private: another member is not told it exists.
    assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "julie")), "get", "/notes/{note_id}", status=404)

    saved = assert_matches_spec(
        client.put(f"/api/v1/notes/{note_id}", json={"body": "Ce qui a marché : les clauses sociales.", "base_revision": 1}, headers=auth(cast, "owner")),
        "put", "/notes/{note_id}",
    )
    assert saved["revision"] == 2
    conflict = assert_matches_spec(
        client.put(f"/api/v1/notes/{note_id}", json={"body": "Autre texte", "base_revision": 1}, headers=auth(cast, "owner")),
        "put", "/notes/{note_id}", status=409,
    )
    assert conflict["error"]["code"] == "conflict"
    assert conflict["current_revision"] == 2 and conflict["current_body"] == "Ce qui a marché : les clauses sociales."

    shared = assert_matches_spec(
        client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "members", "members": [cast.ids["julie"]]}, headers=auth(cast, "owner")),
        "post", "/notes/{note_id}/share",
    )
    assert shared["members"] == [cast.ids["julie"]]
    julie_view = assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "julie")), "get", "/notes/{note_id}")
    saved = assert_matches_spec(
        client.put(f"/api/v1/notes/{note_id}", json={"body": julie_view["body"] + "\nCe qui n'a pas marché : les délais.", "base_revision": julie_view["revision"]},
                   headers=auth(cast, "julie")),
        "put", "/notes/{note_id}",
    )
    revisions = assert_matches_spec(client.get(f"/api/v1/notes/{note_id}/revisions", headers=auth(cast, "julie")), "get", "/notes/{note_id}/revisions")
    assert [r["number"] for r in revisions["revisions"]] == [3, 2, 1]
    assert revisions["revisions"][0]["authors"] == [cast.ids["julie"]]
    assert revisions["revisions"][0]["source"] == "api"
    # Only the owner shares; withdrawing works.
    assert_matches_spec(client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "community"}, headers=auth(cast, "julie")),
                        "post", "/notes/{note_id}/share", status=403)
    assert_matches_spec(client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "private"}, headers=auth(cast, "owner")), "post", "/notes/{note_id}/share")
    assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "julie")), "get", "/notes/{note_id}", status=404)


def test_refusals(app, client, cast):  # noqa: F811
    path = f"/api/v1/communities/{cast.slug}/notes"
    assert_matches_spec(client.post(path, json={"title": "x"}), "post", "/communities/{slug}/notes", status=404)  # private community, no token
    for who in ("observer", "guest"):
        assert_matches_spec(client.post(path, json={"title": "x"}, headers=auth(cast, who)), "post", "/communities/{slug}/notes", status=403)
    bad = [
        {}, {"title": ""}, {"title": "x", "visibility": "public"}, {"title": "x", "members": "julie"},
        {"title": "x", "visibility": "members", "members": [cast.ids["outsider"]]}, {"title": "x", "attached_to": {"kind": "meeting", "id": 999}},
        {"title": "x", "template": "nope"}, {"title": "x", "colour": "red"}, {"title": "x" * 201},
    ]
    for body in bad:
        response = client.post(path, json=body, headers=auth(cast, "owner"))
        data = assert_matches_spec(response, "post", "/communities/{slug}/notes", status=422)
        assert data["error"]["code"] == "invalid" or data["error"]["fields"], body
    note_id = client.post(path, json={"title": "Note", "visibility": "community"}, headers=auth(cast, "owner")).get_json()["id"]
    # The observer reads a community note but may not change it.
    assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "observer")), "get", "/notes/{note_id}")
    assert_matches_spec(client.put(f"/api/v1/notes/{note_id}", json={"body": "x", "base_revision": 1}, headers=auth(cast, "observer")),
                        "put", "/notes/{note_id}", status=403)
    for body in ({"body": "x"}, {"body": 3, "base_revision": 1}, {"body": "x", "base_revision": True}, {"body": "x", "base_revision": 1, "extra": 1}):
        assert_matches_spec(client.put(f"/api/v1/notes/{note_id}", json=body, headers=auth(cast, "owner")), "put", "/notes/{note_id}", status=422)
    assert_matches_spec(client.get(f"/api/v1/notes/{note_id}", headers=auth(cast, "outsider")), "get", "/notes/{note_id}", status=404)
    assert_matches_spec(client.get("/api/v1/notes/987654"), "get", "/notes/{note_id}", status=404)
