"""The store-credit ledger (issue #6, acceptance 1): the balance is the sum of the entries, whatever
happens; concurrent spends never make it negative; a refunded order's credit spend is reversed, once."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from core.extensions import db
from orders.services import LineSpec, create_order
from referral import credit
from referral.models import CreditAccount, CreditEntry, CreditSource
from tests.concurrency import all_at_once
from tests.factories import add_member, make_community, make_product, make_supplier

_keys = itertools.count(1)


def a_member_with_orders(orders: int = 3):
    """A member of a community and ``orders`` orders of theirs there. Returns (user id, community id, order ids)."""
    community = make_community()
    member = add_member(community)
    variant = make_product(make_supplier()).variants[0]
    made = [create_order(user_id=member.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=next(_keys), currency=community.currency,
                         lines=[LineSpec(variant.id, 1, 1000, 600)]) for _ in range(orders)]
    db.session.commit()
    return member.id, community.id, [order.id for order in made]


def reward(user_id: int, community_id: int, amount: int) -> None:
    credit.grant(user_id, community_id, amount, CreditSource.REVIEW_REWARD, f"test-reward-{next(_keys)}")
    db.session.commit()


def test_rewards_spends_and_a_reversal_keep_the_balance_the_sum_of_the_entries():
    user_id, community_id, (first, second, _) = a_member_with_orders()
    reward(user_id, community_id, 800)
    reward(user_id, community_id, 300)
    credit.spend(user_id, community_id, 500, first)
    credit.spend(user_id, community_id, 400, second)
    db.session.commit()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 200
    credit.reverse_spend(first)  # the first order was refunded
    db.session.commit()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 700
    assert [e.source for e in credit.entries(user_id, community_id)] == [
        CreditSource.REVERSAL, CreditSource.SPEND, CreditSource.SPEND, CreditSource.REVIEW_REWARD,
        CreditSource.REVIEW_REWARD]


def test_a_reward_a_spend_and_a_reversal_are_each_written_once():
    user_id, community_id, (order_id, *_) = a_member_with_orders()
    assert credit.grant(user_id, community_id, 500, CreditSource.DRAW_PRIZE, "draw-7-winner-1") is not None
    assert credit.grant(user_id, community_id, 500, CreditSource.DRAW_PRIZE, "draw-7-winner-1") is None
    first = credit.spend(user_id, community_id, 200, order_id)
    assert credit.spend(user_id, community_id, 200, order_id).id == first.id
    assert credit.reverse_spend(order_id) is not None
    assert credit.reverse_spend(order_id) is None
    db.session.commit()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 500


def test_spending_more_than_the_balance_is_refused_and_writes_nothing():
    user_id, community_id, (order_id, *_) = a_member_with_orders()
    with pytest.raises(DomainError) as refused:
        credit.spend(user_id, community_id, 1, order_id)  # no account yet
    assert refused.value.code == "not_enough_credit"
    reward(user_id, community_id, 300)
    with pytest.raises(DomainError) as refused:
        credit.spend(user_id, community_id, 301, order_id)
    assert (refused.value.code, refused.value.status) == ("not_enough_credit", 409)
    db.session.rollback()
    assert credit.balance(user_id, community_id) == 300
    assert db.session.query(CreditEntry).filter_by(source=CreditSource.SPEND).count() == 0


def test_a_ledger_entry_cannot_be_changed_or_deleted():
    user_id, community_id, _ = a_member_with_orders(0)
    reward(user_id, community_id, 100)
    entry = db.session.execute(sa.select(CreditEntry)).scalar_one()
    entry.amount = 1_000_000
    with pytest.raises(RuntimeError, match="part of the ledger"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.execute(sa.select(CreditEntry)).scalar_one())
    with pytest.raises(RuntimeError, match="part of the ledger"):
        db.session.flush()
    db.session.rollback()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 100


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(["reward", "spend", "reverse"]), st.integers(1, 900)),
                      max_size=12))
def test_whatever_happens_the_balance_is_the_sum_and_never_negative(steps):
    user_id, community_id, orders = a_member_with_orders(4)
    for kind, amount in steps:
        order_id = orders[amount % len(orders)]
        try:
            if kind == "reward":
                credit.grant(user_id, community_id, amount, CreditSource.REFERRAL_REWARD, f"prop-{next(_keys)}")
            elif kind == "spend":
                credit.spend(user_id, community_id, amount, order_id)
            else:
                credit.reverse_spend(order_id)
            db.session.commit()
        except DomainError:
            db.session.rollback()
        assert 0 <= credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id)


def test_concurrent_spends_never_make_the_balance_negative(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent spends need PostgreSQL to mean anything")
    user_id, community_id, orders = a_member_with_orders(10)
    reward(user_id, community_id, 1000)
    results = all_at_once(app, [(user_id, community_id, 300, order_id) for order_id in orders],
                          lambda *call: credit.spend(*call).id)
    assert sorted(r for r in results if isinstance(r, str)) == ["not_enough_credit"] * 7
    db.session.expire_all()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 100
    assert db.session.execute(sa.select(sa.func.min(CreditAccount.balance))).scalar_one() >= 0


def test_the_same_reward_granted_at_once_is_credited_once(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent grants need PostgreSQL to mean anything")
    user_id, community_id, _ = a_member_with_orders(0)
    results = all_at_once(app, [(user_id, community_id, 500, CreditSource.REVIEW_REWARD, "review-reward-line-1")] * 6,
                          lambda *call: credit.grant(*call) is not None)
    assert results.count(True) == 1
    db.session.expire_all()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 500


def test_cancelling_an_order_gives_its_credit_spend_back_once():
    from orders.fulfilment import advance_order
    from orders.models import Order, OrderStatus

    user_id, community_id, (order_id, other_id, _) = a_member_with_orders()
    reward(user_id, community_id, 1000)
    credit.spend(user_id, community_id, 600, order_id)
    credit.spend(user_id, community_id, 300, other_id)
    db.session.commit()
    advance_order(db.session.get(Order, order_id), OrderStatus.CANCELLED)  # refunded: the goods never came
    db.session.commit()
    assert credit.balance(user_id, community_id) == credit.ledger_sum(user_id, community_id) == 700
    assert credit.reverse_spend(order_id) is None
    reversal = db.session.execute(sa.select(CreditEntry).where(CreditEntry.source == CreditSource.REVERSAL)
                                  ).scalar_one()
    assert (reversal.amount, reversal.order_id) == (600, order_id)
