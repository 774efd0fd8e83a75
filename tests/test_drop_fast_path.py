"""The drop's hot path answers from memory (cached token grants, member communities, launch facts, the
gate in Redis, the sold-out shortcut before Flask) — and changes no answer: what it answers is what the
endpoint answers, and whatever takes access away or brings units back is heard at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts import services as accounts
from core import clock, hot_cache
from core.db import commit
from core.extensions import db
from launches import buy_cache, gate, holds
from launches.models import Launch
from shopkeeper import invites
from tests.drop_factories import make_hold, make_launch
from tests.factories import add_member, make_community, token_headers


def _reserve(client, launch, headers, body=None, language=None):
    extra = {"Accept-Language": language} if language else {}
    return client.post(f"/api/v1/launches/{launch.id}/holds", json={"quantity": 1} if body is None else body,
                       headers={**headers, **extra})


def _sold_out_launch(**options):
    launch = make_launch(stock=1, **options)
    make_hold(launch)
    return launch


def _heard_sold_out(client, launch, headers) -> None:
    """The member is refused through Flask once, which fills the caches and the gate's memory."""
    answer = _reserve(client, launch, headers)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "sold_out"


def _a_member_told_sold_out(client):
    """A sold-out launch and a member (with a token) who was told so once, through Flask."""
    launch = _sold_out_launch()
    member = add_member(launch.communities[0])
    headers = token_headers(member)
    _heard_sold_out(client, launch, headers)
    return launch, member, headers


def _shortcut_taken(app, monkeypatch) -> list:
    """Record whether each answer came from the shortcut (it never reaches Flask's dispatch)."""
    reached: list = []
    original = app.full_dispatch_request
    monkeypatch.setattr(app, "full_dispatch_request", lambda: reached.append(True) or original())
    return reached


@pytest.fixture
def redis_app(app):
    if not app.config.get("REDIS_URL"):
        pytest.skip("the gate and the shortcut need Redis (REDIS_URL)")
    return app


def test_the_shortcut_answers_exactly_what_the_endpoint_answers(redis_app, client, monkeypatch):
    launch = _sold_out_launch()
    member = add_member(launch.communities[0])
    headers = token_headers(member)
    through_flask = _reserve(client, launch, headers)
    reached = _shortcut_taken(redis_app, monkeypatch)
    shortcut = _reserve(client, launch, headers)
    assert reached == []  # answered before Flask
    assert (shortcut.status_code, shortcut.json) == (through_flask.status_code, through_flask.json)
    assert shortcut.json["error"] == {"code": "sold_out", "message": "Sold out.", "fields": {}}
    chinese = _reserve(client, launch, headers, language="zh-CN,zh;q=0.9")
    assert chinese.status_code == 409 and chinese.json["error"]["message"] == "已售罄。"
    assert reached == []


@pytest.mark.parametrize("case", ["cookie", "query", "other_field", "bool_quantity", "over_limit", "no_body"])
def test_the_shortcut_leaves_anything_unusual_to_flask(redis_app, client, monkeypatch, case):
    launch, member, headers = _a_member_told_sold_out(client)
    reached = _shortcut_taken(redis_app, monkeypatch)
    url = f"/api/v1/launches/{launch.id}/holds"
    if case == "cookie":
        client.set_cookie("session", "x")
        answer = client.post(url, json={"quantity": 1}, headers=headers)
    elif case == "query":
        answer = client.post(url + "?lang=zh_Hans_CN", json={"quantity": 1}, headers=headers)
    elif case == "no_body":
        answer = client.post(url, headers=headers)
    else:
        body = {"other_field": {"quantity": 1, "note": "x"}, "bool_quantity": {"quantity": True},
                "over_limit": {"quantity": 2}}[case]
        answer = client.post(url, json=body, headers=headers)
    assert reached == [True]
    expected = {"cookie": 409, "query": 409, "no_body": 409, "other_field": 422, "bool_quantity": 422,
                "over_limit": 422}[case]
    assert answer.status_code == expected
    if case == "query":
        assert answer.json["error"]["message"] == "已售罄。"


def test_a_revoked_token_is_refused_at_once_though_its_grant_was_cached(client):
    launch = _sold_out_launch()
    member = add_member(launch.communities[0])
    token, plain = accounts.create_api_token(member, "phone")
    commit()
    headers = {"Authorization": f"Bearer {plain}"}
    _heard_sold_out(client, launch, headers)
    accounts.revoke_api_token(member, token.id)
    commit()
    assert _reserve(client, launch, headers).status_code == 401


def test_a_deactivated_account_is_refused_at_once(client):
    launch, member, headers = _a_member_told_sold_out(client)
    member.is_active_account = False
    commit()
    assert _reserve(client, launch, headers).status_code == 401


def test_a_member_who_left_gets_not_found_at_once(client):
    launch = _sold_out_launch()
    community = launch.communities[0]
    member = add_member(community)
    headers = token_headers(member)
    _heard_sold_out(client, launch, headers)
    invites.leave(member, community)
    commit()
    assert _reserve(client, launch, headers).status_code == 404


def test_someone_who_just_joined_may_reserve_at_once(client):
    launch = make_launch(stock=5)
    community = launch.communities[0]
    elsewhere = make_community()
    newcomer = add_member(elsewhere)
    headers = token_headers(newcomer)
    assert _reserve(client, launch, headers).status_code == 404  # caches: not a member of the launch's
    add_member(community, newcomer)
    assert _reserve(client, launch, headers).status_code == 201


def test_units_coming_back_are_on_sale_at_once(client):
    clock.freeze()
    launch = make_launch(stock=1, checkout_minutes=10)
    first, second = (add_member(launch.communities[0]) for _ in range(2))
    first_headers, second_headers = token_headers(first), token_headers(second)
    assert _reserve(client, launch, first_headers).status_code == 201
    _heard_sold_out(client, launch, second_headers)
    clock.advance(timedelta(minutes=11))
    from launches import hold_jobs

    hold_jobs.expire_due_holds()
    assert _reserve(client, launch, second_headers).status_code == 201


def test_a_restock_is_on_sale_at_once(client):
    from launches import services

    launch, member, headers = _a_member_told_sold_out(client)
    owner = launch.communities[0].owner
    services.restock(owner, launch.id, 1)
    commit()
    assert _reserve(client, launch, headers).status_code == 201


def test_a_launch_cancelled_after_its_facts_were_cached_says_so(client):
    from launches import services

    launch = make_launch(stock=5)
    member = add_member(launch.communities[0])
    headers = token_headers(member)
    services.cancel(launch.communities[0].owner, launch.id)
    commit()
    answer = _reserve(client, launch, headers)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "closed"
    assert db.session.execute(sa.select(Launch.held).where(Launch.id == launch.id)).scalar() == 0


def test_without_an_answer_from_redis_the_database_decides(app, client, monkeypatch):
    launch = make_launch(stock=1)
    first, second = (add_member(launch.communities[0]) for _ in range(2))
    monkeypatch.setattr(hot_cache, "redis", lambda: None)
    assert _reserve(client, launch, token_headers(first)).status_code == 201
    refused = _reserve(client, launch, token_headers(second))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "sold_out"


def test_the_gate_turns_the_crowd_away_without_the_database(redis_app, client, monkeypatch):
    launch = make_launch(stock=2)
    members = [add_member(launch.communities[0]) for _ in range(4)]
    headers = [token_headers(member) for member in members]
    assert [_reserve(client, launch, h).status_code for h in headers[:2]] == [201, 201]
    hot_cache.cache("gate-sold-out").clear()  # not the shortcut's memory: the gate itself
    calls: list = []
    monkeypatch.setattr(holds, "_hold", lambda *args: calls.append(args))
    refused = _reserve(client, launch, headers[2])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "sold_out"
    assert calls == []
    assert gate.known_sold_out(launch.id)


def test_a_database_that_refuses_connections_gets_503_and_nothing_is_saved(client, monkeypatch):
    from launches import stock

    launch = make_launch(stock=3)
    member = add_member(launch.communities[0])
    headers = token_headers(member)

    def refuse(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT launch_reserve(...)", {}, Exception("too many clients already"))

    monkeypatch.setattr(stock, "reserve_at_once", refuse)
    monkeypatch.setattr(holds, "_hold_on_launch", refuse)
    answer = _reserve(client, launch, headers)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert answer.json["error"]["code"] == "busy"
    assert db.session.execute(sa.select(Launch.held).where(Launch.id == launch.id)).scalar() == 0


def test_a_request_answered_from_the_caches_reserves_in_one_round_trip_of_its_own(app, client, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("launch_reserve() is PostgreSQL's")
    launch = make_launch(stock=3)
    first, second = (add_member(launch.communities[0]) for _ in range(2))
    headers = token_headers(second)
    assert _reserve(client, launch, token_headers(first)).status_code == 201  # fills the launch's facts
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # and the second member's grant
    buy_cache.facts_for(second, launch.id)  # and communities, as any earlier request of theirs would
    commit()
    connections: list = []
    engine = hot_cache.autocommit_engine()
    monkeypatch.setattr(hot_cache, "autocommit_engine", lambda: connections.append(True) or engine)
    answer = _reserve(client, launch, headers)
    assert answer.status_code == 201 and connections == [True]
    assert db.session.execute(sa.select(Launch.held).where(Launch.id == launch.id)).scalar() == 2


def test_a_script_reserving_twice_in_one_transaction_does_not_wait_on_itself(client):
    launch = make_launch(stock=5, per_member_limit=2)
    member = add_member(launch.communities[0])
    first = holds.reserve(member, launch.id, 1)
    holds.pay_offline(member, launch.id, first.id)  # the launch row is now locked by this transaction
    second = holds.reserve(member, launch.id, 1)
    commit()
    assert (first.quantity, second.quantity) == (1, 1)
    assert db.session.execute(sa.select(Launch.sold + Launch.held).where(Launch.id == launch.id)).scalar() == 2
