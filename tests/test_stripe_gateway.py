"""The Stripe gateway drives stripe's own library against a local stub of Stripe's API: the right calls
with the right idempotency keys, and whatever Stripe answers — declines, 5xx, silence — comes back as a
result, never an exception."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from core.extensions import db
from payments import services
from payments.gateway import gateway_named
from payments.models import GatewayCustomer, PaymentPurpose, PaymentStatus
from payments.stripe_gateway import stripe_gateway
from tests.factories import make_user
from tests.payment_helpers import TEST_CARD, fresh, make_payment, paid_deposit, stripe_stub_fixture  # noqa: F401


def test_a_deposit_is_a_payment_intent_that_saves_the_card_for_the_balance(stub):
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=780)
    outcome = services.take_deposit(deposit.id)
    db.session.commit()

    created = stub.posts("/v1/payment_intents")
    assert len(created) == 1
    params = created[0].params
    assert params["setup_future_usage"] == "off_session"
    assert params["amount"] == "780" and params["currency"] == "cny"
    assert params["automatic_payment_methods"]["enabled"] == "true"
    assert params["customer"] == stub.of_kind("customer")[0]["id"]
    assert created[0].idempotency_key == deposit.idempotency_key == f"deposit-{deposit.reference.replace(':', '-')}"
    assert outcome.client_secret.startswith(fresh(deposit).gateway_id + "_secret")
    assert fresh(deposit).status == PaymentStatus.PENDING


def test_taking_the_same_deposit_again_creates_nothing_new_at_stripe(stub):
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=780)
    services.take_deposit(deposit.id)
    db.session.commit()
    services.take_deposit(deposit.id)
    db.session.commit()
    # The gateway itself, called twice with the same payment, is answered from Stripe's idempotency store.
    gateway = stripe_gateway()
    customer = db.session.execute(db.select(GatewayCustomer)).scalar_one()
    first = gateway.start_deposit(fresh(deposit), customer, True)
    again = gateway.start_deposit(fresh(deposit), customer, True)

    assert len(stub.of_kind("payment_intent")) == 1
    assert [r.path for r in stub.requests if r.method == "GET"] == [f"/v1/payment_intents/{first.gateway_id}"]
    assert first.gateway_id == again.gateway_id == fresh(deposit).gateway_id
    assert len(stub.posts("/v1/customers")) == 1
    assert {r.idempotency_key for r in stub.posts("/v1/payment_intents")} == {deposit.idempotency_key}


def test_a_deposit_of_zero_is_a_setup_intent(stub):
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=0)
    services.take_deposit(deposit.id, payment_method=TEST_CARD)
    db.session.commit()

    assert stub.posts("/v1/payment_intents") == []
    [setup] = stub.posts("/v1/setup_intents")
    assert setup.params["usage"] == "off_session" and setup.idempotency_key == deposit.idempotency_key
    assert fresh(deposit).status == PaymentStatus.SUCCEEDED and fresh(deposit).gateway_id.startswith("seti_")
    customer = db.session.execute(db.select(GatewayCustomer)).scalar_one()
    assert customer.payment_method_id == TEST_CARD


def test_the_balance_is_charged_off_session_on_the_saved_card(stub):
    user = make_user()
    paid_deposit(user, card="pm_card_mastercard")
    balance = make_payment(PaymentPurpose.BALANCE, user=user, amount=2100)
    services.charge_balance(balance.id)
    db.session.commit()

    [charge] = [r for r in stub.posts("/v1/payment_intents") if r.idempotency_key == balance.idempotency_key]
    assert charge.params["off_session"] == "true" and charge.params["confirm"] == "true"
    assert charge.params["payment_method"] == "pm_card_mastercard"
    assert "setup_future_usage" not in charge.params
    paid = fresh(balance)
    assert paid.status == PaymentStatus.SUCCEEDED and paid.paid_at is not None
    assert stub.objects[paid.gateway_id]["amount_received"] == 2100


def test_a_declined_card_is_a_failed_result_with_stripes_reason(stub):
    user = make_user()
    paid_deposit(user, card="pm_card_chargeDeclined")
    stub.decline("pm_card_chargeDeclined", "insufficient_funds")
    balance = make_payment(user=user)
    result = stripe_gateway().charge_off_session(balance, db.session.execute(db.select(GatewayCustomer)).scalar_one())

    assert result.status == PaymentStatus.FAILED
    assert result.failure_code == "insufficient_funds"
    assert result.failure_message == "Your card has insufficient funds."
    assert stub.objects[result.gateway_id]["status"] == "requires_payment_method"


def test_a_member_whose_cards_are_all_refused_is_declined_by_customer(stub):
    user = make_user()
    paid_deposit(user)
    customer = db.session.execute(db.select(GatewayCustomer)).scalar_one()
    stub.decline(customer.customer_id, "expired_card")
    result = stripe_gateway().charge_off_session(make_payment(user=user), customer)
    assert (result.status, result.failure_code) == (PaymentStatus.FAILED, "expired_card")


def test_a_card_that_needs_its_holder_off_session_asks_for_the_member(stub):
    user = make_user()
    paid_deposit(user)
    stub.require_authentication(TEST_CARD)
    balance = make_payment(user=user)
    result = stripe_gateway().charge_off_session(balance, db.session.execute(db.select(GatewayCustomer)).scalar_one())

    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.failure_code == "authentication_required"
    assert result.gateway_id.startswith("pi_")


def test_a_server_error_at_stripe_is_a_failure_result_and_the_payment_stays_to_be_retried(stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    stub.fail_next(503)
    services.charge_balance(balance.id)
    db.session.commit()

    waiting = fresh(balance)
    assert waiting.status == PaymentStatus.PENDING and waiting.failure_code == "gateway_unavailable"
    services.charge_balance(balance.id)
    db.session.commit()
    assert fresh(balance).status == PaymentStatus.SUCCEEDED
    keys = [r.idempotency_key for r in stub.posts("/v1/payment_intents")][-2:]
    assert keys == [balance.idempotency_key, balance.idempotency_key]


def test_a_stripe_that_does_not_answer_in_time_is_a_failure_result(app, stub):
    user = make_user()
    paid_deposit(user)
    balance = make_payment(user=user)
    app.config["STRIPE_TIMEOUT_SECONDS"] = 0.2
    stub.hang_next(1.0)
    result = gateway_named("stripe").charge_off_session(
        balance, db.session.execute(db.select(GatewayCustomer)).scalar_one())

    assert result.status == PaymentStatus.PENDING
    assert result.failure_code == "gateway_unavailable"


def test_a_refund_goes_back_to_the_deposits_payment_intent(stub):
    user = make_user()
    deposit = paid_deposit(user, amount=900)
    refund = services.refund_deposit(deposit.id)
    db.session.commit()
    again = services.refund_deposit(deposit.id)
    db.session.commit()

    [call] = stub.posts("/v1/refunds")
    assert call.params == {"payment_intent": fresh(deposit).gateway_id, "amount": "900",
                           "metadata": {"reference": deposit.reference, "payment": str(refund.id)}}
    assert call.idempotency_key == refund.idempotency_key
    assert again.id == refund.id
    assert fresh(refund).status == PaymentStatus.SUCCEEDED and fresh(refund).gateway_id.startswith("re_")
    assert fresh(refund).purpose == PaymentPurpose.REFUND and fresh(refund).amount == 900


def test_a_deposit_is_refused_clearly_when_stripe_cannot_be_reached(stub):
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user)
    stub.fail_next(500)
    with pytest.raises(DomainError) as refused:
        services.take_deposit(deposit.id)
    assert refused.value.code == "gateway_unavailable" and refused.value.status == 503
    assert fresh(deposit).status == PaymentStatus.PENDING and fresh(deposit).gateway_id is None
