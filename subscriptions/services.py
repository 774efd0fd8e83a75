"""Members' self-service on their subscriptions: subscribe, skip (and take back a skip), pause until a
date, resume, cancel, swap an item the plan allows, change pickup point. Each change that concerns one
delivery is refused from that cycle's cut-off (409 ``past_cutoff``); a pause, a resume or a cancellation
takes effect from the first delivery still open, and never reaches back to a cycle already cut off
(``Subscription.due_for``). The community's shopkeepers may act on any of its subscriptions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock
from core.errors import Conflict, NotFound
from core.extensions import db
from shopkeeper.access import is_shopkeeper, membership_of
from shopkeeper.validation import MAX_ID, refuse, text_field
from subscriptions import billing, plans
from subscriptions.models import (
    Fulfilment,
    PaymentChoice,
    PlanStatus,
    Subscription,
    SubscriptionSkip,
    SubscriptionStatus,
    SubscriptionSwap,
)


def subscribe(user: User, plan_id: int, *, pickup_point_id: int | None = None, delivery_address: str = "",
              payment_choice: str = "at_pickup", payment_method: str | None = None) -> Subscription:
    """Subscribe a member to an open plan (subscribing again after a cancellation reopens the same row).
    Paying by card needs a card saved for off-session charges: the one on file, or ``payment_method``
    (a card the browser or app collected, saved now). Raises ``not_found``, ``plan_closed`` /
    ``already_subscribed`` (409), ``no_card`` and the field codes (422)."""
    plan = plans.visible_plan(user, plan_id)
    if plan.status != PlanStatus.OPEN:
        raise Conflict("plan_closed", _l("This plan is not taking subscribers."))
    if payment_choice not in set(PaymentChoice):
        refuse("bad_payment_choice", _l("Choose a card or paying at pickup."), "payment_choice")
    point = plans.pickup_point_of(plan, pickup_point_id)
    address = text_field(delivery_address, "delivery_address", 500, required=plan.fulfilment == Fulfilment.DELIVERY)
    if payment_choice == PaymentChoice.CARD:
        _require_card(user, payment_method)
    subscription = db.session.execute(sa.select(Subscription).where(
        Subscription.plan_id == plan.id, Subscription.user_id == user.id).with_for_update()).scalar_one_or_none()
    if subscription is not None and subscription.status != SubscriptionStatus.CANCELLED:
        raise Conflict("already_subscribed", _l("You already subscribe to this plan."))
    if subscription is None:
        subscription = Subscription(plan_id=plan.id, user_id=user.id)
        db.session.add(subscription)
    subscription.status, subscription.cancelled_at = SubscriptionStatus.ACTIVE, None
    subscription.subscribed_at = clock.now()
    subscription.paused_at = subscription.paused_until = None
    subscription.pickup_point_id = point.id if point else None
    subscription.delivery_address, subscription.payment_choice = address, PaymentChoice(payment_choice)
    db.session.flush()
    return subscription


def _require_card(user: User, payment_method: str | None) -> None:
    if billing.card_on_file(user):
        return
    if isinstance(payment_method, str) and 0 < len(payment_method) <= 120 and billing.save_card(user, payment_method):
        return
    refuse("no_card", _l("Save a card first, or choose to pay at pickup."), "payment_choice")


def get_subscription(user: User, subscription_id: int) -> Subscription:
    """The member's own subscription, or any in a community the caller runs; a 404 for anyone else."""
    subscription = db.session.get(Subscription, subscription_id) \
        if isinstance(subscription_id, int) and 0 < subscription_id <= MAX_ID else None
    if subscription is None:
        raise NotFound()
    if subscription.user_id != user.id and not is_shopkeeper(user, subscription.plan.community):
        raise NotFound()
    if subscription.user_id == user.id and membership_of(user, subscription.plan.community) is None:
        raise NotFound()
    return subscription


def _live(user: User, subscription_id: int) -> Subscription:
    subscription = get_subscription(user, subscription_id)
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise Conflict("cancelled", _l("This subscription is cancelled."))
    return subscription


def _first_open_delivery(subscription: Subscription) -> date:
    now = clock.now()
    return next(cycle.delivery_date for cycle in plans.upcoming(subscription.plan, now, 4)
                if cycle.open_for_changes(now))


def skip(user: User, subscription_id: int, delivery_date: date) -> Subscription:
    """No box on ``delivery_date`` (skipping twice is the same skip)."""
    subscription = _live(user, subscription_id)
    plans.require_open(plans.cycle_of(subscription.plan, delivery_date), clock.now())
    if db.session.get(SubscriptionSkip, (subscription.id, delivery_date)) is None:
        db.session.add(SubscriptionSkip(subscription_id=subscription.id, delivery_date=delivery_date))
        db.session.flush()
    return subscription


def unskip(user: User, subscription_id: int, delivery_date: date) -> Subscription:
    subscription = _live(user, subscription_id)
    plans.require_open(plans.cycle_of(subscription.plan, delivery_date), clock.now())
    db.session.execute(sa.delete(SubscriptionSkip).where(SubscriptionSkip.subscription_id == subscription.id,
                                                         SubscriptionSkip.delivery_date == delivery_date))
    db.session.flush()
    return subscription


def pause(user: User, subscription_id: int, until: date | None = None) -> Subscription:
    """No boxes from the first delivery still open until ``until`` (its first delivery back), or until
    resumed when None."""
    subscription = _live(user, subscription_id)
    if until is not None and until <= _first_open_delivery(subscription):
        refuse("bad_date", _l("Pause until a date after the next delivery."), "until")
    subscription.status, subscription.paused_at, subscription.paused_until = \
        SubscriptionStatus.PAUSED, clock.now(), until
    db.session.flush()
    return subscription


def resume(user: User, subscription_id: int) -> Subscription:
    """Boxes again from the first delivery still open (a cycle already cut off stays as it was)."""
    subscription = _live(user, subscription_id)
    if subscription.paused_at is not None:
        back = _first_open_delivery(subscription)
        if subscription.paused_until is None or subscription.paused_until > back:
            subscription.paused_until = back
    subscription.status = SubscriptionStatus.ACTIVE
    db.session.flush()
    return subscription


def cancel(user: User, subscription_id: int) -> Subscription:
    """No more boxes after those already cut off; cancelling again changes nothing."""
    subscription = get_subscription(user, subscription_id)
    if subscription.status != SubscriptionStatus.CANCELLED:
        subscription.status, subscription.cancelled_at = SubscriptionStatus.CANCELLED, clock.now()
        db.session.flush()
    return subscription


def swap(user: User, subscription_id: int, delivery_date: date, variant_id: int, alternative_id: int) -> Subscription:
    """For one delivery, ``alternative_id`` instead of ``variant_id`` — an exchange the plan allows, of an
    item in that box. Swapping back to the item itself removes the swap."""
    subscription = _live(user, subscription_id)
    plan = subscription.plan
    plans.require_open(plans.cycle_of(plan, delivery_date), clock.now())
    in_box = {item.variant_id for item in plans.menu_for(plan, delivery_date)}
    if variant_id not in in_box:
        refuse("not_in_box", _l("That item is not in this box."), "variant_id")
    db.session.execute(sa.delete(SubscriptionSwap).where(
        SubscriptionSwap.subscription_id == subscription.id, SubscriptionSwap.delivery_date == delivery_date,
        SubscriptionSwap.variant_id == variant_id))
    if alternative_id != variant_id:
        if alternative_id not in plans.swaps_of(plan).get(variant_id, set()):
            refuse("bad_swap", _l("This plan does not offer that exchange."), "alternative_id")
        db.session.add(SubscriptionSwap(subscription_id=subscription.id, delivery_date=delivery_date,
                                        variant_id=variant_id, alternative_id=alternative_id))
    db.session.flush()
    return subscription


def change_pickup_point(user: User, subscription_id: int, pickup_point_id: int) -> Subscription:
    """From the first delivery still open (boxes already cut off go where they were ordered to)."""
    subscription = _live(user, subscription_id)
    point = plans.pickup_point_of(subscription.plan, pickup_point_id)
    if point is None:
        refuse("not_pickup", _l("This plan is delivered to the door."), "pickup_point_id")
    subscription.pickup_point_id = point.id
    db.session.flush()
    return subscription


def skipped_dates(subscription: Subscription) -> set[date]:
    return set(db.session.execute(sa.select(SubscriptionSkip.delivery_date).where(
        SubscriptionSkip.subscription_id == subscription.id)).scalars())
