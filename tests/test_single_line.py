"""One-line text (names, titles, file names, places, tags…) never holds a control character: a line
break there would forge a line in a download's header, an email's Subject or the log."""
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from tests.conftest import auth, login, make_cast

FORGED = "Rencontre\r\nBcc: tout-le-monde@exemple.ca\x1b[31m\u2028\x07fin\t!"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def hub_form_classes():
    from flask_wtf import FlaskForm

    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("hub.") and cls.__module__ != "hub.forms":
            found.append(cls)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def test_single_line_helper():
    from hub.forms import single_line

    assert single_line(FORGED) == "Rencontre Bcc: tout-le-monde@exemple.ca [31m fin !"
    assert single_line("  Économie sociale  ") == "Économie sociale"
    assert single_line("\r\n") == "" and single_line(None) is None and single_line(12) == 12


def test_every_one_line_field_of_every_form_drops_control_characters(app):
    """Every form of the hub, found through Flask-WTF's subclasses (a new one is included at once):
    its one-line fields come out without control characters; text areas keep their line breaks."""
    from hub.forms import FlaskForm, is_single_line_field

    classes = hub_form_classes()
    assert len(classes) > 30
    checked, problems = 0, []
    with app.test_request_context():
        for cls in classes:
            if not issubclass(cls, FlaskForm):
                problems.append(f"{cls.__module__}.{cls.__name__} is not a hub.forms.FlaskForm")
                continue
            unbound = {name: getattr(cls, name) for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField)}
            one_line = [name for name, field in unbound.items() if is_single_line_field(field.field_class)]
            if not one_line:
                continue
            data = MultiDict({name: FORGED for name in unbound})
            form = cls(formdata=data, meta={"csrf": False}, **({"themes": []} if "themes" in unbound else {}))
            for name in one_line:
                value = getattr(form, name).data
                checked += 1
                if isinstance(value, str) and CONTROL.search(value):
                    problems.append(f"{cls.__name__}.{name}: {value!r}")
            for name, field in unbound.items():
                if field.field_class.__name__ == "TextAreaField":
                    assert "\r\n" in getattr(form, name).data or "\n" in getattr(form, name).data, (cls.__name__, name)
    assert checked > 30
    assert not problems, "\n".join(problems)


@pytest.fixture
def cast(app, factory):
    people = {
        "sophie": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis"),
    }
    return make_cast(factory, people, "sophie", "CP Économie sociale municipale", {"julie": "member"})


def multipart_upload(fields, disposition, content):
    """A multipart body built by hand, so the file's part may name itself as an attacker would."""
    boundary = "----hub-test-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; {disposition}\r\nContent-Type: text/plain\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _versions(app):
    from hub.extensions import db
    from hub.resources.models import ResourceVersion

    with app.app_context():
        return [(v.filename, v.resource.title) for v in db.session.execute(sa.select(ResourceVersion).order_by(ResourceVersion.id)).scalars()]


def test_a_file_name_with_a_line_break_is_stored_on_one_line_and_downloads(app, cast):
    """RFC 2231's filename* lets CR and LF through; the stored name has none, and its download works."""
    client = app.test_client()
    login(client, cast.emails["julie"])
    body, kind = multipart_upload(
        {"title": "Politique d'achat", "type": "policy", "language": "fr"},
        "filename*=UTF-8''politique%0D%0ASet-Cookie%3A%20x%3D1%0A.txt", "Achat local et social.".encode(),
    )
    response = client.post(f"/c/{cast.slug}/resources/new", data=body, content_type=kind)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert _versions(app) == [("politique Set-Cookie: x=1 .txt", "Politique d'achat")]
    download = client.get(response.headers["Location"] + "/download")
    assert download.status_code == 200 and download.data == "Achat local et social.".encode()
    assert "\r" not in download.headers["Content-Disposition"] and "\n" not in download.headers["Content-Disposition"]
    assert "Set-Cookie" not in download.headers

    # Through the API, and as a discussion's file (its name becomes the resource's title).
    body, kind = multipart_upload({"title": "Bilan", "type": "report", "language": "fr"}, "filename*=UTF-8''bilan%0D%0A2025.txt", b"Bilan 2025")
    response = client.post(f"/api/v1/communities/{cast.slug}/resources", data=body, content_type=kind, headers=auth(cast, "julie"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["versions"][0]["filename"] == "bilan 2025.txt"


def test_a_name_stored_with_a_line_break_still_downloads(app, cast):
    """Names stored before they were cleaned: the download's header is made from a cleaned copy."""
    from hub.extensions import db
    from hub.resources.models import ResourceVersion

    client = app.test_client()
    login(client, cast.emails["julie"])
    response = client.post(f"/c/{cast.slug}/resources/new", content_type="multipart/form-data", data={
        "title": "Compte rendu", "type": "report", "language": "fr", "file": (io.BytesIO(b"Compte rendu"), "compte-rendu.txt"),
    })
    assert response.status_code == 302
    with app.app_context():
        version = db.session.execute(sa.select(ResourceVersion)).scalar_one()
        version.filename = "compte\r\nrendu\x07.txt"
        db.session.commit()
    for url in (response.headers["Location"] + "/download", response.headers["Location"] + "/versions/1/download"):
        download = client.get(url)
        assert download.status_code == 200, url
        assert download.headers["Content-Disposition"] == 'attachment; filename="compte rendu .txt"'
    rid = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/api/v1/resources/{rid}/download", headers=auth(cast, "julie")).status_code == 200


def test_api_one_line_fields_drop_control_characters(app, client, cast):
    """Titles, places and names sent to the API are kept on one line; bodies keep their lines."""
    headers = auth(cast, "julie")
    thread = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": FORGED, "body": "Ligne 1\nLigne 2"}, headers=headers)
    assert thread.status_code == 201, thread.get_data(as_text=True)
    data = client.get(f"/api/v1/threads/{thread.get_json()['id']}", headers=headers).get_json()
    assert not CONTROL.search(data["title"]) and data["title"].startswith("Rencontre Bcc:")
    assert data["posts"][0]["body"] == "Ligne 1\nLigne 2"

    note = client.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": FORGED, "body": "a\nb"}, headers=headers)
    assert note.status_code == 201, note.get_data(as_text=True)
    note = client.get(f"/api/v1/notes/{note.get_json()['id']}", headers=headers).get_json()
    assert not CONTROL.search(note["title"]) and note["body"] == "a\nb"

    from tests.meetings.conftest import future

    poll = client.post(f"/api/v1/communities/{cast.slug}/polls", headers=headers, json={
        "title": FORGED, "location": "Salle\r\nB", "description": "Ordre du jour :\n1. Tour de table", "duration_minutes": 60,
        "timezone": "America/Toronto", "slots": [future(7, 10)],
    })
    assert poll.status_code == 201, poll.get_data(as_text=True)
    poll = poll.get_json()
    assert not CONTROL.search(poll["title"]) and poll["location"] == "Salle B"
    assert poll["description"] == "Ordre du jour :\n1. Tour de table"

    community = client.post("/api/v1/communities", json={"name": "Parcs\r\nurbains", "visibility": "private"}, headers=headers)
    assert community.status_code == 201, community.get_data(as_text=True)
    assert community.get_json()["name"] == "Parcs urbains"


def test_an_email_subject_stays_on_one_line(app, outbox):
    """A title stored with a line break (before titles were cleaned) adds no header to an email."""
    from hub.extensions import db
    from hub.notifications.mail import queue_email

    with app.test_request_context():
        community = type("Community", (), {"name": "Parcs"})()
        queue_email("julie@exemple.ca", "Invitation : Rencontre\r\nBcc: tout-le-monde@exemple.ca", "email/join_approved.txt", community=community, link="http://localhost/")
        db.session.commit()
    (mail,) = outbox()
    assert mail["subject"] == "Invitation : Rencontre Bcc: tout-le-monde@exemple.ca"
