"""The shopkeeper's subscription pages: the community's plans (drafts too), a new plan, one plan with its
coming boxes and forecast, opening and closing it, the box of one coming delivery, and the plan's
subscribers with their next box and the payment of their latest one. Acting on a member's behalf (skip,
pause, resume, cancel) posts to the member's own actions in ``subscriptions.views``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import login_required
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import form_error
from core.paging import Page
from payments.services import payments_for_many
from shopkeeper.access import get_community, require_shopkeeper
from shopkeeper.forms import show_form
from shopkeeper.services import pickup_points
from subscriptions import cycles, forecast, plans, queries
from subscriptions.forms import MenuForm, PlanForm
from subscriptions.models import Plan, Subscription, SubscriptionCycle, SubscriptionSkip
from subscriptions.queries import PastBox
from subscriptions.views import PLAN, bp, weekday_name
from supplier.models import Variant
from supplier.queries import active_variants

PER_PAGE = 50
FORECAST_CYCLES = 8


def _managed(community, plan_id: int) -> Plan:
    plan = plans.managed_plan(current_user, plan_id)
    if plan.community_id != community.id:
        raise NotFound()
    return plan


@bp.get("/c/<slug>/boxes/manage")
@login_required
def manage(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    return render_template("subscriptions/manage.html", community=community,
                           plans=queries.community_plans(current_user, community))


@bp.route("/c/<slug>/boxes/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = _plan_form(community, PlanForm(currency=community.currency))
    if not form.is_submitted():
        form.starts_on.data = clock.now().astimezone(ZoneInfo(community.timezone)).date()
        form.pickup_point_ids.data = [point_id for point_id, _label in form.pickup_point_ids.choices]
    context = {"community": community, "plan": None}
    if not form.validate_on_submit():
        return show_form("subscriptions/plan_form.html", form, **context)
    try:
        plan = plans.create_plan(current_user, community, **form.values())
    except DomainError as error:
        return form_error(form, error, "subscriptions/plan_form.html", **context)
    flash(_("The plan is saved as a draft. Open it when members may subscribe."), "success")
    return redirect(url_for("subscriptions.manage_plan", slug=slug, plan_id=plan.id), code=303)


def _plan_form(community, form: PlanForm) -> PlanForm:
    return form.offer_plan_choices(active_variants(), pickup_points(community), [weekday_name(d) for d in range(7)])


@bp.route(f"{PLAN}/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, plan_id: int):
    """Change a plan; its rhythm, cut-off and fulfilment only while it is a draft (``plans.update_plan``)."""
    community = get_community(slug)
    plan = _managed(community, plan_id)
    if request.method == "GET":
        form = PlanForm.filled_from(queries.describe_plan(plan, clock.now(), 0))
    else:
        form = PlanForm(currency=plan.currency)
    _plan_form(community, form)
    context = {"community": community, "plan": plan}
    if not form.validate_on_submit():
        return show_form("subscriptions/plan_form.html", form, **context)
    try:
        plans.update_plan(current_user, plan.id, **form.values())
    except DomainError as error:
        return form_error(form, error, "subscriptions/plan_form.html", **context)
    flash(_("The plan is saved."), "success")
    return redirect(url_for("subscriptions.manage_plan", slug=slug, plan_id=plan.id), code=303)


@dataclass
class ForecastRow:
    delivery_date: date
    cutoff_at: datetime
    boxes: int
    items: list[tuple[Variant, date, int]]  #: (variant, leave-by date, units), by leave-by date


def _forecast(plan: Plan) -> list[ForecastRow]:
    rows = []
    for cycle in forecast.plan_forecast(plan, clock.now(), FORECAST_CYCLES):
        items = sorted(((db.session.get(Variant, variant_id), leave_by, units)
                        for (variant_id, leave_by), units in cycle.items.items()), key=lambda i: (i[1], i[0].id))
        rows.append(ForecastRow(cycle.delivery_date, cycle.cutoff_at, cycle.boxes, items))
    return rows


@bp.get(f"{PLAN}/manage")
@login_required
def manage_plan(slug: str, plan_id: int):
    community = get_community(slug)
    plan = _managed(community, plan_id)
    return render_template("subscriptions/manage_plan.html", community=community, plan=plan,
                           view=queries.describe_plan(plan, clock.now(), FORECAST_CYCLES), forecast=_forecast(plan))


@bp.post(f"{PLAN}/<any(open, close):action>")
@login_required
def change_status(slug: str, plan_id: int, action: str):
    community = get_community(slug)
    _managed(community, plan_id)
    try:
        (plans.open_plan if action == "open" else plans.close_plan)(current_user, plan_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(str(error.message), "error")
        return redirect(url_for("subscriptions.manage_plan", slug=slug, plan_id=plan_id), code=303)
    flash(_("The plan is open: members may subscribe.") if action == "open"
          else _("The plan is closed: no new subscribers and no more boxes."), "success")
    return redirect(url_for("subscriptions.manage_plan", slug=slug, plan_id=plan_id), code=303)


@bp.route(f"{PLAN}/menu/<delivery_date>", methods=["GET", "POST"])
@login_required
def menu(slug: str, plan_id: int, delivery_date: str):
    """The box of one coming delivery, instead of the default (until its cut-off)."""
    community = get_community(slug)
    plan = _managed(community, plan_id)
    try:
        day = date.fromisoformat(delivery_date)
    except ValueError:
        abort(404)
    cycle = plans.cycle_of(plan, day)
    current = [{"variant_id": i.variant_id, "quantity": i.quantity, "lead_time_days": i.lead_time_days}
               for i in plans.menu_for(plan, day)]
    form = (MenuForm() if request.method == "POST" else MenuForm(formdata=None, data={"items": current}))
    form.offer(active_variants())
    context = {"community": community, "plan": plan, "cycle": cycle, "open": cycle.open_for_changes(clock.now())}
    if not form.validate_on_submit():
        return show_form("subscriptions/menu.html", form, **context)
    try:
        plans.set_menu(current_user, plan.id, day, form.menu(), clock.now())
    except DomainError as error:
        return form_error(form, error, "subscriptions/menu.html", **context)
    flash(_("The box of this delivery is saved."), "success")
    return redirect(url_for("subscriptions.manage_plan", slug=slug, plan_id=plan_id), code=303)


@dataclass
class SubscriberRow:
    subscription: Subscription
    next_skipped: bool
    latest: PastBox | None  #: the newest box the cycle job decided, with its latest payment


def _rows(subscriptions: list[Subscription], next_date: date | None) -> list[SubscriberRow]:
    """Each subscription with whether it skips the next open delivery and its newest box's payment —
    a few queries for the whole page, not a few per row."""
    ids = [s.id for s in subscriptions]
    skipped = set(db.session.execute(sa.select(SubscriptionSkip.subscription_id).where(
        SubscriptionSkip.subscription_id.in_(ids), SubscriptionSkip.delivery_date == next_date)).scalars())
    newest = sa.select(SubscriptionCycle.subscription_id, sa.func.max(SubscriptionCycle.delivery_date).label("day")) \
        .where(SubscriptionCycle.subscription_id.in_(ids)).group_by(SubscriptionCycle.subscription_id).subquery()
    latest = {row.subscription_id: row for row in db.session.execute(sa.select(SubscriptionCycle).join(newest, sa.and_(
        SubscriptionCycle.subscription_id == newest.c.subscription_id,
        SubscriptionCycle.delivery_date == newest.c.day))).scalars()}
    paid = payments_for_many(cycles.reference_for(row.id) for row in latest.values())
    rows = []
    for subscription in subscriptions:
        row = latest.get(subscription.id)
        box = None if row is None else PastBox(row.delivery_date, row.status.value, row.order_id,
                                              (paid[cycles.reference_for(row.id)] or [None])[-1])
        rows.append(SubscriberRow(subscription, subscription.id in skipped, box))
    return rows


@bp.get(f"{PLAN}/subscribers")
@login_required
def subscribers(slug: str, plan_id: int):
    community = get_community(slug)
    plan = _managed(community, plan_id)
    now = clock.now()
    next_cycle = next((c for c in plans.upcoming(plan, now, 4) if c.open_for_changes(now)), None)
    number = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    found = queries.plan_subscriptions(current_user, plan.id, number)
    page = Page(_rows(found.items, next_cycle.delivery_date if next_cycle else None), found.page, found.per_page,
                found.has_next)
    return render_template("subscriptions/subscribers.html", community=community, plan=plan, next_cycle=next_cycle,
                           page=page)
