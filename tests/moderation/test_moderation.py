"""Flags, hiding at the threshold, the queues and their actions, what readers see of hidden content."""
import io

import pytest

from tests.moderation.conftest import audit_actions, auth, csrf, emails, flag, signed_in, start_thread

PLACEHOLDER_FR = "Ce contenu est masqué en attendant une modération"
PLACEHOLDER_EN = "This content is hidden pending moderation"
SPAM = "Achetez nos gadgets à rabais"


def search_hits(client, cast, who, text):
    response = client.get("/api/v1/search", query_string={"q": text}, headers=auth(cast, who))
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(hit["kind"], hit["id"]) for hit in response.get_json()["results"]}


def thread_text(app, cast, who, thread_id):
    response = signed_in(app, cast, who).get(f"/threads/{thread_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- flagging -----------------------------------------------------------------------------------


def test_flag_a_post_through_the_page_without_javascript(app, client, cast):
    thread_id, post_id = start_thread(client, cast)
    browser = signed_in(app, cast, "julie")
    page = browser.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'/flag/post/{post_id}' in page  # the flag link under the message
    form = browser.get(f"/flag/post/{post_id}")
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert "Pourquoi" in text and "Renseignements personnels" in text and 'type="radio"' in text
    # no reason: a clear error, nothing written
    refused = browser.post(f"/flag/post/{post_id}", data={"csrf_token": csrf(text), "text": "Publicité"})
    assert refused.status_code == 422 and "Choisissez une raison" in refused.get_data(as_text=True)
    sent = browser.post(f"/flag/post/{post_id}", data={"csrf_token": csrf(text), "reason": "spam", "text": "Publicité déguisée"})
    assert sent.status_code == 302 and f"/posts/{post_id}" in sent.headers["Location"]
    # one flag per person: the page says it is already done, a second post changes nothing
    again = browser.get(f"/flag/post/{post_id}").get_data(as_text=True)
    assert "déjà signalé" in again and 'data-testid="flag-form"' not in again
    queue = signed_in(app, cast, "facilitator").get(f"/c/{cast.slug}/moderation").get_data(as_text=True)
    assert "Approvisionnement responsable" in queue and "1 signalement" in queue and "Publicité déguisée" in queue
    assert "Pourriel ou publicité (1)" in queue


def test_flag_through_the_api_once_per_person(client, cast):
    _thread_id, post_id = start_thread(client, cast)
    first = flag(client, cast, "julie", "post", post_id, "offensive", "Propos blessants")
    assert first.status_code == 201 and first.get_json()["reason"] == "offensive"
    second = flag(client, cast, "julie", "post", post_id, "spam")
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "already_flagged"
    queue = client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "facilitator")).get_json()
    [item] = queue["items"]
    assert item["kind"] == "post" and item["id"] == post_id and item["flags"] == 1
    assert item["reasons"] == {"offensive": 1} and item["texts"] == ["Propos blessants"] and item["hidden"] is False


def test_flag_refuses_bad_input_with_clear_errors(client, cast):
    _thread_id, post_id = start_thread(client, cast)
    for body, field in [
        ({"kind": "post", "id": post_id, "reason": "boring"}, "reason"),
        ({"kind": "meeting", "id": post_id, "reason": "spam"}, "kind"),
        ({"kind": "post", "id": "x", "reason": "spam"}, "id"),
        ({"kind": "post", "id": post_id, "reason": "spam", "text": "x" * 1001}, "text"),
        ({"kind": "post", "id": post_id, "reason": "spam", "extra": 1}, "extra"),
    ]:
        response = client.post("/api/v1/flags", json=body, headers=auth(cast, "julie"))
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], body
    assert client.post("/api/v1/flags", json={"kind": "post", "id": post_id, "reason": "spam"}).status_code == 401
    assert client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "facilitator")).get_json()["items"] == []


def test_only_readers_flag_and_never_their_own(app, client, cast):
    _thread_id, post_id = start_thread(client, cast)
    assert flag(client, cast, "outsider", "post", post_id).status_code == 404
    assert signed_in(app, cast, "outsider").get(f"/flag/post/{post_id}").status_code == 404
    assert flag(client, cast, "karim", "post", post_id).status_code == 403  # the author
    assert flag(client, cast, "guest", "post", post_id).status_code == 201  # guests read the thread
    assert flag(client, cast, "observer", "post", post_id).status_code == 201
    assert signed_in(app, cast, "anonymous").get(f"/flag/post/{post_id}").status_code == 302  # to the login page


def test_guest_flags_only_what_they_can_read(client, cast):
    note = client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Notes privées"}, headers=auth(cast, "karim")).get_json()
    assert flag(client, cast, "guest", "note", note["id"]).status_code == 404  # a private note
    client.post(f"/api/v1/notes/{note['id']}/share", json={"visibility": "community"}, headers=auth(cast, "karim"))
    assert flag(client, cast, "guest", "note", note["id"], "personal").status_code == 201


# --- the threshold and who sees hidden content ----------------------------------------------


@pytest.mark.config(MODERATION_HIDE_THRESHOLD=2)
def test_threshold_hides_for_other_readers_only(app, client, cast):
    thread_id, post_id = start_thread(client, cast)
    assert ("thread", thread_id) in search_hits(client, cast, "julie", "gadgets")
    assert flag(client, cast, "julie", "post", post_id).status_code == 201
    assert SPAM in thread_text(app, cast, "isabelle", thread_id)  # one flag hides nothing
    assert flag(client, cast, "isabelle", "post", post_id, "off_topic").status_code == 201
    # other readers: the placeholder, on the page, in the API, not in search
    for who in ("julie", "observer", "guest"):
        page = thread_text(app, cast, who, thread_id)
        assert PLACEHOLDER_FR in page and SPAM not in page, who
    quoting = signed_in(app, cast, "julie").get(f"/threads/{thread_id}?quote={post_id}").get_data(as_text=True)
    assert "gadgets" not in quoting  # nor quoted in the reply box
    assert signed_in(app, cast, "julie").get(f"/posts/{post_id}/history").get_data(as_text=True).count(PLACEHOLDER_FR) == 1
    api_post = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]
    assert api_post["body"] is None and api_post["body_html"] == "" and api_post["hidden"] is True
    assert ("thread", thread_id) not in search_hits(client, cast, "julie", "gadgets")
    # the author and the facilitators still see it, marked as hidden
    for who in ("karim", "facilitator", "admin"):
        page = thread_text(app, cast, who, thread_id)
        assert SPAM in page and 'data-testid="hidden-banner"' in page, who
    assert client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "karim")).get_json()["posts"][0]["body"].startswith("Achetez")
    # the author is told, in their language (English for Karim)
    mail = [m for m in emails(app) if m["to"] == cast.emails["karim"]]
    assert mail and mail[-1]["subject"] == "Hidden pending moderation: Approvisionnement responsable"
    notes = client.get("/api/v1/notifications", headers=auth(cast, "karim")).get_json()
    assert any(n["event"] == "moderation_hidden" for n in notes["notifications"])
    # the audit log has the automatic hiding
    assert ("moderation.hide", "post", post_id) in [a[:3] for a in audit_actions(app)]


@pytest.mark.config(MODERATION_HIDE_THRESHOLD=1)
def test_hidden_resource_page_list_search_and_api(app, client, cast):
    created = client.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "karim"), content_type="multipart/form-data",
                          data={"title": "Règlement sur les coopératives d'habitation", "type": "policy", "language": "fr",
                                "file": (io.BytesIO("Règlement municipal gadgetsrabais".encode()), "reglement.txt")})
    assert created.status_code == 201, created.get_data(as_text=True)
    resource_id = created.get_json()["id"]
    assert ("resource", resource_id) in search_hits(client, cast, "julie", "gadgetsrabais")
    page = signed_in(app, cast, "julie").get(f"/resources/{resource_id}").get_data(as_text=True)
    assert f"/flag/resource/{resource_id}" in page
    assert flag(client, cast, "julie", "resource", resource_id, "other", "Document confidentiel").status_code == 201
    julie = signed_in(app, cast, "julie")
    for url in (f"/resources/{resource_id}", f"/resources/{resource_id}/download", f"/c/{cast.slug}/resources"):
        text = julie.get(url).get_data(as_text=True)
        assert PLACEHOLDER_FR in text and "Règlement sur les coopératives" not in text, url
    assert ("resource", resource_id) not in search_hits(client, cast, "julie", "gadgetsrabais")
    hidden = client.get(f"/api/v1/resources/{resource_id}", headers=auth(cast, "julie")).get_json()
    assert hidden["hidden"] is True and "title" not in hidden
    listed = client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()["resources"]
    assert [r.get("title") for r in listed] == [None]
    assert client.get(f"/api/v1/resources/{resource_id}/download", headers=auth(cast, "julie")).status_code == 403
    # the author still sees it all
    assert "Règlement sur les coopératives" in signed_in(app, cast, "karim").get(f"/resources/{resource_id}").get_data(as_text=True)
    assert client.get(f"/api/v1/resources/{resource_id}", headers=auth(cast, "karim")).get_json()["title"].startswith("Règlement")


@pytest.mark.config(MODERATION_HIDE_THRESHOLD=1)
def test_hidden_note_page_and_api(app, client, cast):
    note = client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Bons et mauvais coups"}, headers=auth(cast, "karim")).get_json()
    client.post(f"/api/v1/notes/{note['id']}/share", json={"visibility": "community"}, headers=auth(cast, "karim"))
    assert f"/flag/note/{note['id']}" in signed_in(app, cast, "julie").get(f"/notes/{note['id']}").get_data(as_text=True)
    assert flag(client, cast, "julie", "note", note["id"], "personal").status_code == 201
    for url in (f"/notes/{note['id']}", f"/notes/{note['id']}/edit", f"/notes/{note['id']}/history"):
        text = signed_in(app, cast, "isabelle").get(url).get_data(as_text=True)
        assert PLACEHOLDER_FR in text and "Bons et mauvais coups" not in text, url
    hidden = client.get(f"/api/v1/notes/{note['id']}", headers=auth(cast, "isabelle")).get_json()
    assert hidden["hidden"] is True and "body" not in hidden
    assert "Bons et mauvais coups" in signed_in(app, cast, "facilitator").get(f"/notes/{note['id']}").get_data(as_text=True)


def test_hidden_profile_goes_to_the_admins(app, client, cast):
    julie = cast.ids["julie"]
    page = signed_in(app, cast, "karim").get(f"/users/{julie}").get_data(as_text=True)
    assert f"/flag/profile/{julie}" in page and "Conseillère en économie sociale" in page
    assert flag(client, cast, "karim", "profile", julie, "offensive").status_code == 201
    assert flag(client, cast, "outsider", "profile", julie).status_code == 404  # shares no community
    # not in the community's queue: in the admins' one
    assert client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "facilitator")).get_json()["items"] == []
    assert signed_in(app, cast, "facilitator").get("/moderation").status_code == 403
    assert client.get("/api/v1/moderation", headers=auth(cast, "facilitator")).status_code == 403
    assert "/moderation" in signed_in(app, cast, "admin").get("/").get_data(as_text=True)
    assert 'data-testid="profiles-moderation"' not in signed_in(app, cast, "facilitator").get("/").get_data(as_text=True)
    queue = signed_in(app, cast, "admin").get("/moderation").get_data(as_text=True)
    assert "Julie Roy" in queue and 'data-testid="moderate-delete"' not in queue
    assert client.post(f"/api/v1/moderation/profile/{julie}/hide", headers=auth(cast, "admin")).get_json()["hidden"] is True
    page = signed_in(app, cast, "karim").get(f"/users/{julie}").get_data(as_text=True)
    assert "Julie Roy" in page and PLACEHOLDER_EN in page and "Conseillère en économie sociale" not in page and "Ville de Lévis" not in page
    shown = client.get(f"/api/v1/communities/{cast.slug}/members", headers=auth(cast, "karim"))
    assert shown.status_code == 200
    [member] = [m for m in shown.get_json()["members"] if m["user"]["id"] == julie]
    assert member["user"]["bio"] == "" and member["user"]["organization"] == "" and member["user"]["hidden"] is True
    directory = signed_in(app, cast, "karim").get(f"/c/{cast.slug}/members").get_data(as_text=True)
    assert "Julie Roy" in directory and "Ville de Lévis" not in directory and "Ville de Laval" in directory
    assert "Conseillère en économie sociale" in signed_in(app, cast, "julie").get(f"/users/{julie}").get_data(as_text=True)
    assert [m["subject"] for m in emails(app) if m["to"] == cast.emails["julie"]] == ["Masqué en attendant une modération\u00a0: Julie Roy"]
    assert client.post(f"/api/v1/moderation/profile/{julie}/delete", headers=auth(cast, "admin")).status_code == 409
    assert client.post(f"/api/v1/moderation/profile/{julie}/restore", headers=auth(cast, "admin")).get_json()["hidden"] is False
    assert "Conseillère en économie sociale" in signed_in(app, cast, "karim").get(f"/users/{julie}").get_data(as_text=True)


# --- the queue's actions --------------------------------------------------------------------------


def test_queue_hide_restore_delete_through_the_pages(app, client, cast):
    thread_id, post_id = start_thread(client, cast)
    flag(client, cast, "julie", "post", post_id)
    facilitator = signed_in(app, cast, "facilitator")
    queue = facilitator.get(f"/c/{cast.slug}/moderation").get_data(as_text=True)
    token = csrf(queue)
    hidden = facilitator.post(f"/moderation/post/{post_id}/hide", data={"csrf_token": token})
    assert hidden.status_code == 302 and hidden.headers["Location"].endswith(f"/c/{cast.slug}/moderation")
    assert PLACEHOLDER_FR in thread_text(app, cast, "julie", thread_id)
    assert ("thread", thread_id) not in search_hits(client, cast, "julie", "gadgets")
    queue = facilitator.get(f"/c/{cast.slug}/moderation").get_data(as_text=True)
    assert 'data-testid="hidden-badge"' in queue and "Rétablir" in queue
    restored = facilitator.post(f"/moderation/post/{post_id}/restore", data={"csrf_token": token})
    assert restored.status_code == 302
    assert SPAM in thread_text(app, cast, "julie", thread_id)
    assert ("thread", thread_id) in search_hits(client, cast, "julie", "gadgets")  # back in the index
    assert 'data-testid="moderation-empty"' in facilitator.get(f"/c/{cast.slug}/moderation").get_data(as_text=True)
    # flagging again after a review reopens the person's flag
    assert flag(client, cast, "julie", "post", post_id, "offensive").status_code == 201
    deleted = facilitator.post(f"/moderation/post/{post_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    page = thread_text(app, cast, "julie", thread_id)
    assert "Message supprimé" in page and SPAM not in page
    actions = [a[:3] for a in audit_actions(app)]
    assert [a for a in actions if a[0].startswith("moderation.")] == [
        ("moderation.hide", "post", post_id), ("moderation.restore", "post", post_id), ("moderation.delete", "post", post_id),
    ]
    subjects = [m["subject"] for m in emails(app) if m["to"] == cast.emails["karim"]]
    assert subjects == ["Hidden pending moderation: Approvisionnement responsable",
                        "Visible again after moderation: Approvisionnement responsable",
                        "Deleted by moderation: Approvisionnement responsable"]


def test_queue_actions_through_the_api_delete_a_resource_and_a_note(app, client, cast):
    created = client.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie"), content_type="multipart/form-data",
                          data={"title": "Lien douteux", "type": "reference", "language": "fr", "url": "https://exemple.ca/gadgets"})
    resource_id = created.get_json()["id"]
    note = client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Pense-bête"}, headers=auth(cast, "julie")).get_json()
    client.post(f"/api/v1/notes/{note['id']}/share", json={"visibility": "community"}, headers=auth(cast, "julie"))
    flag(client, cast, "karim", "resource", resource_id)
    flag(client, cast, "karim", "note", note["id"], "off_topic")
    items = client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "marc")).get_json()["items"]
    assert {(i["kind"], i["id"]) for i in items} == {("resource", resource_id), ("note", note["id"])}
    assert client.post(f"/api/v1/moderation/resource/{resource_id}/delete", headers=auth(cast, "marc")).get_json()["deleted"] is True
    assert client.get(f"/api/v1/resources/{resource_id}", headers=auth(cast, "julie")).status_code == 404
    assert client.post(f"/api/v1/moderation/note/{note['id']}/delete", headers=auth(cast, "marc")).status_code == 200
    assert client.get(f"/api/v1/notes/{note['id']}", headers=auth(cast, "julie")).status_code == 404
    assert client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "marc")).get_json()["items"] == []
    assert [a[:2] for a in audit_actions(app) if a[0].startswith("moderation.")] == [("moderation.delete", "resource"), ("moderation.delete", "note")]
    notified = client.get("/api/v1/notifications", headers=auth(cast, "julie")).get_json()["notifications"]
    assert [n["event"] for n in notified if n["event"].startswith("moderation_")] == ["moderation_deleted", "moderation_deleted"]


def test_queue_and_actions_are_for_facilitators_only(app, client, cast):
    _thread_id, post_id = start_thread(client, cast)
    flag(client, cast, "julie", "post", post_id)
    for who in ("julie", "observer", "guest"):
        assert signed_in(app, cast, who).get(f"/c/{cast.slug}/moderation").status_code == 403, who
        assert client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, who)).status_code == 403, who
        assert client.post(f"/api/v1/moderation/post/{post_id}/hide", headers=auth(cast, who)).status_code == 403, who
        browser = signed_in(app, cast, who)
        token = csrf(browser.get("/").get_data(as_text=True))
        assert browser.post(f"/moderation/post/{post_id}/hide", data={"csrf_token": token}).status_code == 403, who
    # those who cannot read the item are not told it exists
    assert signed_in(app, cast, "outsider").get(f"/c/{cast.slug}/moderation").status_code == 404
    assert client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "outsider")).status_code == 404
    assert client.post(f"/api/v1/moderation/post/{post_id}/hide", headers=auth(cast, "outsider")).status_code == 404
    assert client.post(f"/api/v1/moderation/post/{post_id + 1000}/hide", headers=auth(cast, "facilitator")).status_code == 404
    assert client.post(f"/api/v1/moderation/post/{post_id}/hide").status_code == 401
    assert client.post(f"/api/v1/moderation/post/{post_id}/explode", headers=auth(cast, "facilitator")).status_code == 404
    assert [a for a in audit_actions(app) if a[0].startswith("moderation.")] == []
    assert signed_in(app, cast, "julie").get("/moderation").status_code == 403


# --- the API's answers are what openapi.json says -------------------------------------------------


@pytest.mark.config(MODERATION_HIDE_THRESHOLD=1)
def test_api_answers_match_the_document(client, cast):
    from tests.api.spec import assert_matches_spec

    thread_id, post_id = start_thread(client, cast)
    assert_matches_spec(flag(client, cast, "julie", "post", post_id, "spam", "Publicité"), "post", "/flags")
    assert_matches_spec(flag(client, cast, "julie", "post", post_id), "post", "/flags")  # 409
    assert_matches_spec(flag(client, cast, "karim", "post", post_id), "post", "/flags")  # 403
    assert_matches_spec(client.post("/api/v1/flags", json={"kind": "x"}, headers=auth(cast, "julie")), "post", "/flags")  # 422
    queue = assert_matches_spec(client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "facilitator")),
                                "get", "/communities/{slug}/moderation")
    assert queue["items"][0]["hidden"] is True and queue["items"][0]["author"]["display_name"] == "Karim Benali"
    assert_matches_spec(client.get(f"/api/v1/communities/{cast.slug}/moderation", headers=auth(cast, "julie")), "get", "/communities/{slug}/moderation")
    assert_matches_spec(client.get("/api/v1/moderation", headers=auth(cast, "admin")), "get", "/moderation")
    assert_matches_spec(client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")), "get", "/threads/{thread_id}")
    created = client.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "karim"), content_type="multipart/form-data",
                          data={"title": "Fiche", "type": "tool", "language": "fr", "url": "https://exemple.ca/fiche"})
    resource_id = created.get_json()["id"]
    flag(client, cast, "julie", "resource", resource_id)
    assert_matches_spec(client.get(f"/api/v1/resources/{resource_id}", headers=auth(cast, "julie")), "get", "/resources/{resource_id}")
    assert_matches_spec(client.get(f"/api/v1/resources/{resource_id}", headers=auth(cast, "karim")), "get", "/resources/{resource_id}")
    assert_matches_spec(client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")), "get", "/communities/{slug}/resources")
    note = client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Pense-bête"}, headers=auth(cast, "karim")).get_json()
    client.post(f"/api/v1/notes/{note['id']}/share", json={"visibility": "community"}, headers=auth(cast, "karim"))
    flag(client, cast, "julie", "note", note["id"])
    assert_matches_spec(client.get(f"/api/v1/notes/{note['id']}", headers=auth(cast, "julie")), "get", "/notes/{note_id}")
    assert_matches_spec(client.put(f"/api/v1/notes/{note['id']}", json={"body": "x", "base_revision": 1}, headers=auth(cast, "julie")), "put", "/notes/{note_id}")
    for action in ("restore", "hide", "delete"):
        assert_matches_spec(client.post(f"/api/v1/moderation/post/{post_id}/{action}", headers=auth(cast, "facilitator")),
                            "post", "/moderation/{kind}/{object_id}/{action}")
    assert_matches_spec(client.post(f"/api/v1/moderation/profile/{cast.ids['julie']}/delete", headers=auth(cast, "admin")),
                        "post", "/moderation/{kind}/{object_id}/{action}")
    assert_matches_spec(client.get("/api/v1/me", headers=auth(cast, "julie")), "get", "/me")
