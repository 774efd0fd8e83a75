"""The offer's pooled total (``offers.pledged_quantity``) and its capacity: changed only here, by one
conditional UPDATE, so that concurrent pledges never pass the capacity nor take the total below zero."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from supplier.models import Offer, OfferStatus


def shift_pledged(offer_id: int, delta: int) -> int | None:
    """Add ``delta`` units (negative: give them back) to the offer's pooled total and return the new total,
    or None when the offer refuses: more units than its capacity leaves, units on an offer that is no
    longer open, or a total that would fall below zero. PostgreSQL holds the offer's row lock until the
    transaction ends, so concurrent pledges queue here and each sees the total the previous one left."""
    condition = (Offer.pledged_quantity + delta >= 0) if delta < 0 else sa.and_(
        Offer.status == OfferStatus.OPEN,
        sa.or_(Offer.capacity.is_(None), Offer.pledged_quantity + delta <= Offer.capacity))
    total = db.session.execute(
        sa.update(Offer).where(Offer.id == offer_id, condition)
        .values(pledged_quantity=Offer.pledged_quantity + delta)
        .returning(Offer.pledged_quantity)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    loaded = db.session.identity_map.get(db.session.identity_key(Offer, offer_id))
    if loaded is not None:
        db.session.expire(loaded, ["pledged_quantity"])
    return total


def pooled_total(offer_id: int) -> int:
    return db.session.execute(sa.select(Offer.pledged_quantity).where(Offer.id == offer_id)).scalar_one()


def units_left(offer: Offer) -> int | None:
    """How many more units the offer can take (None: no limit), as the database has it now."""
    row = db.session.execute(sa.select(Offer.capacity, Offer.pledged_quantity).where(Offer.id == offer.id)).one()
    return None if row.capacity is None else max(row.capacity - row.pledged_quantity, 0)
