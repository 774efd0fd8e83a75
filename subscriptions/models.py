"""Subscription boxes (issue #5): a shopkeeper's plan on a supplier's products — a rhythm
(``subscriptions.calendar``), a price per box, a cut-off, a capacity per cycle, a default menu and a menu
per cycle — and members' subscriptions to it with their skips, swaps and pauses.

A cycle is named by its local delivery date. The cycle job turns each active, unskipped, unpaused
subscription into one ``SubscriptionCycle`` row — unique per subscription and date, so a rerun or a
concurrent run makes nothing twice — and that row into one Order (``source`` "subscription",
``source_id`` the row's id)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db
from shopkeeper.models import Community, PickupPoint
from subscriptions.calendar import Cadence
from supplier.models import Variant


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  #: only its shopkeepers see it
    OPEN = "open"  #: members subscribe; cycles run
    CLOSED = "closed"  #: no new subscribers, no more cycles


class Fulfilment(enum.StrEnum):
    PICKUP = "pickup"  #: at one of the plan's pickup points, on the delivery date
    DELIVERY = "delivery"  #: to the member's door on the delivery date


plan_pickup_points = sa.Table(
    "subscription_plan_pickup_points",
    db.metadata,
    sa.Column("plan_id", sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pickup_point_id", sa.ForeignKey("pickup_points.id", ondelete="CASCADE"), primary_key=True),
)


class Plan(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "subscription_plans"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_week"),
        sa.CheckConstraint("delivery_hour BETWEEN 0 AND 23", name="hour_in_day"),
        sa.CheckConstraint("cutoff_hours >= 0", name="cutoff_not_negative"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cadence: Mapped[Cadence] = mapped_column(enum_column(Cadence))
    weekday: Mapped[int] = mapped_column()  #: 0 = Monday … 6 = Sunday, in the community's time zone
    starts_on: Mapped[date] = mapped_column(sa.Date)  #: no delivery before this local date
    delivery_hour: Mapped[int] = mapped_column(default=9)
    cutoff_hours: Mapped[int] = mapped_column(default=48)  #: changes refused this long before delivery
    price: Mapped[int] = mapped_column()  #: per box, minor units of ``currency``
    currency: Mapped[str] = mapped_column(sa.String(3))
    capacity: Mapped[int | None] = mapped_column()  #: boxes per cycle; None: no limit
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment), default=Fulfilment.PICKUP)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)

    community: Mapped[Community] = relationship()
    pickup_points: Mapped[list[PickupPoint]] = relationship(secondary=plan_pickup_points)
    images: Mapped[list[PlanImage]] = relationship(cascade="all, delete-orphan", order_by="PlanImage.position")


class PlanImage(IdMixin, db.Model):
    __tablename__ = "subscription_plan_images"

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  #: under UPLOAD_FOLDER (core.uploads)
    position: Mapped[int] = mapped_column(default=0)


class PlanItem(IdMixin, db.Model):
    """One item of a box: the plan's default menu (``delivery_date`` None) or the menu of one cycle.
    A cycle with a menu of its own uses it instead of the default."""

    __tablename__ = "subscription_plan_items"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        sa.Index("ix_subscription_plan_items_plan_date", "plan_id", "delivery_date"),
    )

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"))
    delivery_date: Mapped[date | None] = mapped_column(sa.Date)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    lead_time_days: Mapped[int] = mapped_column(default=0)  #: it leaves the supplier this long before delivery
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship()
    variant: Mapped[Variant] = relationship()


class PlanSwap(db.Model):
    """A swap the plan allows: ``variant_id`` in a box may be exchanged for ``alternative_id``."""

    __tablename__ = "subscription_plan_swaps"
    __table_args__ = (sa.CheckConstraint("variant_id <> alternative_id", name="swap_to_another"),)

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), primary_key=True)
    alternative_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), primary_key=True)


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  #: no box until ``paused_until`` (or until resumed, when it is None)
    CANCELLED = "cancelled"


class PaymentChoice(enum.StrEnum):
    CARD = "card"  #: a card saved for off-session charges, billed at each cut-off
    AT_PICKUP = "at_pickup"  #: paid to the shopkeeper when the box is collected


class Subscription(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "user_id"),  #: subscribing again reopens the same row
        sa.Index("ix_subscriptions_plan_status", "plan_id", "status", "id"),
    )

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[SubscriptionStatus] = mapped_column(enum_column(SubscriptionStatus),
                                                       default=SubscriptionStatus.ACTIVE)
    #: a pause: no box for a cycle whose cut-off came after ``paused_at`` and whose date is before
    #: ``paused_until`` (None: until resumed; resuming sets it to the first delivery still open)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[date | None] = mapped_column(sa.Date)
    pickup_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_points.id", ondelete="SET NULL"))
    delivery_address: Mapped[str] = mapped_column(sa.Text, default="")  #: for a plan delivered to the door
    payment_choice: Mapped[PaymentChoice] = mapped_column(enum_column(PaymentChoice),
                                                          default=PaymentChoice.AT_PICKUP)
    #: boxes from the first cycle cut off after this (subscribing again after a cancellation moves it)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: no box for cycles cut off after it

    plan: Mapped[Plan] = relationship()
    user: Mapped[User] = relationship()

    def paused_for(self, delivery_date: date, cutoff_at: datetime) -> bool:
        return (self.paused_at is not None and self.paused_at < cutoff_at
                and (self.paused_until is None or delivery_date < self.paused_until))

    def due_for(self, delivery_date: date, cutoff_at: datetime) -> bool:
        """Whether this subscription gets the box of ``delivery_date`` as things stood at its cut-off
        (skips aside): changes made after a cut-off never reach back to that cycle."""
        if self.subscribed_at >= cutoff_at or (self.cancelled_at is not None and self.cancelled_at < cutoff_at):
            return False
        return not self.paused_for(delivery_date, cutoff_at)


class SubscriptionSkip(db.Model):
    __tablename__ = "subscription_skips"

    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
                                                 primary_key=True)
    delivery_date: Mapped[date] = mapped_column(sa.Date, primary_key=True)


class SubscriptionSwap(db.Model):
    """For one delivery, the member takes ``alternative_id`` instead of ``variant_id`` (a ``PlanSwap``)."""

    __tablename__ = "subscription_swaps"

    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
                                                 primary_key=True)
    delivery_date: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), primary_key=True)
    alternative_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))


class CycleStatus(enum.StrEnum):
    ORDERED = "ordered"  #: an Order was made for the box
    LEFT_OUT = "left_out"  #: the cycle was full; the member was told


class SubscriptionCycle(IdMixin, TimestampMixin, db.Model):
    """What the cycle job decided for one subscription and delivery date: exactly one row, ever."""

    __tablename__ = "subscription_cycles"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "delivery_date"),
        sa.Index("ix_subscription_cycles_plan_date", "plan_id", "delivery_date"),
    )

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscriptions.id", ondelete="CASCADE"))
    delivery_date: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[CycleStatus] = mapped_column(enum_column(CycleStatus))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    #: the box's payment (a card charge, or paying at pickup); None for a box of 0 or one left out
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id", ondelete="SET NULL"))
    #: card billing: off-session retries made after the first decline (``subscriptions.billing``)
    retries: Mapped[int] = mapped_column(default=0, server_default="0")
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: the first decline
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  #: None: nothing to retry

    plan: Mapped[Plan] = relationship()
    subscription: Mapped[Subscription] = relationship()
