"""When a launch opens, every member of its communities is told in the app — in batches of jobs, not in a
request — and its followers by email; each member once, however often the jobs run."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.extensions import db
from core.mail import OutboxEmail
from core.notify import Notification
from launches import fanout
from launches.models import Launch, LaunchFollow, LaunchMode, LaunchStatus
from tests.factories import add_member, count, make_community, make_product, make_supplier, make_user


def _launch(communities, *, mode=LaunchMode.FIRST_COME, status=LaunchStatus.PUBLISHED) -> Launch:
    variant = make_product(make_supplier()).variants[0]
    opens = clock.now() + timedelta(hours=1)
    launch = Launch(created_by_id=communities[0].owner_id, variant_id=variant.id, title="Lychee crate",
                    price=5000, currency="CNY", stock=10, opens_at=opens, closes_at=opens + timedelta(days=1),
                    mode=mode, status=status)
    launch.communities = list(communities)
    db.session.add(launch)
    db.session.commit()
    return launch


def _sweep() -> list[int]:
    claimed = fanout.sweep_announcements()
    db.session.commit()  # the fan-out jobs run after the commit (in-process here)
    return claimed


def _announce_again(launch) -> int:
    batches = fanout.announce(launch.id)
    db.session.commit()
    return batches


def _told(launch) -> int:
    return count(Notification, Notification.key == f"launch-open-{launch.id}")


def test_every_member_is_told_once_in_batches_when_the_launch_opens(app, monkeypatch):
    monkeypatch.setattr(fanout, "BATCH", 3)
    community = make_community()
    for _ in range(7):
        add_member(community, make_user())
    launch = _launch([community])
    assert _sweep() == [] and _told(launch) == 0  # not yet open
    clock.advance(timedelta(hours=1))
    assert _sweep() == [launch.id]
    assert _told(launch) == 8  # the shopkeeper and seven members
    assert len(fanout.batch_starts(community.id)) == 3
    assert db.session.get(Launch, launch.id).announced_at is not None
    assert _sweep() == []


def test_rerunning_the_fanout_tells_nobody_twice(app, monkeypatch):
    monkeypatch.setattr(fanout, "BATCH", 2)
    community = make_community()
    for _ in range(4):
        add_member(community, make_user())
    launch = _launch([community])
    clock.advance(timedelta(hours=1))
    _sweep()
    assert _announce_again(launch) == 3
    db.session.execute(sa.update(Launch).where(Launch.id == launch.id).values(announced_at=None))
    db.session.commit()
    _sweep()
    rows = db.session.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(Notification.user_id)))
                              .where(Notification.key == f"launch-open-{launch.id}")).one()
    assert tuple(rows) == (5, 5)


def test_a_member_of_two_of_the_launchs_communities_is_told_once(app):
    first, second = make_community(), make_community()
    both = make_user()
    add_member(first, both)
    add_member(second, both)
    launch = _launch([first, second])
    clock.advance(timedelta(hours=1))
    _sweep()
    assert count(Notification, Notification.user_id == both.id, Notification.key == f"launch-open-{launch.id}") == 1
    assert _told(launch) == 3


def test_followers_are_also_emailed_and_only_once(app):
    community = make_community()
    follower, member = add_member(community, make_user()), add_member(community, make_user())
    launch = _launch([community])
    db.session.add(LaunchFollow(launch_id=launch.id, user_id=follower.id, created_at=clock.now()))
    db.session.commit()
    clock.advance(timedelta(hours=1))
    _sweep()
    _announce_again(launch)
    assert count(OutboxEmail, OutboxEmail.recipient == follower.email) == 1
    assert count(OutboxEmail, OutboxEmail.recipient == member.email) == 0


def test_a_raffle_opening_invites_members_to_enter(app):
    community = make_community()
    launch = _launch([community], mode=LaunchMode.RAFFLE)
    clock.advance(timedelta(hours=1))
    _sweep()
    [note] = db.session.execute(sa.select(Notification).where(Notification.key == f"launch-open-{launch.id}")
                                ).scalars()
    assert note.kind == "raffle_open" and "Lychee crate" in note.message
    assert note.link == f"/c/{community.slug}/launches/{launch.id}"


def test_drafts_and_closed_launches_are_not_announced(app):
    community = make_community()
    draft = _launch([community], status=LaunchStatus.DRAFT)
    closed = _launch([community])
    clock.advance(timedelta(days=2))
    assert _sweep() == [closed.id]
    assert _told(draft) == 0 and _told(closed) == 0
