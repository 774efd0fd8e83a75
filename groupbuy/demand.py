"""Keeping the committed-demand rollup (``supplier.models.DemandCell``) in step with the pledges.

Every change to a pledge's standing moves its cell — (offer, community, pickup point) — by a delta, in
the same unit of work as the change, through one upsert per cell (``INSERT … ON CONFLICT DO UPDATE``
adding to the counters, atomic under concurrency on both databases):

* an ACTIVE pledge counts in ``pending_quantity`` (its quantity) and ``pending_pledges`` (one);
* a CONFIRMED pledge counts in ``committed_quantity`` (its allocated units) and ``committed_value``
  (those units at the purchase order's wholesale price);
* every other status (cancelled, released, dropped) counts nowhere.

``rebuild`` recomputes cells from the pledges themselves — the definition the deltas must agree with
(tests hold them equal after random histories) and the repair tool (``flask groupbuy rebuild-demand``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from orders.models import PurchaseOrder
from supplier.models import DemandCell, Offer

Key = tuple[int, int, int, int]  #: (supplier, offer, community, pickup point or 0)


@dataclass
class Delta:
    pending_quantity: int = 0
    pending_pledges: int = 0
    committed_quantity: int = 0
    committed_value: int = 0

    def add(self, other: Delta) -> None:
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __neg__(self) -> Delta:
        return Delta(*(-getattr(self, name) for name in _COUNTERS))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _COUNTERS)


_COUNTERS = ("pending_quantity", "pending_pledges", "committed_quantity", "committed_value")


def key_for(offer: Offer, community_id: int, pickup_point_id: int | None) -> Key:
    return offer.supplier_id, offer.id, community_id, pickup_point_id or 0


def pending(quantity: int) -> Delta:
    """One ACTIVE pledge of ``quantity`` units (negate it to take the pledge out)."""
    return Delta(pending_quantity=quantity, pending_pledges=1)


def committed(units: int, unit_price: int) -> Delta:
    return Delta(committed_quantity=units, committed_value=units * unit_price)


def shift(key: Key, delta: Delta) -> None:
    """Move one cell by ``delta`` (creating it at zero first)."""
    if delta:
        shift_many({key: delta})


def shift_many(deltas: dict[Key, Delta]) -> None:
    """Move each cell by its delta: one upsert per cell, in key order (so concurrent writers lock cells
    in the same order and never deadlock)."""
    for key in sorted(deltas):
        delta = deltas[key]
        if not delta:
            continue
        supplier_id, offer_id, community_id, point_id = key
        values = {"supplier_id": supplier_id, "offer_id": offer_id, "community_id": community_id,
                  "pickup_point_id": point_id, **{name: getattr(delta, name) for name in _COUNTERS}}
        dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
        insert = dialect.insert(DemandCell).values(**values)
        table = DemandCell.__table__
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["offer_id", "community_id", "pickup_point_id"],
            set_={name: table.c[name] + insert.excluded[name] for name in _COUNTERS}))


def standing(pledge_status: PledgeStatus, quantity: int, allocated: int | None, unit_price: int = 0) -> Delta:
    """What one pledge in this state contributes to its cell."""
    if pledge_status == PledgeStatus.ACTIVE:
        return pending(quantity)
    if pledge_status == PledgeStatus.CONFIRMED:
        return committed(allocated or 0, unit_price)
    return Delta()


def rebuild(offer_ids: Iterable[int] | None = None) -> int:
    """Recompute the cells of ``offer_ids`` (every offer when None) from the pledges, replacing what was
    there; returns the number of cells written."""
    wanted = None if offer_ids is None else list(offer_ids)
    deletion = sa.delete(DemandCell)
    if wanted is not None:
        deletion = deletion.where(DemandCell.offer_id.in_(wanted))
    db.session.execute(deletion.execution_options(synchronize_session=False))
    cells = computed(wanted)
    for (supplier_id, offer_id, community_id, point_id), delta in cells.items():
        db.session.add(DemandCell(supplier_id=supplier_id, offer_id=offer_id, community_id=community_id,
                                  pickup_point_id=point_id, **{name: getattr(delta, name) for name in _COUNTERS}))
    db.session.flush()
    return len(cells)


def computed(offer_ids: list[int] | None = None) -> dict[Key, Delta]:
    """The cells as the pledges define them: a GROUP BY over every pledge (slow on purpose: the
    reference the rollup is checked against)."""
    point = sa.func.coalesce(Pledge.pickup_point_id, 0)
    active = Pledge.status == PledgeStatus.ACTIVE
    confirmed = Pledge.status == PledgeStatus.CONFIRMED
    allocated = sa.func.coalesce(Pledge.allocated_quantity, 0)
    query = (
        sa.select(Offer.supplier_id, Pledge.offer_id, GroupBuy.community_id, point,
                  sa.func.sum(sa.case((active, Pledge.quantity), else_=0)),
                  sa.func.sum(sa.case((active, 1), else_=0)),
                  sa.func.sum(sa.case((confirmed, allocated), else_=0)),
                  sa.func.sum(sa.case((confirmed, allocated * sa.func.coalesce(PurchaseOrder.unit_price, 0)),
                                      else_=0)))
        .join(GroupBuy, GroupBuy.id == Pledge.group_buy_id)
        .join(Offer, Offer.id == Pledge.offer_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.offer_id == Pledge.offer_id)
        .where(Pledge.status.in_([PledgeStatus.ACTIVE, PledgeStatus.CONFIRMED]))
        .group_by(Offer.supplier_id, Pledge.offer_id, GroupBuy.community_id, point))
    if offer_ids is not None:
        query = query.where(Pledge.offer_id.in_(offer_ids))
    cells: dict[Key, Delta] = defaultdict(Delta)
    for supplier_id, offer_id, community_id, point_id, *counters in db.session.execute(query):
        cells[(supplier_id, offer_id, community_id, point_id)] = Delta(*(int(value or 0) for value in counters))
    return {key: delta for key, delta in cells.items() if delta}


def stored(offer_ids: list[int] | None = None) -> dict[Key, Delta]:
    """The cells as the rollup holds them (all-zero cells left out), to compare with ``computed``."""
    query = sa.select(DemandCell)
    if offer_ids is not None:
        query = query.where(DemandCell.offer_id.in_(offer_ids))
    cells = {}
    for cell in db.session.execute(query).scalars():
        delta = Delta(*(getattr(cell, name) for name in _COUNTERS))
        if delta:
            cells[(cell.supplier_id, cell.offer_id, cell.community_id, cell.pickup_point_id)] = delta
    return cells
