"""Role checks and object-level access helpers. Anything a user may not see is a 404, not a 403:
the answer must not reveal that another community's member, post or message exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user, login_required

from core.errors import Forbidden, NotFound

__all__ = ["login_required", "roles_required", "found_or_404", "visible_or_404", "require"]


def roles_required(*roles: str) -> Callable:
    """The view needs a logged-in user holding at least one of ``roles`` (e.g. "operator")."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def found_or_404(obj):
    if obj is None:
        raise NotFound()
    return obj


def visible_or_404(obj, allowed: bool):
    """Return ``obj`` only when it exists and the caller may see it; otherwise a plain 404."""
    if obj is None or not allowed:
        raise NotFound()
    return obj


def require(allowed: bool, message=None) -> None:
    """For actions on something the caller can already see but may not change."""
    if not allowed:
        raise Forbidden(message)
