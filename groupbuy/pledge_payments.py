"""The shopkeeper's view of a group buy's money: every pledge's deposits, balance and refunds with their
status, why a card payment failed and until when its member may still pay; and confirming what was paid
(or handed back) in cash or by transfer. Loaded in a handful of queries whatever the number of pledges."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from accounts.models import User
from core.errors import NotFound
from core.extensions import db
from groupbuy.closing import SOURCE
from groupbuy.deposits import reference
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from groupbuy.outcome import BALANCE_LABELS
from groupbuy.services import managed_group_buy
from orders.models import Order
from orders.services import orders_for
from payments.dunning import failure_reason
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import mark_paid_offline, payments_for_many
from shopkeeper.models import Community

PURPOSE_LABELS = {
    PaymentPurpose.DEPOSIT: _l("Deposit"),
    PaymentPurpose.BALANCE: _l("Balance"),
    PaymentPurpose.REFUND: _l("Refund"),
}
PLEDGE_LABELS = {
    PledgeStatus.ACTIVE: _l("Pledged"),
    PledgeStatus.CANCELLED: _l("Cancelled"),
    PledgeStatus.RELEASED: _l("Released"),
    PledgeStatus.CONFIRMED: _l("Ordered"),
    PledgeStatus.DROPPED: _l("Dropped: balance unpaid"),
}
_REFUNDED = _l("Handed back")


@dataclass(frozen=True)
class PaymentLine:
    payment: Payment

    @property
    def purpose_label(self):
        return PURPOSE_LABELS[self.payment.purpose]

    @property
    def status_label(self):
        if self.payment.purpose == PaymentPurpose.REFUND and self.payment.status == PaymentStatus.SUCCEEDED:
            return _REFUNDED
        return BALANCE_LABELS[self.payment.status]

    @property
    def reason(self) -> str | None:
        """Why it failed, while it matters (not once paid or given up)."""
        if self.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED):
            return None
        return failure_reason(self.payment)

    @property
    def confirmable(self) -> bool:
        """Cash or transfer the shopkeeper may mark as received (a refund: as handed back)."""
        return self.payment.gateway == "offline" and self.payment.status == PaymentStatus.PENDING


@dataclass(frozen=True)
class PledgeRow:
    pledge: Pledge
    order: Order | None
    lines: list[PaymentLine]

    @property
    def status_label(self):
        return PLEDGE_LABELS[self.pledge.status]


def payment_rows(user: User, group_buy_id: int, community: Community | None = None
                 ) -> tuple[GroupBuy, list[PledgeRow]]:
    """The group buy and, by member name, every pledge that is standing or has payments, with its order
    and its payments oldest first. Raises ``not_found`` (outsiders) and ``forbidden`` (members)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    pledges = list(db.session.execute(
        sa.select(Pledge).where(Pledge.group_buy_id == group_buy.id)
        .options(selectinload(Pledge.user), selectinload(Pledge.pickup_point))).scalars())
    payments = payments_for_many(reference(pledge) for pledge in pledges)
    orders = orders_for(SOURCE, [pledge.id for pledge in pledges])
    standing = (PledgeStatus.ACTIVE, PledgeStatus.CONFIRMED)
    rows = [PledgeRow(pledge, orders.get(pledge.id), [PaymentLine(p) for p in payments[reference(pledge)]])
            for pledge in pledges if pledge.status in standing or payments[reference(pledge)]]
    rows.sort(key=lambda row: (row.pledge.user.display_name.casefold(), row.pledge.id))
    return group_buy, rows


def confirm_payment(user: User, group_buy_id: int, payment_id: int, community: Community | None = None
                    ) -> Payment:
    """The shopkeeper confirms cash or a transfer received for one of the group buy's pledges (a refund:
    handed back). Raises ``not_found`` (outsiders, or a payment not for this group buy), ``forbidden``
    (members), and what ``payments.services.mark_paid_offline`` raises (``not_offline``,
    ``payment_closed``)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    payment = db.session.get(Payment, payment_id) if 0 < payment_id <= 2**31 - 1 else None
    prefix, _sep, pledge_id = (payment.reference if payment else "").partition(":")
    pledge = db.session.get(Pledge, int(pledge_id)) if prefix == "pledge" and pledge_id.isdigit() else None
    if pledge is None or pledge.group_buy_id != group_buy.id:
        raise NotFound()
    return mark_paid_offline(True, payment.id)
