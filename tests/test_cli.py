import sqlalchemy as sa


def test_create_admin(app):
    from hub.accounts.models import User
    from hub.extensions import db

    result = app.test_cli_runner().invoke(args=["hub", "create-admin", "--email", "Admin@Exemple.ca", "--password", "un secret assez long"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(sa.select(User)).scalar_one()
        assert user.is_admin and user.email == "admin@exemple.ca"
    short = app.test_cli_runner().invoke(args=["hub", "create-admin", "--email", "b@exemple.ca", "--password", "court"])
    assert short.exit_code != 0


def test_demo_loads_once_when_empty(app):
    from hub.accounts import service
    from hub.communities import service as communities
    from hub.demo import DEMO_PASSWORD
    from hub.extensions import db

    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo", "--if-empty"]).exit_code == 0
    assert "already" in runner.invoke(args=["hub", "demo", "--if-empty"]).output
    with app.app_context():
        community = communities.by_slug("es-municipale")
        cities = {m.user.organization for m in communities.members(community)}
        assert {"Ville de Gatineau", "Ville de Montréal", "Ville de Lévis", "Ville de Laval", "Ville de Sherbrooke", "Ville de Québec"} <= cities
        assert {m.role for m in communities.members(community)} == {"facilitator", "member", "guest", "observer"}
        assert service.authenticate("sophie.gagnon@exemple.ca", DEMO_PASSWORD) is not None
        db.session.rollback()


def test_demo_resources_are_searchable_in_french(app):
    from hub import search
    from hub.accounts import service
    from hub.extensions import db

    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        sophie = service.find_by_email("sophie.gagnon@exemple.ca")
        found = search.search(sophie, "cooperative parc")
        assert [hit.title for hit in found.hits] == ["Confier l'entretien d'un parc à une coopérative de solidarité"]
        outsider = service.register("dehors@exemple.ca", "un mot de passe long", "Dehors")
        db.session.commit()
        assert search.search(outsider, "cooperative parc").total == 0
    check = app.test_cli_runner().invoke(args=["hub", "search", "check"])
    assert check.exit_code == 0, check.output


def test_demo_has_a_monthly_meeting_a_poll_in_progress_and_an_event(app):
    from tests.conftest import login

    result = app.test_cli_runner().invoke(args=["hub", "demo"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login(client, "julie.roy@exemple.ca", "demo-hub-2026")
    home = client.get("/c/es-municipale").get_data(as_text=True)
    assert "Rencontre mensuelle de la communauté de pratique" in home
    listing = client.get("/c/es-municipale/calendar?view=list").get_data(as_text=True)
    assert "Forum régional de l&#39;économie sociale de l&#39;Estrie" in listing
    from hub.extensions import db
    from hub.meetings.models import Poll
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        poll = db.session.execute(sa.select(Poll)).scalar_one()
        assert db.session.execute(sa.select(sa.func.count(OutgoingEmail.id))).scalar() == 0, "no demo email is sent"
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert page.count('data-testid="poll-slot"') == 6 and 'data-testid="best-slot"' in page


def test_an_index_of_an_older_layout_is_rebuilt_when_the_hub_starts(app, tmp_path):
    """After an upgrade that changes the Whoosh index's layout, search keeps finding everything."""
    from pathlib import Path

    from hub import search
    from hub.accounts import service
    from tests.conftest import build_app

    assert app.config["SEARCH_BACKEND"] == "whoosh"
    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    (Path(app.config["SEARCH_INDEX_PATH"]) / "hub-schema-version").write_text("1")
    restarted = build_app(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])  # same instance folder and database
    assert restarted.config["SEARCH_INDEX_PATH"] == app.config["SEARCH_INDEX_PATH"]
    with restarted.app_context():
        sophie = service.find_by_email("sophie.gagnon@exemple.ca")
        found = search.search(sophie, "cooperative parc")
        assert [hit.title for hit in found.hits] == ["Confier l'entretien d'un parc à une coopérative de solidarité"]
    assert (Path(app.config["SEARCH_INDEX_PATH"]) / "hub-schema-version").read_text() != "1"
