"""DomainError and the handlers that turn any error into a clear answer: JSON under /api, a page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A use case refused its input. ``code`` is stable for clients; ``message`` is for people."""

    status = 400

    def __init__(self, code: str, message, field: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    @property
    def fields(self) -> dict:
        return {self.field: [str(self.message)]} if self.field else {}


class NotFound(DomainError):
    status = 404

    def __init__(self, message=None, code: str = "not_found"):
        super().__init__(code, message or _l("Not found."))


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403

    def __init__(self, message=None, code: str = "forbidden"):
        super().__init__(code, message or _l("You are not allowed to do that."))


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, code: str, message, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


_HTTP_MESSAGES = {
    400: (_l("The request could not be understood."), "bad_request"),
    401: (_l("Please log in."), "unauthorized"),
    403: (_l("You are not allowed to do that."), "forbidden"),
    404: (_l("Not found."), "not_found"),
    405: (_l("That method is not allowed here."), "method_not_allowed"),
    409: (_l("That conflicts with the current state."), "conflict"),
    413: (_l("The upload is too large."), "too_large"),
    415: (_l("Unsupported content type."), "unsupported_media_type"),
    422: (_l("Some fields are invalid."), "invalid"),
    429: (_l("Too many attempts. Please wait a minute and try again."), "rate_limited"),
}


def _fields_from(exc: HTTPException) -> dict:
    """webargs (through flask-smorest) puts marshmallow's messages under exc.data["messages"]."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    flat: dict = {}
    for location in messages.values():  # {"json": {"field": [...]}}
        if isinstance(location, dict):
            flat.update(location)
    return flat


def register_error_handlers(app: Flask) -> None:
    from core.extensions import db

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        # The unit of work is refused: roll back before rendering, which may read the user again.
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        message, code = _HTTP_MESSAGES.get(exc.code, (exc.description, exc.name.lower().replace(" ", "_")))
        if exc.code == 400 and exc.description and "CSRF" in exc.description:
            message, code = _l("The form expired. Please reload the page and try again."), "csrf"
        return error_response(exc.code or 500, code, message, _fields_from(exc))

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _busy(exc: Exception):
        """The database refused a connection, dropped one, or none was free in time: nothing was saved,
        and asking again shortly will do (503 with Retry-After), not "something went wrong"."""
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        db.session.rollback()
        response, status = error_response(503, "busy", _l("We are very busy right now. Nothing was saved: "
                                                           "please try again in a moment."))
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500, "internal", _l("Something went wrong on our side. Nothing was saved."))
