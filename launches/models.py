"""Scarcity launches: a limited item announced ahead, revealed in stages, sold first-come (holds with a
checkout window) or by a fair, auditable raffle, with a waitlist for restocks.

Stock is counted on the launch's own row — ``sold + held <= stock`` is a CHECK, and every change is one
conditional UPDATE (``launches.stock``) — so no concurrency can oversell. A member's units across holds
and purchases are counted the same way on their allowance row, so the per-member limit holds too."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db
from shopkeeper.models import Community
from supplier.models import Variant


class LaunchMode(enum.StrEnum):
    FIRST_COME = "first_come"  #: members reserve at opening; the first to reserve get the units
    RAFFLE = "raffle"  #: members enter during the window; a fair draw at close picks the winners


class LaunchStatus(enum.StrEnum):
    DRAFT = "draft"  #: only its makers see it
    PUBLISHED = "published"  #: announced; opens, sells and closes by the clock
    CANCELLED = "cancelled"


launch_communities = sa.Table(
    "launch_communities",
    db.metadata,
    sa.Column("launch_id", sa.ForeignKey("launches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("community_id", sa.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
)


class Launch(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "launches"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name="counts_not_negative"),
        sa.CheckConstraint("sold + held <= stock", name="never_oversold"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("per_member_limit >= 1", name="limit_positive"),
        sa.CheckConstraint("checkout_minutes >= 1 AND claim_minutes >= 1", name="windows_positive"),
        sa.CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="window_forward"),
        sa.Index("ix_launches_status_opens_at", "status", "opens_at"),
    )

    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: set for a supplier's own-brand launch across chosen communities; None for a shopkeeper's
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    #: the teaser shown from publication, before any stage is revealed
    title: Mapped[str] = mapped_column(sa.String(160))
    teaser: Mapped[str] = mapped_column(sa.Text, default="")
    price: Mapped[int] = mapped_column()  #: minor units per unit
    currency: Mapped[str] = mapped_column(sa.String(3))
    stock: Mapped[int] = mapped_column()  #: units for sale in all (a restock raises it)
    sold: Mapped[int] = mapped_column(default=0)  #: units turned into orders
    held: Mapped[int] = mapped_column(default=0)  #: units in live holds
    per_member_limit: Mapped[int] = mapped_column(default=1)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: required for a raffle (the draw)
    mode: Mapped[LaunchMode] = mapped_column(enum_column(LaunchMode), default=LaunchMode.FIRST_COME)
    status: Mapped[LaunchStatus] = mapped_column(enum_column(LaunchStatus), default=LaunchStatus.DRAFT)
    checkout_minutes: Mapped[int] = mapped_column(default=10)  #: how long a hold keeps its units
    claim_minutes: Mapped[int] = mapped_column(default=60)  #: how long a waitlisted member or winner may claim
    #: raffle: SHA-256 (hex) of the secret seed, published when entries open; the seed after the draw
    seed_hash: Mapped[str | None] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(128))  #: secret until ``drawn_at``
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: the opening fan-out was enqueued

    created_by: Mapped[User] = relationship()
    variant: Mapped[Variant] = relationship()
    communities: Mapped[list[Community]] = relationship(secondary=launch_communities, order_by="Community.id")
    stages: Mapped[list[RevealStage]] = relationship(back_populates="launch", cascade="all, delete-orphan",
                                                     order_by="[RevealStage.reveal_at, RevealStage.id]")

    @property
    def available(self) -> int:
        return self.stock - self.sold - self.held

    def __repr__(self) -> str:
        return f"<Launch {self.id} {self.mode.value} {self.status.value} {self.sold}+{self.held}/{self.stock}>"


class RevealStage(IdMixin, TimestampMixin, db.Model):
    """What becomes visible at ``reveal_at`` — and not a byte of it before, anywhere."""

    __tablename__ = "reveal_stages"
    __table_args__ = (sa.Index("ix_reveal_stages_launch_reveal", "launch_id", "reveal_at"),)

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"))
    reveal_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(sa.String(160))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    price: Mapped[int | None] = mapped_column()  #: the price, when this stage reveals it
    specs: Mapped[str] = mapped_column(sa.Text, default="")  #: one "name: value" per line
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: told to the feed and followers

    launch: Mapped[Launch] = relationship(back_populates="stages")
    images: Mapped[list[RevealImage]] = relationship(cascade="all, delete-orphan", order_by="RevealImage.position")


class RevealImage(IdMixin, db.Model):
    __tablename__ = "reveal_images"

    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("reveal_stages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  #: under UPLOAD_FOLDER, served only once revealed
    position: Mapped[int] = mapped_column(default=0)


class LaunchFollow(db.Model):
    """A member asked to be told about the launch (each reveal, the opening)."""

    __tablename__ = "launch_follows"

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Allowance(db.Model):
    """A member's units on a launch — in live holds and bought — against ``per_member_limit``: changed by
    one conditional UPDATE, so the limit holds under concurrency as the stock does."""

    __tablename__ = "launch_allowances"
    __table_args__ = (sa.CheckConstraint("units >= 0", name="units_not_negative"),)

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class HoldSource(enum.StrEnum):
    FIRST_COME = "first_come"
    WAITLIST = "waitlist"  #: a restocked unit offered to the next on the waitlist
    RAFFLE = "raffle"  #: a winner's purchase hold


class HoldStatus(enum.StrEnum):
    HELD = "held"  #: units set aside until ``expires_at``
    ORDERED = "ordered"  #: paid (or, offline, committed to pay): an Order exists
    EXPIRED = "expired"  #: the window passed; the units went back
    CANCELLED = "cancelled"  #: the member let them go


class Hold(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "launch_holds"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.Index("ix_launch_holds_launch_user", "launch_id", "user_id"),
        sa.Index("ix_launch_holds_status_expires", "status", "expires_at"),
    )

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))  #: where the member bought
    quantity: Mapped[int] = mapped_column()
    source: Mapped[HoldSource] = mapped_column(enum_column(HoldSource), default=HoldSource.FIRST_COME)
    status: Mapped[HoldStatus] = mapped_column(enum_column(HoldStatus), default=HoldStatus.HELD)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))

    launch: Mapped[Launch] = relationship()
    user: Mapped[User] = relationship()


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  #: a restocked unit is held for them until ``offer_expires_at``
    CLAIMED = "claimed"
    PASSED = "passed"  #: the claim window ran out; the unit went to the next
    LEFT = "left"


class WaitlistEntry(IdMixin, TimestampMixin, db.Model):
    """A place in line for a restock: first joined, first offered (by ``id``, which only grows)."""

    __tablename__ = "launch_waitlist"
    __table_args__ = (
        sa.UniqueConstraint("launch_id", "user_id"),
        sa.Index("ix_launch_waitlist_launch_status", "launch_id", "status", "id"),
    )

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    status: Mapped[WaitlistStatus] = mapped_column(enum_column(WaitlistStatus), default=WaitlistStatus.WAITING)
    hold_id: Mapped[int | None] = mapped_column(sa.ForeignKey("launch_holds.id", ondelete="SET NULL"))


class EntryStatus(enum.StrEnum):
    ENTERED = "entered"
    WON = "won"  #: drawn within the slots: a purchase hold was made
    WAITING = "waiting"  #: drawn after the slots: next in line if a winner does not claim
    LOST = "lost"  #: drawn after every slot was claimed


class RaffleEntry(IdMixin, TimestampMixin, db.Model):
    """One member's one entry. ``id`` is the published entry order; ``draw_rank`` the draw's order."""

    __tablename__ = "raffle_entries"
    __table_args__ = (
        sa.UniqueConstraint("launch_id", "user_id"),
        sa.UniqueConstraint("launch_id", "draw_rank"),
    )

    launch_id: Mapped[int] = mapped_column(sa.ForeignKey("launches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.ENTERED)
    draw_rank: Mapped[int | None] = mapped_column()  #: 1 = drawn first
    hold_id: Mapped[int | None] = mapped_column(sa.ForeignKey("launch_holds.id", ondelete="SET NULL"))
