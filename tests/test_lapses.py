"""Unpaid balances: a declined balance gives its member the grace period to pay on-session; after it the
sweeper drops the pledge, cancels the order, keeps the deposit and counts the units out of the purchase
order (unless it has shipped), and tells the member and the shopkeeper — once, however often it runs."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core import clock, jobs
from core.extensions import db
from core.mail import OutboxEmail
from core.notify import Notification
from groupbuy import demand
from groupbuy.models import Pledge, PledgeStatus
from orders.models import Order, OrderStatus, PurchaseOrder, PurchaseOrderStatus
from payments import dunning
from payments.jobs import charge_balances, expire_overdue_payments
from payments.models import Payment, PaymentPurpose, PaymentStatus
from tests.closing_helpers import after_close, run_close
from tests.factories import add_member, count, login_as, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401

LATE_CARD = "pm_card_late_payer"
GRACE = timedelta(hours=72)


def _put(client, group_buy, user, card: str, quantity: int):
    answer = client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=token_headers(user),
                        json={"quantity": quantity, "pickup_point_id": group_buy.pickup_points[0].id,
                              "payment_method": card})
    assert answer.status_code == 200, answer.json


def _closed_with_a_declined_balance(client, stub):
    """Two members pledge with cards (a 10 % deposit paid); at close the late payer's card is declined."""
    group_buy = make_group_buy(make_offer(moq=4, case_pack=1), deposit_percent=10)
    payer, late = add_member(group_buy.community), add_member(group_buy.community)
    _put(client, group_buy, payer, TEST_CARD, 3)
    _put(client, group_buy, late, LATE_CARD, 2)
    stub.decline(LATE_CARD, "insufficient_funds")
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    charge_balances(_ids(PaymentPurpose.BALANCE))  # the close's own job did this already: nothing twice
    db.session.commit()
    return group_buy, payer, late


def _ids(purpose: PaymentPurpose) -> list[int]:
    return list(db.session.execute(sa.select(Payment.id).where(Payment.purpose == purpose)).scalars())


def _balance_of(user) -> Payment:
    db.session.expire_all()
    return db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.BALANCE,
                                                       Payment.user_id == user.id)).scalar_one()


def _pledge_of(user) -> Pledge:
    return db.session.execute(sa.select(Pledge).where(Pledge.user_id == user.id)).scalar_one()


def _order_of(user) -> Order:
    return db.session.execute(sa.select(Order).where(Order.user_id == user.id)).scalar_one()


def _sweep() -> dict[int, str]:
    with current_app.app_context():
        outcome = jobs.run_job("groupbuy.jobs:expire_overdue_balances")
    db.session.expire_all()
    return outcome


def _purchase_order() -> PurchaseOrder:
    return db.session.execute(sa.select(PurchaseOrder)).scalar_one()


def test_an_unpaid_balance_after_the_grace_period_drops_the_pledge_and_counts_its_units_out(client, stub):
    group_buy, payer, late = _closed_with_a_declined_balance(client, stub)
    balance = _balance_of(late)
    assert balance.status == PaymentStatus.FAILED and balance.failure_code == "insufficient_funds"
    clock.advance(GRACE - timedelta(minutes=1))
    assert _sweep() == {}
    assert _pledge_of(late).status == PledgeStatus.CONFIRMED
    clock.advance(timedelta(minutes=2))

    assert _sweep() == {_pledge_of(late).id: "dropped"}
    assert _balance_of(late).status == PaymentStatus.CANCELLED
    assert _pledge_of(late).status == PledgeStatus.DROPPED
    order = _order_of(late)
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at == clock.now()
    assert _order_of(payer).status != OrderStatus.CANCELLED
    purchase_order = _purchase_order()
    [line] = purchase_order.lines
    assert (purchase_order.quantity, purchase_order.dropped_quantity) == (5, 2)
    assert (line.quantity, line.dropped_quantity) == (5, 2)
    assert purchase_order.unit_price == 3000  # the tier judged at close stands
    assert demand.stored() == demand.computed()
    assert not _ids(PaymentPurpose.REFUND)  # the deposit is forfeited
    assert count(OutboxEmail, OutboxEmail.recipient == late.email, OutboxEmail.subject.contains("Order cancelled")) == 1
    owner = group_buy.community.owner
    assert count(OutboxEmail, OutboxEmail.recipient == owner.email, OutboxEmail.subject.contains("Unpaid")) == 1
    assert count(Notification, Notification.user_id == late.id, Notification.kind == "order_lapsed") == 1
    page = login_as(client, late).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}")
    assert "your order is cancelled. The deposit is kept." in page.get_data(as_text=True)


def test_running_the_sweeper_twice_changes_nothing(client, stub):
    _group_buy, _payer, late = _closed_with_a_declined_balance(client, stub)
    clock.advance(GRACE + timedelta(minutes=1))
    _sweep()
    emails, rollup = count(OutboxEmail), demand.stored()
    assert _sweep() == {}
    assert _purchase_order().dropped_quantity == 2 and _purchase_order().lines[0].dropped_quantity == 2
    assert count(OutboxEmail) == emails and demand.stored() == rollup == demand.computed()
    assert _pledge_of(late).status == PledgeStatus.DROPPED


def test_a_pledge_whose_balance_expired_without_being_dropped_is_dropped_on_the_next_run(client, stub):
    _group_buy, _payer, late = _closed_with_a_declined_balance(client, stub)
    clock.advance(GRACE + timedelta(minutes=1))
    assert expire_overdue_payments() == [f"pledge:{_pledge_of(late).id}"]  # as if the job died right after
    db.session.commit()
    assert _sweep() == {_pledge_of(late).id: "dropped"}
    assert _purchase_order().dropped_quantity == 2


def test_a_balance_paid_on_session_before_the_deadline_is_not_dropped(client, stub):
    _group_buy, _payer, late = _closed_with_a_declined_balance(client, stub)
    clock.advance(GRACE - timedelta(hours=1))
    paid = client.post(f"/pay/{dunning.pay_token(_balance_of(late))}",
                       data={"attempt": "again", "payment_method": "pm_card_new"})
    assert paid.status_code == 303 and _balance_of(late).status == PaymentStatus.SUCCEEDED
    clock.advance(timedelta(hours=2))
    assert _sweep() == {}
    assert _pledge_of(late).status == PledgeStatus.CONFIRMED and _purchase_order().dropped_quantity == 0


def test_after_shipping_a_dropped_pledges_units_stay_with_the_shopkeeper(client, stub):
    group_buy, _payer, late = _closed_with_a_declined_balance(client, stub)
    _purchase_order().status = PurchaseOrderStatus.SHIPPED
    db.session.commit()
    clock.advance(GRACE + timedelta(minutes=1))
    assert _sweep() == {_pledge_of(late).id: "dropped"}
    assert _order_of(late).status == OrderStatus.CANCELLED
    assert _purchase_order().dropped_quantity == 0 and _purchase_order().lines[0].dropped_quantity == 0
    assert demand.stored() == demand.computed()
    owner = group_buy.community.owner
    [email] = db.session.execute(sa.select(OutboxEmail).where(OutboxEmail.recipient == owner.email,
                                                              OutboxEmail.subject.contains("Unpaid"))).scalars()
    assert "stay with you" in email.body


def test_the_sweeper_runs_from_the_command_line_and_every_five_minutes(app, client, runner, stub):
    _group_buy, _payer, late = _closed_with_a_declined_balance(client, stub)
    pledge_id = _pledge_of(late).id
    clock.advance(GRACE + timedelta(minutes=1))
    result = runner.invoke(args=["groupbuy", "expire-overdue"])
    assert result.exit_code == 0 and f"pledge {pledge_id}: dropped" in result.output
    assert ("groupbuy.jobs:expire_overdue_balances", 300) in app.config["PERIODIC_JOBS"]
