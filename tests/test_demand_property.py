"""Whatever members and shopkeepers do — pledge, change a pledge's quantity or pickup point, cancel,
pledge again, cancel a group buy — and however the offer closes, the demand rollup the dashboard reads
holds exactly what a GROUP BY over the pledges says."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from core.errors import DomainError
from core.extensions import db
from groupbuy import demand
from groupbuy.closing import close_offer
from groupbuy.pledges import cancel_pledge, pledge
from groupbuy.services import cancel_group_buy
from tests.factories import add_member, make_community, make_pickup_point
from tests.groupbuy_factories import make_group_buy, make_offer

MEMBERS = 4  #: two in each community

actions = st.lists(st.one_of(
    st.tuples(st.just("pledge"), st.integers(0, MEMBERS - 1), st.integers(1, 12), st.integers(0, 1),
              st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, MEMBERS - 1)),
    st.tuples(st.just("cancel group buy"), st.integers(0, 1)),
), max_size=12)


def _world(case_pack: int, moq: int):
    """An offer run in two communities; the first group buy offers two pickup points in two regions."""
    offer = make_offer(moq=moq, case_pack=case_pack)
    first = make_group_buy(offer)
    second_point = make_pickup_point(first.community, region="Minhang")
    first.pickup_points.append(second_point)
    other = make_community()
    make_pickup_point(other, region="")
    second = make_group_buy(offer, other)
    db.session.commit()
    group_buys = [first, second]
    members = [(add_member(group_buys[n % 2].community), group_buys[n % 2]) for n in range(MEMBERS)]
    return offer, group_buys, members


def _act(action, group_buys, members) -> None:
    kind, *args = action
    if kind == "pledge":
        who, quantity, point, tolerance = args
        user, group_buy = members[who]
        points = group_buy.pickup_points
        pledge(user, group_buy.id, quantity=quantity, pickup_point_id=points[point % len(points)].id,
               tolerance=tolerance % group_buy.offer.case_pack)
    elif kind == "cancel":
        user, group_buy = members[args[0]]
        cancel_pledge(user, group_buy.id)
    else:
        group_buy = group_buys[args[0]]
        cancel_group_buy(group_buy.created_by, group_buy.id)


def _agrees(offer_id: int) -> None:
    assert demand.stored([offer_id]) == demand.computed([offer_id])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(history=actions, case_pack=st.sampled_from([1, 3]), moq=st.integers(1, 30), closes=st.booleans())
def test_the_rollup_equals_the_pledges_after_any_history_and_either_close(app, history, case_pack, moq, closes):
    offer, group_buys, members = _world(case_pack, moq)
    for action in history:
        try:
            _act(action, group_buys, members)
            db.session.commit()
        except DomainError:
            db.session.rollback()
        _agrees(offer.id)
    if closes:
        clock.freeze(offer.closes_at + timedelta(minutes=1))
        outcome = close_offer(offer.id).outcome
        db.session.commit()
        assert outcome in {"succeeded", "failed"}
        _agrees(offer.id)
        cells = demand.stored([offer.id]).values()
        assert sum(cell.pending_quantity for cell in cells) == 0
        assert outcome == "succeeded" or not any(cell.committed_quantity for cell in cells)
