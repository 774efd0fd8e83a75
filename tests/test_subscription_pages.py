"""The subscription box pages (issue #5): members see the open plans and a plan's next boxes, subscribe,
and on "my subscription" skip, swap, pause, resume and cancel until each box's cut-off — refused after
it, on the page, with nothing written; shopkeepers make and open plans, change one delivery's box, see the
forecast and their subscribers with each one's latest payment, and act for a member. The clock is moved,
never slept."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.extensions import db
from payments.models import Payment, PaymentPurpose, PaymentStatus
from subscriptions import cycles, plans
from subscriptions.models import (
    CycleStatus,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionCycle,
    SubscriptionSkip,
    SubscriptionStatus,
    SubscriptionSwap,
)
from tests.factories import (
    add_member,
    count,
    login_as,
    make_community,
    make_pickup_point,
    make_product,
    make_supplier,
    make_user,
)
from tests.subscription_factories import NOW, make_plan, make_subscriber

SAT_28, SAT_5 = date(2026, 11, 28), date(2026, 12, 5)
ZH = "zh_Hans_CN"


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _mine_url(subscription) -> str:
    return f"/c/{subscription.plan.community.slug}/subscriptions/{subscription.id}"


def _plan_url(plan, rest: str = "") -> str:
    return f"/c/{plan.community.slug}/boxes/{plan.id}{rest}"


def test_a_member_sees_the_open_plans_and_a_plans_next_four_boxes_with_cut_offs_in_the_communitys_time(client):
    plan, variants = make_plan()
    draft, _ = make_plan(plan.community, status="draft")
    draft.name = "Secret winter box"
    db.session.commit()
    login_as(client, add_member(plan.community))

    listing = _text(client.get(f"/c/{plan.community.slug}/boxes"))
    assert "Seasonal fruit box" in listing and "Secret winter box" not in listing

    response = client.get(_plan_url(plan))
    page = _text(response)
    assert response.status_code == 200
    assert page.count('data-testid="box"') == 4
    assert 'data-date="2026-11-28"' in page and 'data-date="2026-12-19"' in page
    assert "CN¥128.00" in page
    assert "Nov 26, 2026, 9:00" in page  # the 28th's cut-off: Thursday 09:00 in Shanghai, 01:00 UTC
    assert variants[0].product.name in page and variants[1].product.name in page
    assert "Subscribe" in page and 'value="card"' not in page  # no card on file: pay at pickup only


@pytest.fixture
def member_client(client):
    """A subscriber's logged-in client and their subscription to the weekly Saturday plan."""
    plan, variants = make_plan()
    subscription = make_subscriber(plan)
    login_as(client, subscription.user)
    return client, subscription, variants


def test_outsiders_get_404_and_members_403_on_the_shopkeepers_pages(client):
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    slug = plan.community.slug
    login_as(client, make_user())
    for url in (f"/c/{slug}/boxes", _plan_url(plan), _mine_url(subscription), f"/c/{slug}/boxes/manage"):
        assert client.get(url).status_code == 404, url

    client.post("/logout")
    login_as(client, add_member(plan.community))
    for url in (f"/c/{slug}/boxes/manage", f"/c/{slug}/boxes/new", _plan_url(plan, "/manage"),
                _plan_url(plan, "/subscribers"), _plan_url(plan, f"/menu/{SAT_5.isoformat()}")):
        assert client.get(url).status_code == 403, url
    assert client.post(_plan_url(plan, "/close")).status_code == 403
    assert client.get(_mine_url(subscription)).status_code == 404  # another member's subscription
    assert client.post(_mine_url(subscription) + "/skip", data={"delivery_date": "2026-11-28"}).status_code == 404
    assert count(SubscriptionSkip) == 0


def test_a_member_subscribes_through_the_form_at_a_pickup_point(client):
    plan, _variants = make_plan()
    member = add_member(plan.community)
    login_as(client, member)

    refused = client.post(_plan_url(plan, "/subscribe"), data={"pickup_point_id": "", "payment_choice": "card"})
    assert refused.status_code == 422
    assert count(Subscription) == 0

    response = client.post(_plan_url(plan, "/subscribe"),
                           data={"pickup_point_id": plan.pickup_points[0].id, "payment_choice": "at_pickup"})
    assert response.status_code == 303
    subscription = db.session.execute(sa.select(Subscription).filter_by(user_id=member.id)).scalar_one()
    assert subscription.pickup_point_id == plan.pickup_points[0].id
    assert response.headers["Location"].endswith(_mine_url(subscription))
    page = _text(client.get(_mine_url(subscription)))
    assert page.count('data-testid="delivery"') == 6 and "Active" in page
    assert plan.pickup_points[0].name in page
    assert "My subscription" in _text(client.get(_plan_url(plan)))


def test_skip_undo_and_swap_through_the_forms_change_the_boxes(member_client):
    client, subscription, variants = member_client
    mine = _mine_url(subscription)

    assert client.post(f"{mine}/skip", data={"delivery_date": "2026-11-28"}).status_code == 303
    assert db.session.get(SubscriptionSkip, (subscription.id, SAT_28)) is not None
    page = _text(client.get(mine))
    assert 'data-testid="skipped"' in page and "Undo skip" in page

    assert client.post(f"{mine}/unskip", data={"delivery_date": "2026-11-28"}).status_code == 303
    assert count(SubscriptionSkip) == 0

    swapped = client.post(f"{mine}/swap", data={"delivery_date": "2026-12-05", "variant_id": variants[0].id,
                                                "alternative_id": variants[2].id})
    assert swapped.status_code == 303
    swap = db.session.execute(sa.select(SubscriptionSwap)).scalar_one()
    assert (swap.delivery_date, swap.variant_id, swap.alternative_id) == (SAT_5, variants[0].id, variants[2].id)
    page = _text(client.get(mine))
    assert "Swap back" in page and variants[2].product.name in page

    assert client.post(f"{mine}/swap", data={"delivery_date": "2026-12-05", "variant_id": variants[0].id,
                                             "alternative_id": variants[0].id}).status_code == 303
    assert count(SubscriptionSwap) == 0

    refused = client.post(f"{mine}/swap", data={"delivery_date": "2026-12-05", "variant_id": variants[1].id,
                                                "alternative_id": variants[2].id})
    assert refused.status_code == 422
    assert "This plan does not offer that exchange." in _text(refused)
    assert count(SubscriptionSwap) == 0


def test_after_the_cut_off_a_skip_is_refused_on_the_page_and_nothing_is_written(member_client):
    client, subscription, variants = member_client
    clock.advance(timedelta(days=4))  # Thursday 26th, noon in Shanghai: the 28th is cut off

    page = _text(client.get(_mine_url(subscription)))
    assert 'data-testid="locked"' in page

    response = client.post(f"{_mine_url(subscription)}/skip", data={"delivery_date": "2026-11-28"})
    assert response.status_code == 409
    assert "can no longer change: its cut-off has passed" in _text(response)
    assert 'role="alert"' in _text(response)
    swap = client.post(f"{_mine_url(subscription)}/swap", data={"delivery_date": "2026-11-28",
                                                                 "variant_id": variants[0].id,
                                                                 "alternative_id": variants[2].id})
    assert swap.status_code == 409
    assert count(SubscriptionSkip) == 0 and count(SubscriptionSwap) == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"until": "not-a-date"}, "Not a valid date value."),
    ({}, "Choose the date of your first box back, or pause until you resume."),
    ({"until": "2026-11-28"}, "Pause until a date after the next delivery."),
])
def test_a_bad_pause_date_is_shown_on_the_pause_form(member_client, data, message):
    client, subscription, _variants = member_client

    response = client.post(f"{_mine_url(subscription)}/pause", data=data)

    assert response.status_code == 422
    assert message in _text(response)
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.ACTIVE


def test_pause_until_a_date_resume_change_pickup_point_and_cancel(member_client):
    client, subscription, _variants = member_client
    mine = _mine_url(subscription)

    assert client.post(f"{mine}/pause", data={"until": "2026-12-12"}).status_code == 303
    db.session.expire_all()
    paused = db.session.get(Subscription, subscription.id)
    assert (paused.status, paused.paused_until) == (SubscriptionStatus.PAUSED, date(2026, 12, 12))
    assert "Paused until Dec 12, 2026" in _text(client.get(mine))

    assert client.post(f"{mine}/resume").status_code == 303
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.ACTIVE

    assert client.post(f"{mine}/pickup-point", data={"pickup_point_id": 999_999}).status_code == 422

    assert client.post(f"{mine}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.CANCELLED
    page = _text(client.get(mine))
    assert "This subscription is cancelled." in page and "Skip this box" not in page


def _past_box(subscription, status=PaymentStatus.FAILED, failure_code="insufficient_funds"):
    """A box the cycle job ordered for the 21st, with its payment."""
    row = SubscriptionCycle(plan_id=subscription.plan_id, subscription_id=subscription.id,
                            delivery_date=date(2026, 11, 21), status=CycleStatus.ORDERED)
    db.session.add(row)
    db.session.flush()
    db.session.add(Payment(gateway="stripe", purpose=PaymentPurpose.BALANCE, reference=cycles.reference_for(row.id),
                           user_id=subscription.user_id, amount=12800, currency="CNY", status=status,
                           idempotency_key=f"test-box-{row.id}", failure_code=failure_code))
    db.session.commit()
    return row


def test_a_past_box_whose_card_was_declined_shows_the_reason_and_a_pay_link(member_client):
    client, subscription, _variants = member_client
    _past_box(subscription)

    page = _text(client.get(_mine_url(subscription)))

    assert 'data-date="2026-11-21"' in page
    assert "Payment failed" in page and "The card has insufficient funds." in page
    assert "/pay/" in page and "Pay now" in page


def test_a_shopkeeper_creates_a_plan_through_the_form_and_opens_it(client):
    community = make_community()
    point = make_pickup_point(community)
    variants = [make_product(make_supplier()).variants[0] for _ in range(2)]
    login_as(client, community.owner)
    assert client.get(f"/c/{community.slug}/boxes/new").status_code == 200
    data = {"name": "Veggie box", "description": "Greens from the hills", "cadence": "weekly", "weekday": "5",
            "starts_on": "2026-11-23", "delivery_hour": "10", "price": "-5", "cutoff_hours": "36", "capacity": "",
            "fulfilment": "pickup", "pickup_point_ids": [point.id],
            "items-0-variant_id": variants[0].id, "items-0-quantity": "2", "items-0-lead_time_days": "1",
            "swaps-0-variant_id": variants[0].id, "swaps-0-alternative_id": variants[1].id}

    refused = client.post(f"/c/{community.slug}/boxes/new", data=data)
    assert refused.status_code == 422
    assert "Enter an amount from 0 to" in _text(refused)
    refused = client.post(f"/c/{community.slug}/boxes/new", data={**data, "price": "88", "starts_on": "23/11"})
    assert refused.status_code == 422 and "Not a valid date value." in _text(refused)
    assert count(Plan) == 0

    created = client.post(f"/c/{community.slug}/boxes/new", data={**data, "price": "88.50"})
    assert created.status_code == 303
    plan = db.session.execute(sa.select(Plan)).scalar_one()
    assert (plan.price, plan.currency, plan.status, plan.cutoff_hours, plan.delivery_hour) == \
        (8850, "CNY", PlanStatus.DRAFT, 36, 10)
    assert [(i.variant_id, i.quantity, i.lead_time_days) for i in plans.menu_for(plan, SAT_28)] == \
        [(variants[0].id, 2, 1)]
    assert plans.swaps_of(plan) == {variants[0].id: {variants[1].id}}
    assert "Veggie box" in _text(client.get(f"/c/{community.slug}/boxes/manage"))

    assert client.post(f"/c/{community.slug}/boxes/{plan.id}/open").status_code == 303
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == PlanStatus.OPEN


def test_a_shopkeeper_edits_an_open_plan_but_its_rhythm_only_while_a_draft(client):
    plan, variants = make_plan()
    login_as(client, plan.community.owner)
    edit_url = _plan_url(plan, "/edit")
    page = _text(client.get(edit_url))
    assert 'value="Seasonal fruit box"' in page and 'value="128.00"' in page and 'value="2026-11-01"' in page
    assert f'<option selected value="{variants[2].id}">' in page  # the allowed swap, as it is
    data = {"name": plan.name, "cadence": "weekly", "weekday": "5", "starts_on": "2026-11-01", "delivery_hour": "9",
            "price": "128.00", "cutoff_hours": "48", "fulfilment": "pickup",
            "pickup_point_ids": [plan.pickup_points[0].id],
            "items-0-variant_id": variants[0].id, "items-0-quantity": "1", "items-0-lead_time_days": "4",
            "items-1-variant_id": variants[1].id, "items-1-quantity": "1", "items-1-lead_time_days": "0",
            "swaps-0-variant_id": variants[0].id, "swaps-0-alternative_id": variants[2].id}

    response = client.post(edit_url, data={**data, "name": "Summer fruit box", "price": "99",
                                           "items-1-quantity": "2"})
    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(Plan, plan.id)
    assert (changed.name, changed.price, changed.weekday) == ("Summer fruit box", 9900, 5)
    assert [(i.variant_id, i.quantity) for i in plans.menu_for(changed, SAT_28)] == \
        [(variants[0].id, 1), (variants[1].id, 2)]
    assert plans.swaps_of(changed) == {variants[0].id: {variants[2].id}}

    refused = client.post(edit_url, data={**data, "weekday": "2"})
    assert refused.status_code == 409
    assert "change only while it is a draft" in _text(refused)
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).weekday == 5


def test_a_shopkeeper_changes_one_deliverys_box_and_sees_the_forecast(client):
    plan, variants = make_plan()
    make_subscriber(plan)
    login_as(client, plan.community.owner)

    page = _text(client.get(_plan_url(plan, "/manage")))
    assert 'data-testid="forecast"' in page and page.count('data-testid="forecast-boxes">1<') == 8

    menu_url = _plan_url(plan, f"/menu/{SAT_5.isoformat()}")
    assert variants[0].product.name in _text(client.get(menu_url))
    response = client.post(menu_url, data={"items-0-variant_id": variants[1].id, "items-0-quantity": "3",
                                           "items-0-lead_time_days": "0"})
    assert response.status_code == 303
    assert [(i.variant_id, i.quantity) for i in plans.menu_for(plan, SAT_5)] == [(variants[1].id, 3)]
    assert client.post(menu_url, data={"items-0-variant_id": variants[1].id, "items-0-quantity": "0"}) \
        .status_code == 422
    assert client.get(_plan_url(plan, "/menu/2026-11-29")).status_code == 422  # no delivery that day


def test_a_shopkeeper_sees_subscribers_with_the_decline_reason_and_skips_for_a_member(client):
    plan, _variants = make_plan()
    subscription = make_subscriber(plan, make_user(display_name="Zhou Min"))
    _past_box(subscription)
    login_as(client, plan.community.owner)

    page = _text(client.get(_plan_url(plan, "/subscribers")))
    assert "Zhou Min" in page and "The card has insufficient funds." in page and "Pay now" not in page
    assert plan.pickup_points[0].name in page and "Skip next box" in page

    response = client.post(f"{_mine_url(subscription)}/skip?back=subscribers", data={"delivery_date": "2026-11-28"})
    assert response.status_code == 303 and response.headers["Location"].endswith(_plan_url(plan, "/subscribers"))
    assert db.session.get(SubscriptionSkip, (subscription.id, SAT_28)) is not None
    assert client.get(_mine_url(subscription)).status_code == 200  # the shopkeeper may look at it too


def test_the_pages_render_in_chinese(client):
    plan, _variants = make_plan()
    member = make_user(locale=ZH)
    subscription = make_subscriber(plan, member)
    login_as(client, member)

    for url in (f"/c/{plan.community.slug}/boxes", _plan_url(plan), _mine_url(subscription)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-Hans">' in _text(response)
    assert "2026年11月28日星期六" in _text(client.get(_mine_url(subscription)))
