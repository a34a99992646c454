"""The seam features use: register, enqueue, apply after commit (and after a crash), reindex, check."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.search import SearchQuery
from tests.conftest import build_app, login
from tests.search.conftest import utc, wire

ROOT = Path(__file__).resolve().parents[2]
EVERYONE = frozenset({"admin"})


def find(app, text, principals=EVERYONE):
    from hub.search import get_backend

    with app.app_context():
        return {hit.id for hit in get_backend().search(SearchQuery(text=text, principals=principals)).hits}


def test_enqueue_commit_apply(app, memo_kind):
    from hub import search
    from hub.extensions import db

    with app.app_context():
        memo_id = memo_kind.add("Budget participatif", "Un budget participatif pour les quartiers.", community_id=1)
        assert find(app, "participatif") == set(), "nothing is indexed before the commit"
        db.session.commit()
        assert search.pending_count() == 1
        assert search.apply_outbox() == 1
        assert search.pending_count() == 0
    assert find(app, "participatif") == {memo_id}
    with app.app_context():
        db.session.execute(sa.update(memo_kind.memos).where(memo_kind.memos.c.id == memo_id).values(title="Budget citoyen", updated_at=utc(2025, 1, 1)))
        search.enqueue("memo", memo_id)
        db.session.commit()
        search.apply_outbox()
    assert find(app, "citoyen") == {memo_id}
    with app.app_context():
        db.session.execute(sa.delete(memo_kind.memos).where(memo_kind.memos.c.id == memo_id))
        search.enqueue("memo", memo_id)
        db.session.commit()
        search.apply_outbox()
    assert find(app, "citoyen") == set(), "a missing object leaves the index"


def test_rolled_back_changes_are_not_indexed(app, memo_kind):
    from hub import search
    from hub.extensions import db

    with app.app_context():
        memo_kind.add("Brouillon abandonné", community_id=1)
        db.session.rollback()
        assert search.pending_count() == 0
        assert search.apply_outbox() == 0
    assert find(app, "abandonné") == set()


def test_outbox_rows_of_unknown_kinds_wait(app, memo_kind):
    from hub import search
    from hub.extensions import db

    with app.app_context():
        search.enqueue("later", 1)
        db.session.commit()
        assert search.apply_outbox() == 0
        assert search.pending_count() == 1


def test_applied_right_after_the_request(app, client, factory, memo_kind):
    """A change committed by a request is searchable by the very next request."""
    from hub.communities import service as communities
    from hub.extensions import db

    _uid, email = factory.user("Marie Tremblay")
    slug = factory.community(email, "Habitation communautaire")
    with app.app_context():
        community_id = communities.by_slug(slug).id

    @app.post("/_test/memos")
    def _create_memo():
        memo_kind.add("Fiche sur les coopératives d'habitation", "Bonnes pratiques.", community_id=community_id)
        db.session.commit()
        return "", 204

    login(client, email)
    assert client.post("/_test/memos").status_code == 204
    page = client.get("/search?q=coopérative")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('data-testid="search-result"') == 1


def test_applied_at_the_end_of_an_app_context(app, memo_kind):
    """Outside requests (CLI, worker), the outbox is applied when the application context ends."""
    from hub.extensions import db

    with app.app_context():
        memo_id = memo_kind.add("Ruelles vertes", community_id=1)
        db.session.commit()
    assert find(app, "ruelles") == {memo_id}


def test_catch_up_after_a_crash_between_commit_and_indexing(tmp_path):
    """A process commits a change and its outbox row, then is killed before indexing it:
    the next start of the application indexes it."""
    database = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.conftest import build_app
        from tests.search import memos
        from hub.extensions import db

        app = build_app(Path({str(tmp_path)!r}), {database!r})
        memos.register()
        with app.app_context():
            memos.create_table(db.engine)
            memos.add("Revitalisation de la rue commerciale", "Artères commerciales et commerces de proximité.", community_id=1)
            db.session.commit()
            os.kill(os.getpid(), signal.SIGKILL)  # after the commit, before any indexing
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "HUB_ENV": "testing"})
    assert child.returncode == -9, child.stderr

    from hub import search
    from hub.extensions import db
    from tests.search import memos

    engine = sa.create_engine(database)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT kind, object_id FROM search_outbox")).all() == [("memo", 1)]
    engine.dispose()
    assert not (tmp_path / "instance" / "search-index").exists(), "nothing was indexed"

    memos.register()
    try:
        app = wire(build_app(tmp_path, database))  # init_app: start-up catch-up
        with app.app_context():
            assert search.pending_count() == 0
            hits = search.get_backend().search(SearchQuery(text="commerciales", principals=frozenset({"community:1"}))).hits
            assert [h.title for h in hits] == ["Revitalisation de la rue commerciale"]
            db.session.remove()
            db.engine.dispose()
    finally:
        search.unregister("memo")


def test_reindex_and_check(app, memo_kind):
    from hub import search
    from hub.extensions import db

    with app.app_context():
        first = memo_kind.add("Marché public", community_id=1, enqueue=False)
        second = memo_kind.add("Jardin collectif", community_id=1, enqueue=False)
        db.session.commit()
        report = search.check()
        assert report["missing"] == [f"memo:{first}", f"memo:{second}"] and not report["ok"]
        assert search.reindex()["memo"] == 2
        assert search.check()["ok"]
        search.get_backend().delete([f"memo:{first}"])  # behind the registry's back
        db.session.execute(sa.update(memo_kind.memos).where(memo_kind.memos.c.id == second).values(updated_at=utc(2030, 1, 1)))
        db.session.commit()
        search.get_backend().upsert([memo_kind.to_document(type("Row", (), {
            "id": 999, "community_id": 1, "owner_id": None, "title": "Fantôme", "body": "", "language": "fr", "updated_at": utc(2024, 1, 1)})())])
        report = search.check()
        assert report["missing"] == [f"memo:{first}"]
        assert report["stale"] == [f"memo:{second}"]
        assert report["extra"] == ["memo:999"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "search", "check"])
    assert result.exit_code == 1 and "missing: 1" in result.output and "Drift found" in result.output
    result = runner.invoke(args=["hub", "search", "reindex"])
    assert result.exit_code == 0 and "memo: 2" in result.output, result.output
    result = runner.invoke(args=["hub", "search", "check"])
    assert result.exit_code == 0 and "matches" in result.output, result.output
    assert find(app, "fantôme") == set() and find(app, "jardin") == {second}


def test_principals(app, factory):
    from datetime import timedelta

    from hub import search
    from hub.accounts import service as accounts
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.timeutil import utcnow

    _fid, facilitator = factory.user()
    uid, member = factory.user()
    _gid, expired = factory.user()
    aid, admin = factory.user(is_admin=True)
    slug = factory.community(facilitator, "Parcs et espaces verts")
    other = factory.community(facilitator, "Matières résiduelles")
    factory.add_member(slug, member, "observer")
    factory.add_member(slug, expired, "guest", expires_at=utcnow() - timedelta(days=1))
    with app.app_context():
        community, other_community = communities.by_slug(slug), communities.by_slug(other)
        assert search.principals_for(accounts.find_by_email(member)) == {f"user:{uid}", f"community:{community.id}", f"member:{community.id}:{uid}"}
        assert search.principals_for(accounts.find_by_email(expired)) == {f"user:{accounts.find_by_email(expired).id}"}
        assert "admin" in search.principals_for(accounts.find_by_email(admin))
        from flask_login import AnonymousUserMixin

        assert search.principals_for(AnonymousUserMixin()) == frozenset()
        user = accounts.find_by_email(member)
        with pytest.raises(search.CommunityNotFound):
            search.search(user, "parcs", community=other)
        with pytest.raises(search.CommunityNotFound):
            search.search(user, "parcs", community="n-existe-pas")
        assert search.search(user, "parcs", community=slug).total == 0
        assert search.search(accounts.find_by_email(admin), "", community=other_community.slug).total == 0
        db.session.rollback()


def test_status_reports_the_index(app, engine):
    from hub import search

    with app.app_context():
        state = search.status()
    assert state["status"] == "ok" and state["backend"] == engine and state["documents"] == 0


def test_concurrent_appliers_apply_each_row_once(app, memo_kind):
    from concurrent.futures import ThreadPoolExecutor

    from hub import search
    from hub.extensions import db

    from hub.search.models import SearchOutbox

    with app.app_context(), db.engine.begin() as conn:  # outside the session: nothing applies it on the way
        for n in range(30):
            memo_id = conn.execute(sa.insert(memo_kind.memos).values(
                title=f"Mémo {n}", body="Concertation régionale", community_id=1, language="fr", updated_at=utc(2024, 1, 1),
            ).returning(memo_kind.memos.c.id)).scalar_one()
            conn.execute(sa.insert(SearchOutbox).values(kind="memo", object_id=memo_id, created_at=utc(2024, 1, 1)))

    def apply(_):
        with app.app_context():
            return search.apply_outbox()

    with ThreadPoolExecutor(max_workers=4) as pool:
        applied = list(pool.map(apply, range(4)))
    assert sum(applied) == 30
    with app.app_context():
        assert search.pending_count() == 0
        assert search.get_backend().search(SearchQuery(text="concertation", principals=EVERYONE, per_page=50)).total == 30


def test_a_failing_object_does_not_hold_back_the_others(app, memo_kind):
    from hub import search
    from hub.extensions import db

    def fragile(row):
        if row.title == "Cassé":
            raise ValueError("cannot be indexed")
        return memo_kind.to_document(row)

    search.register("memo", to_document=fragile, load=memo_kind.load, all_ids=memo_kind.all_ids)
    with app.app_context():
        memo_kind.add("Premier", community_id=1)
        memo_kind.add("Cassé", community_id=1)
        third = memo_kind.add("Troisième", community_id=1)
        db.session.commit()
        assert search.apply_outbox() == 2
        assert search.pending_count() == 1
    assert find(app, "troisième") == {third}
