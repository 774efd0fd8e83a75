"""Spending store credit (issue #6): credit pays toward a group buy's balance, a drop and a subscription box
before any card is charged, by itself or by the member's hand; a card is never left a charge below the
network's minimum; a cancelled order gives its credit back once; two applies at once spend it once."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from accounts.models import User
from core import clock
from core.errors import DomainError
from core.extensions import db
from groupbuy import pledges
from launches import hold_payments, holds
from launches.models import Launch
from orders import fulfilment
from orders.earnings import STORE_CREDIT, debit_order
from orders.models import EarningsEntry, Order, OrderStatus
from orders.services import LineSpec, create_order
from payments.cover import MIN_CARD_CHARGE
from payments.dunning import pay_url
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import create_payment, mark_paid_offline
from referral import checkout, credit
from referral.models import CreditEntry, CreditSource
from shopkeeper.models import Community
from subscriptions import jobs as subscription_jobs
from subscriptions import plans
from subscriptions.models import PaymentChoice, SubscriptionCycle
from tests.closing_helpers import after_close, run_close
from tests.concurrency import all_at_once
from tests.drop_factories import make_hold, make_launch
from tests.factories import add_member, login_as, make_community, make_product, make_supplier, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401
from tests.subscription_factories import NOW, make_plan, make_subscriber

_keys = itertools.count(1)


def give(user, community_id: int, amount: int) -> None:
    credit.grant(user.id, community_id, amount, CreditSource.REVIEW_REWARD, f"test-credit-{next(_keys)}")
    db.session.commit()


def balance_of(user, community_id: int) -> int:
    db.session.expire_all()
    assert credit.balance(user.id, community_id) == credit.ledger_sum(user.id, community_id)
    return credit.balance(user.id, community_id)


def order_and_balance(user) -> tuple[Order, Payment]:
    db.session.expire_all()
    order = db.session.execute(sa.select(Order).where(Order.user_id == user.id)).scalar_one()
    payment = db.session.execute(sa.select(Payment).where(
        Payment.order_id == order.id, Payment.purpose == PaymentPurpose.BALANCE)).scalar_one()
    return order, payment


def closed_group_buy(client, credit_amount: int, *, card: bool, deposit_percent: int = 10):
    """A member pledges 2 units (by card or to pay at pickup), holds ``credit_amount`` of credit, and the
    offer closes. Returns (member, community id)."""
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1), deposit_percent=deposit_percent)
    member = add_member(group_buy.community)
    body = {"quantity": 2, "pickup_point_id": group_buy.pickup_points[0].id}
    if card:
        body["payment_method"] = TEST_CARD
    answer = client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", json=body, headers=token_headers(member))
    assert answer.status_code == 200, answer.json
    if credit_amount:
        give(member, group_buy.community_id, credit_amount)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    return member, group_buy.community_id


def off_session_amounts(stub) -> list[int]:
    return [int(r.params["amount"]) for r in stub.posts("/v1/payment_intents") if r.params.get("off_session")]


def test_credit_pays_part_of_a_group_buy_balance_and_the_card_is_charged_only_the_rest(client, stub):
    member, community_id = closed_group_buy(client, 500, card=True)
    order, balance = order_and_balance(member)
    owed = order.total_amount - order.deposit_amount
    assert (balance.amount, balance.covered_amount) == (owed - 500, 500)
    assert off_session_amounts(stub) == [owed - 500]  # the card paid the rest, never the whole
    assert balance.status == PaymentStatus.SUCCEEDED and order.status == OrderStatus.PAID
    assert balance_of(member, community_id) == 0
    spend = db.session.execute(sa.select(CreditEntry).where(CreditEntry.source == CreditSource.SPEND)).scalar_one()
    assert (spend.amount, spend.order_id) == (-500, order.id)


def test_credit_covering_the_whole_balance_pays_the_order_and_no_card_is_charged(client, stub):
    member, community_id = closed_group_buy(client, 100_000, card=True)
    order, balance = order_and_balance(member)
    owed = order.total_amount - order.deposit_amount
    assert (balance.amount, balance.covered_amount, balance.status) == (0, owed, PaymentStatus.SUCCEEDED)
    assert order.status == OrderStatus.PAID and off_session_amounts(stub) == []
    assert balance_of(member, community_id) == 100_000 - owed


def test_a_member_who_turned_it_off_applies_credit_by_hand_and_pays_the_rest_at_pickup(client):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1))
    member = add_member(group_buy.community)
    give(member, group_buy.community_id, 1000)
    checkout.set_auto_apply(member, group_buy.community, False)
    db.session.commit()
    answer = client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=token_headers(member),
                        json={"quantity": 2, "pickup_point_id": group_buy.pickup_points[0].id})
    assert answer.status_code == 200
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    order, balance = order_and_balance(member)
    assert balance.covered_amount == 0 and balance_of(member, group_buy.community_id) == 1000

    slug = group_buy.community.slug
    login_as(client, member)
    page = client.get(f"/c/{slug}/credit").get_data(as_text=True)
    assert 'data-testid="credit-waiting"' in page and f'/c/{slug}/credit/orders/{order.id}/apply' in page
    assert client.post(f"/c/{slug}/credit/orders/{order.id}/apply").status_code == 302
    order, balance = order_and_balance(member)
    assert (balance.amount, balance.covered_amount) == (order.total_amount - 1000, 1000)
    assert balance_of(member, group_buy.community_id) == 0
    again = client.post(f"/c/{slug}/credit/orders/{order.id}/apply", follow_redirects=True)
    assert "no store credit" in again.get_data(as_text=True).lower()
    assert order_and_balance(member)[1].covered_amount == 1000  # nothing more was spent

    with client.application.test_request_context():
        pay_page = client.get(urlsplit(pay_url(balance)).path).get_data(as_text=True)
    assert 'data-testid="paid-with-credit"' in pay_page  # the pay link says what credit paid

    client.post("/logout")
    login_as(client, group_buy.community.owner)  # the rest is paid in cash at pickup
    shown = client.get(f"/c/{slug}/group-buys/{group_buy.id}/payments").get_data(as_text=True)
    assert "10.00 paid with store credit" in shown  # the shopkeeper asks only for the rest
    assert client.post(f"/c/{slug}/group-buys/{group_buy.id}/payments/{balance.id}/confirm").status_code in (302, 303)
    assert order_and_balance(member)[0].status == OrderStatus.PAID


def test_credit_is_applied_only_to_ones_own_orders_and_not_once_a_card_network_has_it(client, stub):
    member, community_id = closed_group_buy(client, 0, card=True)
    order, _balance = order_and_balance(member)
    give(member, community_id, 700)
    slug = order.community.slug
    stranger = add_member(order.community)
    login_as(client, stranger)
    assert client.post(f"/c/{slug}/credit/orders/{order.id}/apply").status_code == 404
    client.post("/logout")
    login_as(client, member)
    answer = client.post(f"/c/{slug}/credit/orders/{order.id}/apply", follow_redirects=True)
    assert "nothing left that store credit can pay" in answer.get_data(as_text=True)  # charged already
    assert balance_of(member, community_id) == 700


def test_the_auto_apply_switch_is_kept_per_community(client):
    group_buy = make_group_buy(make_offer())
    member = add_member(group_buy.community)
    login_as(client, member)
    slug = group_buy.community.slug
    assert 'data-testid="auto-apply-on"' in client.get(f"/c/{slug}/credit").get_data(as_text=True)
    assert client.post(f"/c/{slug}/credit/auto", data={"auto_apply": "off"}).status_code == 302
    assert 'data-testid="auto-apply-off"' in client.get(f"/c/{slug}/credit").get_data(as_text=True)
    assert checkout.auto_applies(member, group_buy.community) is False


def test_a_drop_paid_at_pickup_uses_credit_and_one_covered_whole_by_credit_asks_no_card(stub):
    launch = make_launch(price=9900, stock=5)
    community = launch.communities[0]
    cash_member, card_member = add_member(community), add_member(community)
    give(cash_member, community.id, 2000)
    give(card_member, community.id, 20_000)

    hold = make_hold(launch, cash_member)
    hold_payments.pay_offline(cash_member, launch.id, hold.id)
    db.session.commit()
    order, payment = order_and_balance(cash_member)
    assert (payment.amount, payment.covered_amount, order.status) == (7900, 2000, OrderStatus.CONFIRMED)

    hold = make_hold(launch, card_member)
    checkout_ = hold_payments.pay_by_card(card_member, launch.id, hold.id)
    db.session.commit()
    order, payment = order_and_balance(card_member)
    assert checkout_.client_secret is None and stub.posts("/v1/payment_intents") == []  # no card asked
    assert (payment.amount, payment.status, order.status) == (0, PaymentStatus.SUCCEEDED, OrderStatus.PAID)
    assert balance_of(card_member, community.id) == 20_000 - 9900
    assert db.session.get(Launch, launch.id).sold == 2  # both units sold, none left held


def box_after_cut_off(credit_amount: int) -> tuple:
    """A card subscriber to a 128.00 weekly box with ``credit_amount`` of credit, past the first cut-off.
    Returns (member, community id, order, payment)."""
    clock.freeze(datetime.fromisoformat(NOW))
    plan, _variants = make_plan(price=12800)
    subscription = make_subscriber(plan, payment_choice=PaymentChoice.CARD, payment_method=TEST_CARD)
    member = db.session.get(User, subscription.user_id)
    give(member, plan.community_id, credit_amount)
    clock.freeze(plans.cycle_of(plan, date(2026, 11, 28)).cutoff_at + timedelta(minutes=1))
    subscription_jobs.run_due_cycles()
    return (member, plan.community_id, *order_and_balance(member))


def test_a_subscription_box_is_paid_from_credit_before_the_card(client, stub):
    member, community_id, order, payment = box_after_cut_off(5000)
    login_as(client, member)
    page = client.get(f"/c/{order.community.slug}/subscriptions/{order_subscription_id(order)}").get_data(as_text=True)
    assert "50.00 paid with store credit" in page
    assert (payment.amount, payment.covered_amount, payment.status) == (7800, 5000, PaymentStatus.SUCCEEDED)
    assert off_session_amounts(stub) == [7800] and order.status == OrderStatus.PAID
    assert balance_of(member, community_id) == 0


def order_subscription_id(order: Order) -> int:
    return db.session.get(SubscriptionCycle, order.source_id).subscription_id


def test_a_card_is_never_left_a_charge_below_the_minimum(stub):
    member, community_id, _order, payment = box_after_cut_off(12800 - 10)
    assert (payment.amount, payment.covered_amount) == (MIN_CARD_CHARGE, 12800 - MIN_CARD_CHARGE)
    assert off_session_amounts(stub) == [MIN_CARD_CHARGE]
    assert balance_of(member, community_id) == MIN_CARD_CHARGE - 10  # what could not be used stays


def drop_paid_at_pickup(credit_amount: int):
    """A member with ``credit_amount`` of credit buys a 99.00 drop to pay at pickup. Returns (launch, member,
    order, payment)."""
    launch = make_launch(price=9900)
    member = add_member(launch.communities[0])
    give(member, launch.communities[0].id, credit_amount)
    hold = make_hold(launch, member)
    holds.pay_offline(member, launch.id, hold.id)
    db.session.commit()
    return (launch, member, *order_and_balance(member))


def test_a_cancelled_order_gives_its_credit_back_once(app):
    launch, member, order, _payment = drop_paid_at_pickup(3000)
    community = launch.communities[0]
    assert balance_of(member, community.id) == 0
    fulfilment.advance_order(order, OrderStatus.CANCELLED)
    db.session.commit()
    assert credit.reverse_spend(order.id) is None  # asked again: nothing more
    db.session.commit()
    assert balance_of(member, community.id) == 3000


def test_two_applies_at_once_spend_the_credit_once(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent applies need PostgreSQL to mean anything")
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    member = add_member(group_buy.community)
    checkout.set_auto_apply(member, group_buy.community, False)
    db.session.commit()
    pledges.pledge(member, group_buy.id, quantity=3, pickup_point_id=group_buy.pickup_points[0].id)
    db.session.commit()
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    give(member, group_buy.community_id, 1500)
    order, _balance = order_and_balance(member)
    ids = (member.id, group_buy.community_id, order.id)

    def apply(user_id, community_id, order_id):
        return checkout.apply_credit(db.session.get(User, user_id), db.session.get(Community, community_id),
                                     order_id)

    spent = all_at_once(app, [ids] * 4, apply)
    assert sorted(spent) == [0, 0, 0, 1500]
    order, balance = order_and_balance(member)
    assert (balance.covered_amount, balance.amount) == (1500, order.total_amount - 1500)
    assert balance_of(member, group_buy.community_id) == 0


def test_a_covered_payment_asked_for_again_is_the_same_payment(app):
    _launch, member, order, payment = drop_paid_at_pickup(4000)
    again = create_payment(PaymentPurpose.BALANCE, payment.reference, member, 9900, "CNY", gateway="offline",
                           order_id=order.id)  # a rerun asks for the first amount, before credit
    assert again.id == payment.id and (again.amount, again.covered_amount) == (5900, 4000)
    with pytest.raises(DomainError) as refused:
        create_payment(PaymentPurpose.BALANCE, payment.reference, member, 5900, "CNY", gateway="offline")
    assert refused.value.code == "idempotency_mismatch"


def test_credit_that_paid_for_a_collected_order_is_debited_from_the_shopkeepers_earnings(client):
    launch, member, order, payment = drop_paid_at_pickup(4000)
    community = launch.communities[0]
    mark_paid_offline(True, payment.id)  # the 59.00 left, in cash
    for step in (OrderStatus.READY, OrderStatus.PICKED_UP):
        fulfilment.advance_order(order, step)
    db.session.commit()
    debit_order(order, 4000)  # asked again: written once
    db.session.commit()
    entries = db.session.execute(sa.select(EarningsEntry).where(EarningsEntry.kind == STORE_CREDIT)).scalars().all()
    supplier_id = db.session.get(Launch, launch.id).variant.supplier_id
    assert [(e.amount, e.supplier_id, e.community_id) for e in entries] == [(-4000, supplier_id, community.id)]
    login_as(client, community.owner)
    page = client.get(f"/c/{community.slug}/earnings").get_data(as_text=True)
    assert page.count('data-testid="store-credit-entry"') == 1 and "40.00" in page
    exported = client.get(f"/c/{community.slug}/earnings.csv", buffered=True).get_data(as_text=True)
    assert exported.splitlines()[-1].endswith(",0,0.00,-40.00,CNY,Paid with store credit")


def test_a_debit_is_split_over_the_lines_by_what_they_cost_and_adds_up(app):
    community = make_community()
    member = add_member(community)
    mangoes, tea = (make_product(make_supplier()).variants[0] for _ in range(2))
    order = create_order(user_id=member.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=1, currency="CNY",
                         lines=[LineSpec(mangoes.id, 2, 1000, 600), LineSpec(tea.id, 1, 333, 200)])
    written = debit_order(order, 1000)
    assert [(e.amount, e.supplier_id) for e in written] == [(-857, mangoes.supplier_id), (-143, tea.supplier_id)]
