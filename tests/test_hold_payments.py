"""Paying for a launch hold by card (issue #4): the hold becomes an order whose units stay the member's
while they pay on the pay page or through the API; Stripe's webhook (signed, verified by stripe's
library) makes it PAID; paying twice makes one order and one PaymentIntent; a declined card can be
tried again; a card not paid in time cancels the order and gives the units back (to the waitlist
first), and a success that comes after that is refunded. Paying at pickup works as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

import app as app_module
from core import clock
from core.extensions import db
from core.notify import Notification
from launches import hold_payment_jobs, hold_payments, waitlist
from launches.models import Allowance, Hold, HoldStatus, Launch, WaitlistStatus
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import detached, mark_paid_offline
from payments.stripe_gateway import stripe_gateway
from tests.concurrency import all_at_once
from tests.drop_factories import make_hold, make_launch
from tests.factories import add_member, count, login_as, token_headers
from tests.payment_helpers import TEST_CARD, deliver, stripe_stub_fixture  # noqa: F401

DECLINED_CARD = "pm_card_chargeDeclinedInsufficientFunds"


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _base(launch) -> str:
    return f"/c/{launch.communities[0].slug}/launches/{launch.id}"


def _page(client, launch) -> str:
    return client.get(_base(launch)).get_data(as_text=True)


def _pay(client, hold, user, **body):
    return client.post(f"/api/v1/launches/{hold.launch_id}/holds/{hold.id}/pay", json=body,
                       headers=token_headers(user))


def _payment(hold) -> Payment:
    db.session.expire_all()
    return hold_payments.balance_of(hold.id)


def _order(hold) -> Order:
    db.session.expire_all()
    return db.session.execute(sa.select(Order).where(Order.source == "launch", Order.source_id == hold.id)
                              ).scalar_one()


def _intents(stub) -> list[dict]:
    return stub.of_kind("payment_intent")


def _counts(launch) -> tuple[int, int, int]:
    counted = _fresh(Launch, launch.id)
    return counted.sold, counted.held, counted.available


def _in_the_browser(stub, payment: Payment, card: str = TEST_CARD) -> str:
    """Stripe.js confirms the intent with the card the member typed, straight at Stripe (our app hears of
    it only by the webhook); the PaymentIntent's id."""
    assert stripe_gateway().confirm_on_session(detached(payment), "browser", card).status == PaymentStatus.SUCCEEDED
    return payment.gateway_id



def _paying_by_card(client):
    """With the clock frozen: a member holds the one unit of a launch and chooses to pay by card."""
    clock.freeze()
    launch = make_launch(stock=1, checkout_minutes=10)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    _pay(client, hold, member, method="card")
    return launch, member, hold

def test_the_launch_page_offers_card_beside_pickup_only_when_the_app_takes_cards(client, app):
    launch = make_launch(stock=2)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    login_as(client, member)
    assert "Pay by card" not in _page(client, launch) and "Pay at pickup" in _page(client, launch)
    app.config["PAYMENT_GATEWAY"] = "stripe"
    try:
        page = _page(client, launch)
    finally:
        app.config["PAYMENT_GATEWAY"] = "offline"
    assert f"/holds/{hold.id}/pay-card" in page and "Pay at pickup" in page


def test_card_payment_made_in_the_browser_is_paid_when_stripes_webhook_says_so(client, stub):
    launch = make_launch(stock=3, price=9900)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    login_as(client, member)
    answer = client.post(f"{_base(launch)}/holds/{hold.id}/pay-card")
    assert answer.status_code == 303 and "/pay/" in answer.headers["Location"]
    payment, order = _payment(hold), _order(hold)
    assert (payment.purpose, payment.gateway, payment.reference) == (PaymentPurpose.BALANCE, "stripe",
                                                                     f"hold:{hold.id}")
    assert payment.status == PaymentStatus.REQUIRES_ACTION and payment.amount == order.total_amount == 9900
    assert payment.action_due_at == _fresh(Hold, hold.id).expires_at + timedelta(minutes=5)
    assert order.status == OrderStatus.CONFIRMED and _fresh(Hold, hold.id).status == HoldStatus.ORDERED
    assert _counts(launch) == (0, 1, 2)  # still the member's, held until the card goes through
    page = _page(client, launch)
    assert 'data-testid="drop-card-pending"' in page and "/pay/" in page and "Pay at pickup" not in page
    pay_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'data-client-secret="{_intents(stub)[0]["client_secret"]}"' in pay_page  # for the card form

    intent = _in_the_browser(stub, payment)
    event = stub.event("payment_intent.succeeded", intent)
    assert deliver(client, event).status_code == 200
    assert _payment(hold).status == PaymentStatus.SUCCEEDED and _order(hold).status == OrderStatus.PAID
    assert _counts(launch) == (1, 0, 2)
    assert deliver(client, event).json == {"received": True, "duplicate": True}
    assert _counts(launch) == (1, 0, 2) and _order(hold).status == OrderStatus.PAID
    page = _page(client, launch)
    assert 'data-testid="drop-paid"' in page and 'data-testid="drop-card-pending"' not in page


def test_paying_twice_makes_one_order_one_payment_and_one_payment_intent(client, stub):
    launch = make_launch(stock=3)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    login_as(client, member)
    first = client.post(f"{_base(launch)}/holds/{hold.id}/pay-card")
    second = client.post(f"{_base(launch)}/holds/{hold.id}/pay-card")
    third = _pay(client, hold, member, method="card")
    assert first.headers["Location"] == second.headers["Location"] == third.json["payment"]["pay_url"]
    assert third.status_code == 200 and third.json["payment"]["id"] == _payment(hold).id
    assert count(Order) == 1 and count(Payment) == 1 and len(_intents(stub)) == 1
    assert len(stub.posts("/v1/payment_intents")) == 1 and _counts(launch) == (0, 1, 2)


def test_two_tabs_paying_at_the_same_moment_make_one_order_and_one_intent(app, stub):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent payers need PostgreSQL to mean anything")
    launch = make_launch(stock=3)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    member_id, launch_id, hold_id = member.id, launch.id, hold.id  # read here: threads share no session

    def pay(user_id: int) -> int:
        from accounts.models import User

        return hold_payments.pay_by_card(db.session.get(User, user_id), launch_id, hold_id).payment.id

    results = all_at_once(app, [(member_id,)] * 4, pay)
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert count(Order) == 1 and count(Payment) == 1 and len(_intents(stub)) == 1
    assert _counts(launch) == (0, 1, 2)


def test_a_second_tab_that_read_the_hold_before_the_first_paid_answers_the_first_ones_checkout(stub, monkeypatch):
    launch = make_launch(stock=3)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    first = hold_payments.pay_by_card(member, launch.id, hold.id)
    db.session.commit()
    stale = db.session.get(Hold, hold.id)
    set_committed_value(stale, "status", HoldStatus.HELD)  # as read before the first tab committed (SQLite)
    monkeypatch.setattr(hold_payments.holds, "_my_hold", lambda *_args: stale)
    second = hold_payments.pay_by_card(member, launch.id, hold.id)
    db.session.commit()
    assert second.payment.id == first.payment.id and second.client_secret == first.client_secret
    assert count(Order) == 1 and count(Payment) == 1 and len(_intents(stub)) == 1


def test_a_declined_card_is_told_and_another_card_pays_within_the_window(client, stub):
    launch = make_launch(stock=1)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    login_as(client, member)
    pay_page = client.post(f"{_base(launch)}/holds/{hold.id}/pay-card").headers["Location"]
    stub.decline(DECLINED_CARD, "insufficient_funds")
    declined = client.post(pay_page, data={"attempt": "a1", "payment_method": DECLINED_CARD})
    assert declined.status_code == 303
    text = client.get(pay_page).get_data(as_text=True)
    assert "The card has insufficient funds." in text and "Pay CN¥99.00 now" in text
    assert _payment(hold).status == PaymentStatus.FAILED and _order(hold).status == OrderStatus.CONFIRMED
    assert _counts(launch) == (0, 1, 0)
    assert "The card has insufficient funds." in _page(client, launch)  # told on the launch page too

    assert client.post(pay_page, data={"attempt": "a2", "payment_method": TEST_CARD}).status_code == 303
    assert _payment(hold).status == PaymentStatus.SUCCEEDED and _order(hold).status == OrderStatus.PAID
    assert _counts(launch) == (1, 0, 0) and len(_intents(stub)) == 1


def test_the_api_pays_by_card_with_a_payment_method_and_retries_after_a_decline(client, stub):
    launch = make_launch(stock=2, price=5000)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    stub.decline(DECLINED_CARD, "insufficient_funds")
    declined = _pay(client, hold, member, method="card", payment_method=DECLINED_CARD)
    assert declined.status_code == 200 and declined.json["status"] == "ordered"
    payment = declined.json["payment"]
    assert (payment["method"], payment["status"], payment["amount"]) == ("card", "failed", 5000)
    assert payment["reason"] == "The card has insufficient funds." and payment["pay_url"] and payment["pay_by"]
    assert _counts(launch) == (0, 1, 1)

    paid = _pay(client, hold, member, method="card", payment_method=TEST_CARD)
    assert paid.status_code == 200 and paid.json["payment"]["status"] == "succeeded"
    assert paid.json["payment"]["client_secret"] is None and paid.json["order_id"] == _order(hold).id
    assert _order(hold).status == OrderStatus.PAID and _counts(launch) == (1, 0, 1)
    assert len(_intents(stub)) == 1 and count(Order) == 1


def test_the_api_card_answer_has_what_a_client_needs_to_finish_the_payment(client, stub):
    launch = make_launch(stock=2)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    answer = _pay(client, hold, member, method="card")
    payment = answer.json["payment"]
    intent = _intents(stub)[0]
    assert answer.status_code == 200 and payment["status"] == "requires_action"
    assert payment["client_secret"] == intent["client_secret"] and "/pay/" in payment["pay_url"]
    assert intent["amount"] == 9900 and intent["metadata"]["reference"] == f"hold:{hold.id}"


def test_a_card_not_paid_in_time_cancels_the_order_and_its_unit_goes_to_the_waitlist(client, stub):
    launch, member, hold = _paying_by_card(client)
    waiting = add_member(launch.communities[0])
    waitlist.join(waiting, launch.id)
    db.session.commit()

    clock.advance(timedelta(minutes=14))
    assert hold_payment_jobs.expire_unpaid_card_orders() == {}  # within the grace: still theirs
    assert _order(hold).status == OrderStatus.CONFIRMED
    clock.advance(timedelta(minutes=1))
    assert hold_payment_jobs.expire_unpaid_card_orders() == {_payment(hold).id: "closed"}
    assert _order(hold).status == OrderStatus.CANCELLED and _fresh(Hold, hold.id).status == HoldStatus.EXPIRED
    assert _payment(hold).status == PaymentStatus.CANCELLED and _intents(stub)[0]["status"] == "canceled"
    assert db.session.get(Allowance, (launch.id, member.id)).units == 0
    offered = db.session.execute(sa.select(Hold).where(Hold.user_id == waiting.id)).scalar_one()
    assert offered.status == HoldStatus.HELD and waitlist.my_entry(waiting, launch.id).status == WaitlistStatus.OFFERED
    assert _counts(launch) == (0, 1, 0)

    late = _pay(client, hold, member, method="card", payment_method=TEST_CARD)
    assert late.status_code == 409 and late.json["error"]["code"] == "hold_expired"
    assert hold_payment_jobs.expire_unpaid_card_orders() == {}
    told = db.session.execute(sa.select(Notification).where(Notification.kind == "launch_card_lapsed")).scalars().all()
    assert [(n.user_id, n.link) for n in told] == [(member.id, f"/c/{launch.communities[0].slug}/launches/{launch.id}")]


def test_a_card_payment_that_succeeds_after_the_order_was_cancelled_is_refunded(client, stub):
    launch, member, hold = _paying_by_card(client)
    payment = _payment(hold)
    clock.advance(timedelta(minutes=16))
    stub.fail_next(500)  # Stripe does not hear the cancel: the intent can still be paid
    assert hold_payment_jobs.expire_unpaid_card_orders() == {payment.id: "closed"}
    assert _order(hold).status == OrderStatus.CANCELLED and _counts(launch) == (0, 0, 1)

    event = stub.event("payment_intent.succeeded", _in_the_browser(stub, _payment(hold)))
    assert deliver(client, event).status_code == 200
    assert _payment(hold).status == PaymentStatus.SUCCEEDED
    refund = db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.REFUND)).scalar_one()
    assert (refund.amount, refund.reference, refund.status) == (9900, f"hold:{hold.id}", PaymentStatus.SUCCEEDED)
    assert stub.of_kind("refund")[0]["payment_intent"] == payment.gateway_id
    assert _order(hold).status == OrderStatus.CANCELLED and _counts(launch) == (0, 0, 1)  # nothing sold
    assert deliver(client, stub.event("payment_intent.succeeded", payment.gateway_id)).status_code == 200
    assert hold_payment_jobs.expire_unpaid_card_orders() == {}
    assert count(Payment, Payment.purpose == PaymentPurpose.REFUND) == 1 and len(stub.of_kind("refund")) == 1


def test_the_sweeper_refunds_a_late_success_whose_refund_job_was_lost(client, stub, monkeypatch):
    launch, member, hold = _paying_by_card(client)
    clock.advance(timedelta(minutes=16))
    stub.fail_next(500)
    hold_payment_jobs.expire_unpaid_card_orders()
    monkeypatch.setattr(hold_payment_jobs, "refund_late_payment", lambda _payment_id: None)  # the job is lost
    deliver(client, stub.event("payment_intent.succeeded", _in_the_browser(stub, _payment(hold))))
    assert count(Payment, Payment.purpose == PaymentPurpose.REFUND) == 0
    monkeypatch.undo()
    assert hold_payment_jobs.expire_unpaid_card_orders() == {_payment(hold).id: "refunded"}
    assert count(Payment, Payment.purpose == PaymentPurpose.REFUND, Payment.status == PaymentStatus.SUCCEEDED) == 1
    assert hold_payment_jobs.expire_unpaid_card_orders() == {}


def test_a_waitlist_offer_paid_by_card_is_claimed_once_paid(client, stub):
    launch = make_launch(stock=1)
    make_hold(launch)
    waiting = add_member(launch.communities[0])
    waitlist.join(waiting, launch.id)
    db.session.commit()
    from launches import stock

    stock.add_stock(launch.id, 1)
    offer = waitlist.offer_restock(launch.id)[0]
    db.session.commit()
    _pay(client, offer, waiting, method="card")
    assert waitlist.my_entry(waiting, launch.id).status == WaitlistStatus.OFFERED
    assert _pay(client, offer, waiting, method="card", payment_method=TEST_CARD).json["payment"]["status"] == \
        "succeeded"
    db.session.expire_all()
    assert waitlist.my_entry(waiting, launch.id).status == WaitlistStatus.CLAIMED


def test_paying_offline_still_works_as_before_also_when_the_app_takes_cards(client, stub):
    launch = make_launch(stock=3)
    member, other = add_member(launch.communities[0]), add_member(launch.communities[0])
    hold, second = make_hold(launch, member), make_hold(launch, other)
    answer = client.post(f"/api/v1/launches/{launch.id}/holds/{hold.id}/pay", headers=token_headers(member))
    assert answer.status_code == 200 and answer.json["status"] == "ordered"
    assert answer.json["payment"]["method"] == "offline" and answer.json["payment"]["status"] == "pending"
    assert _pay(client, second, other, method="offline").json["payment"]["method"] == "offline"
    payment = _payment(hold)
    assert payment.gateway == "offline" and _counts(launch) == (2, 0, 1) and not _intents(stub)
    mark_paid_offline(True, payment.id)
    db.session.commit()
    assert _order(hold).status == OrderStatus.PAID

    by_card = _pay(client, hold, member, method="card")
    assert by_card.status_code == 409 and by_card.json["error"]["code"] == "paying_offline"


def test_a_hold_being_paid_by_card_is_not_paid_offline_too(client, stub):
    launch = make_launch(stock=2)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    _pay(client, hold, member, method="card")
    offline = _pay(client, hold, member)
    assert offline.status_code == 409 and offline.json["error"]["code"] == "paying_by_card"
    assert count(Payment) == 1 and _payment(hold).gateway == "stripe"


def test_card_is_refused_when_the_app_takes_no_cards_and_bad_bodies_are_422(client):
    launch = make_launch(stock=2)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    refused = _pay(client, hold, member, method="card")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "card_unavailable"
    assert _pay(client, hold, member, method="bitcoin").status_code == 422
    mixed = _pay(client, hold, member, method="offline", payment_method=TEST_CARD)
    assert mixed.status_code == 422 and "payment_method" in mixed.json["error"]["fields"]
    assert _fresh(Hold, hold.id).status == HoldStatus.HELD and count(Order) == 0


def test_an_expired_hold_cannot_be_paid_by_card(client, stub):
    clock.freeze()
    launch = make_launch(stock=2, checkout_minutes=10)
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    clock.advance(timedelta(minutes=10))
    answer = _pay(client, hold, member, method="card")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "hold_expired"
    assert count(Order) == 0 and not _intents(stub)


def test_the_card_sweeper_runs_every_minute():
    assert ("launches.hold_payment_jobs:expire_unpaid_card_orders", 60) in app_module.PERIODIC_JOBS
