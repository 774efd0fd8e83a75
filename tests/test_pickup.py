"""Shortfall and pickup: units the supplier did not deliver to a pickup point come out of that point's
orders from the latest pledge back, are refunded at the price paid (balance first, then deposit), and the
supplier is owed only for what arrived; pickup lists print per point."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from groupbuy import deposits, pledges
from groupbuy.models import Pledge
from groupbuy.services import update_group_buy
from orders.models import Order, OrderStatus, PurchaseOrder
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.refunds import lower_unpaid, refund_payment
from payments.services import mark_paid_offline
from referral import credit
from referral.models import CreditSource
from tests.closing_helpers import after_close, fresh, run_close
from tests.factories import add_member, login_as, make_pickup_point, make_product, make_supplier, make_user
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import make_payment, paid_deposit, stripe_stub_fixture  # noqa: F401


def _pledge(group_buy, point, name, quantity):
    user = add_member(group_buy.community, make_user(display_name=name))
    pledges.pledge(user, group_buy.id, quantity=quantity, pickup_point_id=point.id)
    db.session.commit()
    return user


def short_world():
    """One community, two pickup points: at the corner shop A 3, B 2, C 1 in that order; at the school D 2.
    Everyone's balance is paid except D's. Closed, confirmed and shipped in full."""
    staff = make_user()
    group_buy = make_group_buy(make_offer(product=make_product(make_supplier(staff=(staff,)), case_pack=1),
                                          moq=1, case_pack=1))
    corner = group_buy.pickup_points[0]
    school = make_pickup_point(group_buy.community, name="School gate", region="Xuhui")
    update_group_buy(group_buy.community.owner, group_buy.id, pickup_point_ids=[corner.id, school.id])
    db.session.commit()
    people = {name: _pledge(group_buy, point, name, quantity)
              for name, point, quantity in (("Ana", corner, 3), ("Bo", corner, 2), ("Cy", corner, 1),
                                            ("Di", school, 2))}
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    for payment in db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.BALANCE)):
        if payment[0].user_id != people["Di"].id:
            mark_paid_offline(True, payment[0].id)
    db.session.commit()
    purchase_order = db.session.execute(sa.select(PurchaseOrder)).scalar_one()
    return {"staff": staff, "group_buy": group_buy, "people": people, "po": purchase_order,
            "corner": corner, "school": school}


def _order(user) -> Order:
    db.session.expire_all()
    return db.session.execute(sa.select(Order).where(Order.user_id == user.id)).scalar_one()


def _ship_and_receive(client, world, received: dict):
    login_as(client, world["staff"])
    base = f"/catalog/purchase-orders/{world['po'].id}"
    client.post(f"{base}/confirm")
    client.post(f"{base}/ship")
    client.post("/logout")
    group_buy = world["group_buy"]
    login_as(client, group_buy.community.owner)
    lines = {line.pickup_point_id: line.id for line in fresh(PurchaseOrder, world["po"].id).lines}
    data = {f"received-{lines[point.id]}": str(units) for point, units in received.items()}
    response = client.post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/receive", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_two_units_short_at_a_point_come_from_its_latest_pledges_and_are_refunded(client):
    world = short_world()
    people = world["people"]
    _ship_and_receive(client, world, {world["corner"]: 4, world["school"]: 2})
    short = {name: _order(user).lines[0].short_quantity for name, user in people.items()}
    assert short == {"Ana": 0, "Bo": 1, "Cy": 1, "Di": 0}
    assert _order(people["Cy"]).status == OrderStatus.CANCELLED and _order(people["Cy"]).cancelled_at
    assert _order(people["Bo"]).status == OrderStatus.PAID  # paid in cash; one unit short leaves it standing
    refunds = db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.REFUND)).scalars()
    by_user = {refund.user_id: refund for refund in refunds}
    assert set(by_user) == {people["Bo"].id, people["Cy"].id}
    assert {refund.amount for refund in by_user.values()} == {3300}  # one unit at 33.00 each
    assert {refund.status for refund in by_user.values()} == {PaymentStatus.PENDING}  # cash, handed back
    purchase_order = fresh(PurchaseOrder, world["po"].id)
    assert purchase_order.status.value == "received"
    login_as(client, world["staff"])
    page = client.get(f"/catalog/purchase-orders/{purchase_order.id}").get_data(as_text=True)
    assert "¥180.00" in page  # owed: 6 delivered × 30.00, not 8
    assert client.get(f"/api/v1/purchase-orders/{purchase_order.id}").get_json()["amount_owed"] == 18000


def test_receiving_twice_takes_and_refunds_nothing_more(client):
    world = short_world()
    _ship_and_receive(client, world, {world["corner"]: 4, world["school"]: 2})
    group_buy = world["group_buy"]
    again = client.post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/receive")
    assert again.status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(Payment).where(
        Payment.purpose == PaymentPurpose.REFUND)).scalar_one() == 2
    assert _order(world["people"]["Bo"]).lines[0].short_quantity == 1


def test_a_short_unit_not_yet_paid_is_no_longer_asked_for(client):
    world = short_world()
    di = world["people"]["Di"]
    _ship_and_receive(client, world, {world["corner"]: 6, world["school"]: 1})
    balance = db.session.execute(sa.select(Payment).where(
        Payment.user_id == di.id, Payment.purpose == PaymentPurpose.BALANCE)).scalar_one()
    assert balance.amount == 3300 and balance.status == PaymentStatus.PENDING  # 2 × 33.00, one unit short
    assert db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.REFUND)).first() is None


def test_the_pickup_list_prints_one_point_on_its_own(client):
    world = short_world()
    _ship_and_receive(client, world, {world["corner"]: 6, world["school"]: 2})
    group_buy = world["group_buy"]
    base = f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"
    client.post(f"{base}/ready")
    everything = client.get(f"{base}/pickup").get_data(as_text=True)
    assert everything.count('data-testid="pickup-list"') == 2
    only_school = client.get(f"{base}/pickup?point={world['school'].id}").get_data(as_text=True)
    assert only_school.count('data-testid="pickup-list"') == 1 and "Di" in only_school and "Ana" not in only_school
    assert 'class="table pickup print-list"' in only_school and "no-print" in only_school


def test_a_partial_refund_comes_once_per_key_and_never_beyond_what_was_paid(app):
    paid = make_payment(PaymentPurpose.BALANCE, amount=5000)
    mark_paid_offline(True, paid.id)
    first = refund_payment(paid.id, 2000, "short-order-1")
    again = refund_payment(paid.id, 2000, "short-order-1")
    db.session.commit()
    assert first.id == again.id and first.amount == 2000
    try:
        refund_payment(paid.id, 3001, "short-order-2")
    except Exception as error:  # noqa: BLE001 - the domain error's code is what matters
        assert getattr(error, "code", None) == "invalid_amount"
    else:
        raise AssertionError("refunded more than was paid")
    unpaid = make_payment(PaymentPurpose.BALANCE, amount=1000)
    assert lower_unpaid(unpaid.id, 1000).status == PaymentStatus.CANCELLED


def _one_member_world(deposit_percent=50, pay_balance=False, store_credit=0):
    """A 50 % deposit paid on 2 units at 33.00; ``store_credit`` paying toward the balance at close; the
    rest of the balance paid too when asked; shipped in full."""
    staff = make_user()
    group_buy = make_group_buy(make_offer(product=make_product(make_supplier(staff=(staff,)), case_pack=1),
                                          moq=1, case_pack=1), deposit_percent=deposit_percent)
    ana = _pledge(group_buy, group_buy.pickup_points[0], "Ana", 2)
    deposits.take(db.session.execute(sa.select(Pledge).where(Pledge.user_id == ana.id)).scalar_one())
    db.session.commit()
    for deposit in _payments_of(ana, PaymentPurpose.DEPOSIT):
        mark_paid_offline(True, deposit.id)
    if store_credit:
        credit.grant(ana.id, group_buy.community_id, store_credit, CreditSource.DRAW_PRIZE, f"prize-{ana.id}")
    db.session.commit()
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    if pay_balance:
        mark_paid_offline(True, _payments_of(ana, PaymentPurpose.BALANCE)[0].id)
        db.session.commit()
    world = {"staff": staff, "group_buy": group_buy, "ana": ana, "corner": group_buy.pickup_points[0],
             "po": db.session.execute(sa.select(PurchaseOrder)).scalar_one()}
    return world


def _payments_of(user, purpose) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Payment).where(
        Payment.user_id == user.id, Payment.purpose == purpose).order_by(Payment.id)).scalars())


def test_a_short_unit_lowers_a_balance_still_owed_before_any_money_goes_back(client):
    world = _one_member_world()
    _ship_and_receive(client, world, {world["corner"]: 1})
    [balance] = _payments_of(world["ana"], PaymentPurpose.BALANCE)
    assert balance.status == PaymentStatus.CANCELLED and balance.amount == 0  # the deposit pays for 1 unit
    assert _payments_of(world["ana"], PaymentPurpose.REFUND) == []


def test_a_short_unit_paid_in_full_is_refunded_from_the_balance_before_the_deposit(client):
    world = _one_member_world(pay_balance=True)
    _ship_and_receive(client, world, {world["corner"]: 1})
    [refund] = _payments_of(world["ana"], PaymentPurpose.REFUND)
    [balance] = _payments_of(world["ana"], PaymentPurpose.BALANCE)
    assert refund.amount == 3300 and refund.idempotency_key.endswith(balance.idempotency_key)


@pytest.mark.parametrize(("received", "refunds", "credit_back", "status"), [
    (1, [2300, 1000], 0, OrderStatus.PAID),  # one unit short: the money pays it back first
    (0, [2300, 3300], 1000, OrderStatus.CANCELLED),  # nothing came: all the money, then the credit
])
def test_units_paid_with_store_credit_come_back_as_credit_after_the_money(client, received, refunds, credit_back,
                                                                         status):
    world = _one_member_world(pay_balance=True, store_credit=1000)
    ana, community_id = world["ana"], world["group_buy"].community_id
    [balance] = _payments_of(ana, PaymentPurpose.BALANCE)
    assert (balance.amount, balance.covered_amount, balance.status) == (2300, 1000, PaymentStatus.SUCCEEDED)
    _ship_and_receive(client, world, {world["corner"]: received})
    assert [refund.amount for refund in _payments_of(ana, PaymentPurpose.REFUND)] == refunds
    assert credit.balance(ana.id, community_id) == credit.ledger_sum(ana.id, community_id) == credit_back
    assert _order(ana).status == status


def test_units_of_an_order_cancelled_after_shipping_cover_a_shortfall_first(client):
    world = short_world()
    cy = _order(world["people"]["Cy"])
    cy.status = OrderStatus.CANCELLED  # its balance lapsed after the goods left: the unit still comes
    db.session.commit()
    _ship_and_receive(client, world, {world["corner"]: 5, world["school"]: 2})
    assert {name: _order(user).lines[0].short_quantity for name, user in world["people"].items()} == {
        "Ana": 0, "Bo": 0, "Cy": 0, "Di": 0}
    assert fresh(PurchaseOrder, world["po"].id).status.value == "received"


def test_a_card_payment_is_refunded_in_part_at_the_gateway_once(app, stub):
    deposit = paid_deposit(make_user(), amount=5000)
    first = refund_payment(deposit.id, 2000, "short-order-7")
    db.session.commit()
    again = refund_payment(deposit.id, 2000, "short-order-7")
    assert again.id == first.id and first.gateway == "stripe" and first.gateway_id.startswith("re_")
    assert first.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING) and first.amount == 2000
    [call] = stub.posts("/v1/refunds")
    assert call.params["amount"] == "2000"
