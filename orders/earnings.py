"""The shopkeeper's earnings ledger: the margin on each fulfilled order line, which the supplier owes the
community's shopkeeper. One credit per line (``earnings_entries(order_line_id, kind)`` is unique), so
marking an order picked up twice, or two at once, credits once."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from orders.models import EarningsEntry, Order
from supplier.models import Variant

MARGIN = "margin"


def credit_order(order: Order) -> list[EarningsEntry]:
    """Credit the margin on each line of a fulfilled order (units delivered only); lines already credited
    are left alone. Returns the entries written now. Flushes; the caller's unit of work commits."""
    written = []
    for line in order.lines:
        if line.delivered_quantity <= 0 or _credited(line.id):
            continue
        supplier_id = db.session.execute(sa.select(Variant.supplier_id).where(Variant.id == line.variant_id)
                                         ).scalar_one()
        entry = EarningsEntry(kind=MARGIN, supplier_id=supplier_id, community_id=order.community_id,
                              order_line_id=line.id, quantity=line.delivered_quantity, amount=line.margin_amount,
                              wholesale_amount=line.wholesale_unit_price * line.delivered_quantity,
                              currency=order.currency)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
                db.session.flush()
        except IntegrityError:  # credited at the same moment by another unit of work
            continue
        written.append(entry)
    return written


def _credited(order_line_id: int) -> bool:
    return db.session.execute(sa.select(EarningsEntry.id).where(
        EarningsEntry.order_line_id == order_line_id, EarningsEntry.kind == MARGIN)).first() is not None
