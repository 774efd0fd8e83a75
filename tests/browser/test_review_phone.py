"""A member who picked up her mangoes opens her store credit on her phone, writes a 4-star review with a
photo taken on her phone (EXIF and all), and is thanked; the shopkeeper approves it from the queue on his
phone, and her balance grows by the campaign's reward — one approved review with one photo, stripped of
its EXIF, and 500 of credit in the database (issue #6). She then spends the credit on an order she pays
at pickup: 12.00 becomes 7.00 to pay, and her balance 0."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from PIL import Image
from playwright.sync_api import expect

from core import clock
from core.extensions import db
from orders.models import OrderStatus
from orders.services import LineSpec, create_order
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import create_payment
from referral import credit
from referral.models import Approval, Review, ReviewCampaign, ReviewStatus
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import add_member, make_community, make_product, make_supplier, make_user

pytestmark = pytest.mark.browser

NOW = datetime.fromisoformat("2026-11-22T04:00:00+00:00")


def _phone_photo(path):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 13.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    Image.new("RGB", (640, 480), "orange").save(path, "JPEG", exif=exif.tobytes())
    return path


def test_a_member_reviews_with_a_photo_and_gets_store_credit_once_the_shopkeeper_approves(
        phone, second_phone, screenshot, tmp_path):
    clock.freeze(NOW)
    community = make_community(name="Lotus Court Neighbours")
    db.session.add(ReviewCampaign(community_id=community.id, name="Photo reviews", reward_amount=500,
                                  min_text_length=10, photo_required=True, approval=Approval.SHOPKEEPER,
                                  starts_at=NOW - timedelta(days=1)))
    member = add_member(community, make_user(display_name="Li Na 李娜"))
    variant = make_product(make_supplier(), name="Hainan mangoes").variants[0]
    order = create_order(user_id=member.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=1, currency=community.currency, lines=[LineSpec(variant.id, 2, 1500, 900)])
    order.status, order.picked_up_at = OrderStatus.PICKED_UP, NOW
    lychees = create_order(user_id=member.id, community_id=community.id, pickup_point_id=None, source="test",
                           source_id=2, currency=community.currency, lines=[LineSpec(variant.id, 1, 1200, 700)])
    create_payment(PaymentPurpose.BALANCE, "test:2", member, 1200, community.currency, gateway="offline",
                   order_id=lychees.id)  # to pay at pickup, before she had any credit
    db.session.commit()
    slug, community_id, member_id = community.slug, community.id, member.id
    member_email, owner_email = member.email, community.owner.email
    credit_url = f"/c/{slug}/credit"
    db.session.remove()

    log_in(phone, member_email, next_path=credit_url)
    expect(phone.get_by_role("heading", name="Store credit")).to_be_visible()
    expect(phone.get_by_test_id("credit-balance")).to_have_text("CN¥0.00")
    expect(phone.get_by_test_id("campaign-offer")).to_contain_text(
        "Get CN¥5.00 store credit for a review with a photo")
    assert_fits_phone(phone)
    screenshot(phone, "credit-before")

    phone.get_by_test_id("reviewable-line").get_by_role("link", name="Write a review").click()
    expect(phone.get_by_role("heading", name="Write a review")).to_be_visible()
    phone.get_by_label("4 stars").check()
    phone.get_by_label("Your review").fill("Sweet, ripe and not a single bruise.")
    phone.get_by_label("Photos (up to 6)").set_input_files(str(_phone_photo(tmp_path / "mango.jpg")))
    assert_fits_phone(phone)
    screenshot(phone, "review-form")
    phone.get_by_role("button", name="Post review").click()
    expect(phone.get_by_role("status").first).to_contain_text("Thanks!")
    expect(phone).to_have_url(re.compile(re.escape(credit_url) + "$"))
    expect(phone.get_by_test_id("credit-balance")).to_have_text("CN¥0.00")
    expect(phone.get_by_test_id("reviewable-line")).to_have_count(0)

    log_in(second_phone, owner_email, next_path=f"/c/{slug}/reviews/manage")
    pending = second_phone.get_by_test_id("pending-reviews").get_by_test_id("queued-review")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Li Na 李娜")
    expect(pending).to_contain_text("Sweet, ripe and not a single bruise.")
    expect(pending.get_by_test_id("review-photos").get_by_role("img")).to_have_count(1)
    assert_fits_phone(second_phone)
    screenshot(second_phone, "queue")
    pending.get_by_role("button", name="Approve").click()
    expect(second_phone.get_by_role("status").first).to_contain_text("The review is approved.")
    expect(second_phone.get_by_test_id("pending-reviews").get_by_test_id("queued-review")).to_have_count(0)
    expect(second_phone.get_by_test_id("approved-reviews").get_by_test_id("queued-review")).to_have_count(1)

    phone.reload()
    expect(phone.get_by_test_id("credit-balance")).to_have_text("CN¥5.00")
    entry = phone.get_by_test_id("credit-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Review reward")
    expect(entry).to_contain_text("+CN¥5.00")
    assert_fits_phone(phone)
    screenshot(phone, "credit-after")

    waiting = phone.get_by_test_id("credit-waiting-order")  # she spends it on the order she pays at pickup
    expect(waiting).to_contain_text("Hainan mangoes · CN¥12.00")
    waiting.get_by_role("button", name="Use credit").click()
    expect(phone.get_by_role("status").first).to_contain_text("CN¥5.00 of store credit now pays toward this order.")
    expect(phone.get_by_test_id("credit-balance")).to_have_text("CN¥0.00")
    expect(waiting).to_contain_text("CN¥7.00")
    expect(waiting.get_by_test_id("paid-with-credit")).to_contain_text("CN¥5.00 paid with store credit")
    assert_fits_phone(phone)
    screenshot(phone, "credit-spent")

    db.session.expire_all()
    review = db.session.execute(sa.select(Review)).scalar_one()
    assert (review.status, review.rating, len(review.photos)) == (ReviewStatus.APPROVED, 4, 1)
    assert credit.balance(member_id, community_id) == credit.ledger_sum(member_id, community_id) == 0
    payment = db.session.execute(sa.select(Payment).where(Payment.reference == "test:2")).scalar_one()
    assert (payment.amount, payment.covered_amount, payment.status) == (700, 500, PaymentStatus.PENDING)
    with Image.open(f"{current_app.config['UPLOAD_FOLDER']}/{review.photos[0].filename}") as stored:
        assert not stored.getexif() and "exif" not in stored.info
