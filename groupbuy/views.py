"""Pages: a community's group buys, one group buy with my pledge, and the shopkeeper's forms."""

import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from groupbuy import deposits, lapses, outcome, pledges, pricing, services
from groupbuy.forms import GroupBuyForm, NewGroupBuyForm, PledgeForm
from groupbuy.models import GroupBuyStatus
from payments.dunning import failure_reason, pay_token, pay_url
from shopkeeper.access import get_community, require_member, require_shopkeeper
from shopkeeper.forms import show_form
from shopkeeper.links import community_home_url
from shopkeeper.models import MembershipRole
from shopkeeper.services import pickup_points

bp = Blueprint("groupbuy", __name__)
#: a closed group buy shows what it came to
CLOSED = frozenset({GroupBuyStatus.SUCCEEDED, GroupBuyStatus.FAILED})


@bp.context_processor
def _links():
    return {"community_home_url": community_home_url, "failure_reason": failure_reason, "pay_token": pay_token}


@bp.get("/c/<slug>/group-buys")
@login_required
def index(slug: str):
    community = get_community(slug)
    membership = require_member(current_user, community)
    return render_template("groupbuy/index.html", community=community,
                           views=services.community_group_buys(current_user, community),
                           is_shopkeeper=membership.role == MembershipRole.SHOPKEEPER)


@bp.route("/c/<slug>/group-buys/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = NewGroupBuyForm().offer_offers(services.offers_to_run(community)).offer_points(pickup_points(community))
    if request.method == "GET":
        form.pickup_point_ids.data = [point_id for point_id, _label in form.pickup_point_ids.choices]
    context = {"community": community}
    if not form.validate_on_submit():
        return show_form("groupbuy/new.html", form, **context)
    try:
        group_buy = services.create_group_buy(current_user, community, offer_id=form.offer_id.data,
                                              images=form.images.data or [], **form.values(community.timezone))
    except DomainError as error:
        return form_error(form, error, "groupbuy/new.html", **context)
    flash(_("Your group buy is open. Share it with your members."), "success")
    return redirect(url_for("groupbuy.show", slug=slug, group_buy_id=group_buy.id))


def _page(community, group_buy_id: int, form: PledgeForm | None = None) -> dict:
    group_buy, membership = services.visible_group_buy(current_user, group_buy_id, community)
    mine = pledges.my_pledge(current_user, group_buy_id, community)
    if form is None:
        form = PledgeForm(formdata=None, obj=mine, pickup_point_id=mine.pickup_point_id if mine
                          else membership.pickup_point_id)
    form.offer_points([point for point in group_buy.pickup_points if point.active])
    product = group_buy.offer.variant.product
    deposit = deposits.describe(mine) if mine else None
    paying = pay_url(deposit.waiting) if deposit and deposit.needs_member else None
    return {"deposit": deposit, "deposit_pay_url": paying,
            "community": community, "view": services.describe(group_buy), "form": form,
            "mine": pledges.describe(mine) if mine else None, "tiers": pricing.member_tiers(group_buy),
            "images": group_buy.images or product.images, "product": product,
            "is_shopkeeper": membership.role == MembershipRole.SHOPKEEPER,
            "outcome": outcome.my_outcome(current_user, group_buy) if group_buy.status in CLOSED else None,
            "dropped": lapses.my_dropped_pledge(current_user, group_buy) if group_buy.status in CLOSED else None}


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>")
@login_required
def show(slug: str, group_buy_id: int):
    return render_template("groupbuy/show.html", **_page(get_community(slug), group_buy_id))


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/pledge")
@login_required
def pledge(slug: str, group_buy_id: int):
    community = get_community(slug)
    form = PledgeForm()
    context = _page(community, group_buy_id, form)
    if not form.validate_on_submit():
        return invalid_form("groupbuy/show.html", **context)
    try:
        pledge = pledges.pledge(current_user, group_buy_id, community=community, quantity=form.quantity.data,
                                tolerance=form.tolerance.data or 0, pickup_point_id=form.pickup_point_id.data)
        deposit = deposits.take(pledge)
    except DomainError as error:
        return form_error(form, error, "groupbuy/show.html", **{k: v for k, v in context.items() if k != "form"})
    flash(_("Your pledge is in. You can change it until the deadline."), "success")
    if deposit.needs_member:
        return redirect(pay_url(deposit.waiting), code=303)
    return redirect(url_for("groupbuy.show", slug=slug, group_buy_id=group_buy_id))


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/pledge/cancel")
@login_required
def cancel_pledge(slug: str, group_buy_id: int):
    community = get_community(slug)
    try:
        deposits.release(pledges.cancel_pledge(current_user, group_buy_id, community))
    except DomainError as error:
        if error.status == 404:
            raise
        context = _page(community, group_buy_id)
        return form_error(context.pop("form"), error, "groupbuy/show.html", **context)
    flash(_("Your pledge is cancelled."), "info")
    return redirect(url_for("groupbuy.show", slug=slug, group_buy_id=group_buy_id))


@bp.route("/c/<slug>/group-buys/<int:group_buy_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, group_buy_id: int):
    community = get_community(slug)
    group_buy = services.managed_group_buy(current_user, group_buy_id, community)
    context = {"community": community, "group_buy": group_buy}
    if request.method == "GET":
        form = GroupBuyForm.filled_from(group_buy).offer_points(pickup_points(community))
        return render_template("groupbuy/edit.html", form=form, **context)
    form = GroupBuyForm().offer_points(pickup_points(community))
    if not form.validate_on_submit():
        return invalid_form("groupbuy/edit.html", form, **context)
    try:
        services.update_group_buy(current_user, group_buy_id, community, **form.values(community.timezone))
    except DomainError as error:
        return form_error(form, error, "groupbuy/edit.html", **context)
    flash(_("The group buy is saved."), "success")
    return redirect(url_for("groupbuy.show", slug=slug, group_buy_id=group_buy_id))


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/cancel")
@login_required
def cancel(slug: str, group_buy_id: int):
    deposits.release_group_buy(services.cancel_group_buy(current_user, group_buy_id, get_community(slug)))
    flash(_("The group buy is cancelled and every pledge on it released."), "info")
    return redirect(url_for("groupbuy.index", slug=slug))


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>/orders")
@login_required
def orders(slug: str, group_buy_id: int):
    community = get_community(slug)
    group_buy, rows = outcome.confirmed_orders(current_user, group_buy_id, community)
    return render_template("groupbuy/orders.html", community=community, group_buy=group_buy, rows=rows)


@bp.cli.command("close-due")
def close_due() -> None:
    """Close every open offer whose closing time has passed (the sweeper; safe to run from cron)."""
    from core.jobs import run_job

    outcomes = run_job("groupbuy.jobs:sweep_due_offers")
    for offer_id, result in outcomes.items():
        click.echo(f"offer {offer_id}: {result}")
    click.echo(f"{len(outcomes)} offers due")


@bp.cli.command("expire-overdue")
def expire_overdue() -> None:
    """Cancel balances whose grace period is over and drop their pledges (the dunning sweeper; safe to
    run from cron)."""
    from core.jobs import run_job

    outcomes = run_job("groupbuy.jobs:expire_overdue_balances")
    for pledge_id, result in outcomes.items():
        click.echo(f"pledge {pledge_id}: {result}")
    click.echo(f"{len(outcomes)} pledges lapsed")


from groupbuy import payment_views  # noqa: E402, F401  (its routes live on this blueprint)
