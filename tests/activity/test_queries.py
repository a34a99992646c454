"""A feed page costs the same number of statements whatever its length and whatever it holds."""
from datetime import timedelta

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
