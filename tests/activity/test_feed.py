"""The activity feed tells each action to those who may read it, grouped, filtered and paged."""
import pytest

from tests.activity.conftest import acting, actions, auth, feed, make_note, make_poll, make_resource, post_reply, signed_in, start_thread


EXPECTED = [
    ("member", "joined"), ("followup", "done"), ("followup", "created"), ("agenda", "proposed"), ("note", "shared"),
    ("meeting", "cancelled"), ("meeting", "scheduled"), ("meeting", "moved"), ("meeting", "scheduled"), ("poll", "decided"),
    ("poll", "opened"), ("resource", "version"), ("resource", "created"), ("resource", "created"), ("thread", "replied"),
    ("thread", "created"),
]


def test_every_action_appears_newest_first_with_who_and_what(app, client, cast, every_action):
    data = feed(client, cast, "julie")
    got = actions(data)
    assert got == EXPECTED, got
    by_action = {(i["kind"], i["action"]): i for i in data["items"]}
    assert by_action[("thread", "replied")]["actor"]["name"] == "Karim Benali"
    assert by_action[("meeting", "moved")]["actor"]["name"] == "Sophie Gagnon"
    assert by_action[("followup", "done")]["actor"]["name"] == "Karim Benali"
    assert by_action[("member", "joined")]["title"] == "Xavier Roy"
    assert by_action[("agenda", "proposed")]["url"].endswith(f"/meetings/{every_action['meeting']}#agenda")
    assert by_action[("thread", "created")]["url"] == f"http://localhost/threads/{every_action['thread']}"
    assert data["items"][0]["community"] == cast.slug
    # The community's own feed says the same.
    assert actions(feed(client, cast, "julie", f"/api/v1/communities/{cast.slug}/activity")) == EXPECTED


def test_replies_are_grouped_per_thread(app, client, cast):
    thread_id = start_thread(client, cast, title="Achats responsables")
    other = start_thread(client, cast, title="Gestion des parcs")
    for text in ("Oui", "Non", "Peut-être"):
        post_reply(client, cast, thread_id, text)
    post_reply(client, cast, other, "Chez nous aussi", who="facilitator")
    data = feed(client, cast, "julie")
    assert actions(data) == [("thread", "replied"), ("thread", "replied"), ("thread", "created"), ("thread", "created")]
    grouped = data["items"][1]
    assert (grouped["id"], grouped["count"], grouped["actor"]["name"]) == (thread_id, 3, "Karim Benali")
    page = signed_in(app, cast, "julie").get("/activity").get_data(as_text=True)
    assert "3 nouveaux messages dans «\u00a0" in page and "Achats responsables" in page
    assert "Sophie Gagnon</strong> a répondu dans «\u00a0" in page
    english = signed_in(app, cast, "karim").get("/activity").get_data(as_text=True)
    assert "3 new messages in " in english and "the latest from <strong>Karim Benali</strong>" in english


def test_filter_by_kind_and_unknown_kinds(app, client, cast):
    start_thread(client, cast)
    make_resource(app, cast)
    make_note(app, cast)
    assert actions(feed(client, cast, "julie", kind="resource")) == [("resource", "created")]
    assert actions(feed(client, cast, "julie", kind="resource,note")) == [("note", "shared"), ("resource", "created")]
    response = client.get("/api/v1/me/activity?kind=gossip", headers=auth(cast, "julie"))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_kind"
    assert "gossip" in response.get_json()["error"]["message"]
    browser = signed_in(app, cast, "julie")
    page = browser.get("/activity?kind=resource").get_data(as_text=True)
    assert page.count('data-testid="activity-item"') == 1 and 'value="resource" selected' in page
    # An unknown kind in the page's address is ignored: everything is shown.
    response = browser.get("/activity?kind=gossip")
    assert response.status_code == 200 and response.get_data(as_text=True).count('data-testid="activity-item"') == 3


def test_pages_follow_a_cursor_without_gaps_or_repeats(app, client, cast):
    from hub.activity.models import ActivityItem
    from hub.extensions import db
    from hub.timeutil import utcnow

    with acting(app, cast, "julie") as (user, community):
        now = utcnow()
        for i in range(45):  # some share the same moment: the id decides between them
            db.session.add(ActivityItem(community_id=community.id, kind="thread", action="created", object_id=start_id(i), page_id=start_id(i),
                                        actor_id=user.id, title=f"Fil {i}", count=1, first_at=now, at=now.replace(microsecond=i // 2)))
    thread_id = start_thread(client, cast)  # the objects the items name must exist
    with app.app_context():
        db.session.execute(db.update(ActivityItem).where(ActivityItem.title.like("Fil %")).values(object_id=thread_id, page_id=thread_id))
        db.session.commit()
    seen, cursor, pages = [], None, 0
    while True:
        data = feed(client, cast, "julie", **({"before": cursor} if cursor else {}))
        pages += 1
        seen += [item["title"] for item in data["items"]]
        cursor = data["next"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 46 and len(set(seen)) == 46
    response = client.get("/api/v1/me/activity?before=nonsense", headers=auth(cast, "julie"))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_cursor"
    browser = signed_in(app, cast, "julie")
    first = browser.get("/activity").get_data(as_text=True)
    assert 'data-testid="activity-older"' in first
    assert browser.get("/activity?before=nonsense").status_code == 200  # a bad cursor in the address: the first page
    older = browser.get(f"/c/{cast.slug}/activity?before={feed(client, cast, 'julie')['next']}").get_data(as_text=True)
    assert older.count('data-testid="activity-item"') == 20


def start_id(i):
    return 1


def test_who_sees_what(app, client, cast):
    from hub.extensions import db
    from hub.resources.models import Resource
    from hub.timeutil import utcnow

    make_note(app, cast, title="Note pour Karim seulement", visibility="members", members=("karim",))
    make_note(app, cast, title="Note privée", visibility="private")
    make_poll(app, cast, title="Sondage restreint", invite_all=False, invitees=("karim",))
    hidden = make_resource(app, cast, title="Ressource masquée")
    with app.app_context():
        db.session.get(Resource, hidden).hidden_at = utcnow()
        db.session.commit()
    start_thread(client, cast, title="Fil ouvert")

    def titles(who):
        return {item["title"] for item in feed(client, cast, who)["items"]}

    assert titles("karim") == {"Note pour Karim seulement", "Sondage restreint", "Fil ouvert"}
    assert titles("julie") == {"Note pour Karim seulement", "Sondage restreint", "Ressource masquée", "Fil ouvert"}  # her own
    assert titles("facilitator") == {"Sondage restreint", "Ressource masquée", "Fil ouvert"}  # facilitators see polls and hidden content
    assert titles("guest") == titles("observer") == {"Fil ouvert"}
    assert titles("outsider") == set()
    response = client.get(f"/api/v1/communities/{cast.slug}/activity", headers=auth(cast, "outsider"))
    assert response.status_code == 404
    assert signed_in(app, cast, "outsider").get(f"/c/{cast.slug}/activity").status_code == 404
    assert signed_in(app, cast, "anonymous").get("/activity").status_code == 302
    assert client.get("/api/v1/me/activity").status_code == 401


def test_a_discussion_whose_opening_message_is_hidden_leaves_the_feed_of_the_others(app, client, cast):
    from hub.discussions.models import Post
    from hub.extensions import db
    from hub.timeutil import utcnow

    thread_id = start_thread(client, cast, title="Paris en ligne", who="karim")
    with app.app_context():
        db.session.execute(db.update(Post).where(Post.thread_id == thread_id).values(hidden_at=utcnow()))
        db.session.commit()
    for who, sees in (("julie", False), ("observer", False), ("karim", True), ("facilitator", True)):
        assert (("thread", "created") in actions(feed(client, cast, who))) is sees, who


def test_members_who_joined_are_for_the_directory_readers_and_a_removed_member_sees_nothing(app, client, cast, every_action):
    from hub.communities import service as communities

    assert ("member", "joined") in actions(feed(client, cast, "observer"))
    assert ("member", "joined") not in actions(feed(client, cast, "guest"))  # guests do not read the member directory
    assert ("member", "joined") in actions(feed(client, cast, "outsider"))  # Xavier joined
    with acting(app, cast, "facilitator") as (user, community):
        communities.remove_member(communities.membership_of(community, communities.db.session.get(type(user), cast.ids["julie"])), user)
    assert feed(client, cast, "julie")["items"] == []
    # The community is listed now (Xavier asked to join it): she may know it exists, not read its feed.
    assert client.get(f"/api/v1/communities/{cast.slug}/activity", headers=auth(cast, "julie")).status_code == 403


def test_the_homes_show_the_feed_in_the_readers_language_and_zone_without_action_buttons(app, client, cast):
    from hub.accounts.models import User
    from hub.extensions import db

    start_thread(client, cast, title="Revitalisation des artères commerciales")
    with app.app_context():
        db.session.get(User, cast.ids["karim"]).timezone = "America/Regina"
        db.session.commit()
    french = signed_in(app, cast, "observer")
    for url in ("/", f"/c/{cast.slug}"):
        page = french.get(url).get_data(as_text=True)
        assert "Quoi de neuf" in page and "Julie Roy</strong> a lancé la discussion «\u00a0" in page
        section = page[page.index('data-testid="activity"'):]
        section = section[:section.index("</section>")]
        assert 'method="post"' not in section  # an observer is offered nothing to do
    english = signed_in(app, cast, "karim").get("/").get_data(as_text=True)
    assert "What's new" in english or "What&#39;s new" in english
    assert "Julie Roy</strong> started the discussion " in english
    from hub.activity.models import ActivityItem

    with app.app_context():
        at = db.session.execute(db.select(ActivityItem.at)).scalar()
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo("America/Regina"))
    shown = english[english.index("<time"):english.index("</time>")]
    assert f"{local.hour % 12 or 12}:{local.minute:02d}" in shown, shown  # the time in Karim's zone
    empty = signed_in(app, cast, "outsider").get("/").get_data(as_text=True)
    assert 'data-testid="activity-empty"' in empty


def test_the_api_answers_as_openapi_json_says(app, client, cast, every_action):
    from tests.api.spec import assert_matches_spec

    response = client.get("/api/v1/me/activity", headers=auth(cast, "julie"))
    data = assert_matches_spec(response, "get", "/me/activity")
    assert {"kind", "action", "id", "title", "url", "community", "actor", "at"} <= set(data["items"][0])
    assert data["next"] is None
    response = client.get(f"/api/v1/communities/{cast.slug}/activity", query_string={"kind": "meeting"}, headers=auth(cast, "observer"))
    assert [item["kind"] for item in assert_matches_spec(response, "get", "/communities/{slug}/activity")["items"]] == ["meeting"] * 4
    for url, template in (("/api/v1/me/activity?kind=nope", "/me/activity"), ("/api/v1/me/activity?before=x", "/me/activity"),
                          ("/api/v1/me/activity", "/me/activity"), ("/api/v1/communities/nowhere/activity", "/communities/{slug}/activity")):
        assert_matches_spec(client.get(url, headers=auth(cast, "julie") if "?" in url or "nowhere" in url else {}), "get", template)


def test_the_demo_community_has_a_realistic_feed(app):
    import re
    from datetime import timedelta

    from hub.activity.models import ActivityItem
    from hub.demo import load_demo
    from hub.extensions import db
    from tests.conftest import login

    with app.test_request_context("/"):
        load_demo()
        load_demo()  # a second load adds nothing
    julie = app.test_client()
    login(julie, "julie.roy@exemple.ca", "demo-hub-2026")
    page = julie.get("/c/es-municipale/activity").get_data(as_text=True)
    assert page.count('data-testid="activity-item"') == 20 and len(set(re.findall(r'data-kind="(\w+)"', page))) >= 4
    with app.app_context():
        everything = db.session.execute(db.select(ActivityItem.kind, ActivityItem.at)).all()
    assert {kind for kind, _at in everything} >= {"thread", "resource", "note", "meeting", "agenda", "followup", "poll", "member"}
    moments = sorted(at for _kind, at in everything)
    assert moments[-1] - moments[0] > timedelta(days=14)  # spread over weeks, not one second


def test_items_of_deleted_objects_are_swept(app, client, cast):
    from hub import activity
    from hub.activity.models import ActivityItem
    from hub.extensions import db
    from hub.resources.models import Resource

    kept = make_resource(app, cast, title="Gardée")
    gone = make_resource(app, cast, title="Supprimée")
    with app.app_context():
        db.session.delete(db.session.get(Resource, gone))
        db.session.commit()
        assert activity.sweep() == 1
        assert db.session.execute(db.select(ActivityItem.title)).scalars().all() == ["Gardée"]
    assert [item["id"] for item in feed(client, cast, "julie")["items"]] == [kept]
