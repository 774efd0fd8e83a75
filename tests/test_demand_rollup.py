"""The committed-demand rollup agrees with the pledges after every kind of change."""

from __future__ import annotations

from core import clock
from groupbuy import demand
from groupbuy.closing import close_offer
from groupbuy.pledges import cancel_pledge, pledge
from groupbuy.services import cancel_group_buy
from tests.factories import add_member, make_community, make_pickup_point
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge


def _agrees():
    assert demand.stored() == demand.computed()


def test_pledges_changes_cancels_releases_and_a_close_keep_the_rollup_equal_to_the_pledges(app):
    offer = make_offer(moq=5)
    group_buy = make_group_buy(offer)
    second_point = make_pickup_point(group_buy.community)
    group_buy.pickup_points.append(second_point)
    other = make_group_buy(offer, make_community())
    first = make_pledge(group_buy, quantity=4)
    _agrees()
    member = add_member(group_buy.community)
    pledge(member, group_buy.id, quantity=3, pickup_point_id=group_buy.pickup_points[0].id)
    pledge(member, group_buy.id, quantity=6, pickup_point_id=second_point.id, tolerance=1)
    _agrees()
    cancel_pledge(first.user, group_buy.id)
    _agrees()
    pledge(first.user, group_buy.id, quantity=2, pickup_point_id=second_point.id)
    make_pledge(other, quantity=5)
    _agrees()
    cells = demand.stored([offer.id])
    assert sum(cell.pending_quantity for cell in cells.values()) == 13
    assert sum(cell.pending_pledges for cell in cells.values()) == 3
    cancel_group_buy(other.created_by, other.id)
    _agrees()
    clock.freeze(offer.closes_at)
    assert close_offer(offer.id).outcome == "succeeded"
    _agrees()
    cells = demand.stored([offer.id])
    assert sum(cell.pending_quantity for cell in cells.values()) == 0
    assert sum(cell.committed_quantity for cell in cells.values()) > 0


def test_rebuild_puts_back_what_the_pledges_say(app):
    offer = make_offer(moq=5)
    group_buy = make_group_buy(offer)
    make_pledge(group_buy, quantity=4)
    demand.shift(demand.key_for(offer, group_buy.community_id, None), demand.pending(100))
    assert demand.stored() != demand.computed()
    demand.rebuild([offer.id])
    _agrees()
