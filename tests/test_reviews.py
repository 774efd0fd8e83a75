"""Review for reward (issue #6, acceptance 2): only verified buyers review; one reward per order line,
even when the approval is clicked twice at once; the reward never depends on the stars; a non-image is
refused and nothing is written; a stored photo has no EXIF."""

from __future__ import annotations

import io
import itertools
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from core import clock
from core.errors import DomainError
from core.extensions import db
from orders.models import OrderStatus
from orders.services import LineSpec, create_order
from referral import credit, reviews
from referral.models import Approval, CreditEntry, Review, ReviewCampaign, ReviewStatus
from tests.concurrency import all_at_once
from tests.factories import add_member, make_community, make_product, make_supplier

NOW = datetime.fromisoformat("2026-11-22T04:00:00+00:00")
_sources = itertools.count(1)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)


def bought(community=None, *, picked_up: bool = True):
    """A member of a community and an order line of theirs, picked up. Returns (member, line id, community)."""
    community = community or make_community()
    member = add_member(community)
    variant = make_product(make_supplier()).variants[0]
    order = create_order(user_id=member.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=next(_sources), currency=community.currency,
                         lines=[LineSpec(variant.id, 2, 1500, 900)])
    if picked_up:
        order.status, order.picked_up_at = OrderStatus.PICKED_UP, clock.now()
    db.session.commit()
    return member, order.lines[0].id, community


def campaign(community, *, approval=Approval.SHOPKEEPER, reward=500, min_text=10, photo=False):
    made = ReviewCampaign(community_id=community.id, name="Photo reviews", reward_amount=reward,
                          min_text_length=min_text, photo_required=photo, approval=approval,
                          starts_at=clock.now() - timedelta(days=1))
    db.session.add(made)
    db.session.commit()
    return made


def jpeg_with_gps() -> FileStorage:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 13.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(buffer, "JPEG", exif=exif.tobytes())
    buffer.seek(0)
    return FileStorage(buffer, filename="mango.jpg", content_type="image/jpeg")


def test_only_the_buyer_who_received_the_item_may_review_it():
    member, line_id, community = bought(picked_up=False)
    with pytest.raises(DomainError) as refused:
        reviews.submit(member, line_id, rating=5, text="Sweet and ripe mangoes")
    assert (refused.value.code, refused.value.status) == ("not_verified_buyer", 403)
    stranger = add_member(community)
    with pytest.raises(DomainError) as refused:
        reviews.submit(stranger, line_id, rating=5, text="I never bought these")
    assert refused.value.code == "not_found"
    db.session.rollback()
    assert db.session.query(Review).count() == 0


def test_a_one_star_review_earns_the_same_reward_as_five_stars_and_each_line_once():
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC)
    honest, line_id, _ = bought(community)
    happy, other_line, _ = bought(community)
    reviews.submit(honest, line_id, rating=1, text="Half the box was bruised.")
    reviews.submit(happy, other_line, rating=5, text="Perfect, will buy again!")
    db.session.commit()
    assert credit.balance(honest.id, community.id) == credit.balance(happy.id, community.id) == 500
    with pytest.raises(DomainError) as again:
        reviews.submit(honest, line_id, rating=5, text="Changed my mind, all good")
    assert again.value.code == "already_reviewed"


def test_a_review_that_misses_the_rules_is_shown_but_not_rewarded():
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC, min_text=20, photo=True)
    member, line_id, _ = bought(community)
    review = reviews.submit(member, line_id, rating=4, text="Good.")
    db.session.commit()
    assert review.status == ReviewStatus.APPROVED and credit.balance(member.id, community.id) == 0
    assert reviews.shown_for_variant(review.variant_id) == [review]


def test_the_shopkeeper_approves_and_the_reward_is_paid_once_however_often_approved():
    community = make_community()
    campaign(community)
    member, line_id, _ = bought(community)
    review = reviews.submit(member, line_id, rating=3, text="Fine fruit, slow pickup though.")
    db.session.commit()
    assert review.status == ReviewStatus.PENDING and credit.balance(member.id, community.id) == 0
    reviews.approve(community.owner, review.id)
    reviews.approve(community.owner, review.id)
    db.session.commit()
    assert credit.balance(member.id, community.id) == credit.ledger_sum(member.id, community.id) == 500
    with pytest.raises(DomainError) as refused:
        reviews.approve(member, review.id)
    assert refused.value.code == "forbidden"


def test_approving_twice_at_once_pays_one_reward(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent approvals need PostgreSQL to mean anything")
    community = make_community()
    campaign(community)
    member, line_id, _ = bought(community)
    review_id = reviews.submit(member, line_id, rating=5, text="Lovely lychees, very fresh").id
    owner_id, member_id, community_id = community.owner_id, member.id, community.id
    db.session.commit()

    def click_approve(review_id: int):
        from accounts.models import User

        return reviews.approve(db.session.get(User, owner_id), review_id).status.value

    assert all_at_once(app, [(review_id,)] * 6, click_approve) == ["approved"] * 6
    db.session.expire_all()
    assert credit.balance(member_id, community_id) == credit.ledger_sum(member_id, community_id) == 500
    assert db.session.query(CreditEntry).count() == 1


def test_rejecting_or_hiding_needs_a_reason_and_pays_nothing():
    community = make_community()
    campaign(community)
    member, line_id, _ = bought(community)
    review = reviews.submit(member, line_id, rating=1, text="Spam spam spam spam spam")
    with pytest.raises(DomainError) as refused:
        reviews.reject(community.owner, review.id, "  ")
    assert refused.value.field == "reason"
    reviews.hide(community.owner, review.id, "Advertising another shop")
    db.session.commit()
    assert review.status == ReviewStatus.HIDDEN and review.reason == "Advertising another shop"
    assert credit.balance(member.id, community.id) == 0 and reviews.shown_for_variant(review.variant_id) == []


def test_a_non_image_upload_is_refused_and_nothing_is_written(app):
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC)
    member, line_id, _ = bought(community)
    fake = FileStorage(io.BytesIO(b"<html><script>alert(1)</script></html>"), filename="photo.jpg")
    folder = app.config["UPLOAD_FOLDER"]
    stored_before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    with pytest.raises(DomainError) as refused:  # a good photo first, then the fake
        reviews.submit(member, line_id, rating=5, text="Look at this lovely photo", photos=[jpeg_with_gps(), fake])
    assert (refused.value.code, refused.value.field) == ("bad_image", "photos")
    assert set(os.listdir(folder)) == stored_before  # the good photo stored first was not left behind
    db.session.rollback()
    assert db.session.query(Review).count() == 0 and credit.balance(member.id, community.id) == 0
    too_many = [jpeg_with_gps() for _ in range(reviews.MAX_PHOTOS + 1)]
    with pytest.raises(DomainError) as refused:
        reviews.submit(member, line_id, rating=5, text="Seven photos of mangoes", photos=too_many)
    assert refused.value.code == "too_many_photos"


def test_a_stored_review_photo_has_no_exif_and_no_location(app):
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC, photo=True)
    member, line_id, _ = bought(community)
    review = reviews.submit(member, line_id, rating=4, text="Photo of the mangoes I got", photos=[jpeg_with_gps()])
    db.session.commit()
    [photo] = review.photos
    path = Path(app.config["UPLOAD_FOLDER"]) / photo.filename
    stored = Image.open(path)
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert b"PhoneMaker" not in path.read_bytes()
    assert credit.balance(member.id, community.id) == 500  # the photo the campaign asked for
    assert db.session.execute(sa.select(Review.status)).scalar_one() == ReviewStatus.APPROVED
