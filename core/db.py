"""Model mixins, the UTC column type, and the commit-once boundary with after-commit side effects."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.extensions import db


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite forgets zones; we put UTC back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use core.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        return clock.as_utc(value)


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


def enum_column(enum_cls: type[enum.Enum], **kwargs):
    """Store an Enum by its value, as a VARCHAR with a CHECK constraint (portable, migration-friendly)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        name=kwargs.pop("name", enum_cls.__name__.lower()),
        **kwargs,
    )


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work commits; forget it if it rolls back. A savepoint
    (``begin_nested``) released or rolled back inside the unit of work neither runs nor forgets anything:
    only the outermost transaction's end does (a callback registered inside a savepoint that rolled back
    still runs at the commit — jobs check what they find)."""
    db.session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the unit of work goes on
        return
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return
    session.info.pop("after_commit", None)


def commit() -> None:
    """The unit-of-work boundary: used by the request wrapper, job wrapper and CLI commands only."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def register_commit_boundary(app: Flask) -> None:
    """Each request is one unit of work: committed when the answer is a success, rolled back otherwise."""

    @app.after_request
    def _commit_or_rollback(response):
        if response.status_code < 400 and not g.get("rollback_only"):
            commit()
        else:
            db.session.rollback()
        return response


#: database objects written by hand in migrations (expression indexes the models cannot describe);
#: autogenerate must not propose dropping them
HAND_WRITTEN = frozenset({"ix_users_display_name_bigrams"})


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object hook (migrations/env.py)."""
    return name not in HAND_WRITTEN


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
