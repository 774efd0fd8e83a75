"""Communities and everything that lives inside one."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core import clock
from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db
from supplier.models import Tag


class Community(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "communities"

    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)  #: the shopkeeper
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)  #: used in URLs: /c/<slug>
    description: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")  #: IANA zone for display

    owner: Mapped[User] = relationship()
    pickup_points: Mapped[list[PickupPoint]] = relationship(
        back_populates="community", cascade="all, delete-orphan", order_by="PickupPoint.id")

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class PickupPoint(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "pickup_points"

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str] = mapped_column(sa.String(64), default="")  #: district/city, for supplier aggregates
    opening_hours: Mapped[str] = mapped_column(sa.Text, default="")  #: free text: "Mon–Fri 17:00–20:00"
    active: Mapped[bool] = mapped_column(default=True)

    community: Mapped[Community] = relationship(back_populates="pickup_points")


class Invite(IdMixin, TimestampMixin, db.Model):
    """An invite link: /join/<token>. Joining is possible only through one that is still valid."""

    __tablename__ = "invites"
    __table_args__ = (
        sa.CheckConstraint("max_uses IS NULL OR max_uses >= 1", name="max_uses_positive"),
        sa.CheckConstraint("max_uses IS NULL OR use_count <= max_uses", name="within_max_uses"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(sa.String(80), default="")  #: where it was shared, for the owner
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_uses: Mapped[int | None] = mapped_column()
    use_count: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()

    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()

    def is_used_up(self) -> bool:
        return self.max_uses is not None and self.use_count >= self.max_uses


class MembershipRole(enum.StrEnum):
    MEMBER = "member"
    SHOPKEEPER = "shopkeeper"  #: runs the community (the owner, and any co-shopkeeper)


class Membership(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "user_id"),
        #: the member list's first page: newest members first
        sa.Index("ix_memberships_community_joined", "community_id", "joined_at", "id"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole), default=MembershipRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    invite_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invites.id", ondelete="SET NULL"))
    pickup_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pickup_points.id", ondelete="SET NULL"))
    #: the shopkeeper's private note about this member
    note: Mapped[str] = mapped_column(sa.Text, default="")

    community: Mapped[Community] = relationship()
    user: Mapped[User] = relationship()
    tags: Mapped[list[MemberTag]] = relationship(back_populates="membership", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Membership c={self.community_id} u={self.user_id} {self.role.value}>"


class MemberTag(db.Model):
    """A taxonomy tag on a member, within one community."""

    __tablename__ = "member_tags"
    __table_args__ = (sa.Index("ix_member_tags_tag_membership", "tag_id", "membership_id"),)

    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    #: True when the shopkeeper set it; False when the member described themself
    set_by_shopkeeper: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    membership: Mapped[Membership] = relationship(back_populates="tags")
    tag: Mapped[Tag] = relationship(lazy="joined")


class Post(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "posts"
    __table_args__ = (sa.Index("ix_posts_feed", "community_id", "pinned", "created_at"),)

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    pinned: Mapped[bool] = mapped_column(default=False)  #: pinned posts lead the feed

    author: Mapped[User] = relationship()
    images: Mapped[list[PostImage]] = relationship(cascade="all, delete-orphan", order_by="PostImage.position")
    comments: Mapped[list[Comment]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                   order_by="Comment.id")


class PostImage(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "post_images"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  #: under UPLOAD_FOLDER
    position: Mapped[int] = mapped_column(default=0)


class Comment(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "comments"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class ReactionKind(enum.StrEnum):
    LIKE = "like"
    LOVE = "love"
    WANT = "want"  #: "I want this": a signal of demand the shopkeeper can act on


class Reaction(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "reactions"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id", "kind"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReactionKind] = mapped_column(enum_column(ReactionKind))


class Thread(IdMixin, TimestampMixin, db.Model):
    """The one-to-one conversation between a community's shopkeeper and one of its members."""

    __tablename__ = "threads"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "member_id"),
        sa.Index("ix_threads_inbox", "community_id", "last_message_at"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the member was last emailed about an unread message here (None once they have read it):
    #: at most one email an hour per side and thread
    member_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the same for the shopkeeper's side
    shopkeeper_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()
    member: Mapped[User] = relationship()


class Message(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_thread_created", "thread_id", "created_at"),
        #: unread messages only: a small index that the unread badge on every page counts from
        sa.Index("ix_messages_unread", "thread_id", "sender_id", postgresql_where=sa.text("read_at IS NULL"),
                 sqlite_where=sa.text("read_at IS NULL")),
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: when the other side read it

    thread: Mapped[Thread] = relationship()
    sender: Mapped[User] = relationship()
