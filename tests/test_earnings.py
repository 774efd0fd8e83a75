"""The earnings ledger: the shopkeeper is credited the margin on each fulfilled order line once, on the
units delivered; the shopkeeper sees what each supplier owes them and the supplier what it owes each
community — on the page, in CSV and through the API — and nobody else sees either."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from accounts.models import Role
from core import clock
from core.extensions import db
from orders.earnings import credit_order, entry_page
from orders.models import EarningsEntry, Order, OrderStatus
from tests.closing_helpers import after_close, run_close, two_communities
from tests.factories import add_member, count, login_as, make_product, make_supplier, make_user, token_headers
from tests.groupbuy_factories import make_pledge


def _world(product_name: str = "Lychees"):
    """Ana pledges 60 in the first community (10 % margin), Bo 45 in the second (1.00 fixed): 105 units,
    so everyone pays the 26.00 wholesale tier — Ana 28.60 (2.60 margin), Bo 27.00 (1.00 margin)."""
    staff = make_user(display_name="Sam Supplier")
    product = make_product(make_supplier(name="Hainan Orchards", staff=(staff,)), name=product_name, case_pack=1)
    offer, first, second = two_communities(product=product, moq=50, case_pack=1)
    ana = add_member(first.community, make_user(display_name="Ana Secret", email="ana.secret@example.com"))
    bo = add_member(second.community, make_user(display_name="Bo Hidden", email="bo.hidden@example.com"))
    pledges = [make_pledge(first, ana, quantity=60), make_pledge(second, bo, quantity=45)]
    after_close(offer)
    assert run_close(offer.id) == "succeeded"
    orders = [db.session.execute(sa.select(Order).where(Order.source_id == pledge.id)).scalar_one()
              for pledge in pledges]
    return staff, offer, first, second, orders


def _pick_up(order: Order, short: int = 0) -> list[EarningsEntry]:
    """What H2's pickup flow does: the order is picked up and its margin credited, in one unit of work."""
    db.session.refresh(order)
    order.status, order.picked_up_at = OrderStatus.PICKED_UP, clock.now()
    order.lines[0].short_quantity = short
    written = credit_order(order)
    db.session.commit()
    return written


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_line_is_credited_once_however_often_its_order_is_marked_picked_up(app):
    _staff, _offer, _first, _second, (ana_order, _bo_order) = _world()
    [entry] = _pick_up(ana_order)
    assert (entry.quantity, entry.amount, entry.wholesale_amount) == (60, 60 * 260, 60 * 2600)
    assert _pick_up(ana_order) == []
    assert count(EarningsEntry) == 1


def test_units_the_supplier_did_not_deliver_earn_nothing(app):
    _staff, _offer, _first, _second, (ana_order, bo_order) = _world()
    [entry] = _pick_up(bo_order, short=5)
    assert (entry.quantity, entry.amount) == (40, 40 * 100)
    assert _pick_up(ana_order, short=60) == []  # nothing delivered, nothing credited
    assert count(EarningsEntry) == 1


def test_the_shopkeeper_sees_what_each_supplier_owes_them_on_the_page_in_csv_and_through_the_api(client):
    _staff, offer, first, _second, orders = _world()
    for order in orders:
        _pick_up(order)
    owner = first.community.owner
    login_as(client, owner)
    page = client.get(f"/c/{first.community.slug}/earnings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hainan Orchards" in text and "CN¥156.00" in text
    assert "CN¥45.00" not in text  # the other community's margin is not theirs

    exported = client.get(f"/c/{first.community.slug}/earnings.csv", buffered=True)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header, *rows = _csv_rows(exported)
    assert header[-4:] == ["Wholesale", "Your margin", "Currency", "Entry kind"]
    assert [row[1:] for row in rows] == [
        ["Hainan Orchards", "Lychees", "Standard", "60", "1560.00", "156.00", "CNY", "Margin"]]

    answer = client.get("/api/v1/earnings", headers=token_headers(owner))
    assert answer.status_code == 200
    body = answer.get_json()
    assert [(t["community_id"], t["supplier_id"], t["amount"], t["quantity"], t["currency"]) for t in body["totals"]] \
        == [(first.community_id, offer.supplier_id, 15600, 60, "CNY")]
    assert [item["amount"] for item in body["items"]] == [15600] and body["has_next"] is False


def test_the_supplier_sees_what_it_owes_each_community_and_never_a_member(client):
    staff, offer, first, second, (ana_order, bo_order) = _world()
    _pick_up(ana_order)
    _pick_up(bo_order, short=5)
    login_as(client, staff)
    page = client.get("/catalog/earnings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert first.community.name in text and second.community.name in text
    assert "CN¥156.00" in text and "CN¥40.00" in text and "CN¥196.00" in text  # and the total

    exported = client.get("/catalog/earnings.csv", buffered=True)
    _header, *rows = _csv_rows(exported)
    assert sorted((row[2], row[5], row[6]) for row in rows) == sorted(
        [(first.community.name, "60", "156.00"), (second.community.name, "40", "40.00")])

    answer = client.get(f"/api/v1/suppliers/{offer.supplier_id}/earnings", headers=token_headers(staff))
    assert answer.status_code == 200
    body = answer.get_json()
    assert {t["community_id"]: t["amount"] for t in body["totals"]} == {first.community_id: 15600,
                                                                        second.community_id: 4000}
    month = clock.now().strftime("%Y-%m")
    assert {(t["month"], t["community_id"], t["amount"]) for t in body["months"]} == {
        (month, first.community_id, 15600), (month, second.community_id, 4000)}
    for seen in (text, exported.get_data(as_text=True), answer.get_data(as_text=True)):
        for private in ("Ana Secret", "ana.secret@example.com", "Bo Hidden", "bo.hidden@example.com"):
            assert private not in seen


def test_nobody_else_learns_of_the_earnings(client):
    staff, offer, first, second, orders = _world()
    for order in orders:
        _pick_up(order)
    member = add_member(first.community)
    other_shopkeeper = second.community.owner
    stranger = make_user(roles=(Role.SUPPLIER,))
    for user in (member, other_shopkeeper, stranger):
        login_as(client, user)
        for url in (f"/c/{first.community.slug}/earnings", f"/c/{first.community.slug}/earnings.csv"):
            assert client.get(url).status_code == 404, (user, url)
    for url in ("/catalog/earnings", "/catalog/earnings.csv"):
        assert client.get(url).status_code == 404  # the stranger staffs no supplier
    assert client.get(f"/api/v1/suppliers/{offer.supplier_id}/earnings",
                      headers=token_headers(stranger)).get_json()["error"]["code"] == "not_found"
    mine = client.get("/api/v1/earnings", headers=token_headers(member)).get_json()
    assert mine["totals"] == [] and mine["items"] == []


def test_a_product_name_cannot_run_as_a_formula_in_the_export(client):
    staff, _offer, _first, _second, orders = _world(product_name="=HYPERLINK(\"http://evil\")")
    _pick_up(orders[0])
    login_as(client, staff)
    [row] = _csv_rows(client.get("/catalog/earnings.csv", buffered=True))[1:]
    assert row[3] == "'=HYPERLINK(\"http://evil\")"


def test_entries_page_newest_first(app):
    _staff, _offer, first, _second, (ana_order, bo_order) = _world()
    _pick_up(bo_order)
    clock.advance(timedelta(minutes=5))
    _pick_up(ana_order)
    both = entry_page(supplier_ids=[ana_order.lines[0].variant.supplier_id], per_page=1)
    assert both.has_next and [row.amount for row in both.items] == [15600]
    second_page = entry_page(supplier_ids=[ana_order.lines[0].variant.supplier_id], page=2, per_page=1)
    assert [row.amount for row in second_page.items] == [4500] and not second_page.has_next
