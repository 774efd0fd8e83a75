"""Read-side queries for the growth pages: a community's draws, and what the draw form offers. Every query
is scoped to one community; the caller has checked the role (``shopkeeper.access``)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm

from accounts.models import User
from core.extensions import db
from core.paging import Page
from groupbuy.models import GroupBuy
from referral.models import LuckyDraw, Referral, ReferralProgram, ReferralStatus
from shopkeeper.models import Community

PER_PAGE = 50
PAGE_MAX = 10_000


def community_draws(community: Community) -> list[LuckyDraw]:
    """The community's draws, the next or latest first."""
    return list(db.session.execute(sa.select(LuckyDraw).where(LuckyDraw.community_id == community.id)
                                   .order_by(LuckyDraw.draw_at.desc(), LuckyDraw.id.desc())).scalars())


def group_buy_choices(community: Community) -> list[GroupBuy]:
    """The community's group buys a draw may be limited to (pledgers), the newest first."""
    return list(db.session.execute(sa.select(GroupBuy).where(GroupBuy.community_id == community.id)
                                   .order_by(GroupBuy.id.desc()).limit(200)).scalars())


def active_program(community: Community) -> ReferralProgram | None:
    return db.session.execute(sa.select(ReferralProgram).filter_by(community_id=community.id, active=True)
                              ).scalar_one_or_none()


def my_referrals(user: User, community: Community) -> list[tuple[Referral, str]]:
    """The friends ``user`` brought to ``community``, with their display names, the latest first."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Referral, User.display_name).join(User, User.id == Referral.invitee_id)
        .where(Referral.community_id == community.id, Referral.inviter_id == user.id)
        .order_by(Referral.converted_at.desc(), Referral.id.desc()).limit(200)).all()]


def held_referrals(community: Community) -> list[tuple[Referral, str, str]]:
    """Referrals waiting for the shopkeeper, with the inviter's and the friend's names, oldest first."""
    return [tuple(row) for row in db.session.execute(
        _named_referrals(community).where(Referral.status == ReferralStatus.HELD)
        .order_by(Referral.converted_at, Referral.id).limit(200)).all()]


def referral_page(community: Community, page: int = 1) -> Page:
    """One page of the community's referrals, the latest first."""
    page = min(max(1, page), PAGE_MAX)
    rows = [tuple(row) for row in db.session.execute(
        _named_referrals(community).order_by(Referral.converted_at.desc(), Referral.id.desc())
        .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()]
    return Page(items=rows[:PER_PAGE], page=page, per_page=PER_PAGE, has_next=len(rows) > PER_PAGE)


def _named_referrals(community: Community) -> sa.Select:
    inviter, friend = sa.orm.aliased(User), sa.orm.aliased(User)
    return (sa.select(Referral, inviter.display_name, friend.display_name)
            .join(inviter, inviter.id == Referral.inviter_id).join(friend, friend.id == Referral.invitee_id)
            .where(Referral.community_id == community.id))
