"""Store credit pays toward orders: a group buy's balance, a drop, a subscription box.

* **By itself** — when a package makes balances for orders it announces them
  (``payments.cover.balances_due``) before any gateway is called; a member whose account is set to
  ``auto_apply`` (the default) has their credit in that community cover as much as it can.
* **By the member's hand** — ``apply_credit`` covers an order still waiting for cash at pickup, with credit
  earned since (or kept for later). Never a card payment: one not yet tried may be on its way to the card
  network with its amount.

Either way the credit is spent (``credit.spend``, keyed by the payment and what it had covered, so a rerun
spends nothing more) and the payment is lowered by the same amount in one unit of work
(``payments.cover``); covered whole, the payment has succeeded and the order is paid. Credit is never put
on a payment a gateway has already seen. When the order is cancelled the credit comes back
(``referral.settlement``); units refunded beyond what money paid come back as credit too."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from accounts.models import User
from core.errors import Conflict, NotFound
from core.extensions import db
from orders.models import Order, OrderLine
from payments import cover
from payments.models import Payment, PaymentStatus
from referral import credit
from referral.models import CreditAccount
from shopkeeper.models import Community
from shopkeeper.validation import MAX_ID
from supplier.models import Variant


@dataclass(frozen=True)
class Waiting:
    """An order of the member's waiting for a payment that credit may still cover."""

    order: Order
    payment: Payment

    @property
    def what(self) -> str:
        """What the order is for: its products, as the member knows them."""
        return ", ".join(dict.fromkeys(line.variant.product.name for line in self.order.lines))


def _spend_key(payment: Payment) -> str:
    return f"spend-payment-{payment.id}-{payment.covered_amount}"


def _apply(account: CreditAccount, payment: Payment, order: Order) -> int:
    """Cover what the account can of a locked, coverable payment; returns the amount covered."""
    amount = cover.coverable_amount(payment, account.balance if account.currency == payment.currency else 0)
    if amount <= 0:
        return 0
    credit.spend(account.user_id, account.community_id, amount, order.id, key=_spend_key(payment))
    cover.cover(payment, amount)
    return amount


def _with_credit(order_ids: list[int], chunk: int = 500) -> dict[int, tuple[Order, CreditAccount]]:
    """Of ``order_ids``, the orders whose member has credit set to pay by itself in the order's community,
    with that account: one query per ``chunk`` orders, returning only the few members with credit."""
    found: dict[int, tuple[Order, CreditAccount]] = {}
    for start in range(0, len(order_ids), chunk):
        rows = db.session.execute(
            sa.select(Order, CreditAccount).join(CreditAccount, sa.and_(
                CreditAccount.user_id == Order.user_id, CreditAccount.community_id == Order.community_id))
            .where(Order.id.in_(order_ids[start:start + chunk]), CreditAccount.balance > 0,
                   CreditAccount.auto_apply.is_(True)))
        found.update((order.id, (order, account)) for order, account in rows.all())
    return found


def _on_balances_due(_sender, payments: list[Payment], **_extra) -> None:
    """Cover new balances from the members' credit, where they asked for it: one query per 500 balances
    finds the members with credit, then one spend each."""
    fresh = [payment for payment in payments if payment.covered_amount == 0]
    with_credit = _with_credit([payment.order_id for payment in fresh]) if fresh else {}
    for payment in fresh:
        order, account = with_credit.get(payment.order_id, (None, None))
        if account is not None and order.user_id == payment.user_id:
            locked = cover.locked(payment.id)
            if locked is not None and locked.covered_amount == 0:
                try:
                    _apply(account, locked, order)
                except Conflict:  # the credit was spent elsewhere at the same moment: the balance stays due
                    continue


cover.balances_due.connect(_on_balances_due)


def _by_hand(payment: Payment) -> bool:
    """Credit applied by hand goes only on money paid at pickup: a card payment not yet tried may be on its
    way to the card network at this moment, with its amount already sent."""
    return payment.gateway == "offline" and cover.coverable(payment)


def waiting_orders(user: User, community: Community) -> list[Waiting]:
    """The member's orders in the community, to be paid at pickup, that credit may still pay toward, newest
    first."""
    rows = db.session.execute(
        sa.select(Order, Payment).join(Payment, Payment.order_id == Order.id)
        .where(Order.user_id == user.id, Order.community_id == community.id, Payment.user_id == user.id,
               Payment.status == PaymentStatus.PENDING, Payment.gateway == "offline")
        .options(selectinload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product))
        .order_by(Order.id.desc(), Payment.id).limit(100)).all()
    return [Waiting(order, payment) for order, payment in rows if _by_hand(payment)]


def apply_credit(user: User, community: Community, order_id: int) -> int:
    """Pay toward one of the member's orders in the community, to be paid at pickup, with their credit: as
    much as the balance allows, up to what the order still owes. Returns the amount spent (0: no credit).
    Raises ``not_found`` (not their order here) and ``not_coverable`` (409: the payment is paid, cancelled,
    or by card)."""
    order = db.session.get(Order, order_id) if isinstance(order_id, int) and 0 < order_id <= MAX_ID else None
    if order is None or order.user_id != user.id or order.community_id != community.id:
        raise NotFound()
    waiting = [payment for payment in db.session.execute(
        sa.select(Payment).where(Payment.order_id == order.id, Payment.user_id == user.id)
        .order_by(Payment.id)).scalars() if _by_hand(payment)]
    payment = cover.locked(waiting[-1].id) if waiting else None
    if payment is None or not _by_hand(payment):
        raise Conflict("not_coverable", _l("This order has nothing left that store credit can pay."))
    account = credit.account_of(user.id, community.id)
    return _apply(account, payment, order) if account is not None else 0


def set_auto_apply(user: User, community: Community, on: bool) -> bool:
    """The member's choice for new orders in the community; an account is opened to keep it."""
    account = credit.account_of(user.id, community.id) or credit.open_account(user.id, community.id)
    account.auto_apply = bool(on)
    db.session.flush()
    return account.auto_apply


def auto_applies(user: User, community: Community) -> bool:
    account = credit.account_of(user.id, community.id)
    return account.auto_apply if account is not None else True
