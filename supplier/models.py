"""The supplier's catalog and the platform's standard tag taxonomy."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db


class Tag(IdMixin, TimestampMixin, db.Model):
    """One value of the standard taxonomy, e.g. ``skin:dry``. Shared by products and members, so that
    the platform can match one to the other. Edited by the operator."""

    __tablename__ = "tags"
    __table_args__ = (
        sa.UniqueConstraint("namespace", "value"),
        sa.CheckConstraint("namespace <> '' AND value <> ''", name="not_blank"),
    )

    namespace: Mapped[str] = mapped_column(sa.String(32))  #: "skin", "home", "diet"…
    value: Mapped[str] = mapped_column(sa.String(32))  #: "dry", "budget", "vegetarian"…
    label_en: Mapped[str] = mapped_column(sa.String(64))
    label_zh: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def code(self) -> str:
        return f"{self.namespace}:{self.value}"

    def label(self, locale: str) -> str:
        return self.label_zh if str(locale).startswith("zh") else self.label_en

    def __repr__(self) -> str:
        return f"<Tag {self.code}>"


class Supplier(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "suppliers"

    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")  #: the currency it invoices in

    staff: Mapped[list[SupplierStaff]] = relationship(back_populates="supplier", cascade="all, delete-orphan")
    products: Mapped[list[Product]] = relationship(back_populates="supplier", cascade="all, delete-orphan",
                                                   order_by="Product.id")

    def __repr__(self) -> str:
        return f"<Supplier {self.slug}>"


class SupplierStaff(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "supplier_staff"
    __table_args__ = (sa.UniqueConstraint("supplier_id", "user_id"),)

    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    supplier: Mapped[Supplier] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


product_tags = sa.Table(
    "product_tags",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Product(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "products"

    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: archived products stay for history but are not offered or recommended
    active: Mapped[bool] = mapped_column(default=True)

    supplier: Mapped[Supplier] = relationship(back_populates="products")
    variants: Mapped[list[Variant]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                   order_by="Variant.id")
    images: Mapped[list[ProductImage]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                      order_by="ProductImage.position")
    tags: Mapped[list[Tag]] = relationship(secondary=product_tags, order_by="Tag.namespace, Tag.value")

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name!r}>"


class Variant(IdMixin, TimestampMixin, db.Model):
    """What is actually made and sold: a size, flavour or pack of a product."""

    __tablename__ = "variants"
    __table_args__ = (
        sa.UniqueConstraint("supplier_id", "sku"),
        sa.CheckConstraint("case_pack >= 1", name="case_pack_positive"),
        sa.CheckConstraint("wholesale_price >= 0", name="wholesale_price_not_negative"),
        sa.CheckConstraint("retail_price >= 0", name="retail_price_not_negative"),
        sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
    )

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    #: denormalised from the product so that the SKU is unique per supplier in the database
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120))  #: "500 g", "Large, red"
    unit: Mapped[str] = mapped_column(sa.String(32), default="piece")  #: what one unit of quantity is
    case_pack: Mapped[int] = mapped_column(default=1)  #: units per case; orders round up to whole cases
    wholesale_price: Mapped[int] = mapped_column()  #: minor units per unit, what the platform pays
    retail_price: Mapped[int] = mapped_column()  #: suggested retail, minor units per unit
    currency: Mapped[str] = mapped_column(sa.String(3))
    lead_time_days: Mapped[int] = mapped_column(default=0)  #: days from purchase order to shipment
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="variants")

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


class ProductImage(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "product_images"

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    #: file name under UPLOAD_FOLDER (served at /uploads/<filename>)
    filename: Mapped[str] = mapped_column(sa.String(200))
    alt: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"  #: being prepared; shopkeepers do not see it yet
    OPEN = "open"  #: shopkeepers run group buys on it and members pledge, between opens_at and closes_at
    SUCCEEDED = "succeeded"  #: closed with the pooled total at or above the MOQ: a purchase order follows
    FAILED = "failed"  #: closed below the MOQ: every pledge is released
    CANCELLED = "cancelled"  #: withdrawn by the supplier before closing


class Offer(IdMixin, TimestampMixin, db.Model):
    """A supplier's group-buy offer on one variant: the price falls by tiers as the quantity pledged in
    every community together grows, and nothing is made unless the total reaches the MOQ."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("moq >= 1", name="moq_positive"),
        sa.CheckConstraint("case_pack >= 1", name="case_pack_positive"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= moq", name="capacity_covers_moq"),
        sa.CheckConstraint("closes_at > opens_at", name="window_forward"),
        sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        sa.CheckConstraint("pledged_quantity >= 0", name="pledged_not_negative"),
        sa.CheckConstraint("capacity IS NULL OR pledged_quantity <= capacity", name="within_capacity"),
        sa.Index("ix_offers_status_closes_at", "status", "closes_at"),
    )

    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    moq: Mapped[int] = mapped_column()  #: minimum order quantity for the whole offer, in units
    case_pack: Mapped[int] = mapped_column()  #: units per case; the purchase order rounds to whole cases
    capacity: Mapped[int | None] = mapped_column()  #: the most the supplier can make; None: no limit
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lead_time_days: Mapped[int] = mapped_column(default=0)  #: days from purchase order to shipment
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), default=OfferStatus.DRAFT)
    #: units in active pledges across every group buy on this offer — the pooled total. Changed only by
    #: one conditional UPDATE (see groupbuy), so that concurrent pledges never pass the capacity.
    pledged_quantity: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship()
    variant: Mapped[Variant] = relationship()
    tiers: Mapped[list[PriceTier]] = relationship(back_populates="offer", cascade="all, delete-orphan",
                                                  order_by="PriceTier.min_quantity")

    def tier_for(self, total_quantity: int) -> PriceTier | None:
        """The tier that ``total_quantity`` units reach (the highest threshold at or below it)."""
        reached = [tier for tier in self.tiers if tier.min_quantity <= total_quantity]
        return reached[-1] if reached else (self.tiers[0] if self.tiers else None)

    def price_for(self, total_quantity: int) -> int:
        """Wholesale unit price, in minor units, at ``total_quantity`` pooled units."""
        tier = self.tier_for(total_quantity)
        if tier is None:
            raise ValueError(f"offer {self.id} has no price tiers")
        return tier.unit_price

    def next_tier(self, total_quantity: int) -> PriceTier | None:
        """The tier after the one ``total_quantity`` reaches (at 0 units the first tier already
        applies, so the next is the second), or None at the top."""
        current = self.tier_for(total_quantity)
        return next((tier for tier in self.tiers if current is None or tier.min_quantity > current.min_quantity),
                    None)

    def __repr__(self) -> str:
        return f"<Offer {self.id} variant={self.variant_id} {self.status.value}>"


class PriceTier(IdMixin, db.Model):
    """From ``min_quantity`` pooled units on, everyone pays ``unit_price`` (wholesale, minor units)."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "min_quantity"),
        sa.CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    min_quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column()

    offer: Mapped[Offer] = relationship(back_populates="tiers")

    def __repr__(self) -> str:
        return f"<PriceTier offer={self.offer_id} {self.min_quantity}+ @ {self.unit_price}>"


class DemandCell(IdMixin, db.Model):
    """The committed-demand rollup: per offer, community and pickup point, the units in open pledges
    (pending) and in confirmed orders (committed). Kept by ``groupbuy.demand`` in the same unit of work
    as every pledge change, so the dashboard adds up thousands of cells instead of a million pledges;
    ``flask groupbuy rebuild-demand`` recomputes it from the pledges. No member data lives here."""

    __tablename__ = "demand_cells"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "community_id", "pickup_point_id"),
        sa.Index("ix_demand_cells_supplier_offer", "supplier_id", "offer_id"),
    )

    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    #: the pickup point's id, 0 for none (no foreign key: a cell outlives its point's removal)
    pickup_point_id: Mapped[int] = mapped_column(default=0)
    pending_quantity: Mapped[int] = mapped_column(default=0)  #: units in ACTIVE pledges
    pending_pledges: Mapped[int] = mapped_column(default=0)  #: how many ACTIVE pledges
    committed_quantity: Mapped[int] = mapped_column(default=0)  #: units allocated to CONFIRMED pledges
    committed_value: Mapped[int] = mapped_column(default=0)  #: those units at the final wholesale price
