"""Group buys: the shopkeeper starts, edits and cancels them; members of the community see them, with
the current price, the next tier, progress and a countdown; everyone else gets a 404."""

from datetime import timedelta

from accounts.models import Role
from core import clock
from core.extensions import db
from groupbuy.models import GroupBuy, GroupBuyStatus, MarginKind, Pledge, PledgeStatus
from supplier.models import Offer
from tests.factories import add_member, count, login_as, make_community, make_pickup_point, make_user, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge


def _form(offer, point, **overrides):
    deadline = (clock.now() + timedelta(days=3)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    data = {"offer_id": offer.id, "title": "Hainan lychees", "description": "Picked on Monday.",
            "margin_kind": "percent", "margin": "12.5", "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
            "pickup_point_ids": [point.id], "deposit_percent": 20, "per_member_max": ""}
    data.update(overrides)
    return data


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_a_shopkeeper_opens_a_group_buy_on_an_open_offer(client):
    community = make_community()
    point = make_pickup_point(community)
    offer = make_offer()
    login_as(client, community.owner)
    assert "Hainan" not in client.get(f"/c/{community.slug}/group-buys").get_data(as_text=True)
    form_page = client.get(f"/c/{community.slug}/group-buys/new").get_data(as_text=True)
    assert offer.variant.product.name in form_page
    response = client.post(f"/c/{community.slug}/group-buys/new", data=_form(offer, point))
    assert response.status_code == 302, response.get_data(as_text=True)
    group_buy = db.session.execute(db.select(GroupBuy)).scalar_one()
    assert (group_buy.margin_kind, group_buy.margin_value) == (MarginKind.PERCENT, 1250)
    assert group_buy.deposit_percent == 20 and group_buy.per_member_max is None
    assert [p.id for p in group_buy.pickup_points] == [point.id]
    # the deadline was typed in Shanghai time and is kept in UTC, to the minute
    assert abs(group_buy.deadline - (clock.now() + timedelta(days=3))) < timedelta(minutes=1)
    listing = client.get(f"/c/{community.slug}/group-buys").get_data(as_text=True)
    assert "Hainan lychees" in listing and "¥33.75" in listing  # 30.00 + 12.5 %


def test_a_fixed_margin_must_be_in_the_offers_currency(client):
    community = make_community(currency="USD")
    point = make_pickup_point(community)
    offer = make_offer()  # CNY
    login_as(client, community.owner)
    response = client.post(f"/c/{community.slug}/group-buys/new",
                           data=_form(offer, point, margin_kind="fixed", margin="2.50"))
    assert response.status_code == 400
    assert "priced in CNY" in response.get_data(as_text=True)
    assert count(GroupBuy) == 0
    accepted = client.post(f"/c/{community.slug}/group-buys/new", data=_form(offer, point, margin="5"))
    assert accepted.status_code == 302


def test_bad_margins_and_deadlines_are_refused_with_the_form_shown_again(client):
    community = make_community()
    point = make_pickup_point(community)
    offer = make_offer(days_open=5)
    login_as(client, community.owner)
    url = f"/c/{community.slug}/group-buys/new"
    for margin in ("12.345", "-1", "abc", "NaN", "1e9"):
        response = client.post(url, data=_form(offer, point, margin=margin))
        assert response.status_code == 400 and "at most two decimals" in response.get_data(as_text=True), margin
    late = client.post(url, data=_form(offer, point, deadline="2099-01-01T00:00"))
    assert late.status_code == 400 and "no later than the offer closes" in late.get_data(as_text=True)
    past = client.post(url, data=_form(offer, point, deadline="2001-01-01T00:00"))
    assert past.status_code == 400 and "in the future" in past.get_data(as_text=True)
    no_points = client.post(url, data=_form(offer, point, pickup_point_ids=[]))
    assert no_points.status_code == 400
    other_point = make_pickup_point(make_community())
    foreign = client.post(url, data=_form(offer, point, pickup_point_ids=[other_point.id]))
    assert foreign.status_code in (400, 422)
    assert count(GroupBuy) == 0


def test_one_group_buy_per_offer_and_community(client):
    group_buy = make_group_buy()
    community = group_buy.community
    headers = token_headers(community.owner)
    body = {"offer_id": group_buy.offer_id, "title": "Again", "margin_kind": "percent", "margin": "5",
            "deadline": (clock.now() + timedelta(days=2)).isoformat(),
            "pickup_point_ids": [group_buy.pickup_points[0].id]}
    response = client.post(f"/api/v1/communities/{community.slug}/group-buys", json=body, headers=headers)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "group_buy_exists"
    # another community may run the same offer
    other = make_community()
    make_pickup_point(other)
    second = make_group_buy(group_buy.offer, other)
    assert second.offer_id == group_buy.offer_id


def test_an_offer_that_is_not_open_cannot_be_run(client):
    community = make_community()
    point = make_pickup_point(community)
    draft = make_offer(status="draft")
    headers = token_headers(community.owner)
    body = {"offer_id": draft.id, "title": "Too early", "margin_kind": "percent", "margin": "5",
            "deadline": (clock.now() + timedelta(days=2)).isoformat(), "pickup_point_ids": [point.id]}
    response = client.post(f"/api/v1/communities/{community.slug}/group-buys", json=body, headers=headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "offer_not_open"


def test_members_see_group_buys_but_only_the_shopkeeper_runs_them(client):
    group_buy = make_group_buy()
    community = group_buy.community
    member = add_member(community)
    login_as(client, member)
    assert client.get(f"/c/{community.slug}/group-buys/{group_buy.id}").status_code == 200
    assert client.get(f"/c/{community.slug}/group-buys/new").status_code == 403
    assert client.post(f"/c/{community.slug}/group-buys/{group_buy.id}/cancel").status_code == 403
    assert _fresh(GroupBuy, group_buy.id).status == GroupBuyStatus.OPEN


def test_outsiders_get_a_404_for_everything_in_the_community(client):
    group_buy = make_group_buy()
    community = group_buy.community
    stranger = make_user(roles=(Role.SHOPKEEPER,))
    login_as(client, stranger)
    for url in (f"/c/{community.slug}/group-buys", f"/c/{community.slug}/group-buys/{group_buy.id}",
                f"/c/{community.slug}/group-buys/new", f"/c/{community.slug}/group-buys/{group_buy.id}/edit"):
        assert client.get(url).status_code == 404, url
    headers = token_headers(stranger)
    for url in (f"/api/v1/group-buys/{group_buy.id}", f"/api/v1/group-buys/{group_buy.id}/progress",
                f"/api/v1/group-buys/{group_buy.id}/pledge", f"/api/v1/communities/{community.slug}/group-buys"):
        assert client.get(url, headers=headers).status_code == 404, url
    # a group buy addressed through another community's address is not there either
    own = make_community(stranger)
    assert client.get(f"/c/{own.slug}/group-buys/{group_buy.id}").status_code == 404


def test_the_page_shows_the_price_the_next_tier_progress_and_a_countdown(client):
    group_buy = make_group_buy(make_offer(moq=50))  # member prices 33.00, 28.60, 24.20
    member = add_member(group_buy.community)
    make_pledge(group_buy, quantity=40)
    make_pledge(group_buy, member, quantity=33)
    login_as(client, member)
    page = client.get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}").get_data(as_text=True)
    assert "¥33.00" in page  # the current member price at 73 pooled units
    assert "27 more and everyone pays CN¥28.60" in page
    assert 'aria-valuenow="100"' in page  # 73 of the MOQ of 50
    assert 'aria-valuenow="73"' in page  # 73 of the 100 the next tier needs
    assert 'data-deadline="' in page and "groupbuy.js" in page
    assert "¥1,089.00" in page  # what I will pay: 33 × 33.00
    assert "Lychees from Hainan" in page


def test_the_progress_endpoint_has_what_the_page_polls(client):
    group_buy = make_group_buy(make_offer(moq=50))
    member = add_member(group_buy.community)
    make_pledge(group_buy, member, quantity=120)
    response = client.get(f"/api/v1/group-buys/{group_buy.id}/progress", headers=token_headers(member))
    assert response.status_code == 200
    body = response.json
    assert body["pooled_total"] == 120 and body["moq"] == 50 and body["to_moq"] == 0
    assert body["current_tier"] == {"min_quantity": 100, "member_price": 2860}
    assert body["next_tier"] == {"min_quantity": 300, "member_price": 2420}
    assert body["to_next_tier"] == 180 and body["next_tier_percent"] == 40
    assert body["pledge_count"] == 1 and body["status"] == "open" and body["open"] is True
    assert body["deadline"].startswith(str(group_buy.deadline.year))


def test_cancelling_releases_every_pledge_and_gives_their_units_back(client):
    offer = make_offer()
    group_buy = make_group_buy(offer)
    other = make_community()
    make_pickup_point(other)
    elsewhere = make_group_buy(offer, other)
    make_pledge(group_buy, quantity=5)
    make_pledge(group_buy, quantity=7)
    make_pledge(elsewhere, quantity=3)
    assert _fresh(Offer, offer.id).pledged_quantity == 15
    login_as(client, group_buy.community.owner)
    response = client.post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/cancel")
    assert response.status_code == 302
    assert _fresh(GroupBuy, group_buy.id).status == GroupBuyStatus.CANCELLED
    assert _fresh(Offer, offer.id).pledged_quantity == 3
    assert count(Pledge, Pledge.group_buy_id == group_buy.id, Pledge.status == PledgeStatus.RELEASED) == 2
    assert count(Pledge, Pledge.status == PledgeStatus.ACTIVE) == 1
    again = client.post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/cancel")
    assert again.status_code == 409
    assert _fresh(Offer, offer.id).pledged_quantity == 3


def test_the_shopkeeper_edits_an_open_group_buy(client):
    group_buy = make_group_buy()
    community = group_buy.community
    second_point = make_pickup_point(community)
    login_as(client, community.owner)
    page = client.get(f"/c/{community.slug}/group-buys/{group_buy.id}/edit").get_data(as_text=True)
    assert 'value="10"' in page and "Lychees from Hainan" in page
    data = _form(group_buy.offer, second_point, title="Lychees, second round", margin_kind="fixed", margin="1.50",
                 per_member_max="10")
    del data["offer_id"]
    data["pickup_point_ids"] = [group_buy.pickup_points[0].id, second_point.id]
    response = client.post(f"/c/{community.slug}/group-buys/{group_buy.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = _fresh(GroupBuy, group_buy.id)
    assert saved.title == "Lychees, second round" and saved.per_member_max == 10
    assert (saved.margin_kind, saved.margin_value) == (MarginKind.FIXED, 150)
    assert len(saved.pickup_points) == 2


def test_a_pickup_point_members_chose_stays_on_the_group_buy(client):
    group_buy = make_group_buy()
    make_pledge(group_buy, quantity=2)
    other_point = make_pickup_point(group_buy.community)
    response = client.patch(f"/api/v1/group-buys/{group_buy.id}", json={"pickup_point_ids": [other_point.id]},
                            headers=token_headers(group_buy.community.owner))
    assert response.status_code == 400 and response.json["error"]["code"] == "pickup_point_in_use"


def test_the_api_lists_creates_and_changes_group_buys(client):
    community = make_community()
    point = make_pickup_point(community)
    offer = make_offer()
    headers = token_headers(community.owner)
    body = {"offer_id": offer.id, "title": "Mangoes", "margin_kind": "fixed", "margin": "3",
            "deadline": (clock.now() + timedelta(days=2)).isoformat(), "pickup_point_ids": [point.id],
            "deposit_percent": 30, "per_member_max": 12}
    created = client.post(f"/api/v1/communities/{community.slug}/group-buys", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["current_tier"]["member_price"] == 3300 and created.json["margin_value"] == 300
    assert [tier["member_price"] for tier in created.json["tiers"]] == [3300, 2900, 2500]
    group_buy_id = created.json["id"]
    changed = client.patch(f"/api/v1/group-buys/{group_buy_id}", json={"deposit_percent": 50}, headers=headers)
    assert changed.status_code == 200 and changed.json["deposit_percent"] == 50
    assert changed.json["title"] == "Mangoes"
    listed = client.get(f"/api/v1/communities/{community.slug}/group-buys", headers=headers)
    assert [line["id"] for line in listed.json] == [group_buy_id]
    cancelled = client.post(f"/api/v1/group-buys/{group_buy_id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    refused = client.patch(f"/api/v1/group-buys/{group_buy_id}", json={"title": "x"}, headers=headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "closed"


def test_the_community_panel_links_to_its_group_buys(client):
    community = make_community()
    member = add_member(community)
    login_as(client, member)
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert f"/c/{community.slug}/group-buys" in page


def test_changing_the_kind_of_margin_needs_the_margin_itself(client):
    group_buy = make_group_buy(margin_kind="percent", margin="10")
    headers = token_headers(group_buy.community.owner)
    refused = client.patch(f"/api/v1/group-buys/{group_buy.id}", json={"margin_kind": "fixed"}, headers=headers)
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {
        "margin": ["Give the margin again when you change its kind."]}
    changed = client.patch(f"/api/v1/group-buys/{group_buy.id}", json={"margin_kind": "fixed", "margin": "2"},
                           headers=headers)
    assert changed.status_code == 200 and changed.json["current_tier"]["member_price"] == 3200
