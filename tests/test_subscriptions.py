"""Subscription plans and members' self-service (issue #5): plans with a default menu and per-cycle
menus; subscribe, skip, pause, resume, cancel, swap, change pickup point — each until the cycle's cut-off,
refused after it, and never reaching back to a cycle already cut off. The clock is moved, never slept."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import clock
from core.db import commit
from core.errors import DomainError
from subscriptions import plans, services
from subscriptions.models import PlanStatus, SubscriptionStatus, SubscriptionSwap
from tests.factories import add_member, make_community, make_pickup_point, make_user
from tests.subscription_factories import NOW, make_plan, make_subscriber

SAT_28, SAT_5, SAT_12, SAT_19 = date(2026, 11, 28), date(2026, 12, 5), date(2026, 12, 12), date(2026, 12, 19)


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _refused(call, code: str) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.code == code
    return refused.value


def _due(subscription, day: date) -> bool:
    cycle = plans.cycle_of(subscription.plan, day)
    return subscription.due_for(day, cycle.cutoff_at) and day not in services.skipped_dates(subscription)


def test_a_plan_lists_its_next_boxes_with_their_cut_offs_and_menus():
    plan, variants = make_plan()
    coming = plans.upcoming(plan, clock.now(), 3)
    assert [cycle.delivery_date for cycle in coming] == [SAT_28, SAT_5, SAT_12]
    assert coming[0].cutoff_at == datetime.fromisoformat("2026-11-26T01:00:00+00:00")  # Thursday 09:00 local
    assert [item.variant_id for item in plans.menu_for(plan, SAT_28)] == [variants[0].id, variants[1].id]
    plans.set_menu(plan.community.owner, plan.id, SAT_5, [(variants[1].id, 2, 0)], clock.now())
    commit()
    assert [(i.variant_id, i.quantity) for i in plans.menu_for(plan, SAT_5)] == [(variants[1].id, 2)]
    assert len(plans.menu_for(plan, SAT_12)) == 2  # the default again


def test_a_cycle_menu_is_refused_for_a_date_without_delivery_or_past_its_cut_off():
    plan, variants = make_plan()
    owner = plan.community.owner
    _refused(lambda: plans.set_menu(owner, plan.id, date(2026, 11, 29), [(variants[0].id, 1, 0)], clock.now()),
             "bad_date")
    clock.advance(timedelta(days=4))  # Thursday 26th, noon: the 28th is cut off
    _refused(lambda: plans.set_menu(owner, plan.id, SAT_28, [(variants[0].id, 1, 0)], clock.now()), "past_cutoff")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("cadence", "daily", "bad_cadence"), ("weekday", 7, "out_of_range"), ("price", -1, "out_of_range"),
    ("name", "  ", "required"), ("items", [], "bad_items"), ("capacity", 0, "out_of_range"),
])
def test_a_plan_with_a_bad_field_is_refused_and_nothing_is_written(field, value, code):
    from core.extensions import db
    from subscriptions.models import Plan

    community = make_community()
    point = make_pickup_point(community)
    _plan, variants = make_plan()
    values = {"name": "Box", "cadence": "weekly", "weekday": 5, "starts_on": date(2026, 11, 1), "price": 100,
              "items": [(variants[0].id, 1, 0)], "pickup_point_ids": [point.id], field: value}
    error = _refused(lambda: plans.create_plan(community.owner, community, **values), code)
    assert error.status == 422
    db.session.rollback()
    assert db.session.query(Plan).filter_by(community_id=community.id).count() == 0


def test_members_see_open_plans_and_outsiders_and_drafts_are_not_found():
    plan, _variants = make_plan()
    draft, _ = make_plan(plan.community, status="draft")
    member = add_member(plan.community)
    assert plans.visible_plan(member, plan.id) == plan
    _refused(lambda: plans.visible_plan(member, draft.id), "not_found")
    _refused(lambda: plans.visible_plan(make_user(), plan.id), "not_found")
    _refused(lambda: services.subscribe(member, draft.id, pickup_point_id=draft.pickup_points[0].id), "not_found")


def test_a_member_subscribes_once_and_again_after_cancelling():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    member = subscription.user
    _refused(lambda: services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id),
             "already_subscribed")
    services.cancel(member, subscription.id)
    commit()
    again = services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id)
    assert again.id == subscription.id and again.status == SubscriptionStatus.ACTIVE and again.cancelled_at is None
    _refused(lambda: services.subscribe(add_member(plan.community), plan.id, pickup_point_id=None),
             "bad_pickup_point")


def test_skipping_next_weeks_box_until_its_cut_off_and_not_after():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    member = subscription.user
    services.skip(member, subscription.id, SAT_28)
    services.skip(member, subscription.id, SAT_28)  # the same skip
    commit()
    assert not _due(subscription, SAT_28) and _due(subscription, SAT_5)
    services.unskip(member, subscription.id, SAT_28)
    commit()
    assert _due(subscription, SAT_28)
    _refused(lambda: services.skip(member, subscription.id, date(2026, 11, 27)), "bad_date")
    clock.freeze(datetime.fromisoformat("2026-11-26T01:00:00+00:00"))  # the 28th's cut-off, to the second
    error = _refused(lambda: services.skip(member, subscription.id, SAT_28), "past_cutoff")
    assert error.status == 409 and "2026-11-28" in str(error.message)
    services.skip(member, subscription.id, SAT_5)  # the next one is still open


def test_a_pause_starts_at_the_first_open_box_and_a_resume_never_reaches_back_to_a_cut_off_one():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    member = subscription.user
    clock.advance(timedelta(days=4))  # Thursday noon: the 28th is cut off, the 5th is open
    services.pause(member, subscription.id, until=SAT_19)
    commit()
    assert [_due(subscription, day) for day in (SAT_28, SAT_5, SAT_12, SAT_19)] == [True, False, False, True]
    _refused(lambda: services.pause(member, subscription.id, until=SAT_5), "bad_date")
    clock.advance(timedelta(days=7))  # the 5th is cut off now, paused; resume
    services.resume(member, subscription.id)
    commit()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert [_due(subscription, day) for day in (SAT_28, SAT_5, SAT_12, SAT_19)] == [True, False, True, True]


def test_a_pause_without_an_end_lasts_until_resumed():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    services.pause(subscription.user, subscription.id)
    commit()
    assert not any(_due(subscription, day) for day in (SAT_28, SAT_5, SAT_12))


def test_cancelling_keeps_the_boxes_already_cut_off_and_ends_the_rest():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    clock.advance(timedelta(days=4))
    services.cancel(subscription.user, subscription.id)
    services.cancel(subscription.user, subscription.id)  # again: nothing more
    commit()
    assert [_due(subscription, day) for day in (SAT_28, SAT_5)] == [True, False]
    _refused(lambda: services.skip(subscription.user, subscription.id, SAT_12), "cancelled")


def test_a_member_swaps_an_item_the_plan_allows_for_one_box():
    plan, variants = make_plan()
    subscription = make_subscriber(plan)
    member = subscription.user
    services.swap(member, subscription.id, SAT_5, variants[0].id, variants[2].id)
    commit()
    from core.extensions import db

    swaps = db.session.query(SubscriptionSwap).filter_by(subscription_id=subscription.id).all()
    assert [(s.delivery_date, s.variant_id, s.alternative_id) for s in swaps] == [(SAT_5, variants[0].id,
                                                                                   variants[2].id)]
    _refused(lambda: services.swap(member, subscription.id, SAT_5, variants[1].id, variants[2].id), "bad_swap")
    _refused(lambda: services.swap(member, subscription.id, SAT_5, variants[2].id, variants[0].id), "not_in_box")
    services.swap(member, subscription.id, SAT_5, variants[0].id, variants[0].id)  # back to the item itself
    commit()
    assert db.session.query(SubscriptionSwap).filter_by(subscription_id=subscription.id).count() == 0
    clock.advance(timedelta(days=4))
    _refused(lambda: services.swap(member, subscription.id, SAT_28, variants[0].id, variants[2].id), "past_cutoff")


def test_a_member_changes_pickup_point_to_one_of_the_plans():
    plan, _variants = make_plan()
    other_point = make_pickup_point(plan.community)
    subscription = make_subscriber(plan)
    _refused(lambda: services.change_pickup_point(subscription.user, subscription.id, other_point.id),
             "bad_pickup_point")
    plan.pickup_points.append(other_point)
    commit()
    services.change_pickup_point(subscription.user, subscription.id, other_point.id)
    assert subscription.pickup_point_id == other_point.id


def test_the_shopkeeper_acts_on_any_subscription_and_other_members_cannot_see_it():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    services.skip(plan.community.owner, subscription.id, SAT_5)
    commit()
    assert not _due(subscription, SAT_5)
    _refused(lambda: services.skip(add_member(plan.community), subscription.id, SAT_12), "not_found")


def test_a_closed_plan_takes_no_subscribers():
    plan, _variants = make_plan()
    plans.close_plan(plan.community.owner, plan.id)
    commit()
    assert plan.status == PlanStatus.CLOSED
    _refused(lambda: services.subscribe(add_member(plan.community), plan.id,
                                        pickup_point_id=plan.pickup_points[0].id), "plan_closed")
