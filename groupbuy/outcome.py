"""What a closed group buy came to: a member's own outcome (allocated units, final price, balance due,
or released) and the shopkeeper's list of confirmed orders with each balance's payment status."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.auth import require
from core.extensions import db
from groupbuy.closing import SOURCE, deposit_paid
from groupbuy.deposits import reference_for
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from groupbuy.services import visible_group_buy
from orders.models import Order
from orders.services import order_for, orders_for
from payments.dunning import is_overdue
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import payments_for
from payments.transitions import NEEDS_MEMBER
from shopkeeper.models import Community, MembershipRole

#: a balance payment's status as the shopkeeper reads it
BALANCE_LABELS = {
    PaymentStatus.PENDING: _l("Waiting"),
    PaymentStatus.REQUIRES_ACTION: _l("Member must act"),
    PaymentStatus.SUCCEEDED: _l("Paid"),
    PaymentStatus.FAILED: _l("Declined"),
    PaymentStatus.CANCELLED: _l("Cancelled"),
}


@dataclass(frozen=True)
class MyOutcome:
    pledge: Pledge
    order: Order | None  #: None when the pledge was released
    deposit: int  #: what was taken as a deposit (refunded when released)
    balance: Payment | None = None  #: the order's balance payment, if anything was left to pay

    @property
    def balance_to_pay(self) -> Payment | None:
        """The balance when it waits for its member (dunning: declined, or their bank wants them), within
        its grace period: the page offers the pay link."""
        balance = self.balance
        if balance is None or balance.status not in NEEDS_MEMBER or is_overdue(balance):
            return None
        return balance

    @property
    def confirmed(self) -> bool:
        return self.order is not None


@dataclass(frozen=True)
class OrderRow:
    order: Order
    balance: Payment | None  #: None when nothing was left to pay after the deposit

    @property
    def balance_label(self):
        return BALANCE_LABELS[self.balance.status] if self.balance else _l("Nothing due")


def my_outcome(user: User, group_buy: GroupBuy) -> MyOutcome | None:
    """The caller's pledge on a closed (succeeded or failed) group buy and its order, or None when they
    had no pledge that was confirmed or released."""
    pledge = db.session.execute(sa.select(Pledge).where(
        Pledge.group_buy_id == group_buy.id, Pledge.user_id == user.id,
        Pledge.status.in_([PledgeStatus.CONFIRMED, PledgeStatus.RELEASED]))).scalar_one_or_none()
    if pledge is None:
        return None
    order = order_for(SOURCE, pledge.id) if pledge.status == PledgeStatus.CONFIRMED else None
    return MyOutcome(pledge, order, deposit_paid(pledge), _balance(pledge.id) if order is not None else None)


def _balance(pledge_id: int) -> Payment | None:
    balances = [payment for payment in payments_for(reference_for(pledge_id))
                if payment.purpose == PaymentPurpose.BALANCE]
    return balances[-1] if balances else None


def confirmed_orders(user: User, group_buy_id: int, community: Community | None = None
                     ) -> tuple[GroupBuy, list[OrderRow]]:
    """The group buy and its orders (member, quantity, pickup point, amount, balance payment), by member
    name. Raises ``not_found`` (not a member there, or another community's) and ``forbidden`` (members)."""
    group_buy, membership = visible_group_buy(user, group_buy_id, community)
    require(membership.role == MembershipRole.SHOPKEEPER, _l("Only the shopkeeper can see the orders."))
    pledge_ids = db.session.execute(sa.select(Pledge.id).where(
        Pledge.group_buy_id == group_buy.id, Pledge.status == PledgeStatus.CONFIRMED)).scalars().all()
    orders = sorted(orders_for(SOURCE, pledge_ids).values(), key=lambda order: (order.user.display_name, order.id))
    return group_buy, [OrderRow(order, _balance(order.source_id)) for order in orders]

