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
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    #: the member's choice: credit pays toward each new order's balance as it falls due
    auto_apply: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


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


class Approval(enum.StrEnum):
    AUTOMATIC = "automatic"  #: a review that meets the rules is approved (and rewarded) at once
    SHOPKEEPER = "shopkeeper"  #: the shopkeeper approves each review


class ReviewCampaign(IdMixin, TimestampMixin, db.Model):
    """A shopkeeper's review-for-reward offer in their community: the reward never depends on the stars."""

    __tablename__ = "review_campaigns"
    __table_args__ = (
        sa.CheckConstraint("reward_amount > 0", name="reward_positive"),
        sa.CheckConstraint("min_text_length >= 0", name="min_text_not_negative"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    reward_amount: Mapped[int] = mapped_column()  #: store credit, minor units of the community's currency
    min_text_length: Mapped[int] = mapped_column(default=0)
    photo_required: Mapped[bool] = mapped_column(default=False)
    approval: Mapped[Approval] = mapped_column(enum_column(Approval), default=Approval.SHOPKEEPER)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: None: until the shopkeeper ends it


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"  #: waiting for the shopkeeper
    APPROVED = "approved"  #: shown; rewarded if a campaign applied
    REJECTED = "rejected"  #: did not meet the campaign's rules (the shopkeeper said why)
    HIDDEN = "hidden"  #: abusive: hidden by the shopkeeper, with a reason


class Review(IdMixin, TimestampMixin, db.Model):
    """A verified buyer's review of one order line (one review per line, ever)."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        sa.Index("ix_reviews_variant_status", "variant_id", "status"),
    )

    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_campaigns.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus), default=ReviewStatus.PENDING)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")  #: why rejected or hidden
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    photos: Mapped[list[ReviewPhoto]] = relationship(order_by="ReviewPhoto.position", cascade="all, delete-orphan")


class ReviewPhoto(IdMixin, db.Model):
    __tablename__ = "review_photos"
    __table_args__ = (sa.UniqueConstraint("review_id", "position"),)

    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(sa.String(80))  #: under UPLOAD_FOLDER (``core.uploads.save_photo``)


class Eligibility(enum.StrEnum):
    MEMBERS = "members"  #: every member of the community
    REVIEWED_SINCE = "reviewed_since"  #: members with an approved review since ``since``
    JOINED_BEFORE = "joined_before"  #: members who joined before ``before``
    PLEDGED = "pledged"  #: members with a live pledge to the group buy ``group_buy_id``


class DrawStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  #: the seed's hash is published; entries are taken at ``draw_at``
    DRAWN = "drawn"  #: entries, seed and winners published


class LuckyDraw(IdMixin, TimestampMixin, db.Model):
    """A shopkeeper's lucky draw, drawn with ``core.fairdraw`` like a raffle: the seed's hash published
    when it is announced, the entry list and the seed after the draw, so anyone can recompute it."""

    __tablename__ = "lucky_draws"
    __table_args__ = (
        sa.CheckConstraint("winners > 0", name="winners_positive"),
        sa.CheckConstraint("prize_credit IS NULL OR prize_credit > 0", name="prize_credit_positive"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    prize_credit: Mapped[int | None] = mapped_column()  #: a credit prize per winner (minor units), or …
    prize_item: Mapped[str] = mapped_column(sa.String(200), default="")  #: … an item, described
    eligibility: Mapped[Eligibility] = mapped_column(enum_column(Eligibility), default=Eligibility.MEMBERS)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: REVIEWED_SINCE
    before: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: JOINED_BEFORE
    group_buy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("group_buys.id", ondelete="SET NULL"))  #: PLEDGED
    winners: Mapped[int] = mapped_column()
    draw_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[DrawStatus] = mapped_column(enum_column(DrawStatus), default=DrawStatus.SCHEDULED)
    seed_hash: Mapped[str] = mapped_column(sa.String(64))
    seed: Mapped[str] = mapped_column(sa.String(128))  #: secret until drawn
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DrawEntry(IdMixin, db.Model):
    """One eligible member at the draw (the entry ids are what the draw orders). ``rank`` is the place in
    the draw order; the first ``LuckyDraw.winners`` ranks win."""

    __tablename__ = "lucky_draw_entries"
    __table_args__ = (sa.UniqueConstraint("draw_id", "user_id"),)

    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("lucky_draws.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    rank: Mapped[int | None] = mapped_column()


class ReferralProgram(IdMixin, TimestampMixin, db.Model):
    """A community's invite rewards: what the member who invites and the friend who joins each get when
    the friend's first order is paid and picked up, the monthly cap per inviting member, and how long a
    suspicious referral waits for the shopkeeper before it is paid anyway."""

    __tablename__ = "referral_programs"
    __table_args__ = (
        sa.CheckConstraint("inviter_reward >= 0 AND friend_reward >= 0", name="rewards_not_negative"),
        sa.CheckConstraint("monthly_cap >= 0", name="cap_not_negative"),
        sa.CheckConstraint("hold_hours >= 1", name="hold_positive"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), unique=True)
    inviter_reward: Mapped[int] = mapped_column()  #: store credit, minor units
    friend_reward: Mapped[int] = mapped_column()
    monthly_cap: Mapped[int] = mapped_column(default=10)  #: rewarded referrals per inviter per month
    hold_hours: Mapped[int] = mapped_column(default=72)
    active: Mapped[bool] = mapped_column(default=True)


class ReferralLink(IdMixin, db.Model):
    """A member's personal invite link in a community: an ``Invite`` of theirs (``/join/<token>``)."""

    __tablename__ = "referral_links"
    __table_args__ = (sa.UniqueConstraint("community_id", "user_id"),)

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    invite_id: Mapped[int] = mapped_column(sa.ForeignKey("invites.id", ondelete="CASCADE"), unique=True)


class ReferralStatus(enum.StrEnum):
    HELD = "held"  #: suspicious: waiting for the shopkeeper until ``held_until``, then paid
    PAID = "paid"  #: both rewarded
    CAPPED = "capped"  #: the inviter had reached the month's cap: no reward
    REJECTED = "rejected"  #: an abuse rule (``reason``) or the shopkeeper said no: no reward


class Referral(IdMixin, TimestampMixin, db.Model):
    """A friend who joined through a member's link and had a first order paid and picked up: decided once
    per friend and community, ever."""

    __tablename__ = "referrals"
    __table_args__ = (sa.UniqueConstraint("community_id", "invitee_id"),
                      sa.Index("ix_referrals_inviter_converted", "inviter_id", "converted_at"))

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    inviter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus))
    reason: Mapped[str] = mapped_column(sa.String(64), default="")  #: the rule, e.g. "same_email", "burst"
    converted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
