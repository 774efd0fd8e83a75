"""Case-pack rounding and the fair share of the last case (groupbuy.allocation; docs/GROUPBUY.md).
The rule: when the extra case opens, tolerance units go round-robin in pledge order to pledges with
tolerance left; when it does not, the units of the unfilled case are taken back round-robin from the
latest pledge to the earliest, never below zero."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groupbuy.allocation import allocate, cases_for

A, B, C = 1, 2, 3


def test_tolerance_completes_a_second_case_shared_round_robin_in_pledge_order():
    result = allocate(6, [(A, 4, 2), (B, 3, 0), (C, 2, 3)])
    assert result.cases == 2 and result.total == 12
    # 3 tolerance units are needed: A+1, (B has none), C+1, then A+1
    assert result.quantities == {A: 6, B: 3, C: 3}


def test_without_enough_tolerance_the_unfilled_case_is_taken_back_from_the_latest_pledges_first():
    result = allocate(6, [(A, 4, 2), (B, 3, 0), (C, 2, 0)])
    assert result.cases == 1 and result.total == 6
    # 3 units to take back: C−1, B−1, A−1
    assert result.quantities == {A: 3, B: 2, C: 1}


def test_taking_back_skips_pledges_already_at_zero():
    result = allocate(6, [(A, 5, 0), (B, 1, 0), (C, 1, 0)])
    assert result.cases == 1
    # 1 unit over: C gives it; had it been 3: C, B, then A
    assert result.quantities == {A: 5, B: 1, C: 0}
    assert allocate(4, [(A, 5, 0), (B, 1, 0), (C, 1, 0)]).quantities == {A: 4, B: 0, C: 0}


def test_tolerance_alone_never_opens_a_case():
    assert cases_for(6, 12, 5) == 2
    assert allocate(6, [(A, 6, 5), (B, 6, 5)]).quantities == {A: 6, B: 6}


def test_an_exact_multiple_orders_exactly_what_was_pledged():
    assert allocate(6, [(A, 4, 2), (B, 2, 3)]).quantities == {A: 4, B: 2}


def test_fewer_units_than_a_case_and_not_enough_tolerance_order_nothing():
    result = allocate(12, [(A, 3, 2), (B, 4, 1)])
    assert result.cases == 0 and result.quantities == {A: 0, B: 0}


def test_a_case_pack_of_one_orders_every_unit():
    assert allocate(1, [(A, 3, 0), (B, 5, 0)]).quantities == {A: 3, B: 5}


def test_no_pledges_order_nothing():
    result = allocate(6, [])
    assert result.cases == 0 and result.quantities == {}


def test_nonsense_is_refused():
    with pytest.raises(ValueError):
        allocate(0, [(A, 1, 0)])
    with pytest.raises(ValueError):
        allocate(6, [(A, -1, 0)])


pledge_lists = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 11)), max_size=25)


@given(case=st.integers(1, 12), raw=pledge_lists)
def test_properties_of_every_allocation(case, raw):
    pledges = [(pledge_id, quantity, tolerance % case) for pledge_id, (quantity, tolerance) in enumerate(raw, 1)]
    result = allocate(case, pledges)
    total_quantity = sum(q for _i, q, _t in pledges)
    given_total = sum(result.quantities.values())
    assert given_total == result.total and given_total % case == 0
    assert result.cases == cases_for(case, total_quantity, sum(t for _i, _q, t in pledges))
    extra_case_opened = given_total > total_quantity
    for pledge_id, quantity, tolerance in pledges:
        got = result.quantities[pledge_id]
        assert 0 <= got <= quantity + tolerance
        if extra_case_opened or given_total == total_quantity:
            assert got >= quantity
    # never more units than pledged plus tolerance, never fewer than the full cases in the pledges
    assert total_quantity // case * case <= given_total <= total_quantity + case - 1


@given(case=st.integers(2, 12), raw=pledge_lists)
def test_taking_back_costs_no_one_a_second_unit_while_a_later_pledge_could_give_one(case, raw):
    pledges = [(pledge_id, quantity, 0) for pledge_id, (quantity, _t) in enumerate(raw, 1)]
    result = allocate(case, pledges)
    lost = [quantity - result.quantities[pledge_id] for pledge_id, quantity, _t in pledges]
    for earlier in range(len(pledges)):
        for later in range(earlier + 1, len(pledges)):
            if lost[earlier] > lost[later]:
                assert result.quantities[pledges[later][0]] == 0
