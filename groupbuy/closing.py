"""Closing an offer at its deadline: below the MOQ it fails and every pledge is released (deposits
refunded); at or above it, the pledges are rounded to whole cases, each allocated pledge becomes a
confirmed order at the final price, the supplier gets one purchase order and the balances fall due.

One use case, ``close_offer``, in one unit of work (the job around it commits). It is safe to run
twice or twice at once: the offer's row is locked first (PostgreSQL) and a closed offer is left alone;
behind that, ``purchase_orders.offer_id``, ``orders(source, source_id)`` and
``payments.idempotency_key`` are unique, so a race that slips through fails on an IntegrityError
(``groupbuy.jobs`` rolls back and treats the offer as already closed). The rules are in
docs/GROUPBUY.md ("Closing")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core import clock, jobs, mail
from core.extensions import db
from groupbuy import demand, deposits, notices, pricing
from groupbuy.allocation import Allocation, allocate
from groupbuy.deposits import reference
from groupbuy.models import GroupBuy, GroupBuyStatus, Pledge, PledgeStatus
from groupbuy.services import release_pledges
from groupbuy.settlement import SOURCE
from orders.models import Order, OrderStatus, PurchaseOrder, PurchaseOrderLine
from orders.services import LineSpec, build_order
from payments.cover import announce_due
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import PaymentSpec, create_payments, payments_for, payments_for_many, refund_deposit
from supplier.models import Offer, OfferStatus
from supplier.offers import change_status, locked_offer


@dataclass
class CloseResult:
    offer_id: int
    outcome: str  #: "succeeded", "failed" or "skipped" (not open, not due, or already closed)
    purchase_order_id: int | None = None
    order_ids: list[int] = field(default_factory=list)
    balance_payment_ids: list[int] = field(default_factory=list)


def deposit_paid(pledge: Pledge, payments: list[Payment] | None = None) -> int:
    """The pledge's deposit: the sum of its SUCCEEDED deposit payments (0 while deposits are not taken).
    ``payments``, when the caller already loaded them, saves the query."""
    if payments is None:
        payments = payments_for(reference(pledge))
    return sum(payment.amount for payment in payments
               if payment.purpose == PaymentPurpose.DEPOSIT and payment.status == PaymentStatus.SUCCEEDED)


def _payments_by_pledge(pledges: list[Pledge]) -> dict[int, list[Payment]]:
    """Every pledge's payments in one query per 500 pledges, not one per pledge."""
    loaded = payments_for_many(reference(pledge) for pledge in pledges)
    return {pledge.id: loaded[reference(pledge)] for pledge in pledges}


def due_offer_ids() -> list[int]:
    """OPEN offers whose close has come, soonest first: what the sweeper closes."""
    return list(db.session.execute(
        sa.select(Offer.id).where(Offer.status == OfferStatus.OPEN, Offer.closes_at <= clock.now())
        .order_by(Offer.closes_at, Offer.id)).scalars())


def close_offer(offer_id: int) -> CloseResult:
    """Close the offer if it is OPEN and its ``closes_at`` has come; otherwise do nothing ("skipped").

    Guarantees: the offer ends SUCCEEDED or FAILED with its OPEN group buys, every ACTIVE pledge ends
    CONFIRMED (with an order and, when something is owed, a PENDING balance payment) or RELEASED, at
    most one purchase order, and the members and shopkeepers are emailed — all in the caller's unit of
    work; balances are charged by a job after it commits. Raises no domain error; a concurrent close
    that got there first shows as sqlalchemy's IntegrityError, for the job to roll back."""
    offer = locked_offer(offer_id)
    if offer is None or offer.status != OfferStatus.OPEN or offer.closes_at > clock.now():
        return CloseResult(offer_id, "skipped")
    pledges = _active_pledges(offer)
    allocation = _allocation(offer, pledges)
    if sum(pledge.quantity for pledge in pledges) < offer.moq or allocation.total == 0:
        return _fail(offer, pledges)
    return _succeed(offer, pledges, allocation)


def _active_pledges(offer: Offer) -> list[Pledge]:
    return list(db.session.execute(
        sa.select(Pledge).where(Pledge.offer_id == offer.id, Pledge.status == PledgeStatus.ACTIVE)
        .options(selectinload(Pledge.user), selectinload(Pledge.pickup_point))
        .order_by(Pledge.created_at, Pledge.id)).scalars())


def _allocation(offer: Offer, pledges: list[Pledge]) -> Allocation:
    """Cases and units per pledge. With a capacity, tolerance may not open a case beyond it: then the
    pledges are allocated as if nobody had tolerance (whole cases of the pledged units only, which the
    capacity already holds)."""
    allocation = allocate(offer.case_pack, [(p.id, p.quantity, p.tolerance) for p in pledges])
    if offer.capacity is not None and allocation.total > offer.capacity:
        allocation = allocate(offer.case_pack, [(p.id, p.quantity, 0) for p in pledges])
    return allocation


def _open_group_buys(offer: Offer) -> list[GroupBuy]:
    return list(db.session.execute(
        sa.select(GroupBuy).where(GroupBuy.offer_id == offer.id, GroupBuy.status == GroupBuyStatus.OPEN)
        .order_by(GroupBuy.id)).scalars())


def _close_group_buys(offer: Offer, status: GroupBuyStatus) -> list[GroupBuy]:
    group_buys = _open_group_buys(offer)
    now = clock.now()
    for group_buy in group_buys:
        group_buy.status = status
        group_buy.closed_at = now
    return group_buys


def _fail(offer: Offer, pledges: list[Pledge]) -> CloseResult:
    """Below the MOQ: release every pledge (their units leave the pooled total), refund deposits."""
    refunded = set()
    payments = _payments_by_pledge(pledges)
    for pledge in pledges:
        for payment in payments[pledge.id]:
            if payment.purpose == PaymentPurpose.DEPOSIT and refund_deposit(payment.id) is not None:
                refunded.add(pledge.id)
    group_buys = _open_group_buys(offer)
    for group_buy in group_buys:
        release_pledges(group_buy)
    change_status(offer, OfferStatus.FAILED)
    _close_group_buys(offer, GroupBuyStatus.FAILED)
    db.session.flush()
    by_group_buy = defaultdict(list)
    for pledge in pledges:
        by_group_buy[pledge.group_buy_id].append(pledge)
    with mail.batch():
        for group_buy in group_buys:
            notices.tell_failed(group_buy, by_group_buy[group_buy.id], refunded)
    return CloseResult(offer.id, "failed")


def _split_order(item: tuple[tuple[int, int | None], int]) -> tuple[int, int]:
    (community_id, point_id), _units = item
    return community_id, point_id or 0


def _succeed(offer: Offer, pledges: list[Pledge], allocation: Allocation) -> CloseResult:
    """At or above the MOQ: orders at the final price, one purchase order, balances due."""
    wholesale = offer.price_for(allocation.total)
    change_status(offer, OfferStatus.SUCCEEDED)
    group_buys = {group_buy.id: group_buy for group_buy in _close_group_buys(offer, GroupBuyStatus.SUCCEEDED)}
    result = CloseResult(offer.id, "succeeded")
    confirmed: dict[int, list[tuple[Pledge, Order]]] = defaultdict(list)
    released: dict[int, list[Pledge]] = defaultdict(list)
    split: dict[tuple[int, int | None], int] = defaultdict(int)
    regions: dict[tuple[int, int | None], str] = {}
    payments = _payments_by_pledge(pledges)
    cells: dict[demand.Key, demand.Delta] = defaultdict(demand.Delta)
    made: list[tuple[Pledge, Order]] = []
    for pledge in pledges:
        units = allocation.quantities[pledge.id]
        group_buy = group_buys.get(pledge.group_buy_id) or pledge.group_buy
        cell = cells[demand.key_for(offer, group_buy.community_id, pledge.pickup_point_id)]
        cell.add(-demand.pending(pledge.quantity))
        if units == 0:
            pledge.status, pledge.allocated_quantity, pledge.cancelled_at = PledgeStatus.RELEASED, 0, clock.now()
            released[group_buy.id].append(pledge)
            deposits.give_back(payments[pledge.id])
            continue
        pledge.status, pledge.allocated_quantity = PledgeStatus.CONFIRMED, units
        cell.add(demand.committed(units, wholesale))
        deposit = deposits.settle_at_close(payments[pledge.id])
        order = build_order(
            user_id=pledge.user_id, community_id=group_buy.community_id, pickup_point_id=pledge.pickup_point_id,
            source=SOURCE, source_id=pledge.id, currency=offer.currency, deposit_amount=deposit,
            lines=[LineSpec(offer.variant_id, units, pricing.final_unit_price(group_buy, allocation.total, pledge),
                            wholesale)])
        deposits.refund_excess(payments[pledge.id], order.total_amount)
        made.append((pledge, order))
        confirmed[group_buy.id].append((pledge, order))
        key = (group_buy.community_id, pledge.pickup_point_id)
        split[key] += units
        regions[key] = pledge.pickup_point.region if pledge.pickup_point else ""
    _insert_orders_and_balances(made, result)
    purchase_order = PurchaseOrder(
        offer_id=offer.id, supplier_id=offer.supplier_id, variant_id=offer.variant_id, quantity=allocation.total,
        cases=allocation.cases, unit_price=wholesale, currency=offer.currency,
        lines=[PurchaseOrderLine(community_id=community_id, pickup_point_id=point_id,
                                 region=regions[(community_id, point_id)], quantity=units)
               for (community_id, point_id), units in sorted(split.items(), key=_split_order)])
    db.session.add(purchase_order)
    demand.shift_many(cells)
    db.session.flush()
    result.purchase_order_id = purchase_order.id
    if result.balance_payment_ids:
        jobs.enqueue("payments.jobs:charge_balances", list(result.balance_payment_ids),
                     job_id=f"charge-balances-offer-{offer.id}")
    with mail.batch():
        for group_buy in group_buys.values():
            notices.tell_succeeded(group_buy, confirmed[group_buy.id], released[group_buy.id])
    return result


def _insert_orders_and_balances(made: list[tuple[Pledge, Order]], result: CloseResult) -> None:
    """The orders, then their balance payments, each kind in one flush (batched INSERTs): thousands of
    pledges close in seconds, not one round trip per row."""
    for _pledge, order in made:
        order.status = OrderStatus.PAID if order.balance_amount == 0 else OrderStatus.CONFIRMED
    db.session.add_all(order for _pledge, order in made)
    db.session.flush()
    result.order_ids = [order.id for _pledge, order in made]
    balances = create_payments([
        PaymentSpec(PaymentPurpose.BALANCE, reference(pledge), pledge.user_id, order.balance_amount, order.currency,
                    idempotency_key=f"balance-pledge-{pledge.id}", order_id=order.id)
        for pledge, order in made if order.balance_amount > 0])
    announce_due(balances)  # store credit covers what it can before any card is charged
    result.balance_payment_ids = [payment.id for payment in balances]
