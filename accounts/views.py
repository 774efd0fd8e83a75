"""Pages: register, log in, log out, profile, language, API tokens."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from accounts import services
from accounts.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm, TokenForm
from core.errors import DomainError
from core.extensions import limiter
from core.forms import LanguageForm, form_error, invalid_form
from core.i18n import LANGUAGES

bp = Blueprint("accounts", __name__)


@bp.before_app_request
def remember_language_from_link():
    """A link that names a language (``?lang=zh_Hans_CN``, say in a shared invite) keeps the visitor in that
    language as they click on, and registering keeps it as their setting: the choice goes into the session,
    where the locale selector looks after the user's own setting."""
    choice = request.args.get("lang")
    if choice in LANGUAGES and session.get("locale") != choice and not request.path.startswith("/api/"):
        session["locale"] = choice


def _next_url() -> str:
    target = request.args.get("next") or ""
    # Only same-site paths: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else url_for("home")


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        return invalid_form("accounts/register.html", form) if form.is_submitted() else render_template(
            "accounts/register.html", form=form)
    try:
        user = services.register(form.email.data, form.password.data, form.display_name.data,
                                 locale=session.get("locale"))
    except DomainError as error:
        return form_error(form, error, "accounts/register.html")
    login_user(user)
    flash(_("Welcome to Tuan, %(name)s!", name=user.display_name), "success")
    return redirect(_next_url())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return invalid_form("accounts/login.html", form) if form.is_submitted() else render_template(
            "accounts/login.html", form=form)
    try:
        user = services.authenticate(form.email.data, form.password.data)
    except DomainError as error:
        return form_error(form, error, "accounts/login.html")
    login_user(user, remember=True)
    return redirect(_next_url())


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
        return render_template("accounts/profile.html", form=form, password_form=PasswordForm())
    if not form.validate_on_submit():
        return invalid_form("accounts/profile.html", form, password_form=PasswordForm())
    try:
        services.update_profile(current_user, display_name=form.display_name.data,
                                locale=form.locale.data, timezone=form.timezone.data)
    except DomainError as error:
        return form_error(form, error, "accounts/profile.html", password_form=PasswordForm())
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/profile/password")
@login_required
def change_password():
    form = PasswordForm()
    context = {"form": ProfileForm(obj=current_user), "password_form": form}
    if not form.validate_on_submit():
        return render_template("accounts/profile.html", **context), 422
    try:
        services.change_password(current_user, form.current_password.data, form.password.data)
    except DomainError as error:
        getattr(form, error.field or "current_password").errors = [str(error.message)]
        return render_template("accounts/profile.html", **context), 422
    flash(_("Your password is changed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            services.update_profile(current_user, locale=form.locale.data)
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("home"))


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _token, new_token = services.create_api_token(current_user, form.name.data)
        except DomainError as error:
            return form_error(form, error, "accounts/tokens.html",
                              tokens=services.list_api_tokens(current_user), new_token=None)
        form = TokenForm(formdata=None)
    elif form.is_submitted():
        return invalid_form("accounts/tokens.html", form, tokens=services.list_api_tokens(current_user),
                            new_token=None)
    return render_template("accounts/tokens.html", form=form, new_token=new_token,
                           tokens=services.list_api_tokens(current_user))


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    services.revoke_api_token(current_user, token_id)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("accounts.tokens"))
