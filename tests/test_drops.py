"""First-come drops: members reserve units held for a checkout window, pay offline for an order, or let
them go; expired holds give their units back; and whatever the concurrency, sold + held never passes the
stock and no member passes their limit (acceptance 2, on PostgreSQL)."""

from datetime import timedelta

import pytest

from core import clock
from core.extensions import db
from launches import hold_jobs, holds, stock
from launches.models import Allowance, Hold, HoldStatus, Launch
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import mark_paid_offline
from tests.concurrency import all_at_once
from tests.drop_factories import make_hold, make_launch
from tests.factories import add_member, count, login_as, make_community, token_headers


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _reserve(client, launch, user, **body):
    return client.post(f"/api/v1/launches/{launch.id}/holds", json=body, headers=token_headers(user))


def test_a_reserved_unit_is_held_for_the_checkout_window(client):
    clock.freeze()
    launch = make_launch(stock=20, checkout_minutes=10)
    member = add_member(launch.communities[0])
    answer = _reserve(client, launch, member, quantity=1)
    assert answer.status_code == 201 and answer.json["status"] == "held"
    hold = _fresh(Hold, answer.json["id"])
    assert hold.expires_at == clock.now() + timedelta(minutes=10)
    assert (_fresh(Launch, launch.id).held, _fresh(Launch, launch.id).available) == (1, 19)


def test_the_stock_endpoint_says_sold_out_once_the_last_unit_is_held(client):
    launch = make_launch(stock=1)
    member = add_member(launch.communities[0])
    before = client.get(f"/api/v1/launches/{launch.id}/stock", headers=token_headers(member))
    assert before.json == {"available": 1, "sold_out": False, "stock": 1}
    make_hold(launch)
    after = client.get(f"/api/v1/launches/{launch.id}/stock", headers=token_headers(member))
    assert after.json == {"available": 0, "sold_out": True, "stock": 1}
    refused = _reserve(client, launch, member, quantity=1)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "sold_out"


def test_outsiders_see_no_stock_and_cannot_reserve(client):
    launch = make_launch()
    stranger = add_member(make_community())
    assert client.get(f"/api/v1/launches/{launch.id}/stock", headers=token_headers(stranger)).status_code == 404
    assert _reserve(client, launch, stranger, quantity=1).status_code == 404
    assert _fresh(Launch, launch.id).held == 0


def test_nobody_reserves_before_the_opening_minute(client):
    launch = make_launch(opens_in=timedelta(minutes=5))
    member = add_member(launch.communities[0])
    refused = _reserve(client, launch, member, quantity=1)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_open"
    clock.freeze(clock.now() + timedelta(minutes=5))
    assert _reserve(client, launch, member, quantity=1).status_code == 201


def test_a_member_cannot_reserve_past_the_per_member_limit(client):
    launch = make_launch(per_member_limit=2)
    member = add_member(launch.communities[0])
    too_many = _reserve(client, launch, member, quantity=3)
    assert too_many.status_code == 422 and too_many.json["error"]["code"] == "bad_quantity"
    assert _reserve(client, launch, member, quantity=2).status_code == 201
    again = _reserve(client, launch, member, quantity=1)
    assert again.status_code == 409 and again.json["error"]["code"] == "limit_reached"
    assert _fresh(Launch, launch.id).held == 2


def test_paying_offline_makes_an_order_and_sells_the_units(client):
    launch = make_launch(price=9900, per_member_limit=2)
    member = add_member(launch.communities[0])
    hold_id = _reserve(client, launch, member, quantity=2).json["id"]
    paid = client.post(f"/api/v1/launches/{launch.id}/holds/{hold_id}/pay", headers=token_headers(member))
    assert paid.status_code == 200 and paid.json["status"] == "ordered"
    order = _fresh(Order, paid.json["order_id"])
    assert (order.source, order.source_id, order.total_amount, order.user_id) == ("launch", hold_id, 19800, member.id)
    payment = db.session.query(Payment).filter_by(reference=f"hold:{hold_id}").one()
    assert (payment.gateway, payment.status, payment.amount) == ("offline", PaymentStatus.PENDING, 19800)
    assert (_fresh(Launch, launch.id).sold, _fresh(Launch, launch.id).held) == (2, 0)
    again = client.post(f"/api/v1/launches/{launch.id}/holds/{hold_id}/pay", headers=token_headers(member))
    assert again.status_code == 200 and count(Order) == 1 and _fresh(Launch, launch.id).sold == 2


def test_the_shopkeeper_confirming_the_cash_marks_the_launch_order_paid(client):
    launch = make_launch()
    hold = make_hold(launch)
    holds.pay_offline(hold.user, launch.id, hold.id)
    db.session.commit()
    payment = db.session.query(Payment).filter_by(reference=f"hold:{hold.id}").one()
    assert payment.purpose == PaymentPurpose.BALANCE
    mark_paid_offline(True, payment.id)
    db.session.commit()
    assert _fresh(Order, _fresh(Hold, hold.id).order_id).status == OrderStatus.PAID


def test_an_expired_hold_gives_its_units_back_when_the_sweeper_runs(app):
    clock.freeze()
    launch = make_launch(stock=1, checkout_minutes=10)
    hold = make_hold(launch)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert hold_jobs.expire_due_holds() == 0 and _fresh(Launch, launch.id).held == 1
    clock.advance(timedelta(seconds=1))
    assert hold_jobs.expire_due_holds() == 1
    assert _fresh(Hold, hold.id).status == HoldStatus.EXPIRED
    assert (_fresh(Launch, launch.id).held, _fresh(Launch, launch.id).available) == (0, 1)
    assert db.session.get(Allowance, (launch.id, hold.user_id)).units == 0
    assert hold_jobs.expire_due_holds() == 0 and _fresh(Launch, launch.id).held == 0  # twice: nothing more
    make_hold(launch, hold.user)  # the member may try again


def test_an_expired_hold_cannot_be_paid(client):
    clock.freeze()
    launch = make_launch(checkout_minutes=10)
    hold = make_hold(launch)
    clock.advance(timedelta(minutes=10))
    refused = client.post(f"/api/v1/launches/{launch.id}/holds/{hold.id}/pay", headers=token_headers(hold.user))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "hold_expired"
    assert count(Order) == 0 and _fresh(Launch, launch.id).sold == 0


def test_letting_a_hold_go_puts_its_units_back_on_sale(client):
    launch = make_launch(stock=1)
    hold = make_hold(launch)
    answer = client.delete(f"/api/v1/launches/{launch.id}/holds/{hold.id}", headers=token_headers(hold.user))
    assert answer.status_code == 204
    assert _fresh(Hold, hold.id).status == HoldStatus.CANCELLED and _fresh(Launch, launch.id).available == 1
    again = client.delete(f"/api/v1/launches/{launch.id}/holds/{hold.id}", headers=token_headers(hold.user))
    assert again.status_code == 409 and _fresh(Launch, launch.id).held == 0


def test_another_members_hold_is_not_found(client):
    launch = make_launch()
    hold = make_hold(launch)
    other = add_member(launch.communities[0])
    answer = client.post(f"/api/v1/launches/{launch.id}/holds/{hold.id}/pay", headers=token_headers(other))
    assert answer.status_code == 404 and _fresh(Hold, hold.id).status == HoldStatus.HELD


def _concurrently(app, calls: list[tuple[int, int]], quantity: int = 1) -> list[str]:
    """Each (user id, launch id) reserves at once in its own thread, session and unit of work."""
    from accounts.models import User

    def reserve(user_id: int, launch_id: int) -> str:
        holds.reserve(db.session.get(User, user_id), launch_id, quantity)
        return "ok"

    return all_at_once(app, calls, reserve)


def _needs_postgresql():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent buyers need PostgreSQL to mean anything")


def test_200_concurrent_buyers_for_20_units_hold_exactly_20(app):
    _needs_postgresql()
    launch = make_launch(stock=20)
    members = [add_member(launch.communities[0]) for _ in range(200)]
    results = _concurrently(app, [(member.id, launch.id) for member in members])
    assert results.count("ok") == 20 and set(results) == {"ok", "sold_out"}
    counted = _fresh(Launch, launch.id)
    assert (counted.held, counted.sold, counted.stock) == (20, 0, 20)
    assert count(Hold, Hold.status == HoldStatus.HELD) == 20
    assert stock.counts(launch.id).available == 0


def test_200_concurrent_buyers_on_the_hot_path_hold_exactly_20(app, monkeypatch):
    """The same, with every buyer's grant and communities already in memory, as at a real opening: each
    reserve that gets through the gate is one call on a connection of its own (``reserve_at_once`` in
    autocommit), and still exactly 20 units are held."""
    from types import SimpleNamespace

    from core import hot_cache
    from launches import buy_cache

    _needs_postgresql()
    launch = make_launch(stock=20)
    members = [add_member(launch.communities[0]) for _ in range(200)]
    for member in members:  # what each member's earlier requests (the page, the stock poll) left in memory
        buy_cache.facts_for(member, launch.id)
    db.session.commit()
    engine, own_connections = hot_cache.autocommit_engine(), []
    monkeypatch.setattr(hot_cache, "autocommit_engine", lambda: own_connections.append(1) or engine)

    def reserve(user_id: int, launch_id: int) -> str:
        holds.reserve(SimpleNamespace(id=user_id, is_authenticated=True), launch_id, 1)  # no SQL for who
        return "ok"

    results = all_at_once(app, [(member.id, launch.id) for member in members], reserve)
    assert results.count("ok") == 20 and set(results) == {"ok", "sold_out"}
    assert len(own_connections) >= 20  # the holds were taken in one round trip each, off the session
    counted = _fresh(Launch, launch.id)
    assert (counted.held, counted.sold) == (20, 0) and count(Hold, Hold.status == HoldStatus.HELD) == 20


def test_one_member_firing_many_concurrent_reserves_never_passes_their_limit(app):
    _needs_postgresql()
    launch = make_launch(stock=50, per_member_limit=2)
    member = add_member(launch.communities[0])
    results = _concurrently(app, [(member.id, launch.id)] * 30)
    assert results.count("ok") == 2 and set(results) == {"ok", "limit_reached"}
    assert _fresh(Launch, launch.id).held == 2
    assert db.session.get(Allowance, (launch.id, member.id)).units == 2


def _page(client, launch):
    return client.get(f"/c/{launch.communities[0].slug}/launches/{launch.id}").get_data(as_text=True)


def test_the_launch_page_reserves_shows_the_hold_and_pays_offline(client):
    launch = make_launch(stock=2)
    member = add_member(launch.communities[0])
    login_as(client, member)
    base = f"/c/{launch.communities[0].slug}/launches/{launch.id}"
    assert 'data-drop="reserve"' in _page(client, launch) and "Reserve" in _page(client, launch)
    assert client.post(f"{base}/holds", data={"quantity": "1"}).status_code == 302
    hold = db.session.query(Hold).filter_by(user_id=member.id).one()
    page = _page(client, launch)
    assert 'data-testid="drop-hold"' in page and f"/holds/{hold.id}/pay" in page
    assert client.post(f"{base}/holds/{hold.id}/pay").status_code == 302
    page = _page(client, launch)
    assert 'data-testid="drop-bought"' in page and _fresh(Launch, launch.id).sold == 1


def test_a_sold_out_launch_page_offers_the_waitlist(client):
    launch = make_launch(stock=1)
    make_hold(launch)
    member = add_member(launch.communities[0])
    login_as(client, member)
    page = _page(client, launch)
    assert 'data-state="sold_out"' in page and "Join the waitlist" in page
    client.post(f"/c/{launch.communities[0].slug}/launches/{launch.id}/waitlist")
    assert 'data-testid="drop-place"' in _page(client, launch)


def test_a_launch_page_before_opening_says_when_it_opens(client):
    launch = make_launch(opens_in=timedelta(hours=2))
    login_as(client, add_member(launch.communities[0]))
    page = _page(client, launch)
    assert 'data-state="upcoming"' in page and 'data-drop="reserve"' not in page


def test_the_stock_endpoint_returns_the_units_of_holds_past_their_window_without_the_sweeper(client):
    clock.freeze()
    launch = make_launch(stock=1, checkout_minutes=10)
    hold = make_hold(launch)
    member = add_member(launch.communities[0])
    clock.advance(timedelta(minutes=10))
    answer = client.get(f"/api/v1/launches/{launch.id}/stock", headers=token_headers(member))
    assert answer.json == {"available": 1, "sold_out": False, "stock": 1}
    assert _fresh(Hold, hold.id).status == HoldStatus.EXPIRED and _fresh(Launch, launch.id).held == 0
    assert _reserve(client, launch, member, quantity=1).status_code == 201


def test_a_raffle_launch_cannot_be_reserved_first_come(client):
    launch = make_launch(mode="raffle", closes_in=timedelta(days=1))
    member = add_member(launch.communities[0])
    refused = _reserve(client, launch, member, quantity=1)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_first_come"
    assert _fresh(Launch, launch.id).held == 0


def test_nobody_reserves_once_the_launch_has_closed(client):
    clock.freeze()
    launch = make_launch(closes_in=timedelta(minutes=5))
    member = add_member(launch.communities[0])
    clock.advance(timedelta(minutes=5))
    refused = _reserve(client, launch, member, quantity=1)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "closed"


def test_a_hold_costs_the_price_in_force_when_it_was_made(client):
    from launches.models import RevealStage

    clock.freeze()
    launch = make_launch(stock=5, price=9900)
    db.session.add_all([RevealStage(launch_id=launch.id, reveal_at=clock.now() - timedelta(minutes=5), title="Price",
                                    body="", price=12900),
                        RevealStage(launch_id=launch.id, reveal_at=clock.now() + timedelta(minutes=5), title="Later",
                                    body="", price=15900)])
    db.session.commit()
    member = add_member(launch.communities[0])
    hold = make_hold(launch, member)
    clock.advance(timedelta(minutes=6))  # a later stage's price is revealed before they pay
    holds.pay_offline(member, launch.id, hold.id)
    db.session.commit()
    order = _fresh(Order, _fresh(Hold, hold.id).order_id)
    assert order.total_amount == 12900
    assert db.session.query(Payment).filter_by(reference=f"hold:{hold.id}").one().amount == 12900
