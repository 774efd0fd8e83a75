"""Group-buy offers: a supplier's price tiers, MOQ and window on one variant, and their status. Every
use case takes the acting user and answers 404 for offers of suppliers that user does not staff."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from accounts.models import User
from core import clock, jobs
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from supplier.access import get_or_none, is_staff, managed_variant, sees_wholesale
from supplier.models import Offer, OfferStatus, PriceTier, Product, SupplierStaff, Variant
from supplier.offer_rules import check_pledged_changes, check_terms

#: the only moves a status may make; closing (SUCCEEDED / FAILED) is the group-buy package's to make
TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.DRAFT: frozenset({OfferStatus.OPEN, OfferStatus.CANCELLED}),
    OfferStatus.OPEN: frozenset({OfferStatus.SUCCEEDED, OfferStatus.FAILED, OfferStatus.CANCELLED}),
    OfferStatus.SUCCEEDED: frozenset(),
    OfferStatus.FAILED: frozenset(),
    OfferStatus.CANCELLED: frozenset(),
}
EDITABLE = frozenset({OfferStatus.DRAFT, OfferStatus.OPEN})
STATUS_LABELS = {
    OfferStatus.DRAFT: _l("Draft"),
    OfferStatus.OPEN: _l("Open"),
    OfferStatus.SUCCEEDED: _l("Closed: MOQ reached"),
    OfferStatus.FAILED: _l("Closed: below MOQ"),
    OfferStatus.CANCELLED: _l("Cancelled"),
}
#: "leave as it is" for ``update_offer`` (None means "no limit" for the capacity)
KEEP = object()


def change_status(offer: Offer, status: OfferStatus) -> Offer:
    """The one way an offer's status changes: refuses any move not in ``TRANSITIONS``
    (``illegal_transition``, 409) and stamps ``closed_at`` when the offer leaves its last open state.
    The caller holds the offer's row lock (``locked_offer``) and flushes."""
    if status not in TRANSITIONS[offer.status]:
        raise Conflict("illegal_transition", _l("A %(current)s offer cannot become %(wanted)s.",
                                                current=STATUS_LABELS[offer.status], wanted=STATUS_LABELS[status]))
    offer.status = status
    if not TRANSITIONS[status]:
        offer.closed_at = clock.now()
    return offer


def locked_offer(offer_id: int) -> Offer | None:
    """The offer, read afresh with its row locked until the unit of work ends (PostgreSQL), so that a
    concurrent pledge's conditional UPDATE waits for the edit or cancellation and then sees it."""
    if get_or_none(Offer, offer_id) is None:
        return None
    return db.session.execute(sa.select(Offer).where(Offer.id == offer_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def managed_offer(user: User, offer_id: int, *, lock: bool = False) -> Offer:
    """An offer of a supplier the user staffs (row-locked when ``lock``); a 404 otherwise."""
    offer = locked_offer(offer_id) if lock else get_or_none(Offer, offer_id)
    if offer is None or not is_staff(user, offer.supplier_id):
        raise NotFound()
    return offer


def readable_offer(user: User, offer_id: int) -> Offer:
    """An offer its supplier's staff and the platform's operators may read; a 404 for anyone else."""
    offer = get_or_none(Offer, offer_id)
    if offer is None or not sees_wholesale(user, offer.supplier_id):
        raise NotFound()
    return offer


def _set_tiers(offer: Offer, tiers: list[tuple[int, int]]) -> None:
    """Replace the tiers; old rows are deleted before new ones are inserted, as (offer, min_quantity)
    is unique."""
    if offer.tiers:
        offer.tiers.clear()
        db.session.flush()
    offer.tiers.extend(PriceTier(min_quantity=q, unit_price=p) for q, p in tiers)


def _variant_inactive() -> Conflict:
    return Conflict("variant_inactive", _l("This variant is no longer offered: activate it first."))


def create_offer(actor: User, variant_id: int, *, moq: int, capacity: int | None, opens_at: datetime,
                 closes_at: datetime, tiers, case_pack: int | None = None, lead_time_days: int | None = None,
                 supplier_id: int | None = None) -> Offer:
    """A DRAFT offer on an active variant of a supplier the actor staffs, in the variant's currency, its
    case pack and lead time taken from the variant unless given. ``tiers`` are ``(min_quantity,
    unit_price)`` pairs in minor units. With ``supplier_id`` the variant must be that supplier's
    (``unknown_variant``, 422). Raises ``not_found``, ``variant_inactive`` (409) and the 422s of
    ``offer_rules.check_terms``."""
    if supplier_id is None:
        variant = managed_variant(actor, variant_id)
    else:
        variant = get_or_none(Variant, variant_id)
        if variant is None or variant.supplier_id != supplier_id or not is_staff(actor, supplier_id):
            raise DomainError("unknown_variant", _l("Choose one of this supplier's variants."), field="variant_id",
                              status=422)
    if not (variant.active and variant.product.active):
        raise _variant_inactive()
    terms = check_terms({
        "moq": moq, "capacity": capacity, "opens_at": opens_at, "closes_at": closes_at, "tiers": tiers,
        "case_pack": variant.case_pack if case_pack is None else case_pack,
        "lead_time_days": variant.lead_time_days if lead_time_days is None else lead_time_days,
    }, clock.now())
    tier_pairs = terms.pop("tiers")
    offer = Offer(supplier_id=variant.supplier_id, variant_id=variant.id, currency=variant.currency,
                  status=OfferStatus.DRAFT, pledged_quantity=0, **terms)
    _set_tiers(offer, tier_pairs)
    db.session.add(offer)
    db.session.flush()
    return offer


def update_offer(actor: User, offer_id: int, *, moq=KEEP, capacity=KEEP, opens_at=KEEP, closes_at=KEEP,
                 tiers=KEEP, case_pack=KEEP, lead_time_days=KEEP) -> Offer:
    """Change a DRAFT or OPEN offer's terms; what is not given stays. The result is checked as a whole
    (the 422s of ``offer_rules.check_terms``); once members have pledged, no change may make them worse
    off (``tiers_locked``, ``moq_locked``, ``capacity_locked``, ``case_pack_locked``, ``closing_locked``,
    ``opening_locked``: 409, and nothing changes). Raises ``not_found``, ``offer_not_editable`` and
    ``offer_closed`` (409: an open offer past its close)."""
    offer = managed_offer(actor, offer_id, lock=True)
    if offer.status not in EDITABLE:
        raise Conflict("offer_not_editable", _l("Only a draft or open offer can be changed."))
    now = clock.now()
    if offer.status == OfferStatus.OPEN and offer.closes_at <= now:
        raise Conflict("offer_closed", _l("This offer has closed: it can no longer be changed."))
    given = {"moq": moq, "capacity": capacity, "opens_at": opens_at, "closes_at": closes_at, "tiers": tiers,
             "case_pack": case_pack, "lead_time_days": lead_time_days}
    current = {"moq": offer.moq, "capacity": offer.capacity, "opens_at": offer.opens_at,
               "closes_at": offer.closes_at, "tiers": [(t.min_quantity, t.unit_price) for t in offer.tiers],
               "case_pack": offer.case_pack, "lead_time_days": offer.lead_time_days}
    terms = check_terms({key: current[key] if value is KEEP else value for key, value in given.items()}, now)
    check_pledged_changes(offer, terms, now)
    tier_pairs = terms.pop("tiers")
    for key, value in terms.items():
        setattr(offer, key, value)
    if tier_pairs != current["tiers"]:
        _set_tiers(offer, tier_pairs)
    db.session.flush()
    return offer


def publish_offer(actor: User, offer_id: int) -> Offer:
    """DRAFT → OPEN: shopkeepers may run group buys on it once its window opens, and its close is
    scheduled for ``closes_at`` (after the commit). Raises ``not_found``,
    ``variant_inactive``, ``closes_in_past`` (move the close first) and ``illegal_transition`` (all 409)."""
    offer = managed_offer(actor, offer_id, lock=True)
    if offer.status == OfferStatus.DRAFT and not (offer.variant.active and offer.variant.product.active):
        raise _variant_inactive()
    if offer.status == OfferStatus.DRAFT and offer.closes_at <= clock.now():
        raise Conflict("closes_in_past", _l("The closing time has passed: move it later before publishing."),
                       field="closes_at")
    change_status(offer, OfferStatus.OPEN)
    db.session.flush()
    # by path: the group-buy package sits above this one; the sweeper catches a lost or moved close
    jobs.enqueue("groupbuy.jobs:close_offer_job", offer.id, at=offer.closes_at, job_id=f"close-offer-{offer.id}")
    return offer


def cancel_offer(actor: User, offer_id: int) -> Offer:
    """DRAFT or OPEN → CANCELLED, only while nobody has pledged. Raises ``not_found``,
    ``offer_has_pledges`` and ``illegal_transition`` (409)."""
    offer = managed_offer(actor, offer_id, lock=True)
    if offer.pledged_quantity > 0:
        raise Conflict("offer_has_pledges", _l("Members have pledged to this offer: it cannot be cancelled."))
    change_status(offer, OfferStatus.CANCELLED)
    db.session.flush()
    return offer


def _with_catalog(query):
    return query.options(contains_eager(Offer.variant).contains_eager(Variant.product), joinedload(Offer.supplier),
                         selectinload(Offer.tiers))


def open_offers_for_shopkeepers(now: datetime) -> list[Offer]:
    """OPEN offers whose window contains ``now`` (``opens_at <= now < closes_at``), on active variants of
    active products, soonest closing first, with product, variant, supplier and tiers loaded so that a
    page can list them without further queries."""
    return list(db.session.execute(_with_catalog(
        sa.select(Offer).join(Offer.variant).join(Variant.product)
        .where(Offer.status == OfferStatus.OPEN, Offer.opens_at <= now, Offer.closes_at > now,
               Variant.active.is_(True), Product.active.is_(True))
        .order_by(Offer.closes_at, Offer.id))).scalars())


def supplier_offers(supplier_id: int) -> list[Offer]:
    """Every offer of a supplier, newest first, with product, variant and tiers loaded. The caller has
    checked access."""
    return list(db.session.execute(_with_catalog(
        sa.select(Offer).join(Offer.variant).join(Variant.product).where(Offer.supplier_id == supplier_id)
        .order_by(Offer.created_at.desc(), Offer.id.desc()))).scalars())


def staff_offers(user: User) -> list[Offer]:
    """Every offer of the suppliers ``user`` staffs, newest first, loaded as ``supplier_offers``."""
    staffed = sa.select(SupplierStaff.supplier_id).where(SupplierStaff.user_id == user.id)
    return list(db.session.execute(_with_catalog(
        sa.select(Offer).join(Offer.variant).join(Variant.product).where(Offer.supplier_id.in_(staffed))
        .order_by(Offer.created_at.desc(), Offer.id.desc()))).scalars())
