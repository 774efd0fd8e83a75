"""JSON for growth (issue #6) under /api/v1: a member's store credit and its use on orders, reviews and
lucky draws. The same services as the pages; a community the caller is not a member of is a 404."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from core.auth import login_required
from core.errors import NotFound
from core.extensions import ErrorOut, db
from orders.models import OrderLine
from referral import checkout, credit, draws, reviews
from referral.models import ReviewCampaign, ReviewStatus
from referral.schemas import (
    AppliedOut,
    AutoApplyIn,
    AutoApplyOut,
    CreditOut,
    DrawAuditOut,
    MyReviewOut,
    ProductReviewsOut,
    ReviewIn,
    ReviewOut,
    VariantQueryIn,
)
from shopkeeper.access import get_community, require_member
from shopkeeper.models import Community
from supplier.access import get_or_none, visible_product
from supplier.models import Variant


class _MultipartParser(FlaskParser):
    """webargs with one more location, ``multipart``: a form's fields and its files in one schema (webargs
    reads ``form`` and ``files`` apart, and the OpenAPI description has room for one request body)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}


blp = _Blueprint("referral_api", __name__, url_prefix="/api/v1", description="Store credit, reviews and draws")

NOT_FOUND = "Not in a community you are a member of."
MY_ORDER = "Not a member here, or not my order in this community."


def _member_community(slug: str) -> Community:
    """The community by slug, as the pages find it: a 404 for anyone who is not its member."""
    community = get_community(slug)
    require_member(current_user, community)
    return community


@blp.get("/communities/<slug>/credit")
@login_required
@blp.response(200, CreditOut)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def get_credit(slug: str):
    """My store credit here: the balance, whether it pays new orders by itself, the newest ledger entries,
    and my orders still waiting for a payment that credit may pay toward."""
    community = _member_community(slug)
    return {"balance": credit.balance(current_user.id, community.id), "currency": community.currency,
            "auto_apply": checkout.auto_applies(current_user, community),
            "entries": credit.entries(current_user.id, community.id),
            "waiting": checkout.waiting_orders(current_user, community)}


@blp.post("/communities/<slug>/credit/orders/<int:order_id>/apply")
@login_required
@blp.response(200, AppliedOut)
@blp.alt_response(404, schema=ErrorOut, description=MY_ORDER)
@blp.alt_response(409, schema=ErrorOut, description="``not_coverable``: the order has nothing left that credit "
                                                    "can pay (paid, cancelled, or paid by card).")
def apply_credit(slug: str, order_id: int):
    """Pay toward one of my orders here, to be paid at pickup, with my credit: as much as it allows, up to
    what the order still owes. Covered whole, the payment has succeeded and the order is paid. Asking with
    no credit left spends nothing (``spent`` 0). Card payments are covered only as they are made (with
    ``auto_apply`` on)."""
    community = _member_community(slug)
    # the payment the service covers: the order's newest one that credit may still pay toward
    due = [item.payment for item in checkout.waiting_orders(current_user, community) if item.order.id == order_id]
    spent = checkout.apply_credit(current_user, community, order_id)  # refuses when nothing is due
    return {"spent": spent, "balance": credit.balance(current_user.id, community.id),
            "currency": community.currency, "payment": due[-1] if due else None}


@blp.put("/communities/<slug>/credit/auto-apply")
@login_required
@blp.arguments(AutoApplyIn)
@blp.response(200, AutoApplyOut)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def set_auto_apply(data, slug: str):
    """Whether my credit here pays toward each new order's balance by itself (the default) or waits until
    I apply it to an order."""
    community = _member_community(slug)
    return {"auto_apply": checkout.set_auto_apply(current_user, community, data["auto_apply"])}


@blp.get("/communities/<slug>/reviews")
@login_required
@blp.arguments(VariantQueryIn, location="query")
@blp.response(200, ReviewOut(many=True))
@blp.alt_response(404, schema=ErrorOut, description=f"{NOT_FOUND} Or no such variant.")
def variant_reviews(query, slug: str):
    """The approved reviews of a product variant, newest first (the newest 20), as its group-buy and
    launch pages show them: all by verified buyers, none naming the reviewer."""
    _member_community(slug)
    variant = get_or_none(Variant, query["variant_id"])
    if variant is None:
        raise NotFound()
    return reviews.shown_for_variant(variant.id)


@blp.get("/products/<int:product_id>/reviews")
@login_required
@blp.response(200, ProductReviewsOut)
@blp.alt_response(404, schema=ErrorOut, description="No such product (or archived, unless I staff its supplier).")
def product_reviews(product_id: int):
    """The approved reviews of all the variants of a catalog product, from every community, with how many
    there are and their average stars, as the product page shows them."""
    product = visible_product(current_user, product_id)
    count, average = reviews.product_rating(product.id)
    return {"count": count, "average_rating": average, "reviews": reviews.shown_for_product(product.id)}


@blp.post("/communities/<slug>/reviews")
@login_required
@blp.arguments(ReviewIn, location="multipart")
@blp.response(201, MyReviewOut)
@blp.alt_response(403, schema=ErrorOut, description="``not_verified_buyer``: the order is not picked up yet.")
@blp.alt_response(404, schema=ErrorOut, description="Not a member here, or not my order line in this community.")
@blp.alt_response(409, schema=ErrorOut, description="``already_reviewed``: one review per order line.")
@blp.alt_response(422, schema=ErrorOut, description="A field out of range; ``too_many_photos``; ``bad_image`` "
                                                    "(not a real image). Nothing is written.")
def submit_review(data, slug: str):
    """Review one line of my picked-up order here: 1–5 stars, words and photos. Photos are stored without
    their EXIF or location. With the community's campaign approving by itself (or none), it is shown at
    once and a campaign's reward is paid when its rules are met; otherwise it waits for the shopkeeper."""
    community = _member_community(slug)
    line = get_or_none(OrderLine, data["order_line_id"])
    if line is not None and line.order.community_id != community.id:
        raise NotFound()
    review = reviews.submit(current_user, data["order_line_id"], rating=data["rating"], text=data["text"],
                            photos=data["photos"])
    campaign = db.session.get(ReviewCampaign, review.campaign_id) if review.campaign_id else None
    rewarded = review.status == ReviewStatus.APPROVED and reviews.meets_rules(review, campaign)
    return {**{name: getattr(review, name) for name in ("id", "variant_id", "rating", "text", "photos",
                                                        "created_at", "order_line_id")},
            "status": review.status.value, "rewarded": rewarded}


@blp.get("/communities/<slug>/draws/<int:draw_id>")
@login_required
@blp.response(200, DrawAuditOut)
@blp.alt_response(404, schema=ErrorOut, description=f"{NOT_FOUND} Or no such draw in this community.")
def draw_audit(slug: str, draw_id: int):
    """A lucky draw as anyone may check it, as its page shows it: the commitment (``seed_hash``) always; once
    drawn also the seed, every entry id with its place in the draw order and the winners' display names."""
    return draws.audit(draws.visible_draw(current_user, draw_id, get_community(slug)))
