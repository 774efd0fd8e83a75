"""Review campaigns from the shopkeeper's side (start one, end the one in force), and the lists the review
pages show: a member's picked-up order lines not yet reviewed, and a community's review queue."""

from __future__ import annotations

from decimal import InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from accounts.models import User
from core import clock
from core.errors import NotFound
from core.extensions import db
from core.money import Money
from orders.models import Order, OrderLine, OrderStatus
from referral.models import Approval, Review, ReviewCampaign, ReviewStatus
from referral.reviews import campaign_in_force
from shopkeeper.access import require_member, require_shopkeeper
from shopkeeper.models import Community
from shopkeeper.validation import MAX_ID, MAX_WHOLE, refuse, text_field, whole_number
from supplier.models import Variant

MAX_MIN_TEXT = 2000


def start_campaign(user: User, community: Community, *, name, reward, min_text_length=0, photo_required=False,
                   approval=Approval.SHOPKEEPER) -> ReviewCampaign:
    """A campaign in force from now on, in place of the current one (ended now). ``reward`` is in major
    units of the community's currency ("5.00"). Raises ``forbidden``/``not_found`` and field codes (422)."""
    require_shopkeeper(user, community)
    name = text_field(name, "name", 120, required=True)
    try:
        amount = Money.parse(str(reward or ""), community.currency).amount
    except (InvalidOperation, ValueError):
        amount = 0
    if not 0 < amount <= MAX_WHOLE:
        refuse("bad_amount", _l("Enter an amount above zero, like 5.00."), "reward")
    min_text_length = whole_number(min_text_length, "min_text_length", 0, MAX_MIN_TEXT)
    if approval not in set(Approval):
        refuse("bad_choice", _l("Choose one of the options."), "approval")
    now = clock.now()
    current = campaign_in_force(community.id)
    if current is not None:
        current.ends_at = now
    campaign = ReviewCampaign(community_id=community.id, name=name, reward_amount=amount,
                              min_text_length=min_text_length, photo_required=bool(photo_required),
                              approval=Approval(approval), starts_at=now)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def end_campaign(user: User, campaign_id) -> ReviewCampaign:
    """End a campaign now (reviews submitted before keep its terms)."""
    campaign = db.session.get(ReviewCampaign, campaign_id) \
        if isinstance(campaign_id, int) and 0 < campaign_id <= MAX_ID else None
    if campaign is None:
        raise NotFound()
    require_shopkeeper(user, db.session.get(Community, campaign.community_id))
    now = clock.now()
    if campaign.ends_at is None or campaign.ends_at > now:
        campaign.ends_at = now
        db.session.flush()
    return campaign


def reviewable_lines(user: User, community: Community) -> list[OrderLine]:
    """The member's picked-up order lines in this community that they have not reviewed, newest first."""
    require_member(user, community)
    return list(db.session.execute(
        sa.select(OrderLine).join(Order).outerjoin(Review, Review.order_line_id == OrderLine.id)
        .where(Order.user_id == user.id, Order.community_id == community.id,
               Order.status == OrderStatus.PICKED_UP, Review.id.is_(None))
        .options(selectinload(OrderLine.variant)).order_by(OrderLine.id.desc()).limit(50)).scalars())


def review_queue(user: User, community: Community) -> tuple[list, list]:
    """The shopkeeper's queue: (pending, approved) rows of (review, member, variant) of the community,
    oldest pending first, newest approved first."""
    require_shopkeeper(user, community)

    def of(status: ReviewStatus, order) -> list:
        return list(db.session.execute(
            sa.select(Review, User, Variant).join(User, User.id == Review.user_id)
            .join(Variant, Variant.id == Review.variant_id)
            .where(Review.community_id == community.id, Review.status == status)
            .options(selectinload(Review.photos)).order_by(order).limit(100)).all())

    return of(ReviewStatus.PENDING, Review.id.asc()), of(ReviewStatus.APPROVED, Review.id.desc())
