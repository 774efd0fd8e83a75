"""Batches of gateway calls, run as jobs: each payment independently, in short transactions of its own.

For each payment: read it and commit (no transaction, so no lock, is open while the gateway is called),
call the gateway within the rate budget, then record the answer and commit. One bad card, one outage or
one bug never stops the others; running a batch twice, or two at once, charges nobody twice (only
PENDING balances are charged, always with the payment's own idempotency key).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import current_app

from core.db import commit
from core.extensions import db
from payments import dunning, services
from payments.budget import RateBudget
from payments.gateway import gateway_named
from payments.models import GatewayCustomer, Payment, PaymentStatus

log = logging.getLogger(__name__)


def _each(payment_ids: Iterable[int], prepare: Callable[[int], services.Call | None],
          budget: RateBudget | None) -> dict[int, Payment | None]:
    outcomes: dict[int, Payment | None] = {}
    for payment_id in payment_ids:
        try:
            call = prepare(payment_id)
            commit()
            if call is not None:
                if budget is not None:
                    budget.take()
                services.record_result(payment_id, call.run())
                commit()
            payment = db.session.get(Payment, payment_id)
            if payment is not None:
                # Handed back loaded but out of the session: kept in it, every payment of the batch so far
                # would be expired again at each commit (quadratic over a 10,000-payment close).
                db.session.expunge(payment)
            outcomes[payment_id] = payment
        except Exception:
            db.session.rollback()
            log.exception("payment %s: the gateway call could not be made or recorded", payment_id)
            outcomes[payment_id] = None
    return outcomes


def learn_card_fingerprint(user_id: int, gateway: str, payment_method_id: str) -> bool:
    """A card saved with no fingerprint (a webhook names it only by id): ask the gateway, with no
    transaction open, and keep the answer if that card is still the member's saved one and still has none.
    Returns whether a fingerprint was saved; running it again, or late, changes nothing."""
    def waiting():
        return (GatewayCustomer.user_id == user_id, GatewayCustomer.gateway == gateway,
                GatewayCustomer.payment_method_id == payment_method_id, GatewayCustomer.card_fingerprint.is_(None))

    if db.session.execute(sa.select(GatewayCustomer.id).where(*waiting())).first() is None:
        return False
    commit()
    fingerprint = gateway_named(gateway).card_fingerprint(payment_method_id)
    if not fingerprint:
        return False
    saved = db.session.execute(sa.update(GatewayCustomer).where(*waiting())
                               .values(card_fingerprint=fingerprint[:64]).execution_options(synchronize_session=False))
    return saved.rowcount == 1


def default_budget() -> RateBudget:
    return RateBudget(float(current_app.config["STRIPE_RATE_LIMIT_PER_SECOND"]))


def charge_balances(payment_ids: Iterable[int], budget: RateBudget | None = None) -> dict[int, Payment | None]:
    """Charge each PENDING balance off-session (``services.charge_balance``), independently and within
    ``STRIPE_RATE_LIMIT_PER_SECOND``. Returns each payment as it ended (None where something broke and
    was logged; it stays PENDING for the next run)."""
    return _each(payment_ids, services.balance_call, budget or default_budget())


def expire_overdue_payments(budget: RateBudget | None = None) -> list[str]:
    """The dunning sweeper: cancel every balance whose grace period is over (at the gateway first, so it
    can no longer be paid). Returns the references that expired, for the package above to act on."""
    outcomes = _each(dunning.overdue_ids(), dunning.expiry_call, budget or default_budget())
    return [payment.reference for payment in outcomes.values()
            if payment is not None and payment.status == PaymentStatus.CANCELLED]
