"""Email: every message is kept in an outbox table and delivered by a job — printed to the log by
default, sent over SMTP when MAIL_URL (smtp://user:pass@host:port) is set."""

from __future__ import annotations

import logging
import smtplib
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


def send_email(recipient: str, subject: str, body: str) -> OutboxEmail:
    """Keep the message and deliver it after the current unit of work commits."""
    message = OutboxEmail(recipient=recipient, subject=str(subject), body=str(body))
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(deliver, message.id, job_id=f"email-{message.id}", queue="email")
    return message


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
