"""Rounding a pooled total to whole case packs, and sharing the result among the pledges. Pure: no
database, no clock. The rules, with worked examples, are in docs/GROUPBUY.md.

Pledges come in time order as ``(pledge_id, quantity, tolerance)``: Q is the sum of the quantities,
T the sum of the tolerances. The order is ⌊Q/case⌋ cases, plus one more when Q mod case > 0 and
(Q mod case) + T ≥ case — tolerance alone never opens a case.

* The extra case opens: every pledge gets its quantity, then the ``case − Q mod case`` missing units
  are handed out one at a time, round-robin in pledge time order, to pledges with tolerance left.
* It does not: the ``Q mod case`` units that do not fill a case are not ordered. They are taken back
  one at a time, round-robin from the LATEST pledge to the earliest, skipping pledges already at 0 —
  so the last to join give up a unit first, and no one loses a second unit while a later pledge still
  has one to give."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Allocation:
    cases: int
    case_pack: int
    #: pledge id → units it receives, in the order the pledges were given
    quantities: dict[int, int]

    @property
    def total(self) -> int:
        return self.cases * self.case_pack


def cases_for(case_pack: int, quantity: int, tolerance: int) -> int:
    """How many whole cases ``quantity`` units with ``tolerance`` spare willingness order."""
    if case_pack < 1:
        raise ValueError("case_pack must be at least 1")
    full, remainder = divmod(quantity, case_pack)
    return full + (1 if remainder and remainder + tolerance >= case_pack else 0)


def allocate(case_pack: int, pledges: Iterable[tuple[int, int, int]]) -> Allocation:
    """Round the pledges' total to whole cases and say what each pledge receives (see the module)."""
    pledges = list(pledges)
    for _pledge_id, quantity, tolerance in pledges:
        if quantity < 0 or tolerance < 0:
            raise ValueError("quantities and tolerances are never negative")
    total = sum(quantity for _id, quantity, _tolerance in pledges)
    spare = sum(tolerance for _id, _quantity, tolerance in pledges)
    cases = cases_for(case_pack, total, spare)
    given = {pledge_id: quantity for pledge_id, quantity, _tolerance in pledges}
    shortfall = cases * case_pack - total
    if shortfall > 0:
        _hand_out(given, [(pledge_id, tolerance) for pledge_id, _q, tolerance in pledges], shortfall)
    elif shortfall < 0:
        take_back(given, [pledge_id for pledge_id, _q, _t in reversed(pledges)], -shortfall)
    return Allocation(cases=cases, case_pack=case_pack, quantities=given)


def _hand_out(given: dict[int, int], tolerances: Sequence[tuple[int, int]], units: int) -> None:
    """One unit at a time, earliest pledge first, round after round, to pledges with tolerance left."""
    left = {pledge_id: tolerance for pledge_id, tolerance in tolerances}
    while units:
        for pledge_id, _tolerance in tolerances:
            if units and left[pledge_id]:
                given[pledge_id] += 1
                left[pledge_id] -= 1
                units -= 1


def take_back(given: dict[int, int], latest_first: Sequence[int], units: int) -> None:
    """One unit at a time, latest pledge first, round after round, never below zero."""
    while units:
        for pledge_id in latest_first:
            if units and given[pledge_id]:
                given[pledge_id] -= 1
                units -= 1
