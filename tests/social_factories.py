"""Factories and helpers for the feed and messages tests: posts, comments, images, query counting."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from PIL import Image

from accounts.models import User
from core.extensions import db
from shopkeeper.models import Comment, Post


def make_post(community, *, author: User | None = None, body: str = "Lychees arrive on Friday.",
              pinned: bool = False) -> Post:
    post = Post(community_id=community.id, author_id=(author or community.owner).id, body=body, pinned=pinned)
    db.session.add(post)
    db.session.commit()
    return post


def make_comment(post: Post, author: User, *, body: str = "Count me in!") -> Comment:
    comment = Comment(post_id=post.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.commit()
    return comment


def png(name: str = "photo.png", color: str = "orange") -> tuple[io.BytesIO, str]:
    """A real PNG image, ready for a multipart form field."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    buffer.seek(0)
    return buffer, name


def text_file(name: str = "notes.png") -> tuple[io.BytesIO, str]:
    """A text file wearing an image's name."""
    return io.BytesIO(b"just some words, not a picture"), name


def count(model, *criteria) -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*criteria)).scalar_one()


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
