"""Lucky draws (issue #6): a shopkeeper's prize drawn among eligible members at ``draw_at`` with the
raffles' fair draw — anyone can recompute the winners from the published seed and entry ids."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.errors import DomainError
from core.extensions import db
from core.notify import Notification
from orders.services import LineSpec, create_order
from referral import credit, draws
from referral.draw_jobs import sweep_due_draws
from referral.models import CreditEntry, DrawEntry, DrawStatus, LuckyDraw, Review, ReviewStatus
from shopkeeper.models import Post
from tests.concurrency import all_at_once
from tests.factories import add_member, count, make_community, make_product, make_supplier, make_user
from tests.groupbuy_factories import make_group_buy, make_pledge

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(START)


def _draw(community, *, winners: int = 2, prize_credit: int | None = 500, prize_item: str = "",
          in_hours: int = 1, **eligibility) -> LuckyDraw:
    lucky = draws.create_draw(community.owner, community, title="Autumn thanks", prize_credit=prize_credit,
                              prize_item=prize_item, winners=winners,
                              draw_at=clock.now() + timedelta(hours=in_hours), **eligibility)
    db.session.commit()
    return lucky


def _members(community, n: int) -> list:
    return [add_member(community, make_user()) for _ in range(n)]


def _when_due(lucky: LuckyDraw) -> None:
    clock.freeze(clock.as_utc(lucky.draw_at) + timedelta(seconds=1))


def _entrants(draw_id: int) -> set[int]:
    return set(db.session.execute(sa.select(DrawEntry.user_id).where(DrawEntry.draw_id == draw_id)).scalars())


def _approved_review(user, community, decided_at: datetime, status: ReviewStatus = ReviewStatus.APPROVED) -> None:
    variant = make_product(make_supplier()).variants[0]
    order = create_order(user_id=user.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=next(_keys), currency=community.currency,
                         lines=[LineSpec(variant.id, 1, 1000, 600)])
    db.session.add(Review(order_line_id=order.lines[0].id, user_id=user.id, community_id=community.id,
                          variant_id=variant.id, rating=5, status=status, decided_at=decided_at))
    db.session.commit()


def test_a_draws_winners_recompute_from_the_published_seed_same_procedure_as_raffles():
    community = make_community()
    members = _members(community, 7)
    lucky = _draw(community, winners=3)
    published = draws.audit(lucky)
    assert "seed" not in published and "entries" not in published
    commitment = published["seed_hash"]

    _when_due(lucky)
    assert sweep_due_draws() == {lucky.id: "drawn"}
    db.session.expire_all()
    lucky = db.session.get(LuckyDraw, lucky.id)
    audit = draws.audit(lucky)
    seed = audit["seed"]
    assert audit["seed_hash"] == commitment == hashlib.sha256(seed.encode("utf-8")).hexdigest()

    entry_ids = [entry["id"] for entry in audit["entries"]]
    order = sorted(entry_ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))
    stored = db.session.execute(sa.select(DrawEntry).where(DrawEntry.draw_id == lucky.id)).scalars().all()
    ranks = {entry.id: entry.rank for entry in stored}
    assert [ranks[i] for i in order] == list(range(1, 8))
    stored_winners = [entry.user_id for entry in sorted(stored, key=lambda e: e.rank)][:3]
    user_of = {entry.id: entry.user_id for entry in stored}
    assert [user_of[i] for i in order[:3]] == stored_winners == draws.winner_ids(lucky.id)
    names = {member.id: member.display_name for member in members}
    assert audit["winner_names"] == [names[user_id] for user_id in stored_winners]
    assert str(entry_ids) in audit["recompute"] and seed in audit["recompute"]

    assert _entrants(lucky.id) == {member.id for member in members}  # the shopkeeper never enters
    for member in members:
        assert credit.balance(member.id, community.id) == (500 if member.id in stored_winners else 0)
    told = db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "draw_won")).scalars()
    assert sorted(told) == sorted(stored_winners)
    post = db.session.execute(sa.select(Post).where(Post.community_id == community.id)).scalar_one()
    assert all(names[user_id] in post.body for user_id in stored_winners)
    assert f"/c/{community.slug}/draws/{lucky.id}" in post.body
    losers = [member for member in members if member.id not in stored_winners]
    assert not any(loser.display_name in post.body for loser in losers)


def test_reviewed_since_admits_only_members_with_an_approved_review_decided_since():
    community, other = make_community(), make_community()
    recent, old, rejected, elsewhere, none = _members(community, 5)
    add_member(other, elsewhere)
    since = START - timedelta(days=7)
    _approved_review(recent, community, since + timedelta(days=1))
    _approved_review(old, community, since - timedelta(days=1))
    _approved_review(rejected, community, since + timedelta(days=1), status=ReviewStatus.REJECTED)
    _approved_review(elsewhere, other, since + timedelta(days=1))
    lucky = _draw(community, eligibility="reviewed_since", since=since)
    _when_due(lucky)
    assert draws.draw(lucky.id) == "drawn"
    assert _entrants(lucky.id) == {recent.id}


def test_joined_before_admits_only_members_who_joined_before_the_date():
    community = make_community()
    early = _members(community, 2)
    clock.advance(timedelta(days=3))
    late = _members(community, 2)
    lucky = _draw(community, eligibility="joined_before", before=START + timedelta(days=1))
    _when_due(lucky)
    draws.draw(lucky.id)
    assert _entrants(lucky.id) == {member.id for member in early}
    assert not _entrants(lucky.id) & {member.id for member in late}


def test_pledged_admits_only_members_with_a_standing_pledge_to_that_group_buy():
    from groupbuy.models import Pledge, PledgeStatus

    group_buy = make_group_buy()
    community = group_buy.community
    pledged = make_pledge(group_buy).user_id
    withdrawn = make_pledge(group_buy)
    db.session.execute(sa.update(Pledge).where(Pledge.id == withdrawn.id).values(status=PledgeStatus.CANCELLED))
    db.session.commit()
    other_buy = make_group_buy(community=community, title="Mangoes")
    pledged_elsewhere = make_pledge(other_buy).user_id
    _members(community, 2)
    lucky = _draw(community, eligibility="pledged", group_buy_id=group_buy.id)
    _when_due(lucky)
    draws.draw(lucky.id)
    assert _entrants(lucky.id) == {pledged}
    assert pledged_elsewhere not in _entrants(lucky.id)


def test_a_draw_run_twice_credits_and_tells_each_winner_once():
    community = make_community()
    _members(community, 4)
    lucky = _draw(community, winners=2, prize_credit=800)
    _when_due(lucky)
    assert draws.draw(lucky.id) == "drawn"
    db.session.commit()
    ranks = dict(db.session.execute(sa.select(DrawEntry.id, DrawEntry.rank)).all())
    assert draws.draw(lucky.id) == "skipped"
    db.session.commit()
    assert sweep_due_draws() == {}
    assert dict(db.session.execute(sa.select(DrawEntry.id, DrawEntry.rank)).all()) == ranks
    assert count(CreditEntry) == 2
    assert db.session.execute(sa.select(sa.func.sum(CreditEntry.amount))).scalar_one() == 1600
    assert count(Notification, Notification.kind == "draw_won") == 2
    assert count(Post, Post.community_id == community.id) == 1


def test_a_draw_run_twice_at_once_is_drawn_and_credited_once(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent draws need PostgreSQL to mean anything")
    community = make_community()
    _members(community, 5)
    lucky = _draw(community, winners=3, prize_credit=300)
    _when_due(lucky)
    results = all_at_once(app, [(lucky.id,)] * 4, draws.draw)
    assert sorted(results) == ["drawn", "skipped", "skipped", "skipped"]
    db.session.expire_all()
    assert count(DrawEntry) == 5
    assert count(CreditEntry) == 3
    assert db.session.execute(sa.select(sa.func.sum(CreditEntry.amount))).scalar_one() == 900
    assert count(Post, Post.community_id == community.id) == 1


def test_nothing_is_drawn_before_draw_at_and_the_seed_stays_hidden():
    community = make_community()
    _members(community, 3)
    lucky = _draw(community)
    clock.freeze(clock.as_utc(lucky.draw_at) - timedelta(seconds=1))
    assert draws.draw(lucky.id) == "not_due"
    assert sweep_due_draws() == {}
    db.session.expire_all()
    lucky = db.session.get(LuckyDraw, lucky.id)
    assert lucky.status == DrawStatus.SCHEDULED and count(DrawEntry) == 0 and count(CreditEntry) == 0
    audit = draws.audit(lucky)
    assert audit["seed_hash"] == lucky.seed_hash and "seed" not in audit and "recompute" not in audit
    assert lucky.seed not in repr(audit)


def test_a_draw_nobody_can_enter_is_drawn_with_no_winner_and_nothing_credited():
    community = make_community()
    lucky = _draw(community, prize_credit=None, prize_item="A box of hairy crabs")
    _when_due(lucky)
    assert draws.draw(lucky.id) == "drawn"
    db.session.commit()
    audit = draws.audit(db.session.get(LuckyDraw, lucky.id))
    assert audit["status"] == "drawn" and audit["entries"] == [] and audit["winner_names"] == []
    assert count(CreditEntry) == 0 and count(Notification) == 0
    assert count(Post, Post.community_id == community.id) == 1


def test_an_item_prize_is_told_but_not_credited():
    community = make_community()
    winner = _members(community, 1)[0]
    lucky = _draw(community, winners=1, prize_credit=None, prize_item="A box of hairy crabs")
    _when_due(lucky)
    draws.draw(lucky.id)
    db.session.commit()
    assert draws.winner_ids(lucky.id) == [winner.id]
    assert count(CreditEntry) == 0
    note = db.session.execute(sa.select(Notification).where(Notification.user_id == winner.id)).scalar_one()
    assert note.kind == "draw_won" and note.params["prize"] == "A box of hairy crabs"


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"prize_credit": None}, "prize_credit"),  # neither prize
    ({"prize_item": "A teapot"}, "prize_credit"),  # both
    ({"prize_credit": 0}, "prize_credit"),
    ({"prize_credit": "500"}, "prize_credit"),
    ({"winners": 0}, "winners"),
    ({"winners": 1001}, "winners"),
    ({"draw_at": START - timedelta(minutes=1)}, "draw_at"),
    ({"draw_at": START}, "draw_at"),
    ({"draw_at": "tomorrow"}, "draw_at"),
    ({"eligibility": "friends"}, "eligibility"),
    ({"eligibility": "reviewed_since"}, "since"),
    ({"eligibility": "joined_before"}, "before"),
    ({"eligibility": "pledged"}, "group_buy_id"),
    ({"eligibility": "pledged", "group_buy_id": "other"}, "group_buy_id"),
])
def test_bad_input_is_refused_with_422_on_the_field_and_nothing_is_written(changes, field):
    community = make_community()
    other_buy = make_group_buy()
    values = {"title": "Autumn thanks", "prize_credit": 500, "winners": 2,
              "draw_at": START + timedelta(hours=1)} | changes
    if values.get("group_buy_id") == "other":
        values["group_buy_id"] = other_buy.id
    with pytest.raises(DomainError) as refused:
        draws.create_draw(community.owner, community, **values)
    assert refused.value.status == 422 and refused.value.field == field
    db.session.rollback()
    assert count(LuckyDraw) == 0


def test_only_the_communitys_shopkeeper_can_create_a_draw():
    community = make_community()
    member = add_member(community)
    outsider = make_user()
    values = {"title": "Autumn thanks", "prize_credit": 500, "winners": 1, "draw_at": START + timedelta(hours=1)}
    with pytest.raises(DomainError) as refused:
        draws.create_draw(member, community, **values)
    assert refused.value.status == 403
    with pytest.raises(DomainError) as hidden:
        draws.create_draw(outsider, community, **values)
    assert hidden.value.status == 404
    db.session.rollback()
    assert count(LuckyDraw) == 0


def test_the_sweeper_runs_every_minute(app):
    from core import jobs

    assert ("referral.draw_jobs:sweep_due_draws", 60) in app.config["PERIODIC_JOBS"]
    assert jobs._resolve("referral.draw_jobs:sweep_due_draws") is sweep_due_draws


def test_a_draw_is_visible_to_its_communitys_members_only():
    community, other = make_community(), make_community()
    member = add_member(community)
    lucky = _draw(community)
    assert draws.visible_draw(member, lucky.id, community) is lucky
    assert draws.visible_draw(community.owner, lucky.id, community) is lucky
    for user, where in ((make_user(), community), (other.owner, other)):
        with pytest.raises(DomainError) as hidden:
            draws.visible_draw(user, lucky.id, where)
        assert hidden.value.status == 404
