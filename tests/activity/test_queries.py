"""A feed page costs the same number of statements whatever its length and whatever it holds."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.activity.conftest import every_action, make_note, make_poll, make_resource, post_reply, signed_in, start_thread  # noqa: F401


def _statements(client, url):
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listener)
    return seen


def _items(client, url):
    return client.get(url).get_data(as_text=True).count('data-testid="activity-item"')


@pytest.mark.config(PAGE_CACHE_SECONDS=0)  # every page rendered: what is counted is the feed's own cost
def test_a_feed_page_costs_a_constant_number_of_queries(app, client, cast, every_action):  # noqa: F811
    julie = signed_in(app, cast, "julie")
    urls = ("/activity", f"/c/{cast.slug}/activity", "/activity?kind=thread,note", "/")
    _statements(julie, "/activity")  # warm up (the session's first reads)
    few = {url: (len(_statements(julie, url)), _items(julie, url)) for url in urls}
    # Many more items of every kind, from several people.
    for i in range(12):
        thread_id = start_thread(client, cast, title=f"Fil {i}", who="facilitator" if i % 2 else "julie")
        post_reply(client, cast, thread_id, "Réponse")
        make_resource(app, cast, title=f"Ressource {i}")
        make_note(app, cast, title=f"Note {i}")
        make_poll(app, cast, title=f"Sondage {i}")
    many = {url: (len(_statements(julie, url)), _items(julie, url)) for url in urls}
    for url in urls:
        assert many[url][1] > few[url][1] or many[url][1] >= 8, url
        assert many[url][0] == few[url][0], (url, few[url], many[url])
    assert many["/activity"][1] == 20 and many["/"][1] == 8
    assert few["/activity"][0] <= 6, few  # the session, the reader, their roles, the page of items


def test_the_homes_are_kept_until_something_in_a_community_changes(app, client, cast):
    from hub.communities import service as communities
    from hub.extensions import db
    from tests.activity.conftest import acting

    julie = signed_in(app, cast, "julie")
    for url in ("/", f"/c/{cast.slug}"):
        julie.get(url)
        first = julie.get(url).get_data(as_text=True)
        assert len(_statements(julie, url)) == 1, url  # served again from memory: the state query only
        assert 'data-testid="activity-empty"' in first
    start_thread(client, cast, title="Gestion des matières résiduelles", who="karim")
    for url in ("/", f"/c/{cast.slug}"):
        page = julie.get(url).get_data(as_text=True)
        assert "Gestion des matières résiduelles" in page, url
    # A community she may join appears on her home; an invitation too changes its key.
    with acting(app, cast, "outsider") as (user, _community):
        communities.create(user, "Habitation communautaire", visibility="listed")
    assert "Habitation communautaire" in julie.get("/").get_data(as_text=True)
    # Removed from the community: its activity leaves her home at once.
    with acting(app, cast, "facilitator") as (user, community):
        from hub.accounts.models import User

        communities.remove_member(communities.membership_of(community, db.session.get(User, cast.ids["julie"])), user)
    assert "Gestion des matières résiduelles" not in julie.get("/").get_data(as_text=True)
