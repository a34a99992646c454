"""The registry of content kinds: one declaration per kind serves references (in French and
English), note attachments and meeting mentions."""
import io

from tests.conftest import auth
from tests.discussions.conftest import cast, signed_in, start_thread  # noqa: F401  (cast is a fixture)


def _resource(app, cast, title="Règlement sur l’habitation communautaire"):
    from werkzeug.datastructures import FileStorage

    from hub.accounts.models import User
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.resources import service as resources

    with app.test_request_context():
        resource = resources.create(communities.by_slug(cast.slug), db.session.get(User, cast.ids["julie"]),
                                    {"title": title, "type": "tool", "language": "fr"}, file=FileStorage(io.BytesIO(b"Texte"), "texte.txt"))
        db.session.commit()
        return resource.id


def test_every_kind_is_declared_once_with_its_french_and_english_prefixes(app):
    from hub import kinds

    declared = {kind.name: kind for kind in kinds.all_kinds()}
    assert {"resource", "meeting", "thread", "post", "note"} <= set(declared)
    assert kinds.by_prefix("ressource") is declared["resource"]
    assert kinds.by_prefix("rencontre") is declared["meeting"]
    assert kinds.by_prefix("discussion") is declared["thread"]
    assert kinds.by_prefix("message") is declared["post"]
    assert kinds.by_prefix("Resource") is declared["resource"]
    assert kinds.by_prefix("nothing") is None
    assert {kind.name for kind in kinds.attachable()} == {"resource", "meeting", "thread"}


def test_french_references_link_like_english_ones(app, client, cast):  # noqa: F811
    resource_id = _resource(app, cast)
    first = start_thread(client, cast, title="Premier fil", body="Rien")
    thread_id = start_thread(client, cast, body=f"Voir #ressource-{resource_id} et #discussion-{first}, pas #ressource-999.")
    page = signed_in(app, cast, "karim").get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'href="/resources/{resource_id}"' in page and "Règlement sur l’habitation communautaire" in page
    assert f'href="/threads/{first}"' in page and "Premier fil" in page
    assert "#ressource-999" in page  # nothing by that number: the text stays as written
    # An outsider's reference to what they cannot read is not turned into a link either.
    outsider_thread = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "x", "body": f"#ressource-{resource_id}"},
                                  headers=auth(cast, "outsider"))
    assert outsider_thread.status_code in (403, 404)


def test_a_meeting_mentions_resources_by_any_prefix_or_link(app, client, cast):  # noqa: F811
    from hub.accounts.models import User
    from hub.extensions import db
    from hub.meetings.models import Meeting
    from hub.meetings.service import mentioned_resources
    from hub.timeutil import utcnow

    first = _resource(app, cast, "Guide d’achat responsable")
    second = _resource(app, cast, "Bilan des parcs")
    with app.test_request_context():
        from hub.communities import service as communities

        meeting = Meeting(community=communities.by_slug(cast.slug), title="Rencontre de décembre", start=utcnow(), end=utcnow(), uid="kinds-test@hub", timezone="America/Toronto",
                          description=f"Lire /resources/{second} puis #ressource-{first} et #resource-{second}.")
        db.session.add(meeting)
        db.session.commit()
        titles = [r.title for r in mentioned_resources(meeting, db.session.get(User, cast.ids["karim"]))]
        assert titles == ["Bilan des parcs", "Guide d’achat responsable"]
        assert mentioned_resources(meeting, db.session.get(User, cast.ids["outsider"])) == []
