"""Group-buy offers: a supplier's price tiers, MOQ and window on one variant, and their status."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from core.extensions import db
from supplier.models import Offer, OfferStatus, Product, Variant


def open_offers_for_shopkeepers(now: datetime) -> list[Offer]:
    """OPEN offers whose window contains ``now`` (``opens_at <= now < closes_at``), on active variants of
    active products, soonest closing first, with product, variant, supplier and tiers loaded so that a
    page can list them without further queries."""
    return list(db.session.execute(
        sa.select(Offer)
        .join(Offer.variant).join(Variant.product)
        .where(Offer.status == OfferStatus.OPEN, Offer.opens_at <= now, Offer.closes_at > now,
               Variant.active.is_(True), Product.active.is_(True))
        .options(contains_eager(Offer.variant).contains_eager(Variant.product), joinedload(Offer.supplier),
                 selectinload(Offer.tiers))
        .order_by(Offer.closes_at, Offer.id)
    ).scalars())
