"""Pledges: members pledge, change and cancel until the deadline; every community's pledges pool toward
one offer's tiers, so everyone's price falls together; capacity holds under concurrent pledges; nobody
pays more than the price they were shown."""

from datetime import timedelta

import pytest

from core import clock
from core.errors import DomainError
from core.extensions import db
from groupbuy import pledges, pricing
from groupbuy.models import Pledge, PledgeStatus
from supplier.models import Offer
from tests.concurrency import all_at_once
from tests.factories import add_member, count, login_as, make_community, make_pickup_point, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _two_communities_on_one_offer(**offer_args):
    offer = make_offer(**offer_args)
    first = make_group_buy(offer)
    other = make_community()
    make_pickup_point(other)
    second = make_group_buy(offer, other, margin_kind="fixed", margin="1.00")
    return offer, first, second


def _put(client, group_buy, user, **body):
    body.setdefault("pickup_point_id", group_buy.pickup_points[0].id)
    return client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", json=body, headers=token_headers(user))


def test_pledges_in_two_communities_pool_toward_one_price(client):
    offer, first, second = _two_communities_on_one_offer()
    make_pledge(first, quantity=60)
    make_pledge(second, quantity=39)
    progress = client.get(f"/api/v1/group-buys/{second.id}/progress", headers=token_headers(second.community.owner))
    assert progress.json["pooled_total"] == 99 and progress.json["current_tier"]["member_price"] == 3100
    make_pledge(second, quantity=1)  # the 100th unit, pledged in the second community…
    assert _fresh(Offer, offer.id).pledged_quantity == 100
    first_view = client.get(f"/api/v1/group-buys/{first.id}/progress", headers=token_headers(first.community.owner))
    assert first_view.json["current_tier"]["member_price"] == 2860  # …lowers the first community's price too
    assert first_view.json["pooled_total"] == 100 and first_view.json["pledge_count"] == 1


def test_everyones_price_falls_when_the_total_crosses_a_tier(client):
    group_buy = make_group_buy(make_offer())
    early, late = add_member(group_buy.community), add_member(group_buy.community)
    make_pledge(group_buy, early, quantity=90)
    headers = token_headers(early)
    before = client.get(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=headers).json
    assert before["unit_price"] == 3300 and before["amount"] == 90 * 3300 and before["price_cap"] == 3300
    response = _put(client, group_buy, late, quantity=15)
    assert response.status_code == 200, response.json
    assert response.json["price_cap"] == 3300  # the price shown when the late member pledged
    assert response.json["unit_price"] == 2860  # but the total crossed 100: everyone pays less
    after = client.get(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=headers).json
    assert after["unit_price"] == 2860 and after["amount"] == 90 * 2860


def test_a_member_pledges_changes_and_cancels_on_the_page(client):
    group_buy = make_group_buy()
    member = add_member(group_buy.community)
    slug, point = group_buy.community.slug, group_buy.pickup_points[0]
    login_as(client, member)
    url = f"/c/{slug}/group-buys/{group_buy.id}"
    made = client.post(f"{url}/pledge", data={"quantity": 4, "tolerance": 2, "pickup_point_id": point.id})
    assert made.status_code == 302
    pledge = db.session.execute(db.select(Pledge)).scalar_one()
    assert (pledge.quantity, pledge.tolerance, pledge.price_cap) == (4, 2, 3300)
    page = client.get(url).get_data(as_text=True)
    assert "Change my pledge" in page and "CN¥132.00" in page
    changed = client.post(f"{url}/pledge", data={"quantity": 6, "tolerance": 0, "pickup_point_id": point.id})
    assert changed.status_code == 302
    assert _fresh(Pledge, pledge.id).quantity == 6 and _fresh(Offer, group_buy.offer_id).pledged_quantity == 6
    assert client.post(f"{url}/pledge/cancel").status_code == 302
    assert _fresh(Pledge, pledge.id).status == PledgeStatus.CANCELLED
    assert _fresh(Offer, group_buy.offer_id).pledged_quantity == 0
    assert client.post(f"{url}/pledge/cancel").status_code == 404


def test_after_the_deadline_pledges_stay_as_they_are_with_a_clear_message(client):
    group_buy = make_group_buy(days=2)
    member = add_member(group_buy.community)
    make_pledge(group_buy, member, quantity=3)
    clock.freeze(clock.now() + timedelta(days=2, minutes=1))
    login_as(client, member)
    url = f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"
    refused = client.post(f"{url}/pledge", data={"quantity": 5, "pickup_point_id": group_buy.pickup_points[0].id})
    assert refused.status_code == 409 and "This group buy closed on" in refused.get_data(as_text=True)
    cancel = client.post(f"{url}/pledge/cancel")
    assert cancel.status_code == 409 and "This group buy closed on" in cancel.get_data(as_text=True)
    api = _put(client, group_buy, member, quantity=5)
    assert api.status_code == 409 and api.json["error"]["code"] == "closed"
    assert "closed on" in api.json["error"]["message"]
    newcomer = _put(client, group_buy, add_member(group_buy.community), quantity=1)
    assert newcomer.status_code == 409
    assert _fresh(Offer, group_buy.offer_id).pledged_quantity == 3
    assert "Pledges are closed" not in client.get(url).get_data(as_text=True)  # I still see my pledge
    assert "You pledged 3." in client.get(url).get_data(as_text=True)


def test_the_per_member_maximum_counts_tolerance_too(client):
    group_buy = make_group_buy(per_member_max=5)
    member = add_member(group_buy.community)
    over = _put(client, group_buy, member, quantity=6)
    assert over.status_code == 400 and over.json["error"]["code"] == "over_member_max"
    with_tolerance = _put(client, group_buy, member, quantity=4, tolerance=2)
    assert with_tolerance.status_code == 400 and with_tolerance.json["error"]["fields"] == {
        "quantity": ["Each member may pledge at most 5 units here, tolerance included."]}
    assert _put(client, group_buy, member, quantity=4, tolerance=1).status_code == 200
    assert count(Pledge) == 1 and _fresh(Offer, group_buy.offer_id).pledged_quantity == 4


def test_tolerance_is_less_than_a_case_and_the_pickup_point_is_the_group_buys(client):
    group_buy = make_group_buy(make_offer(case_pack=6))
    member = add_member(group_buy.community)
    assert _put(client, group_buy, member, quantity=1, tolerance=6).json["error"]["code"] == "bad_tolerance"
    unused_point = make_pickup_point(group_buy.community)
    refused = _put(client, group_buy, member, quantity=1, pickup_point_id=unused_point.id)
    assert refused.json["error"]["code"] == "bad_pickup_point"
    assert _put(client, group_buy, member, quantity=0).status_code == 422
    assert count(Pledge) == 0 and _fresh(Offer, group_buy.offer_id).pledged_quantity == 0


def test_capacity_refuses_what_is_left_over_and_says_how_much_is_left(client):
    group_buy = make_group_buy(make_offer(moq=5, capacity=10))
    make_pledge(group_buy, quantity=7)
    member = add_member(group_buy.community)
    refused = _put(client, group_buy, member, quantity=4)
    assert refused.status_code == 409 and refused.json["error"]["message"] == "Only 3 left."
    assert _put(client, group_buy, member, quantity=3).status_code == 200
    assert _put(client, group_buy, member, quantity=4).json["error"]["message"] == "Only 0 left."
    assert _put(client, group_buy, member, quantity=1).status_code == 200  # a decrease always fits
    assert _fresh(Offer, group_buy.offer_id).pledged_quantity == 8


def test_a_change_keeps_the_lowest_price_cap_shown(client):
    group_buy = make_group_buy(make_offer())
    member = add_member(group_buy.community)
    pledge = make_pledge(group_buy, member, quantity=10)
    assert pledge.price_cap == 3300
    big = make_pledge(group_buy, quantity=95)  # 105 pooled: the price shown is now 28.60
    assert _put(client, group_buy, member, quantity=11).json["price_cap"] == 2860
    client.delete(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=token_headers(big.user))
    # the total fell back below 100: the price shown rose, the cap stays at the lowest shown
    assert _put(client, group_buy, member, quantity=12).json["price_cap"] == 2860


def test_a_member_pays_the_final_price_or_the_cap_whichever_is_lower():
    group_buy = make_group_buy(make_offer())  # member prices 33.00, 28.60, 24.20
    pledge = make_pledge(group_buy, quantity=1)
    assert pricing.final_unit_price(group_buy, 350, pledge) == 2420  # the final tier is lower than the cap
    pledge.price_cap = 2500
    assert pricing.final_unit_price(group_buy, 50, pledge) == 2500  # the cap is lower than the final price


def test_a_pledge_made_again_after_cancelling_counts_anew(client):
    group_buy = make_group_buy()
    member = add_member(group_buy.community)
    make_pledge(group_buy, member, quantity=2)
    headers = token_headers(member)
    assert client.delete(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=headers).status_code == 204
    assert client.get(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=headers).status_code == 404
    again = _put(client, group_buy, member, quantity=5)
    assert again.status_code == 200 and again.json["status"] == "active"
    assert _fresh(Offer, group_buy.offer_id).pledged_quantity == 5 and count(Pledge) == 1


def test_the_service_refuses_outsiders_with_not_found():
    group_buy = make_group_buy()
    stranger_community = make_community()
    with pytest.raises(DomainError) as refused:
        pledges.pledge(stranger_community.owner, group_buy.id, quantity=1,
                       pickup_point_id=group_buy.pickup_points[0].id)
    assert refused.value.status == 404


def test_capacity_is_never_exceeded_by_50_concurrent_pledges(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent pledges need PostgreSQL to mean anything")
    group_buy = make_group_buy(make_offer(moq=10, capacity=30))
    members = [add_member(group_buy.community) for _ in range(50)]
    ids = [(member.id, group_buy.id, group_buy.pickup_points[0].id) for member in members]

    def pledge_one(user_id: int, group_buy_id: int, point_id: int) -> str:
        from accounts.models import User

        pledges.pledge(db.session.get(User, user_id), group_buy_id, quantity=1, pickup_point_id=point_id)
        return "ok"

    results = all_at_once(app, ids, pledge_one)  # each then takes one of the pool's connections
    assert results.count("ok") == 30
    assert set(results) == {"ok", "over_capacity"}
    assert _fresh(Offer, group_buy.offer_id).pledged_quantity == 30
    assert count(Pledge, Pledge.status == PledgeStatus.ACTIVE) == 30


def test_a_withdrawn_offer_takes_no_more_pledges(client):
    group_buy = make_group_buy()
    member = add_member(group_buy.community)
    make_pledge(group_buy, member, quantity=2)
    offer = db.session.get(Offer, group_buy.offer_id)
    offer.status = "cancelled"
    offer.closed_at = clock.now()
    db.session.commit()
    refused = _put(client, group_buy, member, quantity=3)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "closed"
    assert str(clock.now().year) in refused.json["error"]["message"]
