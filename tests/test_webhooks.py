"""Stripe's webhooks: verified with stripe's library, recorded by event id before they act, and harmless
however often and in whatever order they come — a payment only ever moves forward."""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from core.extensions import db
from payments import services
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus, WebhookEvent
from payments.stripe_gateway import stripe_gateway
from tests.factories import count, make_user
from tests.payment_helpers import (  # noqa: F401
    TEST_CARD,
    deliver,
    fresh,
    make_payment,
    paid_deposit,
    signature,
    stripe_stub_fixture,
)


def _customer(user) -> GatewayCustomer:
    return db.session.execute(db.select(GatewayCustomer).filter_by(user_id=user.id)).scalar_one()


def _unrecorded(payment: Payment, result) -> None:
    """The gateway answered, but only the id was kept (as if the answer itself was lost): only webhooks
    can tell what happened."""
    payment.gateway_id = result.gateway_id
    db.session.commit()


def _story(stub) -> tuple[list[Payment], list[dict]]:
    """A declined balance paid later; a balance whose bank wants its holder; a refunded deposit. Returns
    the payments and the events Stripe sent about them, in the order it sent them."""
    gateway, user, events = stripe_gateway(), make_user(), []
    card = f"pm_card_{user.id}"
    deposit = paid_deposit(user, card=card)

    declined = make_payment(user=user)
    stub.decline(card)
    _unrecorded(declined, gateway.charge_off_session(declined, _customer(user)))
    events.append(stub.event("payment_intent.payment_failed", declined.gateway_id))
    stub.accept(card)
    gateway.confirm_on_session(declined, "again")
    events.append(stub.event("payment_intent.succeeded", declined.gateway_id))

    needs_holder = make_payment(user=user)
    stub.require_authentication(card)
    _unrecorded(needs_holder, gateway.charge_off_session(needs_holder, _customer(user)))
    events.append(stub.event("payment_intent.payment_failed", needs_holder.gateway_id))
    gateway.confirm_on_session(needs_holder, "on-session")
    events.append(stub.event("payment_intent.requires_action", needs_holder.gateway_id))

    refund = services.create_payment(PaymentPurpose.REFUND, deposit.reference, user, deposit.amount, "CNY")
    db.session.commit()
    _unrecorded(refund, gateway.refund(refund, deposit))
    events.append(stub.event("charge.refunded", stub.objects[deposit.gateway_id]["latest_charge"]))
    return [declined, needs_holder, refund], events


def _statuses(payments: list[Payment]) -> list[PaymentStatus]:
    return [fresh(p).status for p in payments]


def test_events_replayed_three_times_in_shuffled_order_end_as_if_delivered_once_in_order(client, stub):
    in_order, events = _story(stub)
    shuffled, replayed = _story(stub)
    assert _statuses(in_order) == _statuses(shuffled) == [PaymentStatus.PENDING] * 3

    for event in events:
        assert deliver(client, event).status_code == 200
    deliveries = replayed * 3
    random.Random(20261122).shuffle(deliveries)
    answers = [deliver(client, event) for event in deliveries]

    expected = [PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_ACTION, PaymentStatus.SUCCEEDED]
    assert _statuses(in_order) == expected
    assert _statuses(shuffled) == expected
    assert [fresh(p).failure_code for p in shuffled] == [fresh(p).failure_code for p in in_order]
    assert all(answer.status_code == 200 for answer in answers)
    assert sum(answer.json["duplicate"] for answer in answers) == 2 * len(replayed)
    assert count(WebhookEvent) == len(events) + len(replayed)


def test_an_old_failure_arriving_after_success_is_ignored(client, stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    stub.decline(TEST_CARD)
    _unrecorded(balance, stripe_gateway().charge_off_session(balance, _customer(user)))
    failed = stub.event("payment_intent.payment_failed", balance.gateway_id)
    stub.accept(TEST_CARD)
    stripe_gateway().confirm_on_session(balance, "again")
    succeeded = stub.event("payment_intent.succeeded", balance.gateway_id)

    deliver(client, succeeded)
    deliver(client, failed)
    paid = fresh(balance)
    assert paid.status == PaymentStatus.SUCCEEDED and paid.failure_code is None and paid.paid_at is not None


def test_a_duplicate_event_is_answered_and_does_nothing(client, stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    _unrecorded(balance, stripe_gateway().charge_off_session(balance, _customer(user)))
    event = stub.event("payment_intent.succeeded", balance.gateway_id)

    first, second = deliver(client, event), deliver(client, event)
    assert first.status_code == second.status_code == 200
    assert (first.json["duplicate"], second.json["duplicate"]) == (False, True)
    ledger = db.session.execute(db.select(WebhookEvent)).scalar_one()
    assert (ledger.gateway, ledger.event_id, ledger.type) == ("stripe", event["id"], "payment_intent.succeeded")


def test_a_bad_signature_gets_400_and_changes_nothing(client, stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    _unrecorded(balance, stripe_gateway().charge_off_session(balance, _customer(user)))
    event = stub.event("payment_intent.succeeded", balance.gateway_id)
    payload = json.dumps(event).encode()

    forged = deliver(client, event, secret="whsec_someone_else")
    stale = deliver(client, event, timestamp=int(time.time()) - 600)
    unsigned = client.post("/webhooks/stripe", data=payload, content_type="application/json")
    tampered = client.post("/webhooks/stripe", data=payload.replace(b"succeeded", b"cancelled"),
                           content_type="application/json", headers={"Stripe-Signature": signature(payload)})
    not_json = client.post("/webhooks/stripe", data=b"{not json", content_type="application/json",
                           headers={"Stripe-Signature": signature(b"{not json")})

    assert [r.status_code for r in (forged, stale, unsigned, tampered, not_json)] == [400] * 5
    assert "could not be verified" in forged.get_data(as_text=True)
    assert count(WebhookEvent) == 0
    assert fresh(balance).status == PaymentStatus.PENDING


def test_a_deposit_paid_in_the_browser_saves_the_card_when_stripe_says_so(client, stub):
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=600)
    services.take_deposit(deposit.id)
    db.session.commit()
    stripe_gateway().confirm_on_session(fresh(deposit), "browser", "pm_card_from_browser")
    deliver(client, stub.event("payment_intent.succeeded", fresh(deposit).gateway_id))

    assert fresh(deposit).status == PaymentStatus.SUCCEEDED
    assert _customer(user).payment_method_id == "pm_card_from_browser"


def test_an_event_about_something_we_do_not_know_is_recorded_and_ignored(client, stub):
    user = make_user()
    paid_deposit(user)
    foreign = stripe_gateway().charge_off_session(make_payment(user=user), _customer(user))
    answer = deliver(client, stub.event("payment_intent.succeeded", foreign.gateway_id))
    other = deliver(client, {**stub.event("payment_intent.succeeded", foreign.gateway_id),
                             "type": "customer.created"})
    assert answer.status_code == other.status_code == 200
    assert count(WebhookEvent) == 2


def test_without_a_webhook_secret_there_is_no_webhook(app, client, stub):
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    answer = deliver(client, {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}})
    assert answer.status_code == 404
    assert count(WebhookEvent) == 0


def test_the_same_event_delivered_at_the_same_moment_acts_once(app, stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    _unrecorded(balance, stripe_gateway().charge_off_session(balance, _customer(user)))
    event = stub.event("payment_intent.succeeded", balance.gateway_id)
    start = threading.Barrier(6)

    def deliver_at_once():
        client = app.test_client()
        start.wait()
        return deliver(client, event)

    with ThreadPoolExecutor(6) as pool:
        answers = [future.result() for future in [pool.submit(deliver_at_once) for _ in range(6)]]

    assert [answer.status_code for answer in answers] == [200] * 6
    assert sorted(answer.json["duplicate"] for answer in answers) == [False] + [True] * 5
    assert count(WebhookEvent) == 1
    assert fresh(balance).status == PaymentStatus.SUCCEEDED
