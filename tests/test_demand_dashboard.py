"""The supplier's committed-demand dashboard: pledges pooled across communities show as pending demand
at the offer's current tier price, closed successful offers as committed demand at the purchase order's
price — by product, variant, week of close, community and pickup region — with each open offer's
distance to its next tier; the same answer as a page, a CSV and JSON, to the supplier's staff only, and
never with a member's name or email."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import Role
from core.extensions import db
from groupbuy import demand as rollup
from supplier import demand
from supplier.models import DemandCell
from tests.closing_helpers import after_close, run_close, two_communities
from tests.factories import (
    add_member,
    login_as,
    make_community,
    make_pickup_point,
    make_product,
    make_supplier,
    make_user,
    token_headers,
)
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge


def _world():
    """One supplier: an open mango offer pooled over three communities (60 in Xuhui, 45 in Pudong, 5 at
    a point with no region: 110 units, the 26.00 tier) and a closed, successful lychee offer in the first
    two (3 + 2 units committed at 30.00)."""
    staff = make_user()
    supplier = make_supplier(name="Hainan Orchards", staff=(staff,))
    mango = make_product(supplier, name="Mango", case_pack=1)
    lychee = make_product(supplier, name="Lychee", case_pack=1)
    names = {name: make_user(display_name=name, email=f"{name.split()[0].lower()}@members.example")
             for name in ("Ana Secretname", "Bo Hiddenname", "Cy Privatename")}
    open_offer, first, second = two_communities(product=mango, moq=50, case_pack=1, days_open=30)
    third = make_community(name="Riverside")
    make_pickup_point(third, region="")
    make_pledge(first, add_member(first.community, names["Ana Secretname"]), quantity=60)
    make_pledge(second, add_member(second.community, names["Bo Hiddenname"]), quantity=45)
    make_pledge(make_group_buy(open_offer, third), add_member(third, names["Cy Privatename"]), quantity=5)
    closed = make_offer(product=lychee, moq=2, case_pack=1, days_open=10)
    make_pledge(make_group_buy(closed, first.community), names["Ana Secretname"], quantity=3)
    make_pledge(make_group_buy(closed, second.community), names["Bo Hiddenname"], quantity=2)
    after_close(closed)
    assert run_close(closed.id) == "succeeded"
    db.session.expire_all()
    return {"staff": staff, "supplier": supplier, "open": open_offer, "closed": closed, "mango": mango,
            "lychee": lychee, "communities": (first.community, second.community, third), "members": names}


@pytest.fixture
def world(app):
    return _world()


def _rows(answer, dimension) -> dict:
    return {row.label: (row.pending_quantity, row.pending_pledges, row.pending_value, row.committed_quantity,
                        row.committed_value) for row in answer.totals[dimension]}


def test_pending_and_committed_demand_pool_across_communities_by_every_dimension(world):
    answer = demand.dashboard(demand.Filters(supplier_id=world["supplier"].id))
    first, second, third = world["communities"]
    assert _rows(answer, "product") == {"Mango": (110, 3, 110 * 2600, 0, 0), "Lychee": (0, 0, 0, 5, 5 * 3000)}
    assert _rows(answer, "variant") == {"Mango · Standard": (110, 3, 286000, 0, 0),
                                        "Lychee · Standard": (0, 0, 0, 5, 15000)}
    assert _rows(answer, "community") == {first.name: (60, 1, 60 * 2600, 3, 9000),
                                          second.name: (45, 1, 45 * 2600, 2, 6000), third.name: (5, 1, 13000, 0, 0)}
    assert _rows(answer, "region") == {"Xuhui": (60, 1, 156000, 3, 9000), "Pudong": (45, 1, 117000, 2, 6000),
                                       "": (5, 1, 13000, 0, 0)}
    weeks = _rows(answer, "week")
    assert weeks[demand.week_of(world["open"].closes_at)] == (110, 3, 286000, 0, 0)
    assert weeks[demand.week_of(world["closed"].closes_at)] == (0, 0, 0, 5, 15000)
    assert [row.key for row in answer.totals["week"]] == sorted(weeks)
    assert {row.currency for rows in answer.totals.values() for row in rows} == {"CNY"}


def test_each_open_offer_shows_its_current_tier_and_the_distance_to_the_next(world):
    answer = demand.dashboard(demand.Filters(supplier_id=world["supplier"].id))
    [offer] = answer.open_offers  # the lychee offer has closed
    assert (offer.offer_id, offer.pooled_quantity, offer.current_price) == (world["open"].id, 110, 2600)
    assert (offer.next_tier_quantity, offer.next_tier_price, offer.to_next_tier) == (300, 2200, 190)
    assert (offer.moq, offer.to_moq, offer.next_tier_percent) == (50, 0, 36)
    narrowed = demand.dashboard(demand.Filters(supplier_id=world["supplier"].id,
                                               community_id=world["communities"][1].id))
    assert narrowed.open_offers[0].pooled_quantity == 110 and narrowed.open_offers[0].pending_quantity == 45


def test_the_filters_narrow_by_community_region_product_week_and_currency(world):
    supplier_id = world["supplier"].id
    first = world["communities"][0]

    def products(**filters):
        return _rows(demand.dashboard(demand.Filters(supplier_id=supplier_id, **filters)), "product")

    assert products(community_id=first.id) == {"Mango": (60, 1, 156000, 0, 0), "Lychee": (0, 0, 0, 3, 9000)}
    assert products(region="Pudong") == {"Mango": (45, 1, 117000, 0, 0), "Lychee": (0, 0, 0, 2, 6000)}
    assert products(region=demand.NO_REGION) == {"Mango": (5, 1, 13000, 0, 0)}
    assert products(product_id=world["lychee"].id) == {"Lychee": (0, 0, 0, 5, 15000)}
    closing_week = demand.week_of(world["closed"].closes_at)
    assert products(week_from=closing_week, week_to=closing_week) == {"Lychee": (0, 0, 0, 5, 15000)}
    assert products(currency="USD") == {}


def test_values_are_kept_apart_per_currency(world):
    euro = make_offer(product=world["mango"], currency="EUR", tiers=((1, 500),), moq=1, case_pack=1)
    make_pledge(make_group_buy(euro, world["communities"][0]), quantity=4)
    rows = demand.dashboard(demand.Filters(supplier_id=world["supplier"].id)).totals["product"]
    mango = {row.currency: (row.pending_quantity, row.pending_value) for row in rows if row.label == "Mango"}
    assert mango == {"CNY": (110, 286000), "EUR": (4, 2000)}


def test_the_page_shows_the_tables_and_the_tier_progress(client, world):
    page = login_as(client, world["staff"]).get("/catalog/demand")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in ("Mango", "Lychee", "Pudong", "Xuhui", "No region", "CN¥2,860.00", "CN¥150.00",
                     "110 pooled: 190 more for CN¥22.00 from 300", demand.week_of(world["closed"].closes_at)):
        assert expected in text, expected
    assert 'data-testid="by-region"' in text and 'aria-valuenow="36"' in text
    assert "/catalog/demand" in client.get("/catalog").get_data(as_text=True)


def test_a_bad_week_is_refused_with_the_form_again(client, world):
    page = login_as(client, world["staff"]).get("/catalog/demand?week_from=2026-W99")
    assert page.status_code == 422 and "A week like 2026-W47." in page.get_data(as_text=True)
    api = client.get("/api/v1/demand?week_to=next", headers=token_headers(world["staff"]))
    assert api.status_code == 422 and "week_to" in api.get_json()["error"]["fields"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_has_one_row_per_dimension_and_key_and_is_formula_safe(client, world):
    world["mango"].name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    response = login_as(client, world["staff"]).get("/catalog/demand?format=csv&region=Pudong")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:4] == ["Dimension", "Key", "Name", "Currency"]
    by_name = {(row[0], row[2]): row[4:] for row in rows}
    assert by_name[("Product", "'=HYPERLINK(\"http://evil\")")] == ["45", "1", "1170.00", "0", "0.00"]
    assert by_name[("Product", "Lychee")] == ["0", "0", "0.00", "2", "60.00"]
    assert by_name[("Pickup region", "Pudong")] == ["45", "1", "1170.00", "2", "60.00"]
    assert {row[0] for row in rows} == {"Product", "Variant", "Week of close", "Community", "Pickup region"}
    everything = _csv(client.get("/catalog/demand?format=csv"))
    assert ["Pickup region", "(none)", "No region", "CNY", "5", "1", "130.00", "0", "0.00"] in everything


def test_the_api_answers_what_the_page_and_its_csv_show(client, world):
    headers = token_headers(world["staff"])
    api = client.get(f"/api/v1/demand?community_id={world['communities'][0].id}", headers=headers)
    assert api.status_code == 200
    body = api.get_json()
    expected = demand.as_dict(demand.dashboard(demand.Filters(supplier_id=world["supplier"].id,
                                                              community_id=world["communities"][0].id)))
    assert body["totals"] == expected["totals"]
    assert body["open_offers"][0]["to_next_tier"] == 190 and body["open_offers"][0]["pending_quantity"] == 60
    exported = _csv(login_as(client, world["staff"]).get(
        f"/catalog/demand?format=csv&community_id={world['communities'][0].id}"))[1:]
    from_api = [[row["key"], row["pending_quantity"], row["committed_value"]]
                for dimension in demand.DIMENSIONS for row in body["totals"][dimension]]
    assert [[row[1], int(row[4]), round(float(row[8]) * 100)] for row in exported] == from_api


def test_an_operator_may_read_a_suppliers_demand_by_id(client, world):
    operator = make_user(roles=(Role.OPERATOR,))
    api = client.get(f"/api/v1/demand?supplier_id={world['supplier'].id}", headers=token_headers(operator))
    assert api.status_code == 200 and api.get_json()["filters"]["supplier_id"] == world["supplier"].id


def test_outsiders_find_nothing(client, world):
    other_staff = make_user()
    other = make_supplier(staff=(other_staff,))
    shopkeeper = world["communities"][0].owner
    member = world["members"]["Ana Secretname"]
    supplier_id = world["supplier"].id
    for outsider in (other_staff, shopkeeper, member):
        headers = token_headers(outsider)
        assert client.get(f"/api/v1/demand?supplier_id={supplier_id}", headers=headers).status_code == 404
        login_as(client, outsider)
        assert client.get(f"/catalog/demand?supplier_id={supplier_id}").status_code == 404
        assert client.get(f"/catalog/demand?supplier_id={supplier_id}&format=csv").status_code == 404
        client.post("/logout")
    for outsider in (shopkeeper, member):
        assert client.get("/api/v1/demand", headers=token_headers(outsider)).status_code == 404
    own = client.get("/api/v1/demand", headers=token_headers(other_staff)).get_json()
    assert own["filters"]["supplier_id"] == other.id and own["totals"]["product"] == []


def test_no_member_name_or_email_reaches_the_supplier(client, world):
    login_as(client, world["staff"])
    seen = [client.get("/catalog/demand").get_data(as_text=True),
            client.get("/catalog/demand?format=csv").get_data(as_text=True),
            client.get("/api/v1/demand", headers=token_headers(world["staff"])).get_data(as_text=True)]
    people = [*world["members"].values(), *(community.owner for community in world["communities"])]
    for text in seen:
        for person in people:
            assert person.display_name not in text and person.email not in text
    assert "Mango" in seen[1] and "Mango" in seen[2]


def test_rebuild_demand_reports_and_repairs_a_drifted_rollup_and_changes_nothing_twice(app, runner, world):
    offer_id = world["open"].id
    cell = db.session.execute(db.select(DemandCell).filter_by(offer_id=offer_id)).scalars().first()
    cell.pending_quantity += 7
    db.session.commit()
    checked = runner.invoke(args=["groupbuy", "rebuild-demand", "--check"])
    assert checked.exit_code == 0 and "1 cells differ" in checked.output, checked.output
    assert rollup.stored() != rollup.computed()
    repaired = runner.invoke(args=["groupbuy", "rebuild-demand", "--offer", str(offer_id)])
    assert repaired.exit_code == 0 and "rebuilt: 3 cells" in repaired.output, repaired.output
    db.session.expire_all()
    assert rollup.stored() == rollup.computed()
    again = runner.invoke(args=["groupbuy", "rebuild-demand"])
    assert "0 cells differ" in again.output and rollup.stored() == rollup.computed()


def test_the_page_shows_the_biggest_rows_and_leaves_the_rest_to_the_csv(client, world, monkeypatch):
    from supplier import demand_views

    monkeypatch.setattr(demand_views, "PAGE_ROWS", 1)
    text = login_as(client, world["staff"]).get("/catalog/demand").get_data(as_text=True)
    assert "The 1 biggest of 3 are shown; the CSV export has them all." in text
    assert world["communities"][0].name in text and "Riverside" not in text.split('data-testid="by-community"')[1]
