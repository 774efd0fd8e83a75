"""Email: every message is kept in an outbox table and delivered by a job — printed to the log by
default, sent over SMTP when MAIL_URL (smtp://user:pass@host:port) is set."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from core import clock, jobs
from core.db import IdMixin, TimestampMixin, UTCDateTime
from core.extensions import db

log = logging.getLogger(__name__)


class OutboxEmail(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "outbox_emails"

    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    #: set once delivered; the deliver job is a no-op after that (safe to run twice)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} to={self.recipient!r} sent={self.sent_at is not None}>"


_batch: ContextVar[list[OutboxEmail] | None] = ContextVar("tuan_mail_batch", default=None)


def send_email(recipient: str, subject: str, body: str) -> OutboxEmail:
    """Keep the message and deliver it after the current unit of work commits. Inside ``batch()`` the
    message is inserted with the rest of the batch, in one flush, when the batch ends."""
    message = OutboxEmail(recipient=recipient, subject=str(subject), body=str(body))
    db.session.add(message)
    pending = _batch.get()
    if pending is not None:
        pending.append(message)
        return message
    db.session.flush()
    _deliver_later(message)
    return message


@contextmanager
def batch() -> Iterator[None]:
    """Send many emails (telling every member of a group buy) with one INSERT round trip, not one each."""
    if _batch.get() is not None:  # already batching: the outer batch flushes
        yield
        return
    pending: list[OutboxEmail] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    db.session.flush()
    for message in pending:
        _deliver_later(message)


def _deliver_later(message: OutboxEmail) -> None:
    jobs.enqueue(deliver, message.id, job_id=f"email-{message.id}", queue="email")


def deliver(outbox_id: int) -> bool:
    """Job: deliver one outbox message once. Returns False when there was nothing to do."""
    message = db.session.execute(
        sa.select(OutboxEmail).where(OutboxEmail.id == outbox_id).with_for_update()
    ).scalar_one_or_none()
    if message is None or message.sent_at is not None:
        return False
    url = current_app.config.get("MAIL_URL")
    if url:
        _smtp_send(url, message)
    else:
        log.info("email to %s: %s\n%s", message.recipient, message.subject, message.body)
    message.sent_at = clock.now()
    return True


def _smtp_send(url: str, message: OutboxEmail) -> None:
    parts = urlparse(url)
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    smtp_cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_cls(parts.hostname, parts.port or 25, timeout=30) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)
