"""Waitlist and restock: after a sell-out members line up in order; units that come back (a restock, a
hold that ran out) are offered down the line one each, with a claim window; a window that passes gives
the unit to the next in line."""

from datetime import timedelta

from core import clock
from core.extensions import db
from core.notify import Notification
from launches import hold_jobs, holds, stock, waitlist
from launches.models import Hold, HoldSource, HoldStatus, Launch, WaitlistEntry, WaitlistStatus
from tests.drop_factories import make_hold, make_launch
from tests.factories import add_member, count, token_headers


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _sold_out_with_line(size: int, **launch_args):
    launch = make_launch(stock=1, **launch_args)
    make_hold(launch)
    line = [add_member(launch.communities[0]) for _ in range(size)]
    for member in line:
        waitlist.join(member, launch.id)
    db.session.commit()
    return launch, line


def _restock(launch, units: int) -> list[Hold]:
    stock.add_stock(launch.id, units)
    offered = waitlist.offer_restock(launch.id)
    db.session.commit()
    return offered


def _entry(launch, user) -> WaitlistEntry:
    db.session.expire_all()
    return waitlist.my_entry(user, launch.id)


def test_members_join_the_waitlist_only_once_it_is_sold_out(client):
    launch = make_launch(stock=1)
    first = add_member(launch.communities[0])
    early = client.post(f"/api/v1/launches/{launch.id}/waitlist", headers=token_headers(first))
    assert early.status_code == 409 and early.json["error"]["code"] == "not_sold_out"
    make_hold(launch)
    second = add_member(launch.communities[0])
    assert client.post(f"/api/v1/launches/{launch.id}/waitlist", headers=token_headers(first)).json["place"] == 1
    assert client.post(f"/api/v1/launches/{launch.id}/waitlist", headers=token_headers(second)).json["place"] == 2
    again = client.post(f"/api/v1/launches/{launch.id}/waitlist", headers=token_headers(first))
    assert again.status_code == 201 and again.json["place"] == 1 and count(WaitlistEntry) == 2


def test_a_restock_is_offered_to_the_waitlist_in_order_one_unit_each(app):
    clock.freeze()
    launch, line = _sold_out_with_line(3, claim_minutes=30)
    offered = _restock(launch, 2)
    assert [hold.user_id for hold in offered] == [line[0].id, line[1].id]
    assert all(hold.source == HoldSource.WAITLIST and hold.quantity == 1 for hold in offered)
    assert all(hold.expires_at == clock.now() + timedelta(minutes=30) for hold in offered)
    assert [_entry(launch, member).status for member in line] == [
        WaitlistStatus.OFFERED, WaitlistStatus.OFFERED, WaitlistStatus.WAITING]
    assert waitlist.place_in_line(_entry(launch, line[2])) == 1
    assert count(Notification, Notification.kind == "launch_restock_offer") == 2
    assert waitlist.offer_restock(launch.id) == []  # again: nothing more to offer
    counted = _fresh(Launch, launch.id)
    assert (counted.stock, counted.held, counted.available) == (3, 3, 0)


def test_an_unclaimed_offer_passes_to_the_next_in_line_when_its_window_ends(app):
    clock.freeze()
    launch, line = _sold_out_with_line(2, claim_minutes=30, checkout_minutes=60)
    first_offer = _restock(launch, 1)[0]
    clock.advance(timedelta(minutes=30))
    assert hold_jobs.expire_due_holds() == 1
    assert _fresh(Hold, first_offer.id).status == HoldStatus.EXPIRED
    assert _entry(launch, line[0]).status == WaitlistStatus.PASSED
    second = _entry(launch, line[1])
    assert second.status == WaitlistStatus.OFFERED and _fresh(Hold, second.hold_id).user_id == line[1].id
    assert hold_jobs.expire_due_holds() == 0 and count(Hold, Hold.source == HoldSource.WAITLIST) == 2


def test_claiming_an_offer_by_paying_takes_the_member_out_of_line(app):
    launch, line = _sold_out_with_line(1)
    offer = _restock(launch, 1)[0]
    holds.pay_offline(line[0], launch.id, offer.id)
    db.session.commit()
    assert _entry(launch, line[0]).status == WaitlistStatus.CLAIMED
    assert _fresh(Launch, launch.id).sold == 1


def test_units_of_an_expired_first_come_hold_go_to_the_waitlist_first(app):
    clock.freeze()
    launch = make_launch(stock=1, checkout_minutes=10)
    make_hold(launch)
    waiting = add_member(launch.communities[0])
    waitlist.join(waiting, launch.id)
    db.session.commit()
    clock.advance(timedelta(minutes=10))
    hold_jobs.expire_due_holds()
    assert _entry(launch, waiting).status == WaitlistStatus.OFFERED
    assert _fresh(Launch, launch.id).available == 0


def test_a_hold_let_go_by_a_waitlisted_member_goes_to_the_next(client):
    launch, line = _sold_out_with_line(2)
    offer = _restock(launch, 1)[0]
    answer = client.delete(f"/api/v1/launches/{launch.id}/holds/{offer.id}", headers=token_headers(line[0]))
    assert answer.status_code == 204
    assert _entry(launch, line[0]).status == WaitlistStatus.PASSED
    assert _entry(launch, line[1]).status == WaitlistStatus.OFFERED


def test_a_member_who_leaves_the_waitlist_is_not_offered_a_restock(client):
    launch, line = _sold_out_with_line(2)
    assert client.delete(f"/api/v1/launches/{launch.id}/waitlist", headers=token_headers(line[0])).status_code == 204
    offered = _restock(launch, 1)
    assert [hold.user_id for hold in offered] == [line[1].id]
    assert _entry(launch, line[0]).status == WaitlistStatus.LEFT
