"""Store credit (issue #6): each member's balance per community, kept as an append-only ledger.

``CreditAccount.balance`` is the running sum of the account's ``CreditEntry`` amounts, changed only in
the same unit of work that appends the entry, by one conditional statement (never below 0: a CHECK and
the ``WHERE balance >= n`` of a spend). Entries are never changed or deleted; a mistake is put right by
an entry of its own (a reversal). Every entry has a ``key`` naming what it is for, unique, so that a
reward, a spend or a reversal is written once however often it is asked for."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db


class CreditSource(enum.StrEnum):
    REVIEW_REWARD = "review_reward"
    REFERRAL_REWARD = "referral_reward"
    DRAW_PRIZE = "draw_prize"
    SPEND = "spend"  #: credit paid toward an order (negative)
    REVERSAL = "reversal"  #: a spend given back (the order was refunded or cancelled)


class CreditAccount(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "user_id"),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))  #: the community's
    balance: Mapped[int] = mapped_column(default=0)  #: minor units; the sum of the entries


class CreditEntry(IdMixin, db.Model):
    __tablename__ = "credit_entries"
    __table_args__ = (sa.CheckConstraint("amount <> 0", name="amount_not_zero"),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("credit_accounts.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column()  #: minor units: positive credit, negative spend
    source: Mapped[CreditSource] = mapped_column(enum_column(CreditSource))
    #: what makes it once-only, e.g. "review-reward-line-12", "spend-order-5", "reversal-order-5"
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


@event.listens_for(CreditEntry, "before_update")
@event.listens_for(CreditEntry, "before_delete")
def _append_only(_mapper, _connection, entry: CreditEntry) -> None:
    raise RuntimeError(f"credit entry {entry.id} is part of the ledger: append a reversal instead")
