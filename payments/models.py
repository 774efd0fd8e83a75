"""Money received and returned, whatever the gateway, and the ledger of webhook events acted on."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db


class PaymentPurpose(enum.StrEnum):
    DEPOSIT = "deposit"  #: taken when a member pledges
    BALANCE = "balance"  #: the final amount less the deposit, charged at close
    REFUND = "refund"  #: a deposit returned (the offer failed, the pledge was released)


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  #: created; not yet paid (offline: waiting for the shopkeeper to confirm)
    REQUIRES_ACTION = "requires_action"  #: the member must act (authenticate, or pay on-session)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  #: declined; see failure_code / failure_message
    CANCELLED = "cancelled"


UNTRIED = "status = 'pending' AND gateway_id IS NULL AND gateway <> 'offline'"  #: the predicate of ix_payments_untried


def untried() -> sa.TextClause:
    """A card payment never tried at the gateway, as a literal predicate (never bound parameters, which
    a generic plan could not match with the partial index ``ix_payments_untried``)."""
    return sa.text("payments.status = 'pending' AND payments.gateway_id IS NULL AND payments.gateway <> 'offline'")


class Payment(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("covered_amount >= 0", name="covered_not_negative"),
        sa.Index("ix_payments_reference", "reference", "purpose"),
        #: the few card payments never tried at the gateway, among the many waiting for cash at pickup
        sa.Index("ix_payments_untried", "created_at", postgresql_where=sa.text(UNTRIED), sqlite_where=sa.text(UNTRIED)),
    )

    gateway: Mapped[str] = mapped_column(sa.String(16))  #: "offline" or "stripe"
    purpose: Mapped[PaymentPurpose] = mapped_column(enum_column(PaymentPurpose))
    #: what the money is for, e.g. "pledge:42" — payments sit below the packages that use them
    reference: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    amount: Mapped[int] = mapped_column()  #: minor units: what the gateway (or the shopkeeper) is asked for
    #: paid by other means before any gateway saw it (store credit): the first ask was amount + covered_amount
    covered_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the order a balance pays for (None: a deposit taken before its order exists, or a refund)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus), default=PaymentStatus.PENDING)
    #: derived from our own ids ("balance-pledge-42"): the same charge can never be made twice
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    gateway_id: Mapped[str | None] = mapped_column(sa.String(120), index=True)  #: e.g. Stripe's pi_…
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    failure_message: Mapped[str | None] = mapped_column(sa.String(500))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: dunning: a declined balance may be paid on-session until then; the sweeper cancels it after
    action_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.purpose.value} {self.reference} {self.amount} {self.status.value}>"


class GatewayCustomer(IdMixin, TimestampMixin, db.Model):
    """A member's customer record at a gateway (Stripe's cus_…), where their saved card lives."""

    __tablename__ = "gateway_customers"
    __table_args__ = (sa.UniqueConstraint("user_id", "gateway"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    gateway: Mapped[str] = mapped_column(sa.String(16))
    customer_id: Mapped[str] = mapped_column(sa.String(120))
    payment_method_id: Mapped[str | None] = mapped_column(sa.String(120))  #: the card saved for later
    #: the gateway's fingerprint of that card (the same card number gives the same one), when known
    card_fingerprint: Mapped[str | None] = mapped_column(sa.String(64), index=True)


class WebhookEvent(IdMixin, db.Model):
    """Each gateway event is recorded once, before it acts: a replayed event finds its row and stops."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.UniqueConstraint("gateway", "event_id"),)

    gateway: Mapped[str] = mapped_column(sa.String(16))
    event_id: Mapped[str] = mapped_column(sa.String(120))
    type: Mapped[str] = mapped_column(sa.String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
