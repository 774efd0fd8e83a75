"""An order is PAID once nothing is left to pay: the deposit covered it at close, the balance was charged
on the saved card, or the shopkeeper confirmed the cash. Later states are never moved back."""

import sqlalchemy as sa

from core.extensions import db
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentPurpose
from tests.closing_helpers import after_close, run_close
from tests.factories import add_member, login_as, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401


def _pledge(client, group_buy, member, **body):
    body.setdefault("pickup_point_id", group_buy.pickup_points[0].id)
    answer = client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", json=body, headers=token_headers(member))
    assert answer.status_code == 200, answer.json


def _order_of(member) -> Order:
    db.session.expire_all()
    return db.session.execute(sa.select(Order).where(Order.user_id == member.id)).scalar_one()


def test_an_order_the_deposit_covered_is_paid_at_close(client, stub):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1), deposit_percent=100)
    member = add_member(group_buy.community)
    _pledge(client, group_buy, member, quantity=2, payment_method=TEST_CARD)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    assert _order_of(member).status == OrderStatus.PAID


def test_a_balance_charged_on_the_saved_card_makes_the_order_paid(client, stub):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1), deposit_percent=10)
    member = add_member(group_buy.community)
    _pledge(client, group_buy, member, quantity=2, payment_method=TEST_CARD)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"  # the balance job runs after the close commits
    assert _order_of(member).status == OrderStatus.PAID


def test_cash_confirmed_by_the_shopkeeper_makes_the_order_paid_and_a_declined_card_does_not(client):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1))
    member = add_member(group_buy.community)
    _pledge(client, group_buy, member, quantity=2)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    assert _order_of(member).status == OrderStatus.CONFIRMED  # offline: the balance waits for the cash
    balance = db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.BALANCE)).scalar_one()
    slug = group_buy.community.slug
    login_as(client, group_buy.community.owner)
    answer = client.post(f"/c/{slug}/group-buys/{group_buy.id}/payments/{balance.id}/confirm")
    assert answer.status_code in (302, 303)
    assert _order_of(member).status == OrderStatus.PAID
