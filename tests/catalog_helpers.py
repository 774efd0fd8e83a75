"""Helpers for the catalog and operator tests."""

from __future__ import annotations

import io

from PIL import Image

from accounts.models import Role
from core.extensions import db
from tests.factories import count, make_supplier, make_user  # noqa: F401  (re-exported for the catalog tests)


def png_bytes(size: tuple[int, int] = (8, 6), color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def make_operator():
    return make_user(roles=(Role.OPERATOR,))


def supplier_with_staff(**kwargs):
    """A supplier and one member of its staff."""
    staff = make_user()
    return make_supplier(staff=(staff,), **kwargs), staff


def fresh(model, object_id: int):
    """The row as the database has it now (requests run in sessions of their own)."""
    db.session.expire_all()
    return db.session.get(model, object_id)
