"""Factories and helpers for the feed and messages tests: posts, comments, images, query counting."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from PIL import Image

from core.extensions import db
from tests.factories import count, make_comment, make_post  # noqa: F401  (the feed tests import them from here)


def png(name: str = "photo.png", color: str = "orange") -> tuple[io.BytesIO, str]:
    """A real PNG image, ready for a multipart form field."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    buffer.seek(0)
    return buffer, name


def text_file(name: str = "notes.png") -> tuple[io.BytesIO, str]:
    """A text file wearing an image's name."""
    return io.BytesIO(b"just some words, not a picture"), name


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Every SQL statement the app runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
