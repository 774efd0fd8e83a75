"""Review for reward: a verified buyer (the order line's own member, the order picked up) reviews the line
once — stars, text, up to ``MAX_PHOTOS`` photos (``core.uploads.save_photo``: real images only, resized,
EXIF and GPS gone). The community's campaign in force at submission sets the reward and its rules
(minimum text, a photo required) and whether the shopkeeper approves each review or it is approved at
once. The reward is store credit, paid on approval when the rules are met, once per order line — the
ledger's key ``review-reward-line-<id>`` makes a second approval, even at the same moment, pay nothing —
and it never depends on the stars. The shopkeeper may reject a pending review or hide an abusive one,
each with a reason."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from core.uploads import discard, save_photo
from orders.models import Order, OrderLine, OrderStatus
from referral import credit
from referral.models import Approval, CreditSource, Review, ReviewCampaign, ReviewPhoto, ReviewStatus
from shopkeeper.access import require_shopkeeper
from shopkeeper.models import Community
from shopkeeper.validation import MAX_ID, refuse, text_field, whole_number
from supplier.models import Variant

MAX_PHOTOS = 6
MAX_TEXT = 2000


def reward_key(order_line_id: int) -> str:
    return f"review-reward-line-{order_line_id}"


def campaign_in_force(community_id: int) -> ReviewCampaign | None:
    now = clock.now()
    return db.session.execute(sa.select(ReviewCampaign).where(
        ReviewCampaign.community_id == community_id, ReviewCampaign.starts_at <= now,
        sa.or_(ReviewCampaign.ends_at.is_(None), ReviewCampaign.ends_at > now))
        .order_by(ReviewCampaign.starts_at.desc(), ReviewCampaign.id.desc()).limit(1)).scalar_one_or_none()


def _bought_line(user: User, order_line_id) -> tuple[OrderLine, Order]:
    """The member's own order line, its order picked up; ``not_found`` for anyone else's, and
    ``not_verified_buyer`` (403) before the goods were received."""
    line = db.session.get(OrderLine, order_line_id) \
        if isinstance(order_line_id, int) and 0 < order_line_id <= MAX_ID else None
    order = db.session.get(Order, line.order_id) if line else None
    if order is None or order.user_id != user.id:
        raise NotFound()
    if order.status != OrderStatus.PICKED_UP:
        raise DomainError("not_verified_buyer", _l("You can review this once you have received it."), status=403)
    return line, order


def meets_rules(review: Review, campaign: ReviewCampaign | None) -> bool:
    """Whether the campaign's rules are met (never the stars: the reward is for an honest review)."""
    if campaign is None:
        return False
    return len(review.text) >= campaign.min_text_length and (bool(review.photos) or not campaign.photo_required)


def submit(user: User, order_line_id: int, *, rating, text: str = "", photos: Sequence[FileStorage] = ()) -> Review:
    """The buyer's review of one order line. Raises ``not_found``, ``not_verified_buyer`` (403),
    ``already_reviewed`` (409), ``too_many_photos``, ``bad_image`` and the field codes (422); nothing is
    written when refused."""
    line, order = _bought_line(user, order_line_id)
    rating = whole_number(rating, "rating", 1, 5)
    text = text_field(text, "text", MAX_TEXT, required=False)
    photos = [photo for photo in photos if photo and photo.filename]
    if len(photos) > MAX_PHOTOS:
        refuse("too_many_photos", _l("Add up to %(n)s photos.", n=MAX_PHOTOS), "photos")
    if db.session.execute(sa.select(Review.id).where(Review.order_line_id == line.id)).first():
        raise Conflict("already_reviewed", _l("You have already reviewed this."))
    names: list[str] = []
    try:  # a refusal after some photos were stored leaves none of them behind
        names.extend(save_photo(photo, "photos") for photo in photos)
        campaign = campaign_in_force(order.community_id)
        review = Review(order_line_id=line.id, user_id=user.id, community_id=order.community_id,
                        variant_id=line.variant_id, campaign_id=campaign.id if campaign else None, rating=rating,
                        text=text, photos=[ReviewPhoto(position=i, filename=name) for i, name in enumerate(names)])
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:  # the same line reviewed at the same moment
        discard(names)
        raise Conflict("already_reviewed", _l("You have already reviewed this.")) from None
    except Exception:
        discard(names)
        raise
    if campaign is None or campaign.approval == Approval.AUTOMATIC:
        _approve(review, campaign)
    return review


def _approve(review: Review, campaign: ReviewCampaign | None) -> None:
    review.status, review.decided_at = ReviewStatus.APPROVED, clock.now()
    db.session.flush()
    if meets_rules(review, campaign):
        credit.grant(review.user_id, review.community_id, campaign.reward_amount, CreditSource.REVIEW_REWARD,
                     reward_key(review.order_line_id), note=campaign.name)


def _managed(user: User, review_id) -> Review:
    review = db.session.execute(sa.select(Review).where(Review.id == review_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none() \
        if isinstance(review_id, int) and 0 < review_id <= MAX_ID else None
    if review is None:
        raise NotFound()
    require_shopkeeper(user, db.session.get(Community, review.community_id))
    return review


def approve(user: User, review_id: int) -> Review:
    """The shopkeeper approves a pending review, which pays its reward if the campaign's rules are met.
    Approving again (or at the same moment) changes nothing and pays nothing more. Raises ``not_found``,
    ``forbidden``, ``wrong_state`` (409: rejected or hidden)."""
    review = _managed(user, review_id)
    if review.status == ReviewStatus.APPROVED:
        return review
    if review.status != ReviewStatus.PENDING:
        raise Conflict("wrong_state", _l("Only a review waiting for approval can be approved."))
    campaign = db.session.get(ReviewCampaign, review.campaign_id) if review.campaign_id else None
    _approve(review, campaign)
    return review


def reject(user: User, review_id: int, reason: str) -> Review:
    """A pending review that does not meet the rules: not shown, no reward, the reason kept."""
    review = _managed(user, review_id)
    reason = text_field(reason, "reason", 300, required=True)
    if review.status != ReviewStatus.PENDING:
        raise Conflict("wrong_state", _l("Only a review waiting for approval can be rejected."))
    review.status, review.reason, review.decided_at = ReviewStatus.REJECTED, reason, clock.now()
    db.session.flush()
    return review


def hide(user: User, review_id: int, reason: str) -> Review:
    """Hide an abusive review, with a reason (a reward already paid stays paid: it was for the review,
    not for its stars)."""
    review = _managed(user, review_id)
    review.status, review.reason = ReviewStatus.HIDDEN, text_field(reason, "reason", 300, required=True)
    review.decided_at = clock.now()
    db.session.flush()
    return review


def _shown(criterion, limit: int) -> list[Review]:
    """Approved reviews matching ``criterion``, newest first, their photos loaded in one more query."""
    return list(db.session.execute(sa.select(Review).where(criterion, Review.status == ReviewStatus.APPROVED)
                                   .options(selectinload(Review.photos)).order_by(Review.id.desc())
                                   .limit(limit)).scalars())


def _of_product(product_id: int):
    return Review.variant_id.in_(sa.select(Variant.id).where(Variant.product_id == product_id))


def shown_for_variant(variant_id: int, limit: int = 20) -> list[Review]:
    """The approved reviews of a product variant, newest first (all verified buyers)."""
    return _shown(Review.variant_id == variant_id, limit)


def shown_for_product(product_id: int, limit: int = 20) -> list[Review]:
    """The approved reviews of any variant of a catalog product, from every community, newest first."""
    return _shown(_of_product(product_id), limit)


def product_rating(product_id: int) -> tuple[int, float | None]:
    """How many approved reviews a product has and their average stars to one decimal (None without any),
    in one query."""
    count, average = db.session.execute(sa.select(sa.func.count(Review.id), sa.func.avg(Review.rating)).where(
        _of_product(product_id), Review.status == ReviewStatus.APPROVED)).one()
    return count, round(float(average), 1) if count else None
