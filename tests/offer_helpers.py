"""Factories for the offer tests: a supplier's variant and an offer on it, committed as a request would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import clock
from core.extensions import db
from supplier import offers
from supplier.models import Offer, OfferStatus
from tests.factories import make_product, make_supplier, make_user

#: the moment the offer stories happen at (the clock is frozen there)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
#: the issue's example: 1–99 → 30.00, 100–299 → 26.00, 300+ → 22.00
TIERS = [(1, 3000), (100, 2600), (300, 2200)]


def variant_with_staff(**product_overrides):
    """A variant (case pack 6, lead time 3 days) of a new supplier, and one member of its staff."""
    staff = make_user()
    supplier = make_supplier(staff=(staff,))
    product = make_product(supplier, **product_overrides)
    return product.variants[0], staff


def make_offer(variant, staff, *, status: OfferStatus = OfferStatus.DRAFT, pledged: int = 0, tiers=TIERS,
               moq: int = 100, capacity: int | None = 1000, opens_in: timedelta = timedelta(0),
               closes_in: timedelta = timedelta(days=7)) -> Offer:
    """An offer made through the service, moved to ``status`` and with ``pledged`` units set directly
    (pledges belong to the group-buy package)."""
    offer = offers.create_offer(staff, variant.id, moq=moq, capacity=capacity, opens_at=clock.now() + opens_in,
                                closes_at=clock.now() + closes_in, tiers=tiers)
    if status != OfferStatus.DRAFT:
        offers.change_status(offer, OfferStatus.OPEN)
        if status != OfferStatus.OPEN:
            offers.change_status(offer, status)
    offer.pledged_quantity = pledged
    db.session.commit()
    return offer


def fresh_offer(offer_id: int) -> Offer:
    db.session.expire_all()
    return db.session.get(Offer, offer_id)


def tier_pairs(offer: Offer) -> list[tuple[int, int]]:
    return [(tier.min_quantity, tier.unit_price) for tier in offer.tiers]
