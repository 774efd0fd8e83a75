"""The subscription boxes API (issue #5): shopkeepers make, open, curate and close plans; members
subscribe and skip, swap, pause, resume, cancel and move their boxes — each until the cycle's cut-off —
and see their coming deliveries and past boxes with their payments. Outsiders find nothing; members
cannot do what only shopkeepers do; bad input writes nothing. The clock is moved, never slept."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from core import clock
from core.extensions import db
from payments.models import Payment, PaymentStatus
from subscriptions import cycles, jobs
from subscriptions.models import Plan, Subscription, SubscriptionCycle, SubscriptionSkip, SubscriptionSwap
from tests.factories import add_member, count, make_pickup_point, make_user, token_headers
from tests.subscription_factories import NOW, make_plan, make_subscriber

SAT_28, SAT_5, SAT_12, SAT_19 = "2026-11-28", "2026-12-05", "2026-12-12", "2026-12-19"


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _plan_body(variants, point, **changes) -> dict:
    return {"name": "Vegetable box", "cadence": "weekly", "weekday": 5, "starts_on": "2026-11-01", "price": 9900,
            "cutoff_hours": 48, "pickup_point_ids": [point.id],
            "items": [{"variant_id": variants[0].id, "quantity": 2, "lead_time_days": 4},
                      {"variant_id": variants[1].id}],
            "swaps": [{"variant_id": variants[0].id, "alternative_id": variants[2].id}], **changes}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_a_shopkeeper_makes_opens_and_curates_a_plan(client):
    existing, variants = make_plan()
    community, owner = existing.community, existing.community.owner
    point = community.pickup_points[0]
    member = add_member(community)
    made = client.post(f"/api/v1/communities/{community.slug}/subscription-plans", json=_plan_body(variants, point),
                       headers=token_headers(owner))
    assert made.status_code == 201, made.get_json()
    plan = made.get_json()
    assert (plan["status"], plan["price"], plan["currency"]) == ("draft", 9900, community.currency)
    assert [(i["variant_id"], i["quantity"], i["lead_time_days"]) for i in plan["menu"]] == \
        [(variants[0].id, 2, 4), (variants[1].id, 1, 0)]
    assert plan["swaps"][0]["alternative"]["variant_id"] == variants[2].id

    listed = f"/api/v1/communities/{community.slug}/subscription-plans"
    assert [p["id"] for p in client.get(listed, headers=token_headers(member)).get_json()] == [existing.id]
    assert {p["id"] for p in client.get(listed, headers=token_headers(owner)).get_json()} == {existing.id, plan["id"]}
    assert client.get(f"/api/v1/subscription-plans/{plan['id']}", headers=token_headers(member)).status_code == 404

    opened = client.post(f"/api/v1/subscription-plans/{plan['id']}/open", headers=token_headers(owner)).get_json()
    assert opened["status"] == "open"
    seen = client.get(f"/api/v1/subscription-plans/{plan['id']}", headers=token_headers(member)).get_json()
    first = seen["next_boxes"][0]
    assert (first["delivery_date"], first["cutoff_at"], first["open_for_changes"]) == \
        (SAT_28, "2026-11-26T01:00:00+00:00", True)
    assert [(i["variant_id"], i["quantity"], i["leave_by"]) for i in first["items"]] == \
        [(variants[0].id, 2, "2026-11-24"), (variants[1].id, 1, SAT_28)]
    assert [a["variant_id"] for a in first["items"][0]["alternatives"]] == [variants[2].id]

    menu = client.put(f"/api/v1/subscription-plans/{plan['id']}/menu", headers=token_headers(owner),
                      json={"delivery_date": SAT_5, "items": [{"variant_id": variants[1].id, "quantity": 3}]})
    assert menu.status_code == 200, menu.get_json()
    boxes = {box["delivery_date"]: box for box in menu.get_json()["next_boxes"]}
    assert [(i["variant_id"], i["quantity"]) for i in boxes[SAT_5]["items"]] == [(variants[1].id, 3)]
    assert len(boxes[SAT_12]["items"]) == 2  # the default again

    closed = client.post(f"/api/v1/subscription-plans/{plan['id']}/close", headers=token_headers(owner))
    assert closed.get_json()["status"] == "closed"
    assert [p["id"] for p in client.get(listed, headers=token_headers(member)).get_json()] == [existing.id]


def test_a_member_subscribes_skips_swaps_pauses_resumes_moves_and_cancels(client):
    plan, variants = make_plan()
    second_point = make_pickup_point(plan.community)
    plan.pickup_points.append(second_point)
    db.session.commit()
    member = add_member(plan.community)
    headers = token_headers(member)
    made = client.post(f"/api/v1/subscription-plans/{plan.id}/subscriptions", headers=headers,
                       json={"pickup_point_id": plan.pickup_points[0].id, "payment_choice": "at_pickup"})
    assert made.status_code == 201, made.get_json()
    mine = made.get_json()
    url = f"/api/v1/subscriptions/{mine['id']}"
    assert (mine["status"], mine["payment_choice"], mine["price"], mine["currency"]) == \
        ("active", "at_pickup", 12800, "CNY")
    assert mine["pickup_point"]["id"] == plan.pickup_points[0].id
    assert [box["coming"] for box in mine["upcoming"]] == [True] * 4 and mine["past"] == []

    skipped = client.post(f"{url}/skip", json={"delivery_date": SAT_28}, headers=headers).get_json()
    assert (skipped["upcoming"][0]["skipped"], skipped["upcoming"][0]["coming"]) == (True, False)
    swapped = client.post(f"{url}/swap", headers=headers, json={
        "delivery_date": SAT_5, "variant_id": variants[0].id, "alternative_id": variants[2].id}).get_json()
    item = swapped["upcoming"][1]["items"][0]
    assert (item["variant_id"], item["swapped_from"]) == (variants[2].id, variants[0].id)
    assert swapped["upcoming"][2]["items"][0]["variant_id"] == variants[0].id  # one delivery only
    unskipped = client.post(f"{url}/unskip", json={"delivery_date": SAT_28}, headers=headers).get_json()
    assert unskipped["upcoming"][0]["coming"] is True

    paused = client.post(f"{url}/pause", json={"until": SAT_12}, headers=headers).get_json()
    assert (paused["status"], paused["paused_until"]) == ("paused", SAT_12)
    assert [box["coming"] for box in paused["upcoming"]] == [False, False, True, True]
    resumed = client.post(f"{url}/resume", headers=headers).get_json()
    assert resumed["status"] == "active" and [box["coming"] for box in resumed["upcoming"]] == [True] * 4

    moved = client.put(f"{url}/pickup-point", json={"pickup_point_id": second_point.id}, headers=headers)
    assert moved.get_json()["pickup_point"]["id"] == second_point.id
    assert [s["id"] for s in client.get("/api/v1/me/subscriptions", headers=headers).get_json()] == [mine["id"]]
    cancelled = client.post(f"{url}/cancel", headers=headers).get_json()
    assert cancelled["status"] == "cancelled" and not any(box["coming"] for box in cancelled["upcoming"])
    assert _error(client.post(f"{url}/skip", json={"delivery_date": SAT_5}, headers=headers), 409)["code"] == \
        "cancelled"


def test_after_the_cut_off_a_change_is_refused_and_nothing_is_written(client):
    plan, variants = make_plan()
    subscription = make_subscriber(plan)
    headers = token_headers(subscription.user)
    url = f"/api/v1/subscriptions/{subscription.id}"
    clock.freeze(datetime.fromisoformat("2026-11-26T01:00:00+00:00"))  # the 28th's cut-off, to the second
    error = _error(client.post(f"{url}/skip", json={"delivery_date": SAT_28}, headers=headers), 409)
    assert error["code"] == "past_cutoff" and "delivery_date" in error["fields"]
    swap = {"delivery_date": SAT_28, "variant_id": variants[0].id, "alternative_id": variants[2].id}
    assert _error(client.post(f"{url}/swap", json=swap, headers=headers), 409)["code"] == "past_cutoff"
    owner = token_headers(plan.community.owner)
    menu = {"delivery_date": SAT_28, "items": [{"variant_id": variants[1].id}]}
    assert _error(client.put(f"/api/v1/subscription-plans/{plan.id}/menu", json=menu, headers=owner), 409)["code"] \
        == "past_cutoff"
    assert count(SubscriptionSkip) == 0 and count(SubscriptionSwap) == 0
    shown = client.get(url, headers=headers).get_json()["upcoming"]
    assert (shown[0]["open_for_changes"], shown[1]["open_for_changes"]) == (False, True)
    assert client.post(f"{url}/skip", json={"delivery_date": SAT_5}, headers=headers).status_code == 200


def test_a_shopkeeper_changes_a_plan_and_its_rhythm_only_while_it_is_a_draft(client):
    plan, variants = make_plan()
    draft, _ = make_plan(plan.community, status="draft")
    owner, member = token_headers(plan.community.owner), token_headers(add_member(plan.community))
    url = f"/api/v1/subscription-plans/{plan.id}"
    changed = client.patch(url, headers=owner, json={
        "name": "Summer box", "price": 15000, "capacity": 30,
        "items": [{"variant_id": variants[1].id, "quantity": 2, "lead_time_days": 1}],
        "swaps": [{"variant_id": variants[1].id, "alternative_id": variants[0].id}] * 2})
    assert changed.status_code == 200, changed.get_json()
    shown = changed.get_json()
    assert (shown["name"], shown["price"], shown["capacity"], shown["weekday"]) == ("Summer box", 15000, 30, 5)
    assert [(i["variant_id"], i["quantity"], i["leave_by"]) for i in shown["next_boxes"][0]["items"]] == \
        [(variants[1].id, 2, "2026-11-27")]
    assert [(s["variant"]["variant_id"], s["alternative"]["variant_id"]) for s in shown["swaps"]] == \
        [(variants[1].id, variants[0].id)]

    error = _error(client.patch(url, headers=owner, json={"weekday": 6, "name": "Sunday box"}), 409)
    assert error["code"] == "schedule_fixed"
    assert _error(client.patch(url, headers=owner, json={"price": -5}), 422)["fields"].keys() == {"price"}
    assert client.patch(url, headers=member, json={"name": "Mine now"}).status_code == 403
    db.session.expire_all()
    assert (db.session.get(Plan, plan.id).name, db.session.get(Plan, plan.id).weekday) == ("Summer box", 5)
    sunday = client.patch(f"/api/v1/subscription-plans/{draft.id}", headers=owner, json={"weekday": 6})
    assert sunday.get_json()["next_boxes"][0]["delivery_date"] == "2026-11-29"


@pytest.mark.parametrize(("changes", "field"), [
    ({"weekday": 9}, "weekday"), ({"cadence": "daily"}, "cadence"), ({"price": -1}, "price"),
    ({"price": "12.50"}, "price"), ({"items": []}, "items"), ({"starts_on": "soon"}, "starts_on"),
    ({"starts_on": "9999-12-25"}, "starts_on"), ({"name": ""}, "name"), ({"capacity": 0}, "capacity"),
])
def test_a_bad_plan_is_422_with_its_field_and_nothing_is_written(client, changes, field):
    existing, variants = make_plan()
    community = existing.community
    body = _plan_body(variants, community.pickup_points[0], **changes)
    response = client.post(f"/api/v1/communities/{community.slug}/subscription-plans", json=body,
                           headers=token_headers(community.owner))
    assert field in _error(response, 422)["fields"]
    assert count(Plan) == 1


def test_a_refused_variant_or_pickup_point_is_422_and_nothing_is_written(client):
    existing, variants = make_plan()
    community = existing.community
    url = f"/api/v1/communities/{community.slug}/subscription-plans"
    headers = token_headers(community.owner)
    body = _plan_body(variants, community.pickup_points[0], items=[{"variant_id": 2**31 - 1}])
    assert "items" in _error(client.post(url, json=body, headers=headers), 422)["fields"]
    body = _plan_body(variants, community.pickup_points[0], pickup_point_ids=[])
    assert "pickup_point_ids" in _error(client.post(url, json=body, headers=headers), 422)["fields"]
    assert count(Plan) == 1


def test_bad_subscription_input_is_422_and_nothing_is_written(client):
    plan, variants = make_plan()
    member = add_member(plan.community)
    headers = token_headers(member)
    subscribe = f"/api/v1/subscription-plans/{plan.id}/subscriptions"
    assert "payment_choice" in _error(client.post(subscribe, json={"pickup_point_id": plan.pickup_points[0].id,
                                                                   "payment_choice": "cash"}, headers=headers),
                                      422)["fields"]
    assert "pickup_point_id" in _error(client.post(subscribe, json={}, headers=headers), 422)["fields"]
    assert count(Subscription) == 0
    made = client.post(subscribe, json={"pickup_point_id": plan.pickup_points[0].id}, headers=headers).get_json()
    url = f"/api/v1/subscriptions/{made['id']}"
    assert "delivery_date" in _error(client.post(f"{url}/skip", json={"delivery_date": "saturday"},
                                                 headers=headers), 422)["fields"]
    error = _error(client.post(f"{url}/skip", json={"delivery_date": "2026-11-27"}, headers=headers), 422)
    assert error["code"] == "bad_date"  # a Friday: no delivery
    not_allowed = {"delivery_date": SAT_28, "variant_id": variants[1].id, "alternative_id": variants[0].id}
    assert _error(client.post(f"{url}/swap", json=not_allowed, headers=headers), 422)["code"] == "bad_swap"
    assert "until" in _error(client.post(f"{url}/pause", json={"until": SAT_28}, headers=headers), 422)["fields"]
    assert count(SubscriptionSkip) == 0 and count(SubscriptionSwap) == 0
    db.session.expire_all()
    assert db.session.get(Subscription, made["id"]).paused_at is None


def test_outsiders_find_nothing_and_members_cannot_run_the_plan(client):
    plan, variants = make_plan()
    community = plan.community
    subscription = make_subscriber(plan)
    other_member = add_member(community)
    outsider = make_user()
    headers = token_headers(outsider)
    assert client.get(f"/api/v1/communities/{community.slug}/subscription-plans", headers=headers).status_code == 404
    assert client.get(f"/api/v1/subscription-plans/{plan.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/subscription-plans/{plan.id}/subscriptions", headers=headers,
                       json={"pickup_point_id": plan.pickup_points[0].id}).status_code == 404
    assert client.post(f"/api/v1/subscription-plans/{plan.id}/close", headers=headers).status_code == 404
    assert client.get(f"/api/v1/subscription-plans/{plan.id}/subscriptions", headers=headers).status_code == 404
    assert client.get("/api/v1/me/subscriptions", headers=headers).get_json() == []
    for headers in (token_headers(outsider), token_headers(other_member)):
        assert client.get(f"/api/v1/subscriptions/{subscription.id}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/subscriptions/{subscription.id}/cancel", headers=headers).status_code == 404
    member = token_headers(other_member)
    body = _plan_body(variants, community.pickup_points[0])
    assert client.post(f"/api/v1/communities/{community.slug}/subscription-plans", json=body,
                       headers=member).status_code == 403
    assert client.post(f"/api/v1/subscription-plans/{plan.id}/close", headers=member).status_code == 403
    assert client.get(f"/api/v1/subscription-plans/{plan.id}/subscriptions", headers=member).status_code == 403
    assert client.put(f"/api/v1/subscription-plans/{plan.id}/menu", headers=member, json={
        "delivery_date": SAT_5, "items": [{"variant_id": variants[1].id}]}).status_code == 403
    assert count(Plan) == 1 and db.session.get(Subscription, subscription.id).status == "active"
    # the community's shopkeeper may act on any of its subscriptions
    owner = token_headers(community.owner)
    assert client.post(f"/api/v1/subscriptions/{subscription.id}/skip", json={"delivery_date": SAT_5},
                       headers=owner).status_code == 200


def test_the_shopkeeper_pages_through_a_plans_subscriptions(client):
    plan, _variants = make_plan()
    subscriptions = [make_subscriber(plan) for _ in range(3)]
    url = f"/api/v1/subscription-plans/{plan.id}/subscriptions"
    headers = token_headers(plan.community.owner)
    first = client.get(f"{url}?per_page=2", headers=headers).get_json()
    assert [s["id"] for s in first["items"]] == [s.id for s in subscriptions[:2]] and first["has_next"] is True
    assert first["items"][0]["display_name"] == subscriptions[0].user.display_name
    second = client.get(f"{url}?per_page=2&page=2", headers=headers).get_json()
    assert [s["id"] for s in second["items"]] == [subscriptions[2].id] and second["has_next"] is False
    assert "per_page" in _error(client.get(f"{url}?per_page=5000", headers=headers), 422)["fields"]


def test_past_boxes_show_their_order_and_payment_and_why_a_card_was_declined(client):
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    headers = token_headers(subscription.user)
    clock.freeze(datetime.fromisoformat("2026-11-26T01:01:00+00:00"))  # just after the 28th's cut-off
    jobs.run_due_cycles()
    row = db.session.execute(sa.select(SubscriptionCycle).filter_by(subscription_id=subscription.id)).scalar_one()
    shown = client.get(f"/api/v1/subscriptions/{subscription.id}", headers=headers).get_json()
    assert shown["upcoming"][0]["coming"] is True and shown["upcoming"][0]["open_for_changes"] is False
    [past] = shown["past"]
    assert (past["delivery_date"], past["status"], past["order_id"]) == (SAT_28, "ordered", row.order_id)
    assert (past["payment_status"], past["amount"], past["currency"]) == ("pending", 12800, "CNY")
    assert (past["failure_reason"], past["needs_member"], past["pay_url"]) == (None, False, None)

    payment = db.session.execute(sa.select(Payment).filter_by(reference=cycles.reference_for(row.id))).scalar_one()
    payment.status, payment.failure_code = PaymentStatus.FAILED, "insufficient_funds"
    db.session.commit()
    [past] = client.get(f"/api/v1/subscriptions/{subscription.id}", headers=headers).get_json()["past"]
    assert past["payment_status"] == "failed" and past["failure_reason"] == "The card has insufficient funds."
    assert past["needs_member"] is True and "/pay/" in past["pay_url"]


def test_a_closed_plan_takes_no_subscribers(client):
    plan, _variants = make_plan()
    from subscriptions import plans

    plans.close_plan(plan.community.owner, plan.id)
    db.session.commit()
    member = add_member(plan.community)
    response = client.post(f"/api/v1/subscription-plans/{plan.id}/subscriptions", headers=token_headers(member),
                           json={"pickup_point_id": plan.pickup_points[0].id})
    assert _error(response, 409)["code"] == "plan_closed" and count(Subscription) == 0
