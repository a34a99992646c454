"""Threads as people use them: start, reply, quote, edit with history, delete, mention, tag, react,
unread markers, guests and observers, pages whose query count does not grow."""
import io
import re

import pytest
import sqlalchemy as sa

from tests.discussions.conftest import auth, cast, emails, post_reply, signed_in, start_thread  # noqa: F401  (cast is a fixture)


def _text(response):
    return response.get_data(as_text=True)


def test_start_a_thread_and_reply_from_the_pages(app, cast):  # noqa: F811
    julie = signed_in(app, cast, "julie")
    community = _text(julie.get(f"/c/{cast.slug}"))
    assert 'data-testid="nav-discussions"' in community
    listing = julie.get(f"/c/{cast.slug}/discussions")
    assert listing.status_code == 200 and "Général" in _text(listing)
    form = _text(julie.get(f"/c/{cast.slug}/discussions/new"))
    category = re.search(r'<option[^>]*value="(\d+)"', form).group(1)
    created = julie.post(f"/c/{cast.slug}/discussions/new", data={
        "title": "Règlement sur l’habitation communautaire", "body": "Qui a adopté un **règlement** ?", "category": category,
    })
    assert created.status_code == 302
    thread_url = created.headers["Location"]
    page = _text(julie.get(thread_url))
    assert "Règlement sur l’habitation communautaire" in page and "<strong>règlement</strong>" in page

    karim = signed_in(app, cast, "karim")
    replied = karim.post(thread_url + "/reply", data={"body": "À Laval, oui, depuis 2022."})
    assert replied.status_code == 302
    page = _text(karim.get(replied.headers["Location"], follow_redirects=True))
    assert "À Laval, oui, depuis 2022." in page
    empty = karim.post(thread_url + "/reply", data={"body": "   "})
    assert empty.status_code == 422 and 'data-testid="form-errors"' in _text(empty)

    listing = _text(julie.get(f"/c/{cast.slug}/discussions"))
    assert "Règlement sur l’habitation communautaire" in listing and "2 messages" in listing


def test_quote_prefills_the_composer(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, body="Première ligne\nDeuxième ligne")
    first = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["id"]
    page = _text(signed_in(app, cast, "karim").get(f"/threads/{thread_id}?quote={first}"))
    assert "&gt; **Julie Roy**" in page and "&gt; Première ligne" in page and f'name="reply_to" type="hidden" value="{first}"' in page


def test_edit_keeps_a_visible_history_and_delete_leaves_a_trace(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    post_id = post_reply(client, cast, thread_id, "Le budget est de 10 000 $.")
    karim = signed_in(app, cast, "karim")
    assert karim.post(f"/posts/{post_id}/edit", data={"body": "Le budget est de 12 000 $."}).status_code == 302
    page = _text(karim.get(f"/threads/{thread_id}"))
    assert "12 000 $" in page and 'data-testid="edited"' in page
    history = _text(signed_in(app, cast, "julie").get(f"/posts/{post_id}/history"))
    assert "10 000 $" in history and "12 000 $" in history and "Karim Benali" in history

    julie = signed_in(app, cast, "julie")
    assert julie.post(f"/posts/{post_id}/edit", data={"body": "Pas mon message"}).status_code == 403
    assert julie.post(f"/posts/{post_id}/delete").status_code == 403
    assert karim.post(f"/posts/{post_id}/delete").status_code == 302
    page = _text(julie.get(f"/threads/{thread_id}"))
    assert "Message deleted." in page or "Message supprimé." in page
    assert "12 000 $" not in page
    assert "12 000 $" not in _text(julie.get(f"/posts/{post_id}/history"))
    assert "12 000 $" in _text(signed_in(app, cast, "facilitator").get(f"/posts/{post_id}/history"))


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](java&#x73;cript:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"x.swf\"></object><embed src=x>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<style>*{display:none}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<div onmouseover=\"alert(1)\">survol</div>",
    "`<script>` dans du code et <script>alert(1)</script>",
    "```\n<script>alert(1)</script>\n```",
    "@<script>alert(1)</script> #<img src=x onerror=alert(1)>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<base href=\"https://evil.example/\">",
]


def test_known_xss_vectors_do_not_survive(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    for vector in XSS_VECTORS:
        post_id = post_reply(client, cast, thread_id, vector)
        html = client.get(f"/api/v1/threads/{thread_id}?page=1", headers=auth(cast, "julie")).get_json()
        body = next(p["body_html"] for p in html["posts"] if p["id"] == post_id).lower()
        assert "<script" not in body and "<iframe" not in body and "<object" not in body and "<embed" not in body, vector
        assert "<style" not in body and "<svg" not in body and "<img" not in body and "<form" not in body and "<meta" not in body, vector
        assert "<base" not in body and "<input" not in body and "<video" not in body, vector
        assert not re.search(r"\son\w+\s*=", body), vector
        assert "javascript:" not in body and "vbscript:" not in body and "data:text" not in body, vector
        assert "style=" not in body, vector
    page = _text(signed_in(app, cast, "julie").get(f"/threads/{thread_id}?page=2")) + _text(signed_in(app, cast, "julie").get(f"/threads/{thread_id}?page=1"))
    assert "<script>alert(1)</script>" not in page


def test_mentions_autocomplete_and_notify_in_the_recipients_language(app, client, cast):  # noqa: F811
    julie = signed_in(app, cast, "julie")
    found = julie.get(f"/c/{cast.slug}/mentions?q=kar").get_json()["members"]
    assert [m["handle"] for m in found] == ["karim-benali"]
    assert signed_in(app, cast, "outsider").get(f"/c/{cast.slug}/mentions?q=kar").status_code == 404
    thread_id = start_thread(client, cast, body="Bonjour @karim-benali, et @personne-inconnue.")
    page = _text(julie.get(f"/threads/{thread_id}"))
    assert f'href="/users/{cast.ids["karim"]}"' in page and "@Karim Benali" in page and "@personne-inconnue" in page
    sent = [m for m in emails(app) if m["to"] == cast.emails["karim"]]
    assert len(sent) == 1 and sent[0]["subject"] == "Julie Roy mentioned you: Approvisionnement responsable"
    assert "/notifications/unsubscribe/" in sent[0]["body"] and "http://localhost/posts/" in sent[0]["body"]
    karim = signed_in(app, cast, "karim")
    assert 'data-testid="notification-badge" data-unread-badge><span data-unread-count>1<' in _text(karim.get("/"))
    centre = _text(karim.get("/notifications"))
    assert "Julie Roy" in centre and "Approvisionnement responsable" in centre


def test_references_and_hashtags(app, client, cast):  # noqa: F811
    from werkzeug.datastructures import FileStorage

    from hub.communities import service as communities
    from hub.extensions import db
    from hub.resources import service as resources

    with app.test_request_context():
        community = communities.by_slug(cast.slug)
        from hub.accounts.models import User

        resource = resources.create(community, db.session.get(User, cast.ids["julie"]), {"title": "Guide d’achat responsable", "type": "tool", "language": "fr"},
                                    file=FileStorage(io.BytesIO(b"Guide"), "guide.txt"))
        db.session.commit()
        resource_id = resource.id
    first = start_thread(client, cast, title="Premier fil", body="Rien")
    thread_id = start_thread(client, cast, body=f"Voir #resource-{resource_id}, #thread-{first} et #resource-999. #Habitation #parcs")
    page = _text(signed_in(app, cast, "karim").get(f"/threads/{thread_id}"))
    assert f'href="/resources/{resource_id}"' in page and "Guide d’achat responsable" in page
    assert f'href="/threads/{first}"' in page and "Premier fil" in page and "#resource-999" in page
    data = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "karim")).get_json()
    assert data["tags"] == ["habitation", "parcs"]
    listing = _text(signed_in(app, cast, "karim").get(f"/c/{cast.slug}/discussions?tag=habitation"))
    assert "Approvisionnement responsable" in listing and "Premier fil" not in listing


def test_reactions_toggle(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    post_id = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["id"]
    karim = signed_in(app, cast, "karim")
    assert karim.post(f"/posts/{post_id}/react", data={"emoji": "👍"}).status_code == 302
    assert client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["reactions"] == {"👍": 1}
    page = _text(karim.get(f"/threads/{thread_id}"))
    assert 'aria-pressed="true" data-testid="react">👍 <span class="count">1</span>' in page
    assert karim.post(f"/posts/{post_id}/react", data={"emoji": "👍"}).status_code == 302
    assert client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["reactions"] == {}
    assert karim.post(f"/posts/{post_id}/react", data={"emoji": "💩"}).status_code == 422
    assert signed_in(app, cast, "observer").post(f"/posts/{post_id}/react", data={"emoji": "👍"}).status_code == 403


def test_unread_markers_and_new_since_last_visit(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    karim = signed_in(app, cast, "karim")
    listing = _text(karim.get(f"/c/{cast.slug}/discussions"))
    assert 'data-testid="unread"' in listing
    page = _text(karim.get(f"/threads/{thread_id}"))
    assert 'data-testid="new-marker"' not in page  # first visit: everything is new, no separator needed
    assert 'data-testid="unread"' not in _text(karim.get(f"/c/{cast.slug}/discussions"))
    post_reply(client, cast, thread_id, "Un nouveau message de Julie", who="julie")
    listing = _text(karim.get(f"/c/{cast.slug}/discussions"))
    assert "1 new" in listing
    page = _text(karim.get(f"/threads/{thread_id}"))
    assert page.index('data-testid="new-marker"') < page.index("Un nouveau message de Julie")
    assert 'data-testid="new-marker"' not in _text(karim.get(f"/threads/{thread_id}"))


def test_guests_post_only_where_invited_and_observers_only_read(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    guest = signed_in(app, cast, "guest")
    assert guest.get(f"/threads/{thread_id}").status_code == 200
    assert guest.post(f"/threads/{thread_id}/reply", data={"body": "Bonjour"}).status_code == 403
    assert client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Bonjour"}, headers=auth(cast, "guest")).status_code == 403
    assert guest.get(f"/c/{cast.slug}/discussions/new").status_code == 403
    julie = signed_in(app, cast, "julie")
    assert julie.post(f"/threads/{thread_id}/invite", data={"invite-user": str(cast.ids["guest"])}).status_code == 302
    assert guest.post(f"/threads/{thread_id}/reply", data={"body": "Merci pour l’invitation"}).status_code == 302
    assert "Merci pour l’invitation" in _text(guest.get(f"/threads/{thread_id}"))
    other = start_thread(client, cast, title="Autre fil")
    assert guest.post(f"/threads/{other}/reply", data={"body": "Bonjour"}).status_code == 403

    observer = signed_in(app, cast, "observer")
    page = _text(observer.get(f"/threads/{thread_id}"))
    assert 'data-testid="read-only"' in page and 'data-testid="reply-form"' not in page
    assert observer.post(f"/threads/{thread_id}/reply", data={"body": "Bonjour"}).status_code == 403
    assert signed_in(app, cast, "outsider").get(f"/threads/{thread_id}").status_code == 404


def test_pin_lock_and_mark_as_answer(app, client, cast):  # noqa: F811
    older = start_thread(client, cast, title="Question sur les parcs", is_question=True)
    start_thread(client, cast, title="Fil plus récent")
    answer = post_reply(client, cast, older, "La réponse : un comité citoyen.")
    facilitator = signed_in(app, cast, "facilitator")
    assert facilitator.post(f"/threads/{older}/pin").status_code == 302
    listing = _text(facilitator.get(f"/c/{cast.slug}/discussions"))
    assert listing.index("Question sur les parcs") < listing.index("Fil plus récent")
    julie = signed_in(app, cast, "julie")
    assert julie.post(f"/posts/{answer}/answer").status_code == 302
    assert 'data-testid="answer"' in _text(julie.get(f"/threads/{older}"))
    assert signed_in(app, cast, "karim").post(f"/posts/{answer}/answer").status_code == 403
    assert julie.post(f"/threads/{older}/lock").status_code == 403
    assert facilitator.post(f"/threads/{older}/lock").status_code == 302
    assert julie.post(f"/threads/{older}/reply", data={"body": "Encore ?"}).status_code == 403
    assert facilitator.post(f"/threads/{older}/reply", data={"body": "Je clos la discussion."}).status_code == 302


def test_pin_and_lock_toggle_back_and_say_which(app, client, cast):  # noqa: F811
    from hub.discussions.models import Thread
    from hub.extensions import db

    thread_id = start_thread(client, cast, title="Gestion des parcs")
    facilitator = signed_in(app, cast, "facilitator")

    def toggle(action):
        response = facilitator.post(f"/threads/{thread_id}/{action}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/threads/{thread_id}")
        with facilitator.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        with app.app_context():
            thread = db.session.get(Thread, thread_id)
            state = (thread.pinned, thread.locked)
            db.session.remove()
        return state, flashes

    assert toggle("pin") == ((True, False), [("success", "La discussion est épinglée en haut de la liste.")])
    assert toggle("pin") == ((False, False), [("success", "La discussion n'est plus épinglée.")])
    assert toggle("lock") == ((False, True), [("success", "La discussion est verrouillée : seule l'équipe d'animation peut y écrire.")])
    assert toggle("lock") == ((False, False), [("success", "La discussion est de nouveau ouverte.")])


def test_share_a_post_to_another_community(app, client, cast, factory):  # noqa: F811
    other = factory.community(cast.emails["julie"], "CP Habitation")
    thread_id = start_thread(client, cast, body="Notre bilan de l’année.")
    post_id = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "julie")).get_json()["posts"][0]["id"]
    julie = signed_in(app, cast, "julie")
    form = _text(julie.get(f"/posts/{post_id}/share"))
    assert "CP Habitation" in form and "CP Économie sociale municipale</option>" not in form
    shared = julie.post(f"/posts/{post_id}/share", data={"community": other})
    assert shared.status_code == 302
    page = _text(julie.get(shared.headers["Location"]))
    assert "Notre bilan de l’année." in page and f"/threads/{thread_id}#post-{post_id}" in page
    assert julie.post(f"/posts/{post_id}/share", data={"community": cast.slug}).status_code == 422


def _count_queries(app, client, url):
    from hub.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


@pytest.mark.config(PAGE_CACHE_SECONDS=0)  # the rendering itself is counted, not a page kept from an earlier visit
def test_thread_page_queries_do_not_grow_with_posts(app, client, cast):  # noqa: F811
    from hub.accounts.models import User
    from hub.discussions import service
    from hub.discussions.models import Post, Reaction
    from hub.extensions import db

    small = start_thread(client, cast, title="Petit fil")
    large = start_thread(client, cast, title="Grand fil")
    with app.test_request_context():
        users = [db.session.get(User, cast.ids[w]) for w in ("julie", "karim", "facilitator")]
        for thread_id, count in ((small, 30), (large, 130)):
            from hub.discussions.models import Thread

            thread = db.session.get(Thread, thread_id)
            for i in range(count):
                post = service.reply(thread, users[i % 3], f"Message {i} pour @julie-roy, #parcs https://exemple.invalid/{i}"[:40])
                db.session.flush()
                db.session.add(Reaction(post_id=post.id, user_id=users[(i + 1) % 3].id, emoji="👍"))
            db.session.commit()
        assert db.session.execute(sa.select(sa.func.count(Post.id)).where(Post.thread_id == large)).scalar_one() == 131
    karim = signed_in(app, cast, "karim")
    karim.get(f"/threads/{small}?page=1")
    karim.get(f"/threads/{large}?page=1")
    karim.get(f"/threads/{large}?page=6")  # reading state saved: the counted visits below change nothing
    few = _count_queries(app, karim, f"/threads/{small}?page=1")
    many = _count_queries(app, karim, f"/threads/{large}?page=1")
    last = _count_queries(app, karim, f"/threads/{large}?page=6")
    assert few == many == last, (few, many, last)
    assert few <= 20
    page = _text(karim.get(f"/threads/{large}?page=6"))
    assert "Page 6 of 6" in page and page.count('data-testid="post"') == 131 - 5 * 25


def test_threads_and_posts_are_found_by_search(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, title="Gestion des matières résiduelles", body="Les écocentres de quartier")
    reply = post_reply(client, cast, thread_id, "Le compostage communautaire fonctionne très bien à Laval.")
    found = client.get("/api/v1/search?q=compostage", headers=auth(cast, "observer")).get_json()
    assert [(r["kind"], r["title"]) for r in found["results"]] == [("thread", "Gestion des matières résiduelles")]
    assert found["results"][0]["url"].endswith(f"/posts/{reply}")  # the message that matches
    found = client.get("/api/v1/search?q=ecocentres", headers=auth(cast, "julie")).get_json()
    assert [(r["kind"], r["id"]) for r in found["results"]] == [("thread", thread_id)]
    assert found["results"][0]["url"].endswith(f"/threads/{thread_id}")
    assert client.get("/api/v1/search?q=compostage", headers=auth(cast, "outsider")).get_json()["results"] == []


def test_a_thread_is_one_search_result_whichever_messages_match(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, title="Parcs de quartier", body="Les parcs de Lévis et leurs jardins")
    reply = post_reply(client, cast, thread_id, "Nos parcs ont des jardins collectifs et des ruches.")
    post_reply(client, cast, thread_id, "Merci pour les parcs !")
    for query in ("parcs", "jardins", "ruches"):
        found = client.get(f"/api/v1/search?q={query}", headers=auth(cast, "julie")).get_json()
        assert [(r["kind"], r["id"]) for r in found["results"]] == [("thread", thread_id)], query
        assert found["total"] == 1
    found = client.get("/api/v1/search?q=jardins+ruches", headers=auth(cast, "julie")).get_json()
    assert found["results"][0]["url"].endswith(f"/posts/{reply}")
    page = signed_in(app, cast, "julie").get("/search?q=parcs").get_data(as_text=True)
    assert page.count("Parcs de quartier</a>") == 1


def test_a_typed_name_matching_one_member_mentions_them(app, client, cast):  # noqa: F811
    # One Karim and one Nadia in the community; "@roy" is a last name, "@sophie-g" no handle.
    thread_id = start_thread(client, cast, body="Merci @karim et @Nadia, et @KarimBenali. Et @sophie-g ? Et @roy.")
    page = _text(signed_in(app, cast, "julie").get(f"/threads/{thread_id}"))
    assert page.count(f'href="/users/{cast.ids["karim"]}"') == 2 and f'href="/users/{cast.ids["guest"]}"' in page
    assert "@roy" in page and "@sophie-g" in page
    assert len([m for m in emails(app) if m["to"] == cast.emails["karim"]]) == 1
