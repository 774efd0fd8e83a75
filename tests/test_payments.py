"""Payments as the packages above use them: created once per key, taken offline or by card, balances
charged in independent batches within a rate budget, declines followed by dunning and a pay link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.errors import DomainError
from core.extensions import db
from payments import dunning, jobs, services
from payments.budget import RateBudget
from payments.models import Payment, PaymentPurpose, PaymentStatus
from tests.factories import count, make_user
from tests.payment_helpers import (  # noqa: F401
    TEST_CARD,
    FakeClock,
    fresh,
    make_payment,
    paid_deposit,
    reference,
    stripe_stub_fixture,
)

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _pay_path(payment: Payment) -> str:
    return f"/pay/{dunning.pay_token(payment)}"


def test_a_payment_is_created_once_per_idempotency_key():
    user = make_user()
    first = services.create_payment(PaymentPurpose.DEPOSIT, "pledge:7", user, 500, "cny")
    again = services.create_payment(PaymentPurpose.DEPOSIT, "pledge:7", user, 500, "CNY")
    db.session.commit()

    assert again.id == first.id and first.idempotency_key == "deposit-pledge-7"
    assert first.gateway == "offline" and first.currency == "CNY"
    assert count(Payment) == 1
    with pytest.raises(DomainError) as refused:
        services.create_payment(PaymentPurpose.DEPOSIT, "pledge:7", user, 900, "CNY")
    assert refused.value.code == "idempotency_mismatch" and refused.value.status == 409


def test_a_negative_amount_or_an_unknown_currency_is_refused_and_nothing_is_written():
    with pytest.raises(DomainError) as refused:
        services.create_payment(PaymentPurpose.BALANCE, "pledge:8", make_user(), -1, "CNY")
    assert refused.value.code == "invalid_amount"
    with pytest.raises(DomainError) as refused:
        services.create_payment(PaymentPurpose.BALANCE, "pledge:8", make_user(), 100, "yuan")
    assert refused.value.code == "invalid_currency"
    assert count(Payment) == 0


def test_offline_payments_wait_for_the_shopkeeper_to_confirm_them():
    user = make_user()
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=500)
    services.take_deposit(deposit.id)
    balance = make_payment(PaymentPurpose.BALANCE, user=user, amount=2100)
    services.charge_balance(balance.id)
    db.session.commit()
    assert fresh(deposit).status == fresh(balance).status == PaymentStatus.PENDING

    clock.freeze(NOON)
    services.mark_paid_offline(True, balance.id)
    db.session.commit()
    confirmed = fresh(balance)
    assert confirmed.status == PaymentStatus.SUCCEEDED and confirmed.paid_at == NOON
    clock.advance(timedelta(hours=1))
    services.mark_paid_offline(True, balance.id)  # twice: nothing changes
    db.session.commit()
    assert fresh(balance).paid_at == NOON


def test_only_someone_allowed_may_confirm_an_offline_payment():
    balance = make_payment()
    with pytest.raises(DomainError) as refused:
        services.mark_paid_offline(False, balance.id)
    assert refused.value.status == 403
    assert fresh(balance).status == PaymentStatus.PENDING


def test_a_card_payment_cannot_be_confirmed_by_hand(stub):
    balance = make_payment()
    with pytest.raises(DomainError) as refused:
        services.mark_paid_offline(True, balance.id)
    assert refused.value.code == "not_offline"


def test_an_offline_deposit_is_refunded_by_the_shopkeeper_handing_it_back():
    deposit = make_payment(PaymentPurpose.DEPOSIT, amount=500)
    services.mark_paid_offline(True, deposit.id)
    refund = services.refund_deposit(deposit.id)
    db.session.commit()
    assert refund.status == PaymentStatus.PENDING and refund.amount == 500
    services.mark_paid_offline(True, refund.id)
    db.session.commit()
    assert fresh(refund).status == PaymentStatus.SUCCEEDED


def test_an_unpaid_deposit_is_cancelled_rather_than_refunded():
    deposit = make_payment(PaymentPurpose.DEPOSIT, amount=500)
    assert services.refund_deposit(deposit.id) is None
    db.session.commit()
    assert fresh(deposit).status == PaymentStatus.CANCELLED
    assert count(Payment, Payment.purpose == PaymentPurpose.REFUND) == 0


def test_a_declined_balance_enters_dunning_with_a_pay_link_and_a_deadline(client, stub):
    clock.freeze(NOON)
    user = make_user()
    paid_deposit(user)
    stub.decline(TEST_CARD, "insufficient_funds")
    balance = make_payment(user=user, amount=2100)
    services.charge_balance(balance.id)
    db.session.commit()

    declined = fresh(balance)
    assert declined.status == PaymentStatus.FAILED and declined.failure_code == "insufficient_funds"
    assert declined.action_due_at == NOON + timedelta(hours=72)
    page = client.get(_pay_path(declined))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The card has insufficient funds." in text and "21.00" in text
    # the card form of Stripe's script, where it can be loaded, confirms with the intent's client secret
    assert f'data-client-secret="{stub.objects[declined.gateway_id]["client_secret"]}"' in text
    assert client.get("/pay/not-a-token").status_code == 404


def test_paying_on_session_later_completes_a_declined_balance(client, stub):
    user = make_user()
    paid_deposit(user)
    stub.decline(TEST_CARD)
    balance = make_payment(user=user, amount=2100)
    services.charge_balance(balance.id)
    db.session.commit()

    refused = client.post(_pay_path(balance), data={"attempt": "try-1"})
    assert refused.status_code == 303 and fresh(balance).status == PaymentStatus.FAILED
    stub.accept(TEST_CARD)  # the member topped up the card
    paid = client.post(_pay_path(balance), data={"attempt": "try-2"})

    assert paid.status_code == 303
    done = fresh(balance)
    assert done.status == PaymentStatus.SUCCEEDED and done.paid_at is not None and done.failure_code is None
    confirms = [r for r in stub.requests if r.path.endswith("/confirm")]
    assert [r.idempotency_key for r in confirms] == [f"{balance.idempotency_key}-confirm-try-1",
                                                    f"{balance.idempotency_key}-confirm-try-2"]
    assert "This payment is paid" in client.get(_pay_path(balance)).get_data(as_text=True)
    again = client.post(_pay_path(balance), data={"attempt": "try-3"})
    assert again.status_code == 409 and len([r for r in stub.requests if r.path.endswith("/confirm")]) == 2


def test_a_card_that_needs_its_holder_is_paid_once_they_authenticate(client, stub):
    user = make_user()
    paid_deposit(user)
    stub.require_authentication(TEST_CARD)
    balance = make_payment(user=user)
    services.charge_balance(balance.id)
    db.session.commit()
    assert fresh(balance).status == PaymentStatus.REQUIRES_ACTION
    assert fresh(balance).failure_code == "authentication_required"

    client.post(_pay_path(balance), data={"attempt": "a"})
    assert stub.objects[fresh(balance).gateway_id]["status"] == "requires_action"
    stub.accept(TEST_CARD)  # the bank's challenge passed
    client.post(_pay_path(balance), data={"attempt": "b"})
    assert fresh(balance).status == PaymentStatus.SUCCEEDED


def test_after_the_grace_period_the_sweeper_cancels_the_balance_and_names_it(client, stub):
    clock.freeze(NOON)
    user = make_user()
    paid_deposit(user)
    stub.decline(TEST_CARD)
    declined = make_payment(user=user, ref="pledge:101")
    on_time = make_payment(user=user, ref="pledge:102")
    jobs.charge_balances([declined.id])
    clock.advance(timedelta(hours=1))
    jobs.charge_balances([on_time.id])

    clock.advance(timedelta(hours=71))  # 72 h after the first decline, 71 h after the second
    assert jobs.expire_overdue_payments() == ["pledge:101"]
    assert fresh(declined).status == PaymentStatus.CANCELLED
    assert stub.objects[fresh(declined).gateway_id]["status"] == "canceled"
    assert fresh(on_time).status == PaymentStatus.FAILED
    assert jobs.expire_overdue_payments() == []

    stub.accept(TEST_CARD)
    late = client.post(_pay_path(declined), data={"attempt": "late"})
    assert late.status_code == 410
    assert "The time to pay this has run out." in client.get(_pay_path(declined)).get_data(as_text=True)
    assert fresh(declined).status == PaymentStatus.CANCELLED


def test_the_grace_period_is_configurable(app, stub):
    clock.freeze(NOON)
    app.config["PAYMENT_GRACE_HOURS"] = 24
    try:
        user = make_user()
        paid_deposit(user)
        stub.decline(TEST_CARD)
        balance = make_payment(user=user)
        services.charge_balance(balance.id)
        db.session.commit()
    finally:
        app.config["PAYMENT_GRACE_HOURS"] = 72
    assert fresh(balance).action_due_at == NOON + timedelta(hours=24)


def test_one_bad_card_never_stops_the_others_in_a_batch(stub):
    good, bad, other = make_user(), make_user(), make_user()
    for user, card in ((good, "pm_card_visa"), (bad, "pm_card_chargeDeclined"), (other, "pm_card_amex")):
        paid_deposit(user, card=card)
    stub.decline("pm_card_chargeDeclined")
    balances = [make_payment(user=user) for user in (good, bad, other)]
    ids = [b.id for b in balances]
    outcome = jobs.charge_balances([ids[0], ids[1], 2**31 - 1, ids[2]])

    assert outcome[2**31 - 1] is None  # no such payment: logged, and the batch goes on
    assert [fresh(b).status for b in balances] == [PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                                                   PaymentStatus.SUCCEEDED]
    # Run again (or at once elsewhere): nobody is charged twice.
    jobs.charge_balances(ids)
    charges = [r for r in stub.posts("/v1/payment_intents") if r.params.get("off_session") == "true"]
    assert len(charges) == 3


def test_a_batch_stays_within_the_rate_budget(stub):
    user = make_user()
    paid_deposit(user)
    balances = [make_payment(user=user, amount=100) for _ in range(100)]
    fake = FakeClock()
    budget = RateBudget(50, clock=fake, sleep=fake.sleep)
    moments: list[float] = []
    take = budget.take
    budget.take = lambda: (take(), moments.append(fake.now))
    jobs.charge_balances([b.id for b in balances], budget=budget)

    assert len(moments) == 100 and round(fake.now, 6) >= 2.0
    # never more than 50 calls in any second
    assert all(round(later - earlier, 6) >= 1 for earlier, later in zip(moments, moments[50:], strict=False))
    assert count(Payment, Payment.status == PaymentStatus.SUCCEEDED) == 101


def test_the_rate_budget_lets_slow_calls_through_without_waiting():
    fake = FakeClock()
    budget = RateBudget(10, clock=fake, sleep=fake.sleep)
    budget.take()
    fake.now += 5  # a slow call
    budget.take()
    assert fake.sleeps == [pytest.approx(0.1)]
    with pytest.raises(ValueError):
        RateBudget(0)


def test_payments_for_a_reference_are_listed_in_order(stub):
    user = make_user()
    ref = reference()
    deposit = paid_deposit(user, ref=ref)
    balance = make_payment(user=user, ref=ref)
    assert [p.id for p in services.payments_for(ref)] == [deposit.id, balance.id]


def test_payments_for_many_references_come_back_grouped_in_one_query(stub):
    from tests.social_factories import counting_queries

    user = make_user()
    first = services.create_payment(PaymentPurpose.DEPOSIT, "pledge:1", user, 100, "CNY")
    second = services.create_payment(PaymentPurpose.BALANCE, "pledge:1", user, 900, "CNY")
    db.session.commit()
    with counting_queries() as statements:
        found = services.payments_for_many(["pledge:1", "pledge:2"])
    assert {ref: [p.id for p in rows] for ref, rows in found.items()} == {
        "pledge:1": [first.id, second.id], "pledge:2": []}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
