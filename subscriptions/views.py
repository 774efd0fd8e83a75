"""Pages: a community's subscription boxes — its open plans, one plan with its next boxes and the subscribe
form, and a member's subscription: the coming deliveries (skip, swap an item), pause, resume, cancel, the
pickup point, and the boxes already ordered with their payment. Refusals (a cut-off passed, a bad date)
show the page again with the reason and a 4xx, so nothing is written. The shopkeeper's pages live in
``subscriptions.shop_views`` on the same blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from core import clock
from core.auth import login_required
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import form_error, invalid_form
from payments.dunning import failure_reason, needs_member, pay_url
from shopkeeper.access import get_community, is_shopkeeper, require_member
from shopkeeper.forms import attach_error
from shopkeeper.links import community_home_url
from shopkeeper.models import MembershipRole
from shopkeeper.validation import ID
from subscriptions import billing, plans, queries, services
from subscriptions.forms import DeliveryForm, PauseForm, PickupPointForm, SubscribeForm, SwapForm
from subscriptions.models import (
    Fulfilment,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)

bp = Blueprint("subscriptions", __name__)
PLAN = f"/c/<slug>/boxes/<{ID}:plan_id>"
MINE = f"/c/<slug>/subscriptions/<{ID}:subscription_id>"
#: how many coming boxes a plan's page and a member's page show
PLAN_BOXES, MY_BOXES = 4, 6


def weekday_name(weekday: int) -> str:
    return get_day_names("wide", locale=get_locale())[weekday]


@bp.context_processor
def _helpers():
    return {"community_home_url": community_home_url, "weekday_name": weekday_name,
            "failure_reason": failure_reason, "pay_url": pay_url, "needs_member": needs_member}


def subscription_of(user, plan: Plan) -> Subscription | None:
    return db.session.execute(sa.select(Subscription).where(
        Subscription.plan_id == plan.id, Subscription.user_id == user.id)).scalar_one_or_none()


def _plan(community, plan_id: int) -> Plan:
    plan = plans.visible_plan(current_user, plan_id)
    if plan.community_id != community.id:
        raise NotFound()
    return plan


def _subscription(community, subscription_id: int) -> Subscription:
    subscription = services.get_subscription(current_user, subscription_id)
    if subscription.plan.community_id != community.id:
        raise NotFound()
    return subscription


@bp.get("/c/<slug>/boxes")
@login_required
def index(slug: str):
    community = get_community(slug)
    membership = require_member(current_user, community)
    mine = [s for s in queries.my_subscriptions(current_user)
            if s.plan.community_id == community.id and s.status != SubscriptionStatus.CANCELLED]
    return render_template("subscriptions/index.html", community=community, mine=mine,
                           plans=[plan for plan in queries.community_plans(current_user, community)
                                  if plan.status == PlanStatus.OPEN],
                           is_shopkeeper=membership.role == MembershipRole.SHOPKEEPER)


def _plan_page(community, plan_id: int, form: SubscribeForm | None = None) -> dict:
    plan = _plan(community, plan_id)
    form = form if form is not None else SubscribeForm(formdata=None)
    return {"community": community, "plan": plan, "boxes": queries.next_boxes(plan, clock.now(), PLAN_BOXES),
            "form": form.offer(plan, billing.card_on_file(current_user)),
            "mine": subscription_of(current_user, plan), "is_shopkeeper": is_shopkeeper(current_user, community)}


@bp.get(PLAN)
@login_required
def show(slug: str, plan_id: int):
    return render_template("subscriptions/show.html", **_plan_page(get_community(slug), plan_id))


@bp.post(f"{PLAN}/subscribe")
@login_required
def subscribe(slug: str, plan_id: int):
    community = get_community(slug)
    context = _plan_page(community, plan_id, SubscribeForm())
    form = context["form"]
    if not form.validate_on_submit():
        return invalid_form("subscriptions/show.html", **context)
    try:
        subscription = services.subscribe(current_user, plan_id, **form.values())
    except DomainError as error:
        if error.status == 404:
            raise
        return form_error(context.pop("form"), error, "subscriptions/show.html", **context)
    flash(_("You are subscribed. Your first box is on its way."), "success")
    return redirect(url_for("subscriptions.mine", slug=slug, subscription_id=subscription.id), code=303)


def _mine_page(community, subscription: Subscription, **forms) -> dict:
    plan = subscription.plan
    pickup_form = None
    if plan.fulfilment == Fulfilment.PICKUP:
        pickup_form = PickupPointForm(formdata=None, pickup_point_id=subscription.pickup_point_id).offer(plan)
    return {"community": community, "subscription": subscription, "plan": plan,
            "view": queries.describe(subscription, clock.now(), MY_BOXES),
            "pause_form": PauseForm(formdata=None), "pickup_form": pickup_form, "errors": [],
            "for_member": subscription.user_id != current_user.id, **forms}


@bp.get(MINE)
@login_required
def mine(slug: str, subscription_id: int):
    community = get_community(slug)
    subscription = _subscription(community, subscription_id)
    return render_template("subscriptions/mine.html", **_mine_page(community, subscription))


#: forms shown on the page with their own fields; the others are buttons whose errors show at the top
VISIBLE_FORMS = {PauseForm: "pause_form", PickupPointForm: "pickup_form"}


def _act(slug: str, subscription_id: int, form: FlaskForm, change, done: str):
    """Validate ``form``, make one change to the subscription, and go back to where the caller came from
    (the shopkeeper's list with ``?back=subscribers``); a refusal shows the subscription page again."""
    community = get_community(slug)
    subscription = _subscription(community, subscription_id)
    if isinstance(form, PickupPointForm):
        form.offer(subscription.plan)
    status = 422
    if form.validate_on_submit():
        try:
            change(subscription.id, form)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            attach_error(form, error)
            status = error.status if error.status >= 400 else 422
        else:
            flash(done, "success")
            if request.args.get("back") == "subscribers" and is_shopkeeper(current_user, community):
                return redirect(url_for("subscriptions.subscribers", slug=slug, plan_id=subscription.plan_id), 303)
            return redirect(url_for("subscriptions.mine", slug=slug, subscription_id=subscription.id), 303)
    name = VISIBLE_FORMS.get(type(form))
    errors = [] if name else [str(e) for f in form for e in f.errors] + [str(e) for e in form.form_errors]
    context = _mine_page(community, subscription, **({name: form} if name else {}))
    context["errors"] = errors
    return render_template("subscriptions/mine.html", **context), status


@bp.post(f"{MINE}/<any(skip, unskip):action>")
@login_required
def skip(slug: str, subscription_id: int, action: str):
    form = DeliveryForm()
    done = _("No box that day.") if action == "skip" else _("The box is back.")
    return _act(slug, subscription_id, form,
                lambda sid, f: getattr(services, action)(current_user, sid, f.delivery_date.data), done)


@bp.post(f"{MINE}/swap")
@login_required
def swap(slug: str, subscription_id: int):
    return _act(slug, subscription_id, SwapForm(),
                lambda sid, f: services.swap(current_user, sid, f.delivery_date.data, f.variant_id.data,
                                             f.alternative_id.data), _("The box is changed."))


@bp.post(f"{MINE}/pause")
@login_required
def pause(slug: str, subscription_id: int):
    return _act(slug, subscription_id, PauseForm(),
                lambda sid, f: services.pause(current_user, sid, f.until_date()), _("The subscription is paused."))


@bp.post(f"{MINE}/<any(resume, cancel):action>")
@login_required
def resume_or_cancel(slug: str, subscription_id: int, action: str):
    done = _("The subscription is active again.") if action == "resume" else _("The subscription is cancelled.")
    return _act(slug, subscription_id, FlaskForm(), lambda sid, f: getattr(services, action)(current_user, sid), done)


@bp.post(f"{MINE}/pickup-point")
@login_required
def pickup_point(slug: str, subscription_id: int):
    return _act(slug, subscription_id, PickupPointForm(),
                lambda sid, f: services.change_pickup_point(current_user, sid, f.pickup_point_id.data),
                _("The pickup point is changed."))


from subscriptions import shop_views  # noqa: E402, F401  (its routes live on this blueprint)
