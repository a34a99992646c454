"""Pages: my notes, a community's notes, a note (view, edit, share, history, export, print),
and a community's note templates."""
import re

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from .. import access, kinds
from ..notifications import service as notifications
from ..accounts.forms import ConfirmForm
from ..communities.views import community_or_404
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import show_service_error
from ..markup import render
from . import live, service
from .forms import AttachForm, CompareForm, EditForm, NoteForm, ShareForm, TemplateForm
from .models import Note, NoteTemplate

bp = Blueprint("notes", __name__)


def note_or_404(note_id, action="note.read"):
    note = service.get(Note, note_id)
    if note is None:
        abort(404)
    # Whoever may not read a note is not told it exists.
    if access.can(current_user, "note.see", note) and access.hidden_from(current_user, "note", note):
        # Hidden pending moderation: a placeholder instead of the note, whatever the page.
        abort(make_response(render_template(
            "moderation/hidden.html", back_url=url_for("notes.community", slug=note.community.slug), back_label=_("Notes"),
        )))
    if not access.can(current_user, "note.read", note) and access.can(current_user, "community.read", note.community):
        abort(404)
    access.require(action, note)
    return note


def attachment_choices(community):
    """("", none), then the recent objects of each kind a note may be attached to (meetings,
    resources, threads…), as the registry of kinds lists them."""
    found = [("", _("Nothing"))]
    for kind in kinds.attachable():
        found += [(f"{kind.name}:{obj.id}", str(kind.attach_label) % {"title": kind.label(obj)}) for obj in kind.recent(community)]
    return found


def member_choices(note_or_members):
    return [(u.id, u.display_name) for u in note_or_members]


# --- lists --------------------------------------------------------------------------------


@bp.route("/notes")
@login_required
def mine():
    return render_template("notes/mine.html", notes=service.my_notes(current_user))


@bp.route("/c/<slug>/notes")
def community(slug):
    community = community_or_404(slug)
    access.require("community.read", community)
    notes = service.community_notes(community, current_user)
    return render_template(
        "notes/community.html", community=community, notes=notes,
        can_create=access.can(current_user, "note.create", community),
        can_templates=access.can(current_user, "note.templates", community),
    )


@bp.route("/c/<slug>/notes/new", methods=["GET", "POST"])
def new(slug):
    community = community_or_404(slug)
    access.require("note.create", community)
    form = NoteForm()
    form.template.choices = [("", _("A blank page"))] + [(t.key, t.name) for t in service.templates_for(community)]
    form.attached_to.choices = attachment_choices(community)
    members = [u for u in service.shareable_members(Note(community_id=community.id, owner_id=current_user.id))]
    form.members.choices = member_choices(members)
    if request.method == "GET":
        wanted = request.args.get("attached_to", "")
        if any(value == wanted for value, _label in form.attached_to.choices):
            form.attached_to.data = wanted
            if wanted.startswith("meeting:"):
                form.template.data = "minutes"
                draft = service.draft_for(current_user, service.parse_attachment(wanted), get_locale())
                if draft is not None:
                    form.title.data = draft[0]
        wanted_template = request.args.get("template", "")
        if any(value == wanted_template for value, _label in form.template.choices):
            form.template.data = wanted_template
    if form.validate_on_submit():
        try:
            note = service.create_note(
                community, current_user, title=form.title.data, visibility=form.visibility.data,
                member_ids=form.members.data or (), attachment=service.parse_attachment(form.attached_to.data),
                template_key=form.template.data or None, locale=get_locale(),
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The note is created."), "success")
            return redirect(url_for("notes.edit", note_id=note.id))
    return render_template("notes/new.html", community=community, form=form), 422 if form.errors else 200


# --- one note -----------------------------------------------------------------------------


def _context(note):
    return {
        "note": note, "community": note.community, "attached": service.attached_to(note),
        "can_edit": access.can(current_user, "note.edit", note), "can_manage": access.can(current_user, "note.manage", note),
    }


@bp.route("/notes/<int:note_id>")
def show(note_id):
    note = note_or_404(note_id)
    if current_user.is_authenticated and notifications.mark_read_for(current_user, "note", [note.id]):
        db.session.commit()  # opened: its "shared with you" notice is read and leaves "To do"
    return render_template("notes/show.html", html=render(live.current_text(note)), authors=service.authors_of(note), confirm_form=ConfirmForm(), **_context(note))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
def edit(note_id):
    note = note_or_404(note_id, "note.edit")
    form = EditForm()
    preview = None
    if request.method == "GET":
        form.title.data, form.body.data, form.base_revision.data = note.title, note.body, note.revision
    elif form.preview.data and form.validate_on_submit():
        # Nothing is saved: the text as it will read (the live document's, when edited live).
        text = live.current_text(note) if form.live.data == "1" else (form.body.data or "")
        preview = render(text)
        if form.live.data == "1":
            form.body.data = text
    elif form.validate_on_submit():
        try:
            if form.live.data == "1":  # the text went through the live document: the title only
                live.settle(note)
                service.rename(note, current_user, form.title.data)
            else:
                live.settle(note)
                service.save(note, current_user, body=form.body.data or "", title=form.title.data, base_revision=form.base_revision.data)
        except service.Conflict:
            db.session.rollback()
            note = service.get(Note, note_id)
            return render_template("notes/conflict.html", mine=form.body.data or "", my_title=form.title.data, form=_conflict_form(note, form), **_context(note)), 409
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The note is saved."), "success")
            return redirect(url_for("notes.show", note_id=note.id))
    return render_template("notes/edit.html", form=form, preview=preview, **_context(note)), 422 if form.errors else 200


def _conflict_form(note, sent):
    """A form on the latest revision holding the text that could not be saved, to merge by hand."""
    form = EditForm(formdata=None)
    form.title.data = sent.title.data or note.title
    form.body.data = sent.body.data or ""
    form.base_revision.data = note.revision
    return form


@bp.route("/notes/<int:note_id>/share", methods=["GET", "POST"])
def share(note_id):
    note = note_or_404(note_id, "note.manage")
    form = ShareForm()
    form.members.choices = member_choices(service.shareable_members(note))
    if request.method == "GET":
        form.visibility.data = note.visibility
        form.members.data = sorted(note.shared_user_ids)
    if form.validate_on_submit():
        try:
            service.share(note, form.visibility.data, form.members.data or ())
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Sharing saved."), "success")
            return redirect(url_for("notes.show", note_id=note.id))
    return render_template("notes/share.html", form=form, **_context(note)), 422 if form.errors else 200


@bp.route("/notes/<int:note_id>/attach", methods=["GET", "POST"])
def attach(note_id):
    note = note_or_404(note_id, "note.manage")
    form = AttachForm()
    form.attached_to.choices = attachment_choices(note.community)
    if request.method == "GET":
        form.attached_to.data = f"{note.attached_kind}:{note.attached_id}" if note.attached_kind else ""
    if form.validate_on_submit():
        try:
            service.attach(note, current_user, service.parse_attachment(form.attached_to.data))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("notes.show", note_id=note.id))
    return render_template("notes/attach.html", form=form, **_context(note)), 422 if form.errors else 200


@bp.route("/notes/<int:note_id>/delete", methods=["POST"])
def delete(note_id):
    note = note_or_404(note_id, "note.manage")
    community = note.community
    if ConfirmForm().validate_on_submit():
        service.delete_note(note, current_user)
        db.session.commit()
        flash(_("The note is deleted."), "success")
        return redirect(url_for("notes.community", slug=community.slug))
    return redirect(url_for("notes.show", note_id=note.id))


@bp.route("/notes/<int:note_id>/history")
def history(note_id):
    note = note_or_404(note_id)
    revisions = service.revisions(note)
    form = CompareForm(request.args)
    numbers = [r.number for r in revisions]
    b = form.b.data if form.b.data in numbers else note.revision
    a = form.a.data if form.a.data in numbers else max(1, b - 1)
    old, new = service.revision(note, a), service.revision(note, b)
    lines = service.diff(old.body if old else "", new.body if new else "")
    form.a.data, form.b.data = a, b
    return render_template(
        "notes/history.html", revisions=revisions, form=form, a=a, b=b, old=old, new=new, lines=lines,
        confirm_form=ConfirmForm(), **_context(note),
    )


@bp.route("/notes/<int:note_id>/revisions/<int:number>")
def revision(note_id, number):
    note = note_or_404(note_id)
    found = service.revision(note, number)
    if found is None:
        abort(404)
    return render_template("notes/revision.html", revision=found, html=render(found.body), confirm_form=ConfirmForm(), **_context(note))


@bp.route("/notes/<int:note_id>/revisions/<int:number>/restore", methods=["POST"])
def restore(note_id, number):
    note = note_or_404(note_id, "note.edit")
    if service.revision(note, number) is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        live.settle(note)
        try:
            service.restore(note, current_user, number)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Revision %(number)d is restored as a new revision.", number=number), "success")
    return redirect(url_for("notes.history", note_id=note.id))


def _filename(note):
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", note.title.encode("ascii", "ignore").decode()).strip("-")[:60] or "note"
    return f"{stem}-{note.id}.md"


@bp.route("/notes/<int:note_id>.md")
def export(note_id):
    note = note_or_404(note_id)
    text = f"# {note.title}\n\n{note.body}"
    if not text.endswith("\n"):
        text += "\n"
    response = current_app.response_class(text, mimetype="text/markdown")
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(note)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/notes/<int:note_id>/print")
def print_view(note_id):
    note = note_or_404(note_id)
    return render_template("notes/print.html", html=render(note.body), authors=service.authors_of(note), **_context(note))


# --- templates ----------------------------------------------------------------------------


@bp.route("/c/<slug>/note-templates", methods=["GET", "POST"])
def templates(slug):
    community = community_or_404(slug)
    access.require("note.templates", community)
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            service.add_template(community, current_user, form.name.data, form.body.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The template is added."), "success")
            return redirect(url_for("notes.templates", slug=community.slug))
    return render_template(
        "notes/templates.html", community=community, form=form, templates=service.templates_for(community), confirm_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.route("/c/<slug>/note-templates/<int:template_id>/delete", methods=["POST"])
def delete_template(slug, template_id):
    community = community_or_404(slug)
    access.require("note.templates", community)
    found = service.get(NoteTemplate, template_id)
    if found is None or found.community_id != community.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.delete_template(found)
        db.session.commit()
        flash(_("The template is removed."), "success")
    return redirect(url_for("notes.templates", slug=community.slug))
