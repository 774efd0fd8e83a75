"""Pages for lucky draws, invite rewards and the shopkeeper's growth insight (issue #6)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from referral import draws as draw_service
from referral import insight as queries
from referral import invites
from referral.growth_forms import DrawForm
from shopkeeper.access import get_community, is_shopkeeper, require_member, require_shopkeeper
from shopkeeper.links import community_home_url
from shopkeeper.validation import ID

bp = Blueprint("growth", __name__)


@bp.context_processor
def _helpers():
    return {"community_home_url": community_home_url, "prize_text": draw_service.prize_text}


@bp.route("/c/<slug>/draws", methods=["GET", "POST"])
@login_required
def draws(slug: str):
    community = get_community(slug)
    require_member(current_user, community)
    shopkeeper = is_shopkeeper(current_user, community)
    form = DrawForm(currency=community.currency, group_buys=queries.group_buy_choices(community)) \
        if shopkeeper else None
    context = {"community": community, "draws": queries.community_draws(community), "is_shopkeeper": shopkeeper,
               "zone": community.timezone, "now": clock.now()}
    if request.method == "POST":
        require_shopkeeper(current_user, community)
    if not form or not form.is_submitted():
        return render_template("growth/draws.html", form=form, **context)
    if not form.validate():
        return invalid_form("growth/draws.html", form, **context)
    try:
        lucky = draw_service.create_draw(current_user, community, **form.values(community.timezone))
    except DomainError as error:
        return form_error(form, error, "growth/draws.html", **context)
    flash(_("Your lucky draw is scheduled. Its seed hash is published now."), "success")
    return redirect(url_for("growth.draw", slug=slug, draw_id=lucky.id))


@bp.get(f"/c/<slug>/draws/<{ID}:draw_id>")
@login_required
def draw(slug: str, draw_id: int):
    community = get_community(slug)
    lucky = draw_service.visible_draw(current_user, draw_id, community)
    return render_template("growth/draw.html", community=community, lucky=lucky,
                           audit=draw_service.audit(lucky))


@bp.get("/c/<slug>/invite")
@login_required
def invite(slug: str):
    community = get_community(slug)
    link = invites.personal_link(current_user, community)
    return render_template("growth/invite.html", community=community, link=link,
                           program=queries.active_program(community),
                           referrals=queries.my_referrals(current_user, community))


@bp.get("/c/<slug>/insight")
@login_required
def insight(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    return render_template("growth/insight.html", community=community,
                           ratings=queries.product_ratings(community), cost=queries.credit_by_source(community),
                           draw_figures=queries.draw_figures(community),
                           referrals=queries.referral_figures(community), top=queries.top_inviters(community))


from referral import growth_admin_views  # noqa: E402,F401  (its routes are on bp)
