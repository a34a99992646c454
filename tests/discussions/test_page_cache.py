"""Thread pages and community homes are kept per reader (hub/pagecache.py): a page seen again is served
from memory, and every change it shows — a reply, a reaction, a name, a role, an answer, a mission —
reaches the reader at once, as do changes made by another process (the generation is in the database)."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.discussions.conftest import auth, post_reply, signed_in, start_thread


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _queries(app, client, url):
    """The statements a view sends, on any engine (the page cache's state query has its own on PostgreSQL)."""
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listener)
    return seen


def _posts(page):
    return page.count('data-testid="post"')


def test_a_page_seen_again_is_served_without_rendering_it_again(app, cast):
    thread_id = start_thread(app.test_client(), cast)
    julie = signed_in(app, cast, "julie")
    url = f"/threads/{thread_id}"
    first = _page(julie, url)
    _page(julie, url)  # the visit is remembered (last post read): the page after it is the one kept
    kept = _page(julie, url)
    queries = _queries(app, julie, url)
    assert len(queries) == 1, queries  # the page's state with its reader, nothing else
    assert _page(julie, url) == kept and _posts(kept) == _posts(first) == 1
    home = f"/c/{cast.slug}"
    _page(julie, home)
    assert len(_queries(app, julie, home)) == 1


def test_a_kept_page_follows_its_reader_signed_out_closed_or_in_another_language(app, cast):
    from hub.accounts.models import User
    from hub.extensions import db

    thread_id = start_thread(app.test_client(), cast)
    url, home = f"/threads/{thread_id}", f"/c/{cast.slug}"
    julie, karim = signed_in(app, cast, "julie"), signed_in(app, cast, "karim")

    def change(who, **fields):
        with app.app_context():
            user = db.session.get(User, cast.ids[who])
            for name, value in fields.items():
                setattr(user, name, value)
            db.session.commit()

    for _ in range(3):
        assert 'lang="fr-CA"' in _page(julie, url) and "Votre rôle" in _page(julie, home)
    change("julie", locale="en")
    assert 'lang="en"' in _page(julie, url) and "Your role" in _page(julie, home)

    # Signed out everywhere (a new password bumps the session version): the session no longer counts.
    with app.app_context():
        version = db.session.get(User, cast.ids["julie"]).session_version
    change("julie", session_version=version + 1)
    _as_nobody(julie, url, home)

    for _ in range(3):
        _page(karim, url)
        assert "Your role" in _page(karim, home)
    change("karim", is_active_account=False)
    _as_nobody(karim, url, home)


def _as_nobody(client, thread_url, home):
    """Served as to someone signed out: the private thread is hidden, the home shows no role."""
    assert client.get(thread_url).status_code == 404
    response = client.get(home)
    assert response.status_code in (200, 302, 404)
    assert "Your role" not in response.get_data(as_text=True) and "Votre rôle" not in response.get_data(as_text=True)


def test_every_change_shown_on_a_thread_reaches_a_reader_who_saw_it_before(app, cast):
    from hub.accounts.models import User
    from hub.extensions import db

    client = app.test_client()
    thread_id = start_thread(client, cast, title="Clauses sociales")
    julie = signed_in(app, cast, "julie")
    url = f"/threads/{thread_id}"
    for _ in range(3):
        page = _page(julie, url)
    assert _posts(page) == 1

    post_id = post_reply(client, cast, thread_id, "À Laval, une grille de pondération.")
    page = _page(julie, url)
    assert _posts(page) == 2 and "grille de pondération" in page

    response = client.post(f"/api/v1/posts/{post_id}/reactions", json={"emoji": "👍"}, headers=auth(cast, "facilitator"))
    if response.status_code == 404:  # reactions through the page's form
        facilitator = signed_in(app, cast, "facilitator")
        response = facilitator.post(f"/posts/{post_id}/react", data={"emoji": "👍"})
    assert response.status_code in (200, 201, 302), response.status_code
    page = _page(julie, url)
    assert re.search(r'👍 <span class="count">1</span>', page), "the reaction is counted"

    assert client.put(f"/api/v1/posts/{post_id}", json={"body": "À Laval, une grille révisée."}, headers=auth(cast, "karim")).status_code == 200
    page = _page(julie, url)
    assert "grille révisée" in page and "grille de pondération" not in page

    with app.app_context():
        karim = db.session.get(User, cast.ids["karim"])
        karim.display_name = "Karim B. Benali"
        db.session.commit()
    assert "Karim B. Benali" in _page(julie, url)

    facilitator = signed_in(app, cast, "facilitator")
    assert facilitator.post(f"/posts/{post_id}/answer").status_code == 302
    assert 'data-testid="answer"' in _page(julie, url)
    assert facilitator.post(f"/posts/{post_id}/answer").status_code == 302  # not the answer after all
    assert 'data-testid="answer"' not in _page(julie, url)

    assert client.delete(f"/api/v1/posts/{post_id}", headers=auth(cast, "karim")).status_code in (200, 204)
    assert 'data-testid="post-deleted"' in _page(julie, url)


def test_a_new_role_or_a_lost_membership_shows_at_once(app, cast):
    from hub.communities.models import Membership
    from hub.extensions import db

    thread_id = start_thread(app.test_client(), cast)
    julie = signed_in(app, cast, "julie")
    url = f"/threads/{thread_id}"
    for _ in range(3):
        assert 'data-testid="reply-form"' in _page(julie, url)

    def set_membership(**fields):
        with app.app_context():
            membership = db.session.execute(sa.select(Membership).filter_by(user_id=cast.ids["julie"])).scalar_one()
            for name, value in fields.items():
                setattr(membership, name, value)
            db.session.commit()

    set_membership(role="observer")
    page = _page(julie, url)
    assert 'data-testid="reply-form"' not in page and 'data-testid="read-only"' in page

    from hub.timeutil import utcnow

    set_membership(role="member")
    _page(julie, url)
    # A guest's membership that ends by the clock, with nothing written: the kept page is not served.
    with app.app_context():
        db.session.execute(sa.update(Membership).where(Membership.user_id == cast.ids["julie"]).values(expires_at=utcnow() + timedelta(seconds=1)))
        db.session.commit()
    _page(julie, url)
    with app.app_context():
        db.session.execute(sa.update(Membership).where(Membership.user_id == cast.ids["julie"]).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert julie.get(url).status_code in (403, 404)
    assert julie.get(f"/c/{cast.slug}").status_code in (200, 403, 404)
    assert 'data-testid="reply-form"' not in julie.get(url).get_data(as_text=True)


def test_each_reader_gets_their_own_page(app, cast):
    thread_id = start_thread(app.test_client(), cast)
    url = f"/threads/{thread_id}"
    julie, karim = signed_in(app, cast, "julie"), signed_in(app, cast, "karim")
    for _ in range(3):
        french, english = _page(julie, url), _page(karim, url)
    assert "Répondre" in french and "Reply" in english
    assert 'lang="fr-CA"' in french and 'lang="en"' in english
    observer = signed_in(app, cast, "observer")
    for _ in range(3):
        page = _page(observer, url)
    assert 'data-testid="reply-form"' not in page
    assert signed_in(app, cast, "outsider").get(url).status_code == 404


def test_a_community_home_shows_its_changes_at_once(app, cast, factory):
    from hub.communities import service
    from hub.extensions import db

    julie = signed_in(app, cast, "julie")
    home = f"/c/{cast.slug}"
    for _ in range(2):
        page = _page(julie, home)
    count = int(re.search(r"(\d+) membres", page).group(1))
    with app.app_context():
        community = service.by_slug(cast.slug)
        community.mission = "Partager ce que nos villes essaient."
        db.session.commit()
    page = _page(julie, home)
    assert "Partager ce que nos villes essaient." in page
    _uid, email = factory.user("Nouvelle Personne")
    factory.add_member(cast.slug, email)
    assert f"{count + 1} membres" in _page(julie, home)


def test_pages_are_served_after_the_database_dropped_its_connections(app, cast, backend):
    """PostgreSQL restarted, or closed idle connections: the next view gets its page all the same."""
    if backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite has no server to drop connections")
    from hub.extensions import db

    thread_id = start_thread(app.test_client(), cast)
    julie = signed_in(app, cast, "julie")
    url, home = f"/threads/{thread_id}", f"/c/{cast.slug}"
    for _ in range(3):
        kept, kept_home = _page(julie, url), _page(julie, home)
    with app.app_context():
        with db.engine.connect() as connection:
            dropped = connection.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalar()
    assert dropped >= 1
    assert _page(julie, url) == kept and _page(julie, home) == kept_home
    assert "Votre rôle" in _page(julie, home)
