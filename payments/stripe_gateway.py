"""The Stripe gateway — the only module that imports ``stripe``.

Deposits are PaymentIntents that save the card for later (``setup_future_usage=off_session``), or a
SetupIntent when the deposit is 0; balances are off-session PaymentIntents on the saved card; refunds
go back to the deposit's PaymentIntent. Every POST carries an idempotency key derived from our own row
(``Payment.idempotency_key``), so a retried call can never charge twice. Whatever Stripe answers —
a decline, a 5xx, a timeout — comes back as a ``GatewayResult``, never as an exception. Calls that
create, confirm or read an intent ask Stripe to expand its ``payment_method``, so the answer carries the
card's fingerprint with no extra round trip.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache

import stripe
from flask import current_app

from payments.gateway import BadWebhook, GatewayEvent, GatewayResult
from payments.models import GatewayCustomer, Payment, PaymentStatus

log = logging.getLogger(__name__)

_INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.PENDING,
    "requires_payment_method": PaymentStatus.PENDING,
}
_REFUND_STATUS = {
    "pending": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
}
#: declines the member can cure by being present (authenticating with their bank)
_NEEDS_MEMBER = {"authentication_required"}
#: errors after which the call may or may not have happened: retrying with the same key is safe
_TRANSIENT = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)
_INTENT_EVENTS = ("payment_intent.", "setup_intent.")
_NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}
#: the intent's card as an object (with ``card.fingerprint``) instead of its id
_EXPAND_CARD = ["payment_method"]


def _card(method) -> tuple[str | None, str | None]:
    """The payment method's id and its card's fingerprint: an expanded PaymentMethod has both, a plain id
    (a webhook event, a call that did not expand it) leaves the fingerprint unknown."""
    if isinstance(method, dict):
        return method.get("id"), (method.get("card") or {}).get("fingerprint") or None
    return method, None


def result_from_object(obj: dict) -> GatewayResult:
    """A PaymentIntent, SetupIntent or Refund, as Stripe shows it, read as our result."""
    kind = obj.get("object")
    if kind == "refund":
        status = _REFUND_STATUS.get(obj.get("status"), PaymentStatus.PENDING)
        failure = obj.get("failure_reason") or None
        return GatewayResult(status, gateway_id=obj.get("id"), failure_code=failure, failure_message=failure)
    error = obj.get("last_payment_error") or obj.get("last_setup_error") or {}
    status = _INTENT_STATUS.get(obj.get("status"), PaymentStatus.PENDING)
    code = error.get("decline_code") or error.get("code")
    if obj.get("status") == "requires_payment_method" and error:
        status = PaymentStatus.REQUIRES_ACTION if code in _NEEDS_MEMBER else PaymentStatus.FAILED
    method_id, fingerprint = _card(obj.get("payment_method"))
    return GatewayResult(
        status,
        gateway_id=obj.get("id"),
        client_secret=obj.get("client_secret"),
        failure_code=code if error and status != PaymentStatus.SUCCEEDED else None,
        failure_message=error.get("message") if error and status != PaymentStatus.SUCCEEDED else None,
        payment_method_id=method_id,
        card_fingerprint=fingerprint,
        customer_id=obj.get("customer"),
    )


def _result_from_error(exc: stripe.StripeError) -> GatewayResult:
    body = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
    if isinstance(exc, stripe.CardError):
        intent = body.get("payment_intent") or body.get("setup_intent")
        code = body.get("decline_code") or exc.code or "card_declined"
        found = result_from_object(intent) if intent else None
        status = PaymentStatus.REQUIRES_ACTION if code in _NEEDS_MEMBER else PaymentStatus.FAILED
        return GatewayResult(status, gateway_id=found.gateway_id if found else None,
                             client_secret=found.client_secret if found else None, failure_code=code,
                             failure_message=body.get("message") or exc.user_message,
                             payment_method_id=found.payment_method_id if found else None,
                             card_fingerprint=found.card_fingerprint if found else None)
    if isinstance(exc, _TRANSIENT):
        log.warning("Stripe unavailable: %r", exc)
        return GatewayResult(PaymentStatus.PENDING, failure_code="gateway_unavailable",
                             failure_message=(exc.user_message or type(exc).__name__)[:500])
    log.error("Stripe refused a call: %r", exc)
    return GatewayResult(PaymentStatus.FAILED, failure_code=(exc.code or "gateway_error")[:64],
                         failure_message=(exc.user_message or type(exc).__name__)[:500])


def _call(request: Callable[[], object]) -> GatewayResult:
    try:
        answer = request()
    except stripe.StripeError as exc:
        return _result_from_error(exc)
    return result_from_object(answer.to_dict())  # type: ignore[attr-defined]


class StripeGateway:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient):
        self.client = client

    def create_customer(self, user_id: int, email: str, name: str) -> str | None:
        """None when Stripe cannot be reached or refuses."""
        try:
            customer = self.client.v1.customers.create(
                {"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
                {"idempotency_key": f"customer-user-{user_id}"})
        except stripe.StripeError as exc:
            log.warning("Stripe could not create a customer: %r", exc)
            return None
        return customer.id

    def start_deposit(self, payment: Payment, customer: GatewayCustomer | None, setup_for_later: bool,
                      payment_method: str | None = None) -> GatewayResult:
        params: dict = {"metadata": {"reference": payment.reference, "payment": str(payment.id)},
                        "expand": _EXPAND_CARD}
        if customer is not None:
            params["customer"] = customer.customer_id
        if payment_method:
            params.update(payment_method=payment_method, confirm=True)
        options = {"idempotency_key": payment.idempotency_key}
        if payment.amount == 0:
            params.update(usage="off_session", automatic_payment_methods=_NO_REDIRECTS)
            return _call(lambda: self.client.v1.setup_intents.create(params, options))
        params.update(amount=payment.amount, currency=payment.currency.lower(),
                      automatic_payment_methods=_NO_REDIRECTS)
        if setup_for_later:
            params["setup_future_usage"] = "off_session"
        return _call(lambda: self.client.v1.payment_intents.create(params, options))

    def charge_off_session(self, payment: Payment, customer: GatewayCustomer | None) -> GatewayResult:
        params: dict = {"amount": payment.amount, "currency": payment.currency.lower(),
                        "metadata": {"reference": payment.reference, "payment": str(payment.id)},
                        "automatic_payment_methods": _NO_REDIRECTS, "expand": _EXPAND_CARD}
        if customer is not None:
            params["customer"] = customer.customer_id
        if customer is not None and customer.payment_method_id:
            params.update(payment_method=customer.payment_method_id, off_session=True, confirm=True)
        result = _call(lambda: self.client.v1.payment_intents.create(
            params, {"idempotency_key": payment.idempotency_key}))
        if "payment_method" not in params and result.status == PaymentStatus.PENDING and not result.failed:
            # No saved card: the intent waits for the member to pay on-session.
            return GatewayResult(PaymentStatus.REQUIRES_ACTION, gateway_id=result.gateway_id,
                                 client_secret=result.client_secret, failure_code="no_saved_card",
                                 failure_message="No card is saved for off-session payments.")
        return result

    def retry_off_session(self, payment: Payment, customer: GatewayCustomer | None, attempt: int
                          ) -> GatewayResult:
        """Confirm the declined PaymentIntent again with the saved card, ``off_session``, as Stripe advises
        for retries (a new key per retry: the first charge's key would only replay its decline)."""
        if not payment.gateway_id:
            return self.charge_off_session(payment, customer)
        if customer is None or not customer.payment_method_id:
            return GatewayResult(PaymentStatus.REQUIRES_ACTION, failure_code="no_saved_card",
                                 failure_message="No card is saved for off-session payments.")
        params = {"payment_method": customer.payment_method_id, "off_session": True, "expand": _EXPAND_CARD}
        key = {"idempotency_key": f"{payment.idempotency_key}-retry-{attempt}"}
        return _call(lambda: self.client.v1.payment_intents.confirm(payment.gateway_id, params, key))

    def confirm_on_session(self, payment: Payment, attempt: str, payment_method: str | None = None
                           ) -> GatewayResult:
        if not payment.gateway_id:
            return GatewayResult(PaymentStatus.FAILED, failure_code="nothing_to_confirm")
        params: dict = {"expand": _EXPAND_CARD}
        if payment_method:
            params["payment_method"] = payment_method
        key = {"idempotency_key": f"{payment.idempotency_key}-confirm-{attempt}"}
        if payment.gateway_id.startswith("seti_"):
            return _call(lambda: self.client.v1.setup_intents.confirm(payment.gateway_id, params, key))
        return _call(lambda: self.client.v1.payment_intents.confirm(payment.gateway_id, params, key))

    def refund(self, payment: Payment, original: Payment) -> GatewayResult:
        params = {"payment_intent": original.gateway_id, "amount": payment.amount,
                  "metadata": {"reference": payment.reference, "payment": str(payment.id)}}
        return _call(lambda: self.client.v1.refunds.create(
            params, {"idempotency_key": payment.idempotency_key}))

    def cancel(self, payment: Payment) -> GatewayResult:
        if not payment.gateway_id:
            return GatewayResult(PaymentStatus.CANCELLED)
        key = {"idempotency_key": f"{payment.idempotency_key}-cancel"}
        if payment.gateway_id.startswith("seti_"):
            return _call(lambda: self.client.v1.setup_intents.cancel(payment.gateway_id, {}, key))
        return _call(lambda: self.client.v1.payment_intents.cancel(payment.gateway_id, {}, key))

    def retrieve(self, payment: Payment) -> GatewayResult:
        if not payment.gateway_id:
            return GatewayResult(payment.status)
        if payment.gateway_id.startswith("seti_"):
            return _call(lambda: self.client.v1.setup_intents.retrieve(payment.gateway_id, {"expand": _EXPAND_CARD}))
        if payment.gateway_id.startswith("re_"):
            return _call(lambda: self.client.v1.refunds.retrieve(payment.gateway_id))
        return _call(lambda: self.client.v1.payment_intents.retrieve(payment.gateway_id, {"expand": _EXPAND_CARD}))

    def card_fingerprint(self, payment_method_id: str) -> str | None:
        """One GET of the PaymentMethod; None when Stripe cannot be reached or does not know it."""
        try:
            method = self.client.v1.payment_methods.retrieve(payment_method_id)
        except stripe.StripeError as exc:
            log.warning("Stripe could not read payment method %s: %r", payment_method_id, exc)
            return None
        return _card(method.to_dict())[1]


@lru_cache(maxsize=8)
def _client(api_key: str, api_base: str | None, timeout: float, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def stripe_gateway() -> StripeGateway:
    """The gateway as configured: ``STRIPE_SECRET_KEY``, and ``STRIPE_API_BASE`` (a local stub in tests)."""
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        raise RuntimeError("PAYMENT_GATEWAY is stripe but STRIPE_SECRET_KEY is not set")
    return StripeGateway(_client(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"),
                                 float(config["STRIPE_TIMEOUT_SECONDS"]),
                                 int(config["STRIPE_MAX_NETWORK_RETRIES"])))


def verify_event(payload: bytes, signature: str | None, secret: str) -> GatewayEvent:
    """Check ``Stripe-Signature`` with stripe's own library (300 s tolerance) and read the event.
    Raises ``BadWebhook`` for a bad signature or body."""
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        event = json.loads(payload)
        obj = event["data"]["object"]
        kind = event["type"]
        event_id = event["id"]
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
        raise BadWebhook(str(exc)) from None
    if not isinstance(obj, dict) or not isinstance(kind, str) or not isinstance(event_id, str):
        raise BadWebhook("not an event")
    if kind.startswith(_INTENT_EVENTS) or kind.startswith("refund."):
        return GatewayEvent(event_id, kind, gateway_id=obj.get("id"), result=result_from_object(obj))
    if kind == "charge.refunded" and obj.get("payment_intent"):
        return GatewayEvent(event_id, kind, refunded_intent=obj["payment_intent"])
    return GatewayEvent(event_id, kind)
