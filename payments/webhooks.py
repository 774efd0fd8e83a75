"""Gateway notifications: verified, recorded by event id before they act, acted on forward only."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound
from payments import services
from payments.gateway import BadWebhook


def receive_stripe(payload: bytes, signature: str | None) -> bool:
    """Verify a Stripe webhook (``Stripe-Signature``, ``STRIPE_WEBHOOK_SECRET``) and act on it once.
    Returns whether the event was new. Raises ``bad_signature`` (400) for anything unverifiable — then
    nothing is written — and ``not_found`` when no webhook secret is configured."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise NotFound()
    from payments.stripe_gateway import verify_event

    try:
        event = verify_event(payload, signature, secret)
    except BadWebhook:
        raise DomainError("bad_signature", _l("The notification could not be verified.")) from None
    return services.apply_gateway_event("stripe", event)
