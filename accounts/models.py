"""People and what they may do. A user is a member of any number of communities; roles add more."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import IdMixin, TimestampMixin, UTCDateTime, enum_column
from core.extensions import db


class Role(enum.StrEnum):
    OPERATOR = "operator"  #: runs the platform: onboards suppliers and shopkeepers, edits the taxonomy
    SUPPLIER = "supplier"  #: staff of at least one supplier
    SHOPKEEPER = "shopkeeper"  #: may create and run communities


class User(UserMixin, IdMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Member search ("name contains …") over 100,000s of members: a trigram index on PostgreSQL.
        sa.Index("ix_users_display_name_trgm", "display_name", postgresql_using="gin",
                 postgresql_ops={"display_name": "gin_trgm_ops"}),
    )

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  #: stored lower-cased
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: "en" or "zh_Hans_CN"; None follows the browser's Accept-Language
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    is_active_account: Mapped[bool] = mapped_column(default=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def has_role(self, role: Role | str) -> bool:
        return any(r.role == Role(role) for r in self.roles)

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role.value for r in self.roles)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    user: Mapped[User] = relationship(back_populates="roles")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role.value}>"


class ApiToken(IdMixin, TimestampMixin, db.Model):
    """A personal access token for integrations. Only its SHA-256 is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the first characters, shown in lists so the owner can tell tokens apart
    prefix: Mapped[str] = mapped_column(sa.String(12))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"
