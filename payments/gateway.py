"""The gateway protocol: what every way of taking money (offline, Stripe) offers the services, and the
small values it answers with. The services never see a gateway's own types or errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from payments.models import GatewayCustomer, Payment, PaymentStatus


@dataclass(frozen=True)
class GatewayResult:
    """What a gateway says about one payment after a call (or in an event). A refusal is a result too:
    ``failure_code`` set, never an exception."""

    status: PaymentStatus
    gateway_id: str | None = None  #: the gateway's object (pi_…, seti_…, re_…)
    client_secret: str | None = None  #: for the member's browser to finish the payment on-session
    failure_code: str | None = None  #: the decline code ("insufficient_funds") or our own ("gateway_error")
    failure_message: str | None = None
    payment_method_id: str | None = None  #: the card used, to save for off-session charges
    #: the gateway's fingerprint of that card (the same card number, the same fingerprint), when it told us
    card_fingerprint: str | None = None
    customer_id: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure_code is not None


@dataclass(frozen=True)
class GatewayEvent:
    """A verified notification from a gateway, reduced to what the services act on."""

    event_id: str
    type: str
    gateway_id: str | None = None  #: the object one of our payments points to
    result: GatewayResult | None = None  #: its state as the event tells it; None: nothing to act on
    refunded_intent: str | None = None  #: a charge was refunded: the payment (pi_…) its money came from


class BadWebhook(Exception):
    """The notification could not be verified or read; nothing may be done with it."""


class Gateway(Protocol):
    name: str

    def create_customer(self, user_id: int, email: str, name: str) -> str | None:
        """The gateway's customer id for our user (idempotent per user); None if it cannot be made now."""

    def start_deposit(self, payment: Payment, customer: GatewayCustomer | None, setup_for_later: bool,
                      payment_method: str | None = None) -> GatewayResult:
        """Begin taking a deposit; with ``setup_for_later`` the card is saved for the balance."""

    def charge_off_session(self, payment: Payment, customer: GatewayCustomer | None) -> GatewayResult:
        """Charge the saved card while the member is away."""

    def retry_off_session(self, payment: Payment, customer: GatewayCustomer | None, attempt: int
                          ) -> GatewayResult:
        """Charge the saved card again, the member still away, after an off-session charge failed;
        ``attempt`` numbers the retry (each retry is one call at the gateway, however often it is sent)."""

    def confirm_on_session(self, payment: Payment, attempt: str, payment_method: str | None = None
                           ) -> GatewayResult:
        """The member, present, pays a payment that needed them (dunning); ``attempt`` names the try."""

    def refund(self, payment: Payment, original: Payment) -> GatewayResult:
        """Return ``payment.amount`` of the money taken by ``original``."""

    def cancel(self, payment: Payment) -> GatewayResult:
        """Give up on an unpaid payment so that it can no longer be paid."""

    def retrieve(self, payment: Payment) -> GatewayResult:
        """The payment's state as the gateway knows it now."""

    def card_fingerprint(self, payment_method_id: str) -> str | None:
        """The fingerprint of a saved card (the same card number gives the same one); None when the
        gateway cannot tell now."""


def gateway_named(name: str) -> Gateway:
    """The gateway a payment was made with (``Payment.gateway``)."""
    if name == "stripe":
        from payments.stripe_gateway import stripe_gateway

        return stripe_gateway()
    if name == "offline":
        from payments.offline import OfflineGateway

        return OfflineGateway()
    raise LookupError(f"unknown payment gateway {name!r}")


def current_gateway_name() -> str:
    """The gateway new payments use: ``PAYMENT_GATEWAY`` ("stripe" when a Stripe key is set)."""
    return current_app.config["PAYMENT_GATEWAY"]
