"""The crowd after a sell-out, answered before Flask: WSGI middleware that says "sold out" (409) to
``POST /api/v1/launches/<id>/holds`` when *everything* that answer depends on is already known in this
process's memory — the token's grant, the caller's communities and the launch's facts (the same caches
``holds.reserve`` fills, stamped with the access generation), and the gate's "none left" of under half a
second ago (``launches.gate``). It is where most of a drop's requests land; answering them costs no
routing, no session, no ORM and no round trip.

It changes no answer: the checks are the endpoint's, in its order (a member of one of the launch's
communities, a published first-come launch open now, a quantity from 1 to the limit, then the units),
and the body is the endpoint's, in the caller's language. Whatever is unknown or unusual — a cookie, a
query string, a body other than ``{"quantity": n}``, a cache miss — goes on to Flask unchanged, body
included."""

from __future__ import annotations

import hashlib
import io
import json
import re

from flask import Flask
from flask_babel import force_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from accounts.services import TOKEN_PREFIX
from accounts.token_cache import known_user
from core import clock
from core.i18n import LANGUAGES, locale_for
from launches import buy_cache, gate
from launches.holds import sold_out_error
from launches.models import LaunchMode

_PATH = re.compile(r"/api/v1/launches/([1-9][0-9]{0,9})/holds")
_MAX_BODY = 256


class SoldOutShortcut:
    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self._bodies: dict[str, bytes] = {}

    def __call__(self, environ, start_response):
        answer = self._sold_out(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        start_response("409 CONFLICT", [("Content-Type", "application/json"),
                                        ("Content-Length", str(len(answer)))])
        return [answer]

    def _sold_out(self, environ) -> bytes | None:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING") or environ.get("HTTP_COOKIE"):
            return None
        path = _PATH.fullmatch(environ.get("PATH_INFO", ""))
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if path is None or scheme.lower() != "bearer" or not token.strip().startswith(TOKEN_PREFIX):
            return None
        quantity = _quantity(environ)
        if quantity is None:
            return None
        with self.app.app_context():
            user = known_user(hashlib.sha256(token.strip().encode()).hexdigest())
            if user is None or not user.is_active:
                return None
            launch_id = int(path.group(1))
            facts = buy_cache.known_facts_for(user.id, launch_id)
            if (facts is None or facts.mode != LaunchMode.FIRST_COME or not facts.is_open(clock.now())
                    or not 1 <= quantity <= facts.per_member_limit or not gate.known_sold_out(launch_id)):
                return None
            return self._body(_locale(user.locale, environ.get("HTTP_ACCEPT_LANGUAGE", "")))

    def _body(self, locale: str) -> bytes:
        body = self._bodies.get(locale)
        if body is None:
            with self.app.test_request_context(), force_locale(locale):
                refusal = sold_out_error(0)
                body = json.dumps({"error": {"code": refusal.code, "message": str(refusal.message),
                                             "fields": refusal.fields}}).encode()
            self._bodies[locale] = body
        return body


def _quantity(environ) -> int | None:
    """``{"quantity": n}`` (or ``{}``: 1) as JSON; None for anything else. The body is put back for Flask."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= _MAX_BODY:
        return None
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or set(body) - {"quantity"}:
        return None
    quantity = body.get("quantity", 1)
    return quantity if type(quantity) is int else None


def _locale(chosen: str | None, accept_language: str) -> str:
    """``core.i18n.select_locale`` for a request with no query string and no session."""
    if chosen in LANGUAGES:
        return chosen
    return locale_for(parse_accept_header(accept_language, LanguageAccept))


def register_sold_out_shortcut(app: Flask) -> None:
    app.wsgi_app = SoldOutShortcut(app.wsgi_app, app)
