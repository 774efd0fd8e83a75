"""Reviews on the supplier's catalog product page (issue #6): the approved reviews of every variant of the
product, from every community, with the verified-buyer badge, the photos and a rating summary; nothing
pending, rejected, hidden or of another product; and no query per review."""

from __future__ import annotations

import itertools
import re
from datetime import datetime

import pytest

from accounts.models import User
from core import clock
from core.extensions import db
from orders.models import OrderStatus
from orders.services import LineSpec, create_order
from referral import reviews
from referral.models import Review, ReviewStatus
from supplier.models import Variant
from tests.community_helpers import page_text
from tests.factories import add_member, login_as, make_community, make_product, make_supplier, make_user, unique
from tests.social_factories import counting_queries
from tests.test_reviews import bought, campaign, jpeg_with_gps

NOW = datetime.fromisoformat("2026-11-22T04:00:00+00:00")
_sources = itertools.count(1)


@pytest.fixture(autouse=True)
def _now():
    clock.freeze(NOW)


def review_of(variant, community=None, *, rating: int = 5, text: str = "Crisp and sweet.", photo: bool = False):
    """A member's picked-up order line of ``variant`` and their review of it (approved at once unless the
    community runs a campaign the shopkeeper approves)."""
    community = community or make_community()
    member = add_member(community)
    order = create_order(user_id=member.id, community_id=community.id, pickup_point_id=None,
                         source="test-product", source_id=next(_sources), currency=community.currency,
                         lines=[LineSpec(variant.id, 1, 1500, 900)])
    order.status, order.picked_up_at = OrderStatus.PICKED_UP, clock.now()
    db.session.flush()
    review = reviews.submit(member, order.lines[0].id, rating=rating, text=text,
                            photos=[jpeg_with_gps()] if photo else [])
    db.session.commit()
    return review


def second_variant(product) -> Variant:
    variant = Variant(supplier_id=product.supplier_id, sku=unique("SKU-"), name="Family box", unit="box",
                      case_pack=4, wholesale_price=2000, retail_price=2800, currency="CNY", lead_time_days=3)
    product.variants.append(variant)
    db.session.commit()
    return variant


def product_page(client, product) -> str:
    response = client.get(f"/products/{product.id}")
    assert response.status_code == 200
    return page_text(response)


def summary_of(page: str) -> str:
    found = re.search(r'data-testid="rating-summary">(.*?)</p>', page, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_approved_reviews_of_every_variant_and_community_show_with_badge_photo_and_summary(client):
    product = make_product(make_supplier())
    with_photo = review_of(product.variants[0], rating=5, text="Crisp and sweet.", photo=True)
    review_of(second_variant(product), rating=4, text="The family box lasted a week.")
    review_of(product.variants[0], rating=4, text="A little small this time.")
    buyer = db.session.get(User, with_photo.user_id).display_name
    page = product_page(login_as(client, make_user()), product)
    assert page.count('data-testid="review"') == 3 and page.count('data-testid="verified-buyer"') == 3
    assert "Crisp and sweet." in page and "The family box lasted a week." in page
    assert page.index("A little small this time.") < page.index("Crisp and sweet.")  # newest first
    assert f"/uploads/{with_photo.photos[0].filename}" in page and 'data-testid="review-photos"' in page
    summary = summary_of(page)
    assert "★★★★☆" in summary and "Average 4.3 of 5" in summary and "3 reviews" in summary
    assert buyer not in page  # only the badge says who wrote it


def test_one_review_is_counted_in_the_singular(client):
    product = make_product(make_supplier())
    review_of(product.variants[0], rating=3)
    summary = summary_of(product_page(login_as(client, make_user()), product))
    assert "★★★☆☆" in summary and "Average 3.0 of 5" in summary and "1 review" in summary
    assert "reviews" not in summary


def test_pending_rejected_and_hidden_reviews_and_other_products_reviews_do_not_show(client):
    product = make_product(make_supplier())
    community = make_community()
    review_of(product.variants[0], community, rating=5, text="Approved before the campaign.")
    campaign(community)  # from now on the shopkeeper approves each review
    review_of(product.variants[0], community, rating=1, text="Still waiting for approval.")
    rejected = review_of(product.variants[0], community, rating=1, text="Rejected for being off topic.")
    hidden = review_of(product.variants[0], community, rating=1, text="Hidden for being abusive.")
    reviews.reject(community.owner, rejected.id, "Off topic")
    reviews.approve(community.owner, hidden.id)
    reviews.hide(community.owner, hidden.id, "Abusive")
    db.session.commit()
    member, line_id, _ = bought(community)
    other = reviews.submit(member, line_id, rating=1, text="Another product entirely.")
    reviews.approve(community.owner, other.id)
    db.session.commit()
    assert db.session.get(Review, other.id).status == ReviewStatus.APPROVED

    page = product_page(login_as(client, make_user()), product)
    assert "Approved before the campaign." in page and page.count('data-testid="review"') == 1
    for text in ("Still waiting for approval.", "Rejected for being off topic.", "Hidden for being abusive.",
                 "Another product entirely."):
        assert text not in page
    assert "Average 5.0 of 5" in summary_of(page) and "1 review" in summary_of(page)
    assert reviews.product_rating(product.id) == (1, 5.0)


def test_a_product_without_reviews_says_so_and_shows_no_summary(client):
    product = make_product(make_supplier())
    page = product_page(login_as(client, make_user()), product)
    assert "No reviews yet." in page and 'data-testid="rating-summary"' not in page
    assert reviews.product_rating(product.id) == (0, None)


def test_the_page_makes_no_query_per_review(client):
    supplier = make_supplier()
    one, five = make_product(supplier), make_product(supplier)
    review_of(one.variants[0], photo=True)
    for rating in range(1, 6):
        review_of(five.variants[0], rating=rating, photo=True)
    login_as(client, make_user())
    product_page(client, one), product_page(client, five)  # warm whatever a first request loads once

    with counting_queries() as for_one:
        assert product_page(client, one).count('data-testid="review-photos"') == 1
    with counting_queries() as for_five:
        assert product_page(client, five).count('data-testid="review-photos"') == 5
    assert len(for_one) == len(for_five)
