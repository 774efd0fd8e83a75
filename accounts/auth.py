"""How a request says who it is: the session cookie (pages) or ``Authorization: Bearer tuan_…`` (API)."""

from __future__ import annotations

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from accounts import services
from accounts.models import User
from core.extensions import csrf, db, login_manager


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """A request authenticated by an API token gets no session cookie (flask-login's documented way):
    revoking the token must end its access, not leave a logged-in cookie behind."""

    def save_session(self, app, session, response):
        if g.get("token_auth"):
            return None
        return super().save_session(app, session, response)


def register_auth(app: Flask) -> None:
    app.session_interface = TokenAwareSessionInterface()
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @login_manager.request_loader
    def load_from_token(_request) -> User | None:
        token = bearer_token()
        if token is None:
            return None
        user = services.user_for_token(token)
        g.token_auth = user is not None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        from core.errors import error_response, wants_json

        if wants_json():
            return error_response(401, "unauthorized", _l("Please log in or send an API token."))
        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _csrf_unless_token():
        """Forms and session-authenticated API calls need the CSRF token; a bearer token does not
        (a browser never sends one on its own, so it cannot be forged cross-site)."""
        if app.config.get("WTF_CSRF_ENABLED", True) and bearer_token() is None:
            csrf.protect(apply_exemptions=True)
