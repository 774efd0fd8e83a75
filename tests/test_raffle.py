"""Raffle launches: members enter once in the window; at close a fair draw that anyone can recompute from
the published seed and entry list gives the first drawn a purchase hold, and a winner who does not claim
passes their unit to the next drawn."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock, fairdraw
from core.errors import DomainError
from core.extensions import db
from core.mail import OutboxEmail
from core.notify import Notification
from launches import holds, raffle
from launches.models import EntryStatus, Hold, HoldSource, HoldStatus, Launch, LaunchMode, LaunchStatus, RaffleEntry
from launches.raffle_jobs import sweep_raffles
from tests.factories import (
    add_member,
    count,
    login_as,
    make_community,
    make_product,
    make_supplier,
    make_user,
    token_headers,
)


def make_raffle(community, *, stock: int = 3, claim_minutes: int = 60, opens_in=timedelta(hours=1),
                lasts=timedelta(days=1), publish: bool = True) -> Launch:
    variant = make_product(make_supplier()).variants[0]
    opens = clock.now() + opens_in
    launch = Launch(created_by_id=community.owner_id, variant_id=variant.id, title="Moon cake box", price=8800,
                    currency="CNY", stock=stock, per_member_limit=1, opens_at=opens, closes_at=opens + lasts,
                    mode=LaunchMode.RAFFLE, claim_minutes=claim_minutes,
                    status=LaunchStatus.PUBLISHED if publish else LaunchStatus.DRAFT)
    launch.communities = [community]
    db.session.add(launch)
    db.session.flush()
    raffle.prepare(launch)
    db.session.commit()
    return launch


def _entered(community, launch, n: int) -> list:
    members = [add_member(community, make_user()) for _ in range(n)]
    for member in members:
        raffle.enter(member, launch.id)
    db.session.commit()
    return members


def _open(launch):
    clock.freeze(clock.as_utc(launch.opens_at) + timedelta(minutes=1))


def _close(launch):
    clock.freeze(clock.as_utc(launch.closes_at) + timedelta(seconds=1))


def _recompute(seed: str, commitment: str, entry_ids: list[int], slots: int) -> list[int]:
    """The documented procedure, written from docs/LAUNCHES.md, not from core.fairdraw."""
    assert hashlib.sha256(seed.encode("utf-8")).hexdigest() == commitment
    keyed = [(hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i) for i in entry_ids]
    return [i for _key, i in sorted(keyed)][:slots]


def _entries(launch) -> list[RaffleEntry]:
    return list(db.session.execute(sa.select(RaffleEntry).where(RaffleEntry.launch_id == launch.id)
                                   .order_by(RaffleEntry.draw_rank)).scalars())


def test_the_winners_recomputed_from_the_published_seed_and_entry_list_are_the_drawn_winners(app):
    community = make_community()
    launch = make_raffle(community, stock=3)
    _open(launch)
    _entered(community, launch, 12)
    _close(launch)
    assert raffle.draw(launch.id) == "drawn"
    db.session.commit()
    published = raffle.audit(db.session.get(Launch, launch.id))
    winners = _recompute(published.seed, published.seed_hash, published.entry_ids, published.slots)
    won = [e.id for e in _entries(launch) if e.status == EntryStatus.WON]
    assert won == winners and len(won) == 3
    assert all(e.status == EntryStatus.WAITING for e in _entries(launch)[3:])
    assert count(Hold, Hold.source == HoldSource.RAFFLE, Hold.status == HoldStatus.HELD) == 3
    assert db.session.get(Launch, launch.id).held == 3


def test_the_seed_is_committed_before_entries_and_kept_secret_until_the_draw(app):
    community = make_community()
    launch = make_raffle(community)
    committed = launch.seed_hash
    _open(launch)
    _entered(community, launch, 2)
    before = raffle.audit(db.session.get(Launch, launch.id))
    assert before.seed is None and before.entries == [] and before.seed_hash == committed
    _close(launch)
    raffle.draw(launch.id)
    db.session.commit()
    after = raffle.audit(db.session.get(Launch, launch.id))
    assert after.seed_hash == committed == hashlib.sha256(after.seed.encode()).hexdigest()


def test_a_member_enters_once(app):
    community = make_community()
    launch = make_raffle(community)
    _open(launch)
    [member] = _entered(community, launch, 1)
    with pytest.raises(DomainError) as refused:
        raffle.enter(member, launch.id)
    assert refused.value.code == "already_entered" and refused.value.status == 409
    assert count(RaffleEntry) == 1


def test_entries_are_refused_before_the_window_and_after_it(app):
    community = make_community()
    launch = make_raffle(community)
    member = add_member(community, make_user())
    with pytest.raises(DomainError) as early:
        raffle.enter(member, launch.id)
    _close(launch)
    with pytest.raises(DomainError) as late:
        raffle.enter(member, launch.id)
    assert (early.value.code, late.value.code) == ("not_open", "closed")
    assert count(RaffleEntry) == 0


def test_an_outsider_cannot_enter_nor_see_the_raffle(app):
    launch = make_raffle(make_community())
    _open(launch)
    with pytest.raises(DomainError) as refused:
        raffle.enter(add_member(make_community(), make_user()), launch.id)
    assert refused.value.status == 404


def test_drawing_twice_changes_nothing(app):
    community = make_community()
    launch = make_raffle(community, stock=2)
    _open(launch)
    _entered(community, launch, 5)
    _close(launch)
    raffle.draw(launch.id)
    db.session.commit()
    ranks = [(e.id, e.draw_rank, e.status) for e in _entries(launch)]
    emails = count(OutboxEmail)
    assert raffle.draw(launch.id) == "skipped"
    assert sweep_raffles()["drawn"] == {}
    db.session.commit()
    assert [(e.id, e.draw_rank, e.status) for e in _entries(launch)] == ranks
    assert count(Hold) == 2 and count(OutboxEmail) == emails


def test_winners_are_told_by_email_and_everyone_else_in_the_app(app):
    community = make_community()
    launch = make_raffle(community, stock=1)
    _open(launch)
    members = _entered(community, launch, 3)
    _close(launch)
    raffle.draw(launch.id)
    db.session.commit()
    [winner] = [e for e in _entries(launch) if e.status == EntryStatus.WON]
    assert count(OutboxEmail) == 1
    assert count(Notification, Notification.kind == "raffle_won", Notification.user_id == winner.user_id) == 1
    assert count(Notification, Notification.kind == "raffle_drawn") == len(members) - 1


def test_an_unclaimed_winners_unit_passes_to_the_next_drawn(app):
    community = make_community()
    launch = make_raffle(community, stock=1, claim_minutes=30)
    _open(launch)
    _entered(community, launch, 3)
    _close(launch)
    raffle.draw(launch.id)
    db.session.commit()
    first, second, third = _entries(launch)
    assert (first.status, second.status) == (EntryStatus.WON, EntryStatus.WAITING)
    clock.advance(timedelta(minutes=31))
    assert sweep_raffles()["passed"] == {launch.id: 1}
    first, second, third = _entries(launch)
    assert (first.status, second.status, third.status) == (EntryStatus.LOST, EntryStatus.WON, EntryStatus.WAITING)
    assert db.session.get(Hold, first.hold_id).status == HoldStatus.EXPIRED
    assert db.session.get(Launch, launch.id).held == 1
    assert sweep_raffles()["passed"] == {}  # a second run finds nothing to do


def test_once_the_winners_have_paid_the_rest_have_lost(app):
    community = make_community()
    launch = make_raffle(community, stock=1)
    _open(launch)
    members = {m.id: m for m in _entered(community, launch, 2)}
    _close(launch)
    raffle.draw(launch.id)
    db.session.commit()
    winner, waiting = _entries(launch)
    holds.pay_offline(members[winner.user_id], launch.id, winner.hold_id)
    db.session.commit()
    raffle.pass_on(launch.id)
    db.session.commit()
    winner, waiting = _entries(launch)
    assert (winner.status, waiting.status) == (EntryStatus.WON, EntryStatus.LOST)
    assert db.session.get(Launch, launch.id).sold == 1


def test_the_sweeper_commits_to_a_seed_and_draws_a_raffle_whose_job_was_lost(app):
    community = make_community()
    launch = make_raffle(community, stock=1)
    db.session.execute(sa.update(Launch).where(Launch.id == launch.id).values(seed=None, seed_hash=None))
    db.session.commit()
    assert sweep_raffles()["prepared"] == {launch.id: "prepared"}
    assert db.session.get(Launch, launch.id).seed_hash is not None
    _open(launch)
    _entered(community, launch, 2)
    _close(launch)
    assert sweep_raffles()["drawn"] == {launch.id: "drawn"}
    assert db.session.get(Launch, launch.id).drawn_at is not None


def test_the_seed_is_hidden_in_the_page_and_the_api_until_the_draw_and_recomputes_the_winners_after(client):
    community = make_community()
    launch = make_raffle(community, stock=2)
    launch_id, seed, committed, slug = launch.id, launch.seed, launch.seed_hash, community.slug
    _open(launch)
    members = _entered(community, launch, 6)
    login_as(client, members[0])
    page = client.get(f"/c/{slug}/launches/{launch_id}/draw")
    api = client.get(f"/api/v1/launches/{launch_id}/draw", headers=token_headers(members[1]))
    assert page.status_code == api.status_code == 200
    assert seed not in page.text and seed not in api.text and committed in page.text
    assert api.json["seed"] is None and api.json["entry_ids"] == [] and api.json["entry_count"] == 6
    _close(launch)
    raffle.draw(launch_id)
    db.session.commit()
    published = client.get(f"/api/v1/launches/{launch_id}/draw", headers=token_headers(members[1])).json
    winners = _recompute(published["seed"], committed, published["entry_ids"], published["slots"])
    drawn = [e["id"] for e in published["draw_order"] if e["status"] == "won"]
    assert drawn == winners and published["seed"] == seed
    page = client.get(f"/c/{slug}/launches/{launch_id}/draw")
    assert seed in page.text and "hashlib.sha256" in page.text and 'data-testid="my-entry"' in page.text
    assert all(m.email not in page.text for m in members)


def test_a_member_enters_from_the_launch_page_and_sees_they_are_in(client):
    community = make_community()
    launch = make_raffle(community)
    launch_id, slug = launch.id, community.slug
    member = add_member(community, make_user())
    _open(launch)
    login_as(client, member)
    assert "Enter the draw" in client.get(f"/c/{slug}/launches/{launch_id}").text
    assert client.post(f"/c/{slug}/launches/{launch_id}/entries").status_code == 302
    assert 'data-testid="raffle-entered"' in client.get(f"/c/{slug}/launches/{launch_id}").text
    again = client.post(f"/api/v1/launches/{launch_id}/entries", headers=token_headers(member))
    assert again.status_code == 409 and again.json["error"]["code"] == "already_entered"
    assert count(RaffleEntry) == 1


def test_entering_by_api_answers_the_entry_and_outsiders_get_404(client):
    community = make_community()
    launch = make_raffle(community)
    _open(launch)
    member, outsider = add_member(community, make_user()), make_user()
    entered = client.post(f"/api/v1/launches/{launch.id}/entries", headers=token_headers(member))
    assert entered.status_code == 201 and entered.json["status"] == "entered"
    assert client.post(f"/api/v1/launches/{launch.id}/entries", headers=token_headers(outsider)).status_code == 404
    assert client.get(f"/api/v1/launches/{launch.id}/draw", headers=token_headers(outsider)).status_code == 404


def test_a_winner_sees_their_win_and_pays_their_hold_from_the_launch_page(client):
    community = make_community()
    launch = make_raffle(community, stock=1)
    launch_id, slug = launch.id, community.slug
    _open(launch)
    members = {m.id: m for m in _entered(community, launch, 2)}
    _close(launch)
    raffle.draw(launch_id)
    db.session.commit()
    winner, waiting = _entries(launch)
    login_as(client, members[winner.user_id])
    page = client.get(f"/c/{slug}/launches/{launch_id}").text
    assert "You won the draw!" in page and 'data-testid="drop-hold"' in page
    assert client.post(f"/c/{slug}/launches/{launch_id}/holds/{winner.hold_id}/pay").status_code == 302
    assert db.session.get(Hold, winner.hold_id).status == HoldStatus.ORDERED
    login_as(client, members[waiting.user_id])
    assert "you are number 2 in the draw order" in client.get(f"/c/{slug}/launches/{launch_id}").text


def test_publishing_a_raffle_commits_to_its_seed_at_once(app):
    from launches import services

    community = make_community()
    launch = make_raffle(community, publish=False)
    db.session.execute(sa.update(Launch).where(Launch.id == launch.id).values(seed=None, seed_hash=None))
    db.session.commit()
    services.publish(community.owner, launch.id)
    db.session.commit()
    published = db.session.get(Launch, launch.id)
    assert published.seed_hash == fairdraw.commitment(published.seed)
