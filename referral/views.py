"""Pages for store credit and reviews (issue #6): a member's credit in a community, reviewing what they
received, and the shopkeeper's review queue and campaigns."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import form_error, invalid_form
from orders.models import OrderLine
from referral import campaigns, reviews
from referral import credit as credit_service
from referral.forms import ReviewForm
from referral.models import CreditSource, ReviewStatus
from shopkeeper.access import get_community, is_shopkeeper, require_member
from shopkeeper.validation import MAX_ID

bp = Blueprint("referral", __name__)


@bp.app_template_global()
def reviews_for_variant(variant_id: int) -> list:
    """Approved reviews of a variant, for ``templates/referral/_reviews.html``."""
    return reviews.shown_for_variant(variant_id)


@bp.app_template_global()
def reviews_for_product(product_id: int) -> list:
    """Approved reviews of any variant of a catalog product, for ``templates/referral/_reviews.html``."""
    return reviews.shown_for_product(product_id)


@bp.app_template_global()
def rating_for_product(product_id: int) -> tuple[int, float | None]:
    """(count, average stars) of a product's approved reviews, the summary line of ``_reviews.html``."""
    return reviews.product_rating(product_id)


@bp.app_template_global()
def credit_source_label(source: str) -> str:
    return {CreditSource.REVIEW_REWARD: _("Review reward"), CreditSource.REFERRAL_REWARD: _("Invite reward"),
            CreditSource.DRAW_PRIZE: _("Lucky draw prize"), CreditSource.SPEND: _("Spent on an order"),
            CreditSource.REVERSAL: _("Returned from an order")}.get(source, str(source))


@bp.get("/c/<slug>/credit")
@login_required
def credit(slug: str):
    community = get_community(slug)
    require_member(current_user, community)
    return render_template(
        "referral/credit.html", community=community,
        balance=credit_service.balance(current_user.id, community.id),
        entries=credit_service.entries(current_user.id, community.id),
        lines=campaigns.reviewable_lines(current_user, community),
        campaign=reviews.campaign_in_force(community.id), can_manage=is_shopkeeper(current_user, community))


def _form_context(community, line_id: int) -> dict:
    """The line under review, the member's own in this community (404 otherwise)."""
    line = db.session.get(OrderLine, line_id) if line_id <= MAX_ID else None
    if line is None or line.order.community_id != community.id or line.order.user_id != current_user.id:
        raise NotFound()
    return {"community": community, "line": line, "campaign": reviews.campaign_in_force(community.id),
            "max_photos": reviews.MAX_PHOTOS}


@bp.route("/c/<slug>/reviews/new/<int:line_id>", methods=["GET", "POST"])
@login_required
def new_review(slug: str, line_id: int):
    community = get_community(slug)
    require_member(current_user, community)
    context = _form_context(community, line_id)
    form = ReviewForm()
    if not form.is_submitted():
        return render_template("referral/review_form.html", form=form, **context)
    if not form.validate():
        return invalid_form("referral/review_form.html", form, **context)
    try:
        review = reviews.submit(current_user, line_id, rating=form.rating.data, text=form.text.data or "",
                                photos=form.photos.data or [])
    except DomainError as error:
        return form_error(form, error, "referral/review_form.html", **context)
    if review.status == ReviewStatus.APPROVED:
        rewarded = reviews.meets_rules(review, context["campaign"])
        flash(_("Thanks! Your review is published and your store credit is added.") if rewarded
              else _("Thanks! Your review is published."), "success")
    else:
        flash(_("Thanks! Your review will appear once the shopkeeper approves it."), "success")
    return redirect(url_for("referral.credit", slug=slug))


from referral import review_views  # noqa: E402, F401  (the shopkeeper's routes, on this blueprint)
