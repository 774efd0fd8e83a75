"""The checks an offer's terms must pass, whatever the input path (page, API, script): tiers, window,
quantities, and — once members have pledged — the changes that would make anyone worse off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from core.errors import Conflict, DomainError
from supplier.models import Offer
from supplier.validation import MAX_CASE_PACK, MAX_LEAD_TIME_DAYS, MAX_PRICE, check_range

MAX_TIERS = 10
#: units in one offer: far above any real order, well inside an INTEGER column
MAX_QUANTITY = 100_000_000
#: an offer's close may be at most this far ahead: a window of years is a typo, not a plan
MAX_WINDOW_AHEAD = timedelta(days=5 * 366)


def _invalid(code: str, message, field: str) -> DomainError:
    return DomainError(code, message, field=field, status=422)


def check_tiers(tiers: Sequence) -> list[tuple[int, int]]:
    """``tiers`` as ``(min_quantity, unit_price)`` pairs, checked: 1 to 10 of them, the first from 1 unit,
    thresholds strictly increasing, and a higher tier never dearer. Raises ``tiers_required``,
    ``too_many_tiers``, ``bad_tier``, ``first_tier_not_one``, ``tiers_out_of_order`` and
    ``tier_price_rises`` (422, on field ``tiers``)."""
    if isinstance(tiers, (str, bytes)) or not isinstance(tiers, Sequence) or not tiers:
        raise _invalid("tiers_required", _l("Enter at least one price tier."), "tiers")
    if len(tiers) > MAX_TIERS:
        raise _invalid("too_many_tiers", _l("An offer has at most %(n)s price tiers.", n=MAX_TIERS), "tiers")
    checked = []
    for tier in tiers:
        try:
            min_quantity, unit_price = tier
        except (TypeError, ValueError):
            raise _invalid("bad_tier", _l("Each price tier is a quantity and a unit price."), "tiers") from None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (min_quantity, unit_price)) or not (
                1 <= min_quantity <= MAX_QUANTITY and 0 <= unit_price <= MAX_PRICE):
            raise _invalid("bad_tier", _l("Each tier starts at 1 to %(max_quantity)s units and costs 0 to "
                                          "%(max_price)s minor units.", max_quantity=MAX_QUANTITY,
                                          max_price=MAX_PRICE), "tiers")
        checked.append((min_quantity, unit_price))
    if checked[0][0] != 1:
        raise _invalid("first_tier_not_one", _l("The first price tier must start at 1 unit."), "tiers")
    for (low, low_price), (high, high_price) in zip(checked, checked[1:], strict=False):
        if high <= low:
            raise _invalid("tiers_out_of_order",
                           _l("List the tiers from the smallest quantity up, each threshold higher than the last."),
                           "tiers")
        if high_price > low_price:
            raise _invalid("tier_price_rises",
                           _l("A higher tier cannot cost more: the price falls as the quantity grows."), "tiers")
    return checked


def utc_time(value: datetime, field: str) -> datetime:
    """``value`` in UTC, or ``bad_time`` (422) when it is naive or beyond what can be stored."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _invalid("bad_time", _l("Enter a date and time."), field)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _invalid("bad_time", _l("Enter a date and time."), field) from None


def check_terms(terms: dict, now: datetime) -> dict:
    """The offer's resulting terms, checked as a whole. Raises ``out_of_range``, ``bad_time``,
    ``capacity_below_moq``, ``window_backwards``, ``closes_in_past``, ``closes_too_late`` and
    ``tier_beyond_capacity`` (422) besides those of ``check_tiers``."""
    check_range(terms["moq"], field="moq", minimum=1, maximum=MAX_QUANTITY)
    check_range(terms["case_pack"], field="case_pack", minimum=1, maximum=MAX_CASE_PACK)
    check_range(terms["lead_time_days"], field="lead_time_days", minimum=0, maximum=MAX_LEAD_TIME_DAYS)
    if terms["capacity"] is not None:
        check_range(terms["capacity"], field="capacity", minimum=1, maximum=MAX_QUANTITY)
        if terms["capacity"] < terms["moq"]:
            raise _invalid("capacity_below_moq", _l("The capacity must be at least the MOQ."), "capacity")
    terms["tiers"] = check_tiers(terms["tiers"])
    if terms["capacity"] is not None and terms["tiers"][-1][0] > terms["capacity"]:
        raise _invalid("tier_beyond_capacity", _l("No tier can start above the capacity: it could never be "
                                                  "reached."), "tiers")
    terms["opens_at"] = utc_time(terms["opens_at"], "opens_at")
    terms["closes_at"] = utc_time(terms["closes_at"], "closes_at")
    if terms["closes_at"] <= terms["opens_at"]:
        raise _invalid("window_backwards", _l("The offer must close after it opens."), "closes_at")
    if terms["closes_at"] <= now:
        raise _invalid("closes_in_past", _l("The closing time must be in the future."), "closes_at")
    if terms["closes_at"] > now + MAX_WINDOW_AHEAD:
        raise _invalid("closes_too_late", _l("The offer must close within five years."), "closes_at")
    return terms


def _price_at(tiers: Sequence[tuple[int, int]], quantity: int) -> int:
    return [price for threshold, price in tiers if threshold <= quantity][-1]


def check_pledged_changes(offer: Offer, terms: dict, now: datetime) -> None:
    """Once members have pledged (``pledged_quantity > 0``), nobody may end up worse off than when they
    pledged: no total may cost more than before (``tiers_locked``), the MOQ may not rise
    (``moq_locked``), the capacity may not fall below what is pledged (``capacity_locked``), the case
    pack may not change (``case_pack_locked``: tolerances were given against it), the close may not come
    earlier (``closing_locked``) and an open window may not be pushed into the future
    (``opening_locked``). All 409."""
    if offer.pledged_quantity <= 0:
        return
    old = [(tier.min_quantity, tier.unit_price) for tier in offer.tiers]
    new = terms["tiers"]
    if any(_price_at(new, quantity) > _price_at(old, quantity) for quantity, _price in old + new):
        raise Conflict("tiers_locked", _l("Members have pledged: no tier's price may rise. You may lower prices "
                                          "or add cheaper tiers."), field="tiers")
    if terms["moq"] > offer.moq:
        raise Conflict("moq_locked", _l("Members have pledged: the MOQ may not rise."), field="moq")
    if terms["capacity"] is not None and terms["capacity"] < offer.pledged_quantity:
        raise Conflict("capacity_locked", _l("Members have already pledged %(n)s units: the capacity cannot be "
                                             "lower.", n=offer.pledged_quantity), field="capacity")
    if terms["case_pack"] != offer.case_pack:
        raise Conflict("case_pack_locked", _l("Members have pledged: the case pack may not change."),
                       field="case_pack")
    if terms["closes_at"] < offer.closes_at:
        raise Conflict("closing_locked", _l("Members have pledged: the offer may not close earlier."),
                       field="closes_at")
    if terms["opens_at"] != offer.opens_at and terms["opens_at"] > now:
        raise Conflict("opening_locked", _l("Members have pledged: the offer cannot open later than now."),
                       field="opens_at")
