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
