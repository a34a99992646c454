from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, send_file, session, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import access
from ..exceptions import ServiceError
from ..extensions import db, limiter
from ..i18n import select_locale
from ..urls import safe_next
from . import limits, service
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    EmailChangeForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
    TokenForm,
)
from .models import ApiToken, PendingRegistration, User

bp = Blueprint("accounts", __name__)


def login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.before_request
def _private():
    g.private_page = True


def _invitation_in_session():
    """The invitation whose link this visitor opened, while it is still pending (else forgotten)."""
    from ..communities.models import Invitation

    token = session.get("invitation")
    invitation = Invitation.by_token(token) if isinstance(token, str) else None
    if invitation is None or invitation.status != "pending":
        session.pop("invitation", None)
        return None
    return invitation


@bp.route("/register", methods=["GET", "POST"])
@limits.registration_per_address
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    invitation = _invitation_in_session()
    if current_app.config["REGISTRATION"] != "open" and invitation is None:
        return render_template("accounts/registration_closed.html"), 403
    form = RegistrationForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: an email says which it is.
        service.request_registration(
            form.email.data, form.password.data, form.display_name.data, form.organization.data, form.job_title.data,
            locale=select_locale(), invitation=invitation, next_path=safe_next(),
        )
        db.session.commit()
        session.pop("invitation", None)  # one registration per opening of an invitation link
        session["registration_email"] = form.email.data
        return redirect(url_for("accounts.registration_sent"))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.route("/register/sent")
def registration_sent():
    email = session.get("registration_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/registration_sent.html", email=email)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token):
    """Opening the emailed link asks; its button creates the account (a mail scanner following
    links creates nothing), logs the person in and, from an invitation, joins its community."""
    pending = PendingRegistration.by_token(token)
    if pending is None:
        return render_template("accounts/registration_link_invalid.html"), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user, membership = service.complete_registration(pending, invitation_required=current_app.config["REGISTRATION"] != "open")
        except ServiceError as error:
            db.session.commit()  # the address's other links are gone when it already has an account
            flash(str(error.message), "error")
            return redirect(url_for("accounts.login"))
        db.session.commit()
        session.pop("registration_email", None)
        login_user(user)
        flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
        if membership is not None:
            flash(_("Welcome to “%(name)s”!", name=membership.community.name), "success")
            return redirect(url_for("communities.show", slug=membership.community.slug))
        return redirect(safe_next(value=pending.next_path))
    return render_template("accounts/confirm_registration.html", pending=pending, form=form)


@bp.route("/login", methods=["GET", "POST"])
@limits.login_per_address
@limits.login_per_account
def login():
    if current_user.is_authenticated:
        return redirect(safe_next())
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # a rehashed password is kept
            login_user(user, remember=form.remember.data)
            return redirect(safe_next())
        form.password.errors.append(_("This email and password do not match an account."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.send_reset_link(form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, a reset link is on its way. It is valid for two hours."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/request_reset.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = service.user_from_reset_token(token)
    if user is None:
        return render_template("accounts/link_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        revoked = service.reset_password(user, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password is changed. You can log in with it now."), "success")
        if revoked:
            flash(ngettext(
                "Your API token was revoked: programs that used it need a new one.",
                "Your %(num)d API tokens were revoked: programs that used them need new ones.", revoked,
            ), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    access.require("account.manage", current_user)
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            if form.remove_avatar.data:
                current_user.avatar_file = None
                current_user.avatar_type = None
            elif form.avatar.data:
                service.set_avatar(current_user, form.avatar.data.stream)
        except ServiceError as error:
            form.avatar.errors = list(form.avatar.errors) + [str(error.message)]
        else:
            service.update_profile(current_user, **{name: getattr(form, name).data for name in service.PROFILE_FIELDS})
            db.session.commit()
            session["lang"] = current_user.locale
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    if form.errors:
        db.session.rollback()
    return render_template("accounts/profile.html", form=form), 422 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not service.check_password(current_user, form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            revoked, kept = service.change_password(current_user, form.password.data, keep_tokens=form.keep_tokens.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # the session follows the new password version
            flash(_("Your password is changed."), "success")
            if revoked:
                flash(ngettext(
                    "Your API token was revoked: programs that used it need a new one.",
                    "Your %(num)d API tokens were revoked: programs that used them need new ones.", revoked,
                ), "info")
            elif kept:
                flash(ngettext("Your API token is kept.", "Your %(num)d API tokens are kept.", kept), "info")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/change_password.html", form=form, active_tokens=service.active_token_count(current_user),
    ), 422 if form.errors else 200


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        if not service.check_password(current_user, form.password.data):
            form.password.errors.append(_("This is not your current password."))
        else:
            try:
                service.request_email_change(current_user, form.email.data)
            except ServiceError as error:
                form.email.errors.append(str(error.message))
            else:
                db.session.commit()
                flash(_("We sent a confirmation link to %(email)s. Your address changes when you open it.", email=form.email.data), "info")
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form), 422 if form.errors else 200


@bp.route("/account/email/confirm/<token>")
@login_required
def confirm_email(token):
    try:
        changed = service.confirm_email_change(current_user, token)
    except ServiceError as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.change_email"))
    if not changed:
        return render_template("accounts/link_invalid.html"), 400
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=current_user.email), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        token, new_token = service.create_token(current_user, form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    listing = db.session.execute(
        db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.created_at.desc())
    ).scalars().all()
    status = 422 if form.errors else (201 if new_token else 200)
    return render_template("accounts/tokens.html", form=form, tokens=listing, new_token=new_token, revoke_form=ConfirmForm()), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None or not access.can(current_user, "token.revoke", token):
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.revoke_token(token, current_user)
        db.session.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/users/<int:user_id>")
@login_required
def user_profile(user_id):
    user = db.session.get(User, user_id)
    if user is None or not access.can(current_user, "user.view", user):
        abort(404)
    memberships = [m for m in user.memberships if access.can(current_user, "community.read", m.community)]
    return render_template("accounts/user.html", user=user, memberships=memberships)


@bp.route("/users/<int:user_id>/avatar")
@login_required
def avatar(user_id):
    user = db.session.get(User, user_id)
    if user is None or not access.can(current_user, "user.view", user) or access.hidden_from(current_user, "profile", user):
        abort(404)
    path = service.avatar_path(user)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=user.avatar_type, max_age=3600, etag=True)
    response.headers["Content-Disposition"] = "inline"
    return response

