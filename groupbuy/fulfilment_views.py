"""Pages: the shopkeeper's side of fulfilment — receive the delivery, open the pickup points, the pickup
lists (printable and CSV) and marking each pickup — and the order's state on the member's group buy page."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.csv_export import csv_chunks
from core.errors import DomainError
from groupbuy import fulfilment, pickup
from groupbuy.services import managed_group_buy
from orders.views import STATUS_LABELS, quantities_from_form
from shopkeeper.access import get_community
from shopkeeper.links import community_home_url

bp = Blueprint("fulfilment", __name__)


@bp.context_processor
def _links():
    return {"community_home_url": community_home_url}


@bp.app_template_global("order_progress")
def _order_progress(order) -> str:
    return pickup.order_progress(order)


def _overview(community, group_buy_id: int, errors=(), status: int = 200):
    group_buy = managed_group_buy(current_user, group_buy_id, community)
    purchase_order = fulfilment.purchase_order_of(group_buy)
    return render_template("groupbuy/pickup_fulfilment.html", community=community, group_buy=group_buy,
                           purchase_order=purchase_order, labels=STATUS_LABELS,
                           lines=pickup.receiving_lines(group_buy), errors=[str(error) for error in errors]), status


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>/fulfilment")
@login_required
def show(slug: str, group_buy_id: int):
    return _overview(get_community(slug), group_buy_id)


def _step(slug: str, group_buy_id: int, action, done: str):
    """Run one shopkeeper step; a refusal shows the overview again with the reason (nothing saved)."""
    community = get_community(slug)
    try:
        action(community)
    except DomainError as error:
        if error.status in (403, 404) or error.code == "not_ordered":
            raise
        return _overview(community, group_buy_id, [error.message], error.status)
    flash(done, "success")
    return redirect(url_for("fulfilment.show", slug=slug, group_buy_id=group_buy_id))


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/receive")
@login_required
def receive(slug: str, group_buy_id: int):
    return _step(slug, group_buy_id, lambda community: fulfilment.receive(
        current_user, group_buy_id, community, quantities_from_form("received")),
        _("Delivery received. Any shortfall is refunded to the members."))


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/ready")
@login_required
def ready(slug: str, group_buy_id: int):
    return _step(slug, group_buy_id, lambda community: fulfilment.mark_ready(current_user, group_buy_id, community),
                 _("The pickup points are open. The members have been told."))


def _point() -> int | None:
    point = request.args.get("point", type=int)
    return point if point and 0 < point < 2**31 else None


def _lists_page(community, group_buy_id: int, errors=(), status: int = 200):
    group_buy, lists = pickup.pickup_lists(current_user, group_buy_id, community, _point())
    return render_template("groupbuy/pickup_list.html", community=community, group_buy=group_buy, lists=lists,
                           point=_point(), errors=[str(error) for error in errors]), status


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>/pickup")
@login_required
def pickup_list(slug: str, group_buy_id: int):
    return _lists_page(get_community(slug), group_buy_id)


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>/pickup.csv")
@login_required
def pickup_csv(slug: str, group_buy_id: int):
    community = get_community(slug)
    _group_buy, lists = pickup.pickup_lists(current_user, group_buy_id, community, _point())
    rows = list(pickup.csv_rows(lists, str(get_locale() or "en")))
    name = f"{community.slug}-group-buy-{group_buy_id}-pickup.csv"
    return Response("".join(csv_chunks(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/orders/<int:order_id>/picked-up")
@login_required
def picked_up(slug: str, group_buy_id: int, order_id: int):
    community = get_community(slug)
    try:
        order = fulfilment.mark_picked_up(current_user, group_buy_id, order_id, community)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _lists_page(community, group_buy_id, [error.message], error.status)
    flash(_("%(name)s picked up their order.", name=order.user.display_name), "success")
    return redirect(url_for("fulfilment.pickup_list", slug=slug, group_buy_id=group_buy_id, point=_point()))
