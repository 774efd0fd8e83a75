"""Helpers for the payments tests: the Stripe stub as a fixture, payment factories, signed webhooks and a
fake clock for rate budgets. (Import the fixture as ``stripe_stub_fixture``; tests ask for ``stub``.)"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

import pytest

from core.extensions import db
from payments import services
from payments.models import Payment, PaymentPurpose
from tests.factories import make_user
from tests.stripe_stub import StripeStub

WEBHOOK_SECRET = "whsec_test_tuan"
TEST_CARD = "pm_card_visa"
_refs = itertools.count(1)
_STRIPE_SETTINGS = ("PAYMENT_GATEWAY", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET",
                    "STRIPE_MAX_NETWORK_RETRIES", "STRIPE_TIMEOUT_SECONDS", "STRIPE_RATE_LIMIT_PER_SECOND")


@pytest.fixture(name="stub")
def stripe_stub_fixture(app):
    """The app pays through Stripe, and Stripe is a stub on 127.0.0.1 (any free port)."""
    stub = StripeStub().start()
    saved = {key: app.config.get(key) for key in _STRIPE_SETTINGS}
    app.config.update(PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_tuan", STRIPE_API_BASE=stub.url,
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_MAX_NETWORK_RETRIES=0,
                      STRIPE_TIMEOUT_SECONDS=2.0, STRIPE_RATE_LIMIT_PER_SECOND=10_000)
    try:
        yield stub
    finally:
        app.config.update(saved)
        stub.stop()


def reference() -> str:
    return f"pledge:{next(_refs)}"


def make_payment(purpose: PaymentPurpose = PaymentPurpose.BALANCE, *, user=None, amount: int = 2600,
                 currency: str = "CNY", ref: str | None = None) -> Payment:
    payment = services.create_payment(purpose, ref or reference(), user or make_user(), amount, currency)
    db.session.commit()
    return payment


def paid_deposit(user, *, amount: int = 500, card: str = TEST_CARD, ref: str | None = None) -> Payment:
    """A deposit taken on ``card`` (confirmed at once), which saves the card for the balance."""
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=amount, ref=ref)
    services.take_deposit(deposit.id, payment_method=card)
    db.session.commit()
    return deposit


def fresh(payment: Payment) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe documents it: ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``,
    at the real current time (stripe's library checks its tolerance against the real clock)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    payload = json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": signature(payload, secret, timestamp)})


class FakeClock:
    """Monotonic seconds that move only when someone sleeps on them."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
