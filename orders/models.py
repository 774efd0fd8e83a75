"""Orders — the one record every flow produces for a member — and purchase orders, the one record a
supplier receives for a closed offer, split per community and pickup point."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db
from shopkeeper.models import Community, PickupPoint
from supplier.models import Offer, Supplier, Variant


class OrderStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  #: the goods will be made; the balance is due
    PAID = "paid"  #: fully paid (deposit and balance)
    READY = "ready"  #: at the pickup point
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"  #: e.g. the balance was never paid within the grace period


class Order(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        #: one order per source record (a pledge, later a launch purchase or a subscription cycle)
        sa.UniqueConstraint("source", "source_id"),
        sa.CheckConstraint("total_amount >= 0", name="total_not_negative"),
        sa.CheckConstraint("deposit_amount >= 0 AND deposit_amount <= total_amount", name="deposit_within_total"),
        sa.Index("ix_orders_user_created", "user_id", "created_at"),
        sa.Index("ix_orders_community_status", "community_id", "status"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    pickup_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_points.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(16))  #: "groupbuy"
    source_id: Mapped[int] = mapped_column()  #: e.g. the pledge's id
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus), default=OrderStatus.CONFIRMED)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_amount: Mapped[int] = mapped_column()  #: minor units: Σ lines' quantity × unit_price
    deposit_amount: Mapped[int] = mapped_column(default=0)  #: already taken when the member pledged
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: the goods reached the pickup point
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    community: Mapped[Community] = relationship()
    pickup_point: Mapped[PickupPoint | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  order_by="OrderLine.id")

    @property
    def balance_amount(self) -> int:
        return self.total_amount - self.deposit_amount

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.source}:{self.source_id} {self.status.value}>"


class OrderLine(IdMixin, db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0 AND wholesale_unit_price >= 0", name="prices_not_negative"),
        sa.CheckConstraint("short_quantity >= 0 AND short_quantity <= quantity", name="short_within_quantity"),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column()  #: what the member pays per unit (minor units)
    wholesale_unit_price: Mapped[int] = mapped_column()  #: what the platform owes the supplier per unit
    #: units the supplier did not deliver (shortfall, docs/GROUPBUY.md): refunded, never paid for
    short_quantity: Mapped[int] = mapped_column(default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    @property
    def delivered_quantity(self) -> int:
        return self.quantity - self.short_quantity

    @property
    def margin_amount(self) -> int:
        """The shopkeeper's commission on this line: on the units delivered only."""
        return (self.unit_price - self.wholesale_unit_price) * self.delivered_quantity


class PurchaseOrderStatus(enum.StrEnum):
    ISSUED = "issued"  #: sent to the supplier at close
    CONFIRMED = "confirmed"  #: the supplier accepted it
    SHIPPED = "shipped"
    RECEIVED = "received"  #: the shopkeepers have the goods


class PurchaseOrder(IdMixin, TimestampMixin, db.Model):
    """What a successful offer asks of its supplier: the rounded total, in whole cases."""

    __tablename__ = "purchase_orders"
    __table_args__ = (
        sa.UniqueConstraint("offer_id"),  #: closing twice, or at once, can never raise two
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("cases >= 1", name="cases_positive"),
        sa.CheckConstraint("dropped_quantity >= 0 AND dropped_quantity <= quantity", name="dropped_within_quantity"),
        sa.Index("ix_purchase_orders_supplier_created", "supplier_id", "created_at"),
    )

    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"))
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column()  #: units, a whole number of cases
    cases: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column()  #: the final tier's wholesale price
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[PurchaseOrderStatus] = mapped_column(enum_column(PurchaseOrderStatus),
                                                        default=PurchaseOrderStatus.ISSUED)
    #: units counted out after close: pledges dropped when their balance went unpaid (docs/GROUPBUY.md);
    #: ``quantity`` stays what was ordered at close, the supplier ships quantity − dropped_quantity
    dropped_quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: every line received

    offer: Mapped[Offer] = relationship()
    supplier: Mapped[Supplier] = relationship()
    variant: Mapped[Variant] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(back_populates="purchase_order",
                                                          cascade="all, delete-orphan")

    @property
    def total_amount(self) -> int:
        return self.quantity * self.unit_price


class PurchaseOrderLine(IdMixin, db.Model):
    """The split of a purchase order: how many units go to each community's pickup point."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        sa.UniqueConstraint("purchase_order_id", "community_id", "pickup_point_id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("dropped_quantity >= 0 AND dropped_quantity <= quantity", name="dropped_within_quantity"),
        sa.CheckConstraint("shipped_quantity IS NULL OR shipped_quantity >= 0", name="shipped_not_negative"),
        sa.CheckConstraint("received_quantity IS NULL OR received_quantity >= 0", name="received_not_negative"),
    )

    purchase_order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    pickup_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_points.id", ondelete="SET NULL"))
    region: Mapped[str] = mapped_column(sa.String(64), default="")  #: the pickup point's region, kept
    quantity: Mapped[int] = mapped_column()
    #: units counted out after close (dropped pledges): the supplier ships quantity − dropped_quantity
    dropped_quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    shipped_quantity: Mapped[int | None] = mapped_column()  #: what the supplier sent; None: not shipped yet
    received_quantity: Mapped[int | None] = mapped_column()  #: what the shopkeeper counted in
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class EarningsEntry(IdMixin, TimestampMixin, db.Model):
    """The shopkeeper's ledger: one credit per fulfilled order line — the margin on the units delivered —
    which the supplier owes the community's shopkeeper. Append-only; a correction is a new entry."""

    __tablename__ = "earnings_entries"
    __table_args__ = (
        sa.UniqueConstraint("order_line_id", "kind"),  #: a line is credited once, however often it is marked
        sa.Index("ix_earnings_entries_community_created", "community_id", "created_at"),
        sa.Index("ix_earnings_entries_supplier_created", "supplier_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(sa.String(16), default="margin")  #: "margin" (later "payout", …)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    order_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(default=0)  #: units the entry is for
    amount: Mapped[int] = mapped_column()  #: minor units credited to the shopkeeper (negative: debited)
    wholesale_amount: Mapped[int] = mapped_column(default=0)  #: what the units cost at wholesale
    currency: Mapped[str] = mapped_column(sa.String(3))
