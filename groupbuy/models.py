"""Group buys: a shopkeeper's run of a supplier offer in one community, and the members' pledges.
Pledges on every group buy of an offer pool toward the offer's tiers and MOQ."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db
from shopkeeper.models import Community, PickupPoint
from supplier.models import Offer


class MarginKind(enum.StrEnum):
    FIXED = "fixed"  #: margin_value is minor units added to each unit's wholesale price
    PERCENT = "percent"  #: margin_value is basis points (1/100 %) of the wholesale price


class GroupBuyStatus(enum.StrEnum):
    OPEN = "open"  #: members pledge until the deadline
    SUCCEEDED = "succeeded"  #: the offer closed at or above its MOQ
    FAILED = "failed"  #: the offer closed below its MOQ; pledges were released
    CANCELLED = "cancelled"  #: the shopkeeper withdrew it; pledges were released


group_buy_pickup_points = sa.Table(
    "group_buy_pickup_points",
    db.metadata,
    sa.Column("group_buy_id", sa.ForeignKey("group_buys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pickup_point_id", sa.ForeignKey("pickup_points.id", ondelete="CASCADE"), primary_key=True),
)


class GroupBuy(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "group_buys"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "community_id"),
        sa.CheckConstraint("margin_value >= 0", name="margin_not_negative"),
        sa.CheckConstraint("deposit_percent BETWEEN 0 AND 100", name="deposit_percent_range"),
        sa.CheckConstraint("per_member_max IS NULL OR per_member_max >= 1", name="per_member_max_positive"),
        sa.Index("ix_group_buys_community_status", "community_id", "status"),
    )

    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    margin_kind: Mapped[MarginKind] = mapped_column(enum_column(MarginKind))
    margin_value: Mapped[int] = mapped_column()
    deposit_percent: Mapped[int] = mapped_column(default=0)  #: of the pledge's amount at the price shown
    per_member_max: Mapped[int | None] = mapped_column()  #: units one member may pledge; None: no limit
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)  #: no later than the offer's closes_at
    status: Mapped[GroupBuyStatus] = mapped_column(enum_column(GroupBuyStatus), default=GroupBuyStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the shopkeeper received the goods and opened the pickup points
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offer: Mapped[Offer] = relationship()
    community: Mapped[Community] = relationship()
    created_by: Mapped[User] = relationship()
    pickup_points: Mapped[list[PickupPoint]] = relationship(secondary=group_buy_pickup_points,
                                                            order_by="PickupPoint.id")
    images: Mapped[list[GroupBuyImage]] = relationship(cascade="all, delete-orphan",
                                                       order_by="GroupBuyImage.position")

    def member_price(self, wholesale_unit_price: int) -> int:
        """What a member pays per unit when the wholesale price is ``wholesale_unit_price``: the
        shopkeeper's margin on top, a percentage rounded half up to a whole minor unit."""
        if self.margin_kind == MarginKind.FIXED:
            return wholesale_unit_price + self.margin_value
        return wholesale_unit_price + (wholesale_unit_price * self.margin_value + 5_000) // 10_000

    def __repr__(self) -> str:
        return f"<GroupBuy {self.id} offer={self.offer_id} community={self.community_id} {self.status.value}>"


class GroupBuyImage(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "group_buy_images"

    group_buy_id: Mapped[int] = mapped_column(sa.ForeignKey("group_buys.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  #: under UPLOAD_FOLDER
    position: Mapped[int] = mapped_column(default=0)


class PledgeStatus(enum.StrEnum):
    ACTIVE = "active"  #: counts toward the pooled total
    CANCELLED = "cancelled"  #: withdrawn by the member before the deadline
    RELEASED = "released"  #: the offer failed or the group buy was cancelled; the deposit is refunded
    CONFIRMED = "confirmed"  #: the offer succeeded: the pledge became an order
    DROPPED = "dropped"  #: the balance was never paid within the grace period


class Pledge(IdMixin, TimestampMixin, db.Model):
    """A member's commitment to buy ``quantity`` units, and up to ``tolerance`` more to complete a case."""

    __tablename__ = "pledges"
    __table_args__ = (
        sa.UniqueConstraint("group_buy_id", "user_id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
        sa.CheckConstraint("price_cap >= 0", name="price_cap_not_negative"),
        sa.CheckConstraint("allocated_quantity IS NULL OR allocated_quantity >= 0", name="allocated_not_negative"),
        sa.Index("ix_pledges_offer_status", "offer_id", "status"),
        sa.Index("ix_pledges_user", "user_id", "created_at"),
    )

    group_buy_id: Mapped[int] = mapped_column(sa.ForeignKey("group_buys.id", ondelete="CASCADE"))
    #: denormalised from the group buy: pledges pool per offer
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    pickup_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_points.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column()
    tolerance: Mapped[int] = mapped_column(default=0)  #: "I would take up to N more to complete a case"
    #: the member unit price shown when they pledged (the lowest shown, if they changed it): never pay more
    price_cap: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[PledgeStatus] = mapped_column(enum_column(PledgeStatus), default=PledgeStatus.ACTIVE)
    #: units this pledge receives after case-pack rounding (quantity plus any tolerance units handed out)
    allocated_quantity: Mapped[int | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group_buy: Mapped[GroupBuy] = relationship()
    user: Mapped[User] = relationship()
    pickup_point: Mapped[PickupPoint | None] = relationship()

    def __repr__(self) -> str:
        return f"<Pledge {self.id} gb={self.group_buy_id} user={self.user_id} q={self.quantity} {self.status.value}>"
