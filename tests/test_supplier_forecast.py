"""The supplier's subscription forecast (issue #5): across every open plan that uses the supplier's
variants, in any community, the units of the next cycles — net of skips, pauses and swaps — by the date
each item must leave the supplier; a page, a CSV and JSON, to the supplier's staff only, naming plans and
communities but never a member."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime

import pytest

from core import clock
from core.db import commit
from core.extensions import db
from subscriptions import forecast, plans, services
from subscriptions.supplier_forecast import by_leave_by, plans_using, supplier_forecast
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
from tests.subscription_factories import NOW, make_subscriber

SAT_28, SAT_5 = date(2026, 11, 28), date(2026, 12, 5)


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _plan(community, name: str, items, swaps=(), status: str = "open"):
    if not community.pickup_points:
        make_pickup_point(community)
    plan = plans.create_plan(community.owner, community, name=name, cadence="weekly", weekday=5,
                             starts_on=date(2026, 11, 1), price=9900, pickup_point_ids=[community.pickup_points[0].id],
                             items=[(variant.id, quantity, lead) for variant, quantity, lead in items],
                             swaps=[(variant.id, alternative.id) for variant, alternative in swaps])
    if status == "open":
        plans.open_plan(community.owner, plan.id)
    db.session.commit()
    return plan


def _world():
    """Orchard (mangoes ripening 4 days, spinach on the day) and Pearson (pears). In the first community a
    fruit box of 1 mango and 2 spinach, mangoes swappable for pears, with four subscribers: one skips the
    28th, one pauses until the 12th, one swaps the 28th's mango for a pear. In the second a pear box whose
    pear may be swapped for a mango, one subscriber taking the mango on the 5th; a pear-only plan and a
    draft on Orchard's mangoes that Orchard's forecast must not count."""
    staff, other_staff = make_user(), make_user()
    orchard = make_supplier(name="Orchard", staff=(staff,))
    pearson = make_supplier(name="Pearson", staff=(other_staff,))
    mango = make_product(orchard, name="Mango").variants[0]
    spinach = make_product(orchard, name="Spinach").variants[0]
    pear = make_product(pearson, name="Pear").variants[0]
    first, second = make_community(name="Riverside"), make_community(name="Hilltop")
    fruit = _plan(first, "Fruit box", [(mango, 1, 4), (spinach, 2, 0)], swaps=[(mango, pear)])
    pears = _plan(second, "Pear box", [(pear, 1, 4)], swaps=[(pear, mango)])
    pear_only = _plan(second, "Only pears", [(pear, 3, 1)])
    draft = _plan(first, "Draft box", [(mango, 5, 4)], status="draft")
    skipper, pauser, swapper, plain = (make_subscriber(fruit) for _ in range(4))
    services.skip(skipper.user, skipper.id, SAT_28)
    services.pause(pauser.user, pauser.id, until=date(2026, 12, 12))
    services.swap(swapper.user, swapper.id, SAT_28, mango.id, pear.id)
    pear_member = make_subscriber(pears)
    services.swap(pear_member.user, pear_member.id, SAT_5, pear.id, mango.id)
    make_subscriber(pear_only)
    commit()
    return {"staff": staff, "other_staff": other_staff, "orchard": orchard, "pearson": pearson, "mango": mango,
            "spinach": spinach, "pear": pear, "communities": (first, second), "fruit": fruit, "pears": pears,
            "pear_only": pear_only, "draft": draft,
            "members": [s.user for s in (skipper, pauser, swapper, plain, pear_member)]}


@pytest.fixture
def world(app):
    return _world()


def _totals(rows) -> Counter:
    return Counter({(row.variant_id, row.leave_by, row.delivery_date): row.quantity for row in rows})


def test_the_totals_are_the_plans_forecasts_for_the_suppliers_variants_only(world):
    now = clock.now()
    assert [plan.id for plan in plans_using(world["orchard"].id, now)] == [world["fruit"].id, world["pears"].id]
    rows = supplier_forecast(world["orchard"].id, now)
    expected = Counter()
    for plan in (world["fruit"], world["pears"], world["pear_only"]):
        for cycle in forecast.plan_forecast(plan, now, 8):
            for (variant_id, leave_by), quantity in cycle.items.items():
                if variant_id in (world["mango"].id, world["spinach"].id):
                    expected[(variant_id, leave_by, cycle.delivery_date)] += quantity
    assert _totals(rows) == expected and len({row.delivery_date for row in rows}) == 8
    assert {row.variant_id for row in rows} == {world["mango"].id, world["spinach"].id}

    mango, spinach = world["mango"].id, world["spinach"].id
    totals = _totals(rows)
    # the 28th: the skipper and the pauser get nothing, the swapper's mango became a pear
    assert totals[(mango, date(2026, 11, 24), SAT_28)] == 1
    assert totals[(spinach, SAT_28, SAT_28)] == 4
    # the 5th: three fruit boxes (still paused) and the pear member's swap to a mango
    on_the_5th = next(row for row in rows if row.variant_id == mango and row.delivery_date == SAT_5)
    assert (on_the_5th.leave_by, on_the_5th.quantity) == (date(2026, 12, 1), 4)
    assert on_the_5th.plans == ["Fruit box", "Pear box"] and on_the_5th.communities == ["Riverside", "Hilltop"]
    assert on_the_5th.boxes == 3 + 1
    # the 12th: the pause is over
    assert totals[(spinach, date(2026, 12, 12), date(2026, 12, 12))] == 8

    pears = _totals(supplier_forecast(world["pearson"].id, now))
    assert pears[(world["pear"].id, date(2026, 11, 24), SAT_28)] == 1 + 1  # the swapper's and the pear box
    assert pears[(world["pear"].id, date(2026, 12, 4), SAT_5)] == 3  # the pear-only plan, a day ahead


def test_items_are_grouped_by_the_day_they_leave_the_supplier(world):
    days = by_leave_by(supplier_forecast(world["orchard"].id, clock.now()))
    assert [day for day, _rows in days] == sorted(day for day, _rows in days)
    first, second = days[0], days[1]
    assert first[0] == date(2026, 11, 24) and [row.product for row in first[1]] == ["Mango"]
    assert second[0] == SAT_28 and [row.product for row in second[1]] == ["Spinach"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_page_the_csv_and_the_api_show_the_same_rows(client, world):
    rows = supplier_forecast(world["orchard"].id, clock.now())
    dashboard = login_as(client, world["staff"]).get("/catalog/demand").get_data(as_text=True)
    assert 'data-testid="subscription-forecast"' in dashboard  # the demand dashboard links to it
    page = client.get(dashboard.split('data-testid="subscription-forecast"')[0].rsplit('href="', 1)[1]
                      .split('"')[0].replace("&amp;", "&"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="leave-by-2026-11-24"' in text and "Riverside" in text and "Hilltop" in text

    exported = client.get("/catalog/subscription-forecast?format=csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header, *lines = _csv(exported)
    assert header == ["Leave by", "SKU", "Product", "Variant", "Unit", "Quantity", "Delivery date", "Boxes", "Plans",
                      "Communities"]
    assert len(lines) == len(rows)
    assert lines[0] == ["2026-11-24", world["mango"].sku, "Mango", "Standard", "box", "1", "2026-11-28", "2",
                        "Fruit box", "Riverside"]

    answer = client.get("/api/v1/subscription-forecast", headers=token_headers(world["staff"])).get_json()
    assert answer["supplier_id"] == world["orchard"].id and answer["cycles"] == 8
    assert [[r["leave_by"], r["sku"], r["product"], r["variant"], r["unit"], str(r["quantity"]), r["delivery_date"],
              str(r["boxes"]), "; ".join(r["plans"]), "; ".join(r["communities"])] for r in answer["rows"]] == lines


def test_only_the_suppliers_staff_see_its_forecast(client, world):
    orchard = world["orchard"].id
    first, _second = world["communities"]
    for outsider in (world["other_staff"], first.owner, world["members"][0]):
        headers = token_headers(outsider)
        assert client.get(f"/api/v1/subscription-forecast?supplier_id={orchard}", headers=headers).status_code == 404
        login_as(client, outsider)
        assert client.get(f"/catalog/subscription-forecast?supplier_id={orchard}").status_code == 404
        assert client.get(f"/catalog/subscription-forecast?supplier_id={orchard}&format=csv").status_code == 404
        client.post("/logout")
    for outsider in (first.owner, world["members"][0]):
        assert client.get("/api/v1/subscription-forecast", headers=token_headers(outsider)).status_code == 404
    own = client.get("/api/v1/subscription-forecast", headers=token_headers(world["other_staff"])).get_json()
    assert own["supplier_id"] == world["pearson"].id and {r["product"] for r in own["rows"]} == {"Pear"}
    assert client.get("/api/v1/subscription-forecast").status_code == 401
    assert client.get("/api/v1/subscription-forecast?supplier_id=x", headers=token_headers(world["staff"])) \
        .status_code == 422


def test_no_member_name_or_email_reaches_the_supplier(client, world):
    login_as(client, world["staff"])
    seen = [client.get("/catalog/subscription-forecast").get_data(as_text=True),
            client.get("/catalog/subscription-forecast?format=csv").get_data(as_text=True),
            client.get("/api/v1/subscription-forecast", headers=token_headers(world["staff"])).get_data(as_text=True)]
    people = [*world["members"], *(community.owner for community in world["communities"])]
    for text in seen:
        assert "Mango" in text
        for person in people:
            assert person.display_name not in text and person.email not in text


def test_a_supplier_no_plan_uses_sees_an_empty_forecast(client, world):
    staff = make_user()
    idle = make_supplier(staff=(staff,))
    make_product(idle, name="Turnip")
    assert plans_using(idle.id, clock.now()) == [] and supplier_forecast(idle.id, clock.now()) == []
    text = login_as(client, staff).get("/catalog/subscription-forecast").get_data(as_text=True)
    assert "No open subscription plan uses your products yet." in text
    add_member(world["communities"][0], staff)  # a member of a community with a plan sees nothing more
    assert supplier_forecast(idle.id, clock.now()) == []
