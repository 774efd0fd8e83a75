"""Fulfilment through HTTP: the supplier confirms and ships the purchase order, the shopkeeper receives it
and opens the pickup points, members collect — each step forward only and once, refused out of turn
with nothing written, and nothing of a member ever shown to the supplier."""

import csv
import io

import sqlalchemy as sa

from core.extensions import db
from orders.models import EarningsEntry, Order, OrderStatus, PurchaseOrder, PurchaseOrderStatus
from tests.closing_helpers import after_close, fresh, run_close, two_communities
from tests.factories import add_member, count, login_as, make_product, make_supplier, make_user, token_headers
from tests.groupbuy_factories import make_pledge


def closed_world(**offer_args):
    """Two communities' group buys on one supplier's offer, closed with three members' orders."""
    staff = make_user()
    offer, first, second = two_communities(product=make_product(make_supplier(staff=(staff,)), case_pack=1),
                                           moq=2, case_pack=1, **offer_args)
    ana = add_member(first.community, make_user(display_name="Ana Secretname"))
    bo = add_member(first.community, make_user(display_name="Bo Hidden"))
    cy = add_member(second.community, make_user(display_name="Cy Private"))
    make_pledge(first, ana, quantity=3)
    make_pledge(first, bo, quantity=2)
    make_pledge(second, cy, quantity=4)
    after_close(offer)
    assert run_close(offer.id) == "succeeded"
    purchase_order = db.session.execute(sa.select(PurchaseOrder)).scalar_one()
    return {"staff": staff, "offer": offer, "first": first, "second": second, "members": (ana, bo, cy),
            "po": purchase_order}


def _po(world) -> PurchaseOrder:
    return fresh(PurchaseOrder, world["po"].id)


def _order_of(user) -> Order:
    db.session.expire_all()
    return db.session.execute(sa.select(Order).where(Order.user_id == user.id)).scalar_one()


def _base(world, key="first") -> str:
    group_buy = world[key]
    return f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"


def test_the_whole_path_from_close_to_pickup_credits_the_margin_once(client):
    world = closed_world()
    ana, bo, _cy = world["members"]
    po_url = f"/catalog/purchase-orders/{world['po'].id}"
    login_as(client, world["staff"])
    assert client.post(f"{po_url}/confirm").status_code == 302
    assert _po(world).status == PurchaseOrderStatus.CONFIRMED and _po(world).confirmed_at is not None
    assert client.post(f"{po_url}/ship").status_code == 302
    shipped = _po(world)
    assert shipped.status == PurchaseOrderStatus.SHIPPED
    assert sorted(line.shipped_quantity for line in shipped.lines) == [4, 5]
    client.post("/logout")

    login_as(client, world["first"].community.owner)
    assert client.post(f"{_base(world)}/receive").status_code == 302
    assert _po(world).status == PurchaseOrderStatus.SHIPPED  # the other community has not received yet
    assert client.post(f"{_base(world)}/ready").status_code == 302
    assert _order_of(ana).status == OrderStatus.READY and _order_of(ana).ready_at is not None
    assert fresh(type(world["first"]), world["first"].id).ready_at is not None

    page = client.get(f"{_base(world)}/pickup")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ana Secretname" in text and "Bo Hidden" in text and "Cy Private" not in text
    assert f"#{_order_of(ana).id}" in text and "¥99.00" in text  # 3 × 33.00

    order_id = _order_of(ana).id
    for _ in range(2):
        response = client.post(f"{_base(world)}/orders/{order_id}/picked-up")
        assert response.status_code == 302
    picked = _order_of(ana)
    assert picked.status == OrderStatus.PICKED_UP and picked.picked_up_at is not None
    [entry] = db.session.execute(sa.select(EarningsEntry)).scalars()
    assert entry.order_line_id == picked.lines[0].id and entry.amount == 3 * 300  # 10 % of 30.00 × 3
    assert _order_of(bo).status == OrderStatus.READY


def test_the_pickup_list_downloads_as_formula_safe_csv(client):
    world = closed_world()
    ana, bo, _cy = world["members"]
    ana.display_name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    _ship(client, world)
    login_as(client, world["first"].community.owner)
    client.post(f"{_base(world)}/receive")
    client.post(f"{_base(world)}/ready")
    response = client.get(f"{_base(world)}/pickup.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    header, *rows = csv.reader(io.StringIO(text))
    assert header == ["Pickup point", "Member", "Quantity", "Amount", "Balance", "Order"]
    point = world["first"].pickup_points[0].name
    assert sorted(rows) == sorted([
        [point, "'=HYPERLINK(\"http://evil\")", "3", "CN¥99.00", "Waiting", str(_order_of(ana).id)],
        [point, "Bo Hidden", "2", "CN¥66.00", "Waiting", str(_order_of(bo).id)]])


def _ship(client, world, shipped=None):
    login_as(client, world["staff"])
    base = f"/catalog/purchase-orders/{world['po'].id}"
    client.post(f"{base}/confirm")
    assert client.post(f"{base}/ship", data=shipped or {}).status_code == 302
    client.post("/logout")


def test_shipping_before_confirming_is_refused_and_writes_nothing(client):
    world = closed_world()
    login_as(client, world["staff"])
    response = client.post(f"/catalog/purchase-orders/{world['po'].id}/ship")
    assert response.status_code == 409
    assert "Confirm the purchase order before shipping it." in response.get_data(as_text=True)
    purchase_order = _po(world)
    assert purchase_order.status == PurchaseOrderStatus.ISSUED and purchase_order.shipped_at is None
    assert {line.shipped_quantity for line in purchase_order.lines} == {None}


def test_the_api_confirms_and_ships_and_refuses_out_of_turn(client):
    world = closed_world()
    headers = token_headers(world["staff"])
    url = f"/api/v1/purchase-orders/{world['po'].id}"
    refused = client.post(f"{url}/ship", headers=headers, json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "wrong_state"
    assert client.post(f"{url}/confirm", headers=headers).get_json()["status"] == "confirmed"
    again = client.post(f"{url}/confirm", headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "confirmed"
    line = min(_po(world).lines, key=lambda line: line.quantity)
    too_many = client.post(f"{url}/ship", headers=headers,
                           json={"lines": [{"line_id": line.id, "shipped_quantity": line.quantity + 1}]})
    assert too_many.status_code == 422 and _po(world).status == PurchaseOrderStatus.CONFIRMED
    shipped = client.post(f"{url}/ship", headers=headers,
                          json={"lines": [{"line_id": line.id, "shipped_quantity": line.quantity - 1}]})
    assert shipped.status_code == 200
    body = shipped.get_json()
    assert body["status"] == "shipped"
    assert {item["shipped_quantity"] for item in body["lines"]} == {line.quantity - 1, 9 - line.quantity}
    text = shipped.get_data(as_text=True)
    for member in world["members"]:
        assert member.display_name not in text and member.email not in text


def test_outsiders_find_neither_the_purchase_order_nor_the_fulfilment_pages(client):
    world = closed_world()
    outsider = make_user()
    headers = token_headers(outsider)
    assert client.post(f"/api/v1/purchase-orders/{world['po'].id}/confirm", headers=headers).status_code == 404
    login_as(client, outsider)
    assert client.post(f"/catalog/purchase-orders/{world['po'].id}/confirm").status_code == 404
    for path in ("/fulfilment", "/pickup", "/pickup.csv"):
        assert client.get(_base(world) + path).status_code == 404
    assert client.post(_base(world) + "/receive").status_code == 404
    client.post("/logout")
    other_shopkeeper = world["second"].community.owner
    login_as(client, other_shopkeeper)
    assert client.get(_base(world) + "/pickup").status_code == 404
    client.post("/logout")
    login_as(client, world["members"][0])
    assert client.get(_base(world) + "/pickup").status_code == 403
    assert _po(world).status == PurchaseOrderStatus.ISSUED


def test_the_shopkeeper_cannot_receive_before_shipping_nor_open_pickup_before_receiving(client):
    world = closed_world()
    login_as(client, world["first"].community.owner)
    assert client.post(f"{_base(world)}/receive").status_code == 409
    assert client.post(f"{_base(world)}/ready").status_code == 409
    order = _order_of(world["members"][0])
    assert client.post(f"{_base(world)}/orders/{order.id}/picked-up").status_code == 409
    assert order.status == OrderStatus.CONFIRMED and count(EarningsEntry) == 0


def test_supplier_pages_show_no_member_names_or_emails_at_any_step(client):
    world = closed_world()
    login_as(client, world["staff"])
    url = f"/catalog/purchase-orders/{world['po'].id}"
    pages = [client.get(url).get_data(as_text=True)]
    client.post(f"{url}/confirm")
    pages.append(client.get(url).get_data(as_text=True))
    client.post(f"{url}/ship")
    pages.append(client.get(url).get_data(as_text=True))
    pages.append(client.get("/catalog/purchase-orders").get_data(as_text=True))
    for text in pages:
        for member in world["members"]:
            assert member.display_name not in text and member.email not in text
    assert "Shipped" in pages[2]


def test_every_community_received_makes_the_purchase_order_received(client):
    world = closed_world()
    _ship(client, world)
    for key in ("first", "second"):
        login_as(client, world[key].community.owner)
        client.post(f"{_base(world, key)}/receive")
        client.post("/logout")
    purchase_order = _po(world)
    assert purchase_order.status == PurchaseOrderStatus.RECEIVED and purchase_order.received_at is not None
    assert {line.received_quantity for line in purchase_order.lines} == {4, 5}


def test_the_member_sees_where_their_order_stands(client):
    world = closed_world()
    ana = world["members"][0]
    page = f"{_base(world)}"
    login_as(client, ana)
    assert "Ordered from the supplier." in client.get(page).get_data(as_text=True)
    client.post("/logout")
    _ship(client, world)
    login_as(client, ana)
    assert "On its way from the supplier." in client.get(page).get_data(as_text=True)
    client.post("/logout")
    login_as(client, world["first"].community.owner)
    client.post(f"{_base(world)}/receive")
    client.post(f"{_base(world)}/ready")
    client.post("/logout")
    login_as(client, ana)
    text = client.get(page).get_data(as_text=True)
    assert f"Ready for pickup at {world['first'].pickup_points[0].name}." in text


def test_a_shipped_quantity_that_is_not_a_whole_number_is_refused_on_the_page(client):
    world = closed_world()
    login_as(client, world["staff"])
    url = f"/catalog/purchase-orders/{world['po'].id}"
    client.post(f"{url}/confirm")
    line = _po(world).lines[0]
    for bad in ("²", "-1", "1.5", "99999999999"):
        response = client.post(f"{url}/ship", data={f"shipped-{line.id}": bad})
        assert response.status_code == 422, bad
    assert _po(world).status == PurchaseOrderStatus.CONFIRMED
