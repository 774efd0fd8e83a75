"""Read-side queries for the growth pages: a community's draws, referrals and the insight figures. Every query
is scoped to one community; the caller has checked the role (``shopkeeper.access``)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm

from accounts.models import User
from core.extensions import db
from core.paging import Page
from groupbuy.models import GroupBuy
from referral.models import (
    CreditAccount,
    CreditEntry,
    CreditSource,
    DrawEntry,
    DrawStatus,
    LuckyDraw,
    Referral,
    ReferralLink,
    ReferralProgram,
    ReferralStatus,
    Review,
    ReviewStatus,
)
from shopkeeper.models import Community, Membership
from supplier.models import Product, Variant

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


# The shopkeeper's insight page: each figure is one aggregate query over the community's rows.

def product_ratings(community: Community, limit: int = 100) -> list[tuple[str, int, float]]:
    """(product name, approved reviews, average stars) per product, the most reviewed first."""
    rows = db.session.execute(
        sa.select(Product.name, sa.func.count(Review.id), sa.func.avg(sa.cast(Review.rating, sa.Float)))
        .join(Variant, Variant.id == Review.variant_id).join(Product, Product.id == Variant.product_id)
        .where(Review.community_id == community.id, Review.status == ReviewStatus.APPROVED)
        .group_by(Product.id, Product.name).order_by(sa.func.count(Review.id).desc(), Product.name)
        .limit(limit)).all()
    return [(name, reviews, round(float(average), 1)) for name, reviews, average in rows]


def credit_by_source(community: Community) -> dict[str, int]:
    """The sum of the community's ledger entries per source (minor units; spends are negative)."""
    sums = dict(db.session.execute(
        sa.select(CreditEntry.source, sa.func.sum(CreditEntry.amount))
        .join(CreditAccount, CreditAccount.id == CreditEntry.account_id)
        .where(CreditAccount.community_id == community.id).group_by(CreditEntry.source)).all())
    totals = {source.value: int(sums.get(source, 0) or 0) for source in CreditSource}
    rewards = (CreditSource.REVIEW_REWARD, CreditSource.REFERRAL_REWARD, CreditSource.DRAW_PRIZE)
    totals["rewards"] = sum(totals[source.value] for source in rewards)
    totals["spent"] = -(totals[CreditSource.SPEND.value] + totals[CreditSource.REVERSAL.value])
    return totals


def draw_figures(community: Community) -> dict[str, int]:
    """How many draws were scheduled and drawn, and how many winners they had."""
    scheduled, drawn = db.session.execute(
        sa.select(sa.func.count(LuckyDraw.id),
                  sa.func.count(LuckyDraw.id).filter(LuckyDraw.status == DrawStatus.DRAWN))
        .where(LuckyDraw.community_id == community.id)).one()
    winners = db.session.execute(
        sa.select(sa.func.count(DrawEntry.id)).join(LuckyDraw, LuckyDraw.id == DrawEntry.draw_id)
        .where(LuckyDraw.community_id == community.id, LuckyDraw.status == DrawStatus.DRAWN,
               DrawEntry.rank.is_not(None), DrawEntry.rank <= LuckyDraw.winners)).scalar_one()
    return {"draws": scheduled, "drawn": drawn, "winners": winners}


def referral_figures(community: Community) -> dict[str, int]:
    """Referrals per status, and the members who joined through a member's personal link."""
    counts = dict(db.session.execute(
        sa.select(Referral.status, sa.func.count(Referral.id)).where(Referral.community_id == community.id)
        .group_by(Referral.status)).all())
    figures = {status.value: counts.get(status, 0) for status in ReferralStatus}
    figures["joined"] = db.session.execute(
        sa.select(sa.func.count(Membership.id)).join(ReferralLink, ReferralLink.invite_id == Membership.invite_id)
        .where(Membership.community_id == community.id, ReferralLink.community_id == community.id)).scalar_one()
    return figures


def top_inviters(community: Community, limit: int = 10) -> list[tuple[str, int]]:
    """(display name, paid referrals) of the members who brought the most friends."""
    paid = sa.func.count(Referral.id)
    return [tuple(row) for row in db.session.execute(
        sa.select(User.display_name, paid).join(User, User.id == Referral.inviter_id)
        .where(Referral.community_id == community.id, Referral.status == ReferralStatus.PAID)
        .group_by(User.id, User.display_name).order_by(paid.desc(), User.display_name).limit(limit)).all()]
