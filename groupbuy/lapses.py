"""What dunning leads to: a balance not paid within its grace period drops the pledge. The rules, with an
example, are in docs/GROUPBUY.md ("Unpaid balances").

A dropped pledge's order is cancelled and its deposit kept (forfeited: that is what it was for). Its
units are counted out of the purchase order — its (community, pickup point) line and the order as a
whole — while the supplier has not shipped yet; after shipping they are on their way and stay with the
shopkeeper. The final tier price does not change: it was judged at close. The committed-demand rollup
loses the units. The member and the shopkeepers are told, once.

Safe to run twice or at once: the pledge's row is locked and only a CONFIRMED pledge whose balance the
sweeper cancelled is dropped; the purchase order's counters move in one conditional UPDATE each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, notify
from core.extensions import db
from groupbuy import demand
from groupbuy.closing import SOURCE
from groupbuy.deposits import PREFIX, pledge_id_of, reference
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from groupbuy.notices import shopkeepers_of
from orders.fulfilment import advance_order
from orders.models import OrderStatus, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from orders.services import order_for
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import payments_for

#: how far back the sweeper looks for balances it cancelled without dropping their pledge (a crash between)
LOOKBACK = timedelta(days=7)
#: units already on their way: they stay with the shopkeeper
_SENT = (PurchaseOrderStatus.SHIPPED, PurchaseOrderStatus.RECEIVED)

notify.register("order_lapsed", _l("The balance for “%(title)s” was not paid in time, so your order of %(n)s "
                                   "is cancelled. The deposit is kept."), _l("Order cancelled: %(title)s"))
notify.register("order_lapsed_shop", _l("%(member)s did not pay the balance for “%(title)s” in time: their "
                                        "order of %(n)s is cancelled and the units are taken off the purchase "
                                        "order."), _l("Unpaid balance: %(title)s"))
notify.register("order_lapsed_shop_kept", _l("%(member)s did not pay the balance for “%(title)s” in time: "
                                             "their order of %(n)s is cancelled. The goods were already "
                                             "shipped, so the units stay with you."), _l("Unpaid balance: %(title)s"))


def lapsed_pledge_ids(references: Iterable[str] = ()) -> list[int]:
    """The pledges to drop: those of ``references`` (what ``payments.jobs.expire_overdue_payments`` just
    cancelled) and any CONFIRMED pledge whose balance dunning cancelled lately but which was never dropped."""
    recent = db.session.execute(sa.select(Payment.reference).where(
        Payment.purpose == PaymentPurpose.BALANCE, Payment.status == PaymentStatus.CANCELLED,
        Payment.action_due_at >= clock.now() - LOOKBACK, Payment.reference.startswith(PREFIX))).scalars()
    ids = {pledge_id_of(ref) for ref in [*references, *recent]} - {None}
    if not ids:
        return []
    return sorted(db.session.execute(sa.select(Pledge.id).where(
        Pledge.id.in_(ids), Pledge.status == PledgeStatus.CONFIRMED)).scalars())


def my_dropped_pledge(user: User, group_buy: GroupBuy) -> Pledge | None:
    """The caller's pledge on the group buy if it was dropped for an unpaid balance."""
    return db.session.execute(sa.select(Pledge).where(
        Pledge.group_buy_id == group_buy.id, Pledge.user_id == user.id,
        Pledge.status == PledgeStatus.DROPPED)).scalar_one_or_none()


def _lapsed(pledge: Pledge) -> bool:
    """Its balance was cancelled by dunning (never paid within the grace period)."""
    return any(payment.purpose == PaymentPurpose.BALANCE and payment.status == PaymentStatus.CANCELLED
               and payment.action_due_at is not None for payment in payments_for(reference(pledge)))


def drop_pledge(pledge_id: int) -> bool:
    """Drop one CONFIRMED pledge whose balance lapsed, in the caller's unit of work; returns whether it
    did (False: already dropped, paid after all, not lapsed, or its goods already picked up)."""
    pledge = db.session.execute(sa.select(Pledge).where(Pledge.id == pledge_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if pledge is None or pledge.status != PledgeStatus.CONFIRMED or not _lapsed(pledge):
        return False
    order = order_for(SOURCE, pledge.id)
    if order is not None and order.status == OrderStatus.PICKED_UP:
        return False  # the member has the goods: a debt for the shopkeeper, not a lapse
    now = clock.now()
    units = pledge.allocated_quantity or 0
    pledge.status, pledge.cancelled_at = PledgeStatus.DROPPED, now
    if order is not None and order.status != OrderStatus.CANCELLED:
        advance_order(order, OrderStatus.CANCELLED)
    group_buy = pledge.group_buy
    purchase_order = db.session.execute(
        sa.select(PurchaseOrder).where(PurchaseOrder.offer_id == pledge.offer_id)).scalar_one_or_none()
    counted_out = purchase_order is not None and units > 0 and _count_out(purchase_order, group_buy, pledge, units)
    if purchase_order is not None and units:
        demand.shift(demand.key_for(group_buy.offer, group_buy.community_id, pledge.pickup_point_id),
                     -demand.committed(units, purchase_order.unit_price))
    db.session.flush()
    _tell(group_buy, pledge, units, counted_out)
    return True


def _count_out(purchase_order: PurchaseOrder, group_buy: GroupBuy, pledge: Pledge, units: int) -> bool:
    """Take ``units`` off the purchase order and its line unless it has shipped; returns whether it did."""
    moved = db.session.execute(
        sa.update(PurchaseOrder).where(PurchaseOrder.id == purchase_order.id, PurchaseOrder.status.not_in(_SENT))
        .values(dropped_quantity=PurchaseOrder.dropped_quantity + units).returning(PurchaseOrder.id)
        .execution_options(synchronize_session=False)).first()
    if moved is None:
        return False
    point = (PurchaseOrderLine.pickup_point_id == pledge.pickup_point_id if pledge.pickup_point_id is not None
             else PurchaseOrderLine.pickup_point_id.is_(None))
    db.session.execute(
        sa.update(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == purchase_order.id,
                                           PurchaseOrderLine.community_id == group_buy.community_id, point)
        .values(dropped_quantity=PurchaseOrderLine.dropped_quantity + units)
        .execution_options(synchronize_session=False))
    db.session.expire(purchase_order)
    return True


def _tell(group_buy: GroupBuy, pledge: Pledge, units: int, counted_out: bool) -> None:
    link = f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"
    notify.tell(pledge.user, "order_lapsed", key=f"pledge-{pledge.id}-lapsed", link=link, title=group_buy.title,
                n=units)
    kind = "order_lapsed_shop" if counted_out else "order_lapsed_shop_kept"
    for user in shopkeepers_of(group_buy):
        notify.tell(user, kind, key=f"pledge-{pledge.id}-lapsed", link=f"{link}/payments", title=group_buy.title,
                    n=units, member=pledge.user.display_name)
