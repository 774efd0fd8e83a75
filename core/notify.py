"""In-app notifications: what the bell in the header lists. A notification keeps a ``kind`` and its
parameters, not text, so each reader sees it in their own language; ``key`` makes telling someone the
same thing twice (a job that runs again) a no-op."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import IdMixin, TimestampMixin, UTCDateTime
from core.extensions import db


class Notification(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))  #: e.g. "po_shipped": picks the message template
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  #: the message's named values
    link: Mapped[str] = mapped_column(sa.String(300), default="")  #: a path inside Tuan
    #: what makes it once-only per user, e.g. "po-shipped-7"
    key: Mapped[str] = mapped_column(sa.String(120))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
