"""Store credit: a member's balance per community (``referral.models``).

* ``grant`` puts credit in (a review reward, a referral reward, a draw prize), once per key.
* ``spend`` takes credit toward an order of that community, once per key, never below 0: one
  conditional UPDATE decides, so two spends at once can never both pass on the same credit. Checkout
  (``referral.checkout``) spends it on the payments of orders.
* ``give_back`` returns part of what was spent on an order (units refunded), ``reverse_spend`` all that is
  left of it (the order cancelled or refunded), each once.

Each writes the ledger entry and moves the balance in the caller's unit of work; a rerun with the same key
writes nothing. The balance is the sum of the entries (``ledger_sum``), which the tests hold it to."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, DomainError
from core.extensions import db
from referral.models import CreditAccount, CreditEntry, CreditSource
from shopkeeper.models import Community

REWARDS = frozenset({CreditSource.REVIEW_REWARD, CreditSource.REFERRAL_REWARD, CreditSource.DRAW_PRIZE})


def account_of(user_id: int, community_id: int) -> CreditAccount | None:
    return db.session.execute(sa.select(CreditAccount).filter_by(
        user_id=user_id, community_id=community_id)).scalar_one_or_none()


def balance(user_id: int, community_id: int) -> int:
    account = account_of(user_id, community_id)
    return account.balance if account else 0


def ledger_sum(user_id: int, community_id: int) -> int:
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0)).join(
        CreditAccount).where(CreditAccount.user_id == user_id, CreditAccount.community_id == community_id)
    ).scalar_one()


def entries(user_id: int, community_id: int, limit: int = 50) -> list[CreditEntry]:
    """The newest first."""
    return list(db.session.execute(sa.select(CreditEntry).join(CreditAccount).where(
        CreditAccount.user_id == user_id, CreditAccount.community_id == community_id)
        .order_by(CreditEntry.id.desc()).limit(limit)).scalars())


def open_account(user_id: int, community_id: int) -> CreditAccount:
    account = account_of(user_id, community_id)
    if account is not None:
        return account
    community = db.session.get(Community, community_id)
    try:
        with db.session.begin_nested():
            account = CreditAccount(user_id=user_id, community_id=community_id, currency=community.currency,
                                    balance=0)
            db.session.add(account)
            db.session.flush()
            return account
    except IntegrityError:  # opened by another unit of work at the same moment
        return account_of(user_id, community_id)


def _entry_exists(key: str) -> bool:
    return db.session.execute(sa.select(CreditEntry.id).where(CreditEntry.key == key)).first() is not None


def _append(account: CreditAccount, amount: int, source: CreditSource, key: str, *, order_id: int | None = None,
            note: str = "", floor: bool = False) -> CreditEntry | None:
    """Move the balance by ``amount`` and append its entry, both or neither; None when ``key`` is already
    in the ledger, or (``floor``) when the balance would go below 0."""
    try:
        with db.session.begin_nested():
            update = sa.update(CreditAccount).where(CreditAccount.id == account.id).values(
                balance=CreditAccount.balance + amount)
            if floor:
                update = update.where(CreditAccount.balance >= -amount)
            if db.session.execute(update.execution_options(synchronize_session=False)).rowcount != 1:
                return None
            entry = CreditEntry(account_id=account.id, amount=amount, source=source, key=key[:120],
                                order_id=order_id, note=note[:200])
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # the same key, written by another unit of work at the same moment
        db.session.expire(account, ["balance"])
        return None
    db.session.expire(account, ["balance"])
    return entry


def grant(user_id: int, community_id: int, amount: int, source: CreditSource, key: str, note: str = ""
          ) -> CreditEntry | None:
    """Credit a reward; None when ``key`` was credited already."""
    if source not in REWARDS:
        raise ValueError(f"{source} is not a reward")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", _l("The amount must be more than zero."), field="amount")
    if _entry_exists(key):
        return None
    return _append(open_account(user_id, community_id), amount, source, key, note=note)


def spend_key(order_id: int) -> str:
    return f"spend-order-{order_id}"


def spend(user_id: int, community_id: int, amount: int, order_id: int, key: str | None = None) -> CreditEntry:
    """Pay ``amount`` of the member's credit toward an order of that community, once per ``key`` (by
    default one spend per order: asking again returns the first spend). Raises ``invalid_amount`` (422),
    ``not_enough_credit`` (409)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", _l("The amount must be more than zero."), field="amount")
    key = key or spend_key(order_id)
    done = _entry(key)
    if done is not None:
        return done
    account = account_of(user_id, community_id)
    entry = _append(account, -amount, CreditSource.SPEND, key, order_id=order_id, floor=True) if account else None
    if entry is None:
        again = _entry(key)
        if again is not None:  # spent by another unit of work at the same moment
            return again
        raise Conflict("not_enough_credit", _l("Your store credit is not enough for that."), field="amount")
    return entry


def _entry(key: str) -> CreditEntry | None:
    return db.session.execute(sa.select(CreditEntry).where(CreditEntry.key == key)).scalar_one_or_none()


def spent_on(order_id: int) -> int:
    """Credit spent on an order and not given back yet."""
    net = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0)).where(
        CreditEntry.order_id == order_id,
        CreditEntry.source.in_([CreditSource.SPEND, CreditSource.REVERSAL]))).scalar_one()
    return max(0, -net)


def give_back(order_id: int, amount: int, key: str) -> CreditEntry | None:
    """Return up to ``amount`` of the credit spent on an order (part of it refunded), once per ``key``;
    never more than is still spent on it. None when nothing is left to return or ``key`` was used."""
    if _entry_exists(key):
        return None
    amount = min(amount, spent_on(order_id))
    first = db.session.execute(sa.select(CreditEntry).where(
        CreditEntry.order_id == order_id, CreditEntry.source == CreditSource.SPEND).order_by(CreditEntry.id)
    ).scalars().first()
    if amount <= 0 or first is None:
        return None
    account = db.session.get(CreditAccount, first.account_id)
    return _append(account, amount, CreditSource.REVERSAL, key, order_id=order_id)


def reverse_spend(order_id: int) -> CreditEntry | None:
    """Give back all the credit still spent on an order (refunded or cancelled), once; None when nothing
    was spent on it or it was all given back already."""
    return give_back(order_id, spent_on(order_id), f"reversal-order-{order_id}")
