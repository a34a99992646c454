from tests.conftest import login


def test_register_create_invite_accept(client, app, factory, outbox):
    r = client.post("/register", data={"email": "Ana@Exemple.ca", "password": "une phrase secrete", "display_name": "Ana Lima", "organization": "Ville de Laval"})
    assert r.status_code == 302
    r = client.post("/communities/new", data={"name": "Économie sociale Laval", "visibility": "private"})
    assert r.status_code == 302, r.get_data(as_text=True)
    slug = r.headers["Location"].rsplit("/", 1)[-1]
    assert slug == "economie-sociale-laval"
    r = client.post(f"/c/{slug}/invitations", data={"email": "bob@exemple.ca", "role": "member"})
    assert r.status_code == 302, r.get_data(as_text=True)
    mail = outbox()[-1]
    assert mail["to"] == "bob@exemple.ca"
    import re
    link = re.search(r"http://localhost(/invitations/\S+)", mail["body"]).group(1)
    other = app.test_client()
    assert other.get(link).status_code == 200
    other.post("/register", data={"email": "bob@exemple.ca", "password": "une phrase secrete", "display_name": "Bob Roy", "organization": "Ville de Lévis"})
    r = other.post(link)
    assert r.status_code == 302
    r = client.get(f"/c/{slug}/members?q=levis")
    assert "Bob Roy" in r.get_data(as_text=True)
    assert "Ana Lima" not in r.get_data(as_text=True)
