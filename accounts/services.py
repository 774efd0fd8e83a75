"""Account use cases: register, authenticate, profile, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts.models import ApiToken, Role, User, UserRole
from accounts.token_cache import user_for_digest
from core import clock
from core.errors import DomainError, NotFound
from core.extensions import db

TOKEN_PREFIX = "tuan_"
# A hash to verify against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH: dict[tuple, str] = {}


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["PASSWORD_TIME_COST"],
        memory_cost=current_app.config["PASSWORD_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _check_password(password: str, min_length: int = 8) -> None:
    if len(password or "") < min_length:
        raise DomainError("weak_password", _l("Use at least 8 characters."), field="password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.execute(sa.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def register(email: str, password: str, display_name: str, locale: str | None = None) -> User:
    """Create a member account. Raises ``email_taken`` (409) or ``weak_password``."""
    email = normalise_email(email)
    _check_password(password)
    if get_user_by_email(email) is not None:
        raise DomainError("email_taken", _l("An account with this email already exists."),
                          field="email", status=409)
    user = User(email=email, display_name=display_name.strip(), password_hash=hash_password(password),
                locale=locale)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or ``bad_credentials`` (never saying which part was wrong)."""
    user = get_user_by_email(email)
    hasher = _hasher()
    try:
        if user is None:
            key = (hasher.time_cost, hasher.memory_cost)
            _DUMMY_HASH.setdefault(key, hasher.hash("not-a-password"))
            hasher.verify(_DUMMY_HASH[key], password or "")
            raise VerificationError
        hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise DomainError("bad_credentials", _l("Wrong email or password."), status=401) from None
    if not user.is_active:
        raise DomainError("inactive", _l("This account is disabled."), status=403)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def update_profile(user: User, *, display_name: str | None = None, locale: str | None = None,
                   timezone: str | None = None) -> User:
    if display_name is not None:
        if not display_name.strip():
            raise DomainError("required", _l("A name is required."), field="display_name")
        user.display_name = display_name.strip()
    if locale is not None:
        user.locale = locale or None
    if timezone is not None:
        user.timezone = timezone or None
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher().verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise DomainError("bad_credentials", _l("The current password is wrong."),
                          field="current_password") from None
    _check_password(new)
    user.password_hash = hash_password(new)
    db.session.flush()


def grant_role(user: User, role: Role) -> None:
    """Idempotent: granting a role the user holds changes nothing."""
    if not user.has_role(role):
        user.roles.append(UserRole(role=role))
        db.session.flush()


def revoke_role(user: User, role: Role) -> None:
    user.roles = [r for r in user.roles if r.role != role]
    db.session.flush()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``. The plain token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("required", _l("Give the token a name."), field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:80], token_hash=_digest(plain), prefix=plain[:12])
    db.session.add(token)
    db.session.flush()
    return token, plain


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    ).scalars())


def revoke_api_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound()
    token.revoked_at = clock.now()
    db.session.flush()


def user_for_token(plain: str) -> User | None:
    """The active user a live token belongs to (cached per process: ``accounts.token_cache``)."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    return user_for_digest(_digest(plain))
