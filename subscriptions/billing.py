"""Billing boxes: a card saved for off-session use, charged at each cycle's cut-off, retried on a
schedule when it fails, and the subscription paused after the last failed retry."""

from __future__ import annotations

import sqlalchemy as sa

from accounts.models import User
from core.extensions import db
from payments.gateway import current_gateway_name
from payments.models import GatewayCustomer


def card_on_file(user: User) -> bool:
    """Whether boxes can be charged to the member's card: the gateway takes cards and one is saved."""
    gateway = current_gateway_name()
    if gateway == "offline":
        return False
    return db.session.execute(sa.select(GatewayCustomer.id).where(
        GatewayCustomer.user_id == user.id, GatewayCustomer.gateway == gateway,
        GatewayCustomer.payment_method_id.is_not(None))).first() is not None
