"""Plain factory functions with keyword overrides. Each commits, as a real request would."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient

from accounts import services as accounts
from accounts.models import Role, User
from core.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def make_user(*, email: str | None = None, display_name: str | None = None, password: str = PASSWORD,
              roles: tuple[Role, ...] = (), locale: str | None = None) -> User:
    name = display_name or unique("Person ")
    user = accounts.register(email or f"{unique('user')}@example.com", password, name, locale=locale)
    for role in roles:
        accounts.grant_role(user, role)
    db.session.commit()
    return user


def login_as(client: FlaskClient, user: User) -> FlaskClient:
    """Log ``client`` in as ``user`` through the real login page."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_headers(user: User) -> dict:
    """Authorization headers with a fresh personal API token for ``user``."""
    _token, plain = accounts.create_api_token(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}
