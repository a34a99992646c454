"""The discussions API end to end, every answer checked against openapi.json."""
from tests.api.spec import assert_matches_spec
from tests.discussions.conftest import auth, cast  # noqa: F401  (cast is a fixture)


def test_thread_posts_edit_delete_through_the_api(app, client, cast):  # noqa: F811
    created = assert_matches_spec(client.post(
        f"/api/v1/communities/{cast.slug}/threads", json={"title": "Rues commerciales", "body": "Des idées pour @karim-benali ? #revitalisation"},
        headers=auth(cast, "julie"),
    ), "post", "/communities/{slug}/threads")
    thread_id = created["id"]
    reply = assert_matches_spec(client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Une **coopérative** de commerçants."},
                                            headers=auth(cast, "karim")), "post", "/threads/{thread_id}/posts")
    assert "<strong>coopérative</strong>" in reply["body_html"] and reply["author"]["display_name"] == "Karim Benali"
    thread = assert_matches_spec(client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "observer")), "get", "/threads/{thread_id}")
    assert thread["title"] == "Rues commerciales" and thread["tags"] == ["revitalisation"]
    assert [p["id"] for p in thread["posts"]] == [thread["posts"][0]["id"], reply["id"]]
    assert thread["posts"][0]["created_at"] and thread["posts"][0]["author"]["display_name"] == "Julie Roy"

    edited = assert_matches_spec(client.put(f"/api/v1/posts/{reply['id']}", json={"body": "Une coopérative de commerçants, à Laval."},
                                            headers=auth(cast, "karim")), "put", "/posts/{post_id}")
    assert "à Laval" in edited["body_html"] and edited["edited_at"]
    assert_matches_spec(client.put(f"/api/v1/posts/{reply['id']}", json={"body": "Pas à moi"}, headers=auth(cast, "julie")), "put", "/posts/{post_id}")
    assert client.put(f"/api/v1/posts/{reply['id']}", json={"body": "Pas à moi"}, headers=auth(cast, "julie")).status_code == 403
    assert assert_matches_spec(client.put(f"/api/v1/posts/{reply['id']}", json={"body": ""}, headers=auth(cast, "karim")), "put", "/posts/{post_id}")["error"]["code"] == "invalid"
    deleted = client.delete(f"/api/v1/posts/{reply['id']}", headers=auth(cast, "karim"))
    assert deleted.status_code == 204
    thread = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()
    assert thread["posts"][1]["deleted"] is True and thread["posts"][1]["body"] is None and thread["posts"][1]["body_html"] == ""

    notifications = assert_matches_spec(client.get("/api/v1/notifications", headers=auth(cast, "karim")), "get", "/notifications")
    assert notifications["notifications"][0]["event"] == "mention"


def test_refusals(app, client, cast):  # noqa: F811
    url = f"/api/v1/communities/{cast.slug}/threads"
    for who, status in (("observer", 403), ("guest", 403), ("outsider", 404)):
        assert_matches_spec(client.post(url, json={"title": "x", "body": "y"}, headers=auth(cast, who)), "post", "/communities/{slug}/threads")
        assert client.post(url, json={"title": "x", "body": "y"}, headers=auth(cast, who)).status_code == status
    assert client.post(url, json={"title": "x", "body": "y"}).status_code in (401, 404)
    bad = assert_matches_spec(client.post(url, json={"title": "", "body": "y"}, headers=auth(cast, "julie")), "post", "/communities/{slug}/threads")
    assert bad["error"]["fields"]["title"]
    bad = assert_matches_spec(client.post(url, json={"title": "x", "body": "y", "category": 999}, headers=auth(cast, "julie")), "post", "/communities/{slug}/threads")
    assert bad["error"]["fields"]["category"]
    # Every unknown field is named (up to ten), as the meetings and notes APIs do.
    typos = {f"champ{n}": "x" for n in range(7)}
    bad = client.post(url, json={"title": "x", "body": "y", **typos}, headers=auth(cast, "julie"))
    assert bad.status_code == 422 and sorted(bad.get_json()["error"]["fields"]) == sorted(typos)
    thread_id = client.post(url, json={"title": "x", "body": "y"}, headers=auth(cast, "julie")).get_json()["id"]
    bad = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "y", **typos}, headers=auth(cast, "julie"))
    assert bad.status_code == 422 and sorted(bad.get_json()["error"]["fields"]) == sorted(typos)
    post_id = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["id"]
    bad = client.put(f"/api/v1/posts/{post_id}", json={"body": "y", "reply_to": 1}, headers=auth(cast, "julie"))
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["reply_to"]
    assert client.get("/api/v1/threads/999999", headers=auth(cast, "julie")).status_code == 404
