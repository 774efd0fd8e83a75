"""Read-side queries for the growth pages: a community's draws, and what the draw form offers. Every query
is scoped to one community; the caller has checked the role (``shopkeeper.access``)."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from groupbuy.models import GroupBuy
from referral.models import LuckyDraw
from shopkeeper.models import Community


def community_draws(community: Community) -> list[LuckyDraw]:
    """The community's draws, the next or latest first."""
    return list(db.session.execute(sa.select(LuckyDraw).where(LuckyDraw.community_id == community.id)
                                   .order_by(LuckyDraw.draw_at.desc(), LuckyDraw.id.desc())).scalars())


def group_buy_choices(community: Community) -> list[GroupBuy]:
    """The community's group buys a draw may be limited to (pledgers), the newest first."""
    return list(db.session.execute(sa.select(GroupBuy).where(GroupBuy.community_id == community.id)
                                   .order_by(GroupBuy.id.desc()).limit(200)).scalars())
