"""The opening fan-out: when a launch opens (a raffle's entries open at the same moment), every member of
its communities is told in the app, and its followers by email too — without blocking any request.

``sweep_announcements`` (the sweeper, every minute) claims each published launch whose opening has come
and whose ``announced_at`` is empty by setting it in one conditional UPDATE, and enqueues ``announce``
after the commit. ``announce`` cuts each community's memberships into id ranges of ``BATCH`` and enqueues
one ``announce_batch`` per range, with a job id made of the launch, community and range start, so a rerun
enqueues nothing new while the first is pending. Each batch is one INSERT … ON CONFLICT DO NOTHING on
notifications' (user_id, key): whoever was told already — a rerun, or a member of two of the launch's
communities — is not told again, and only those told now are emailed."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, jobs, notify
from core.extensions import db
from core.mail import batch, send_email
from launches.models import Launch, LaunchFollow, LaunchMode, LaunchStatus, launch_communities
from shopkeeper.models import Community, Membership

log = logging.getLogger(__name__)
BATCH = 5000  #: memberships per batch job: fewer, larger jobs spend less on per-job overhead (a fork each in RQ)
QUEUE = "default"

notify.register("launch_open", _l("%(title)s is on sale now — first come, first served."),
                _l("%(title)s is on sale now"))
notify.register("raffle_open", _l("Entries for %(title)s are open until %(until)s: enter the draw."),
                _l("Entries for %(title)s are open"))


def sweep_announcements() -> list[int]:
    """Claim every launch whose opening has come and that nobody announced, and enqueue its fan-out after
    the commit. Returns the launch ids claimed. A launch that already closed is claimed but not told."""
    now = clock.now()
    claimed = list(db.session.execute(
        sa.update(Launch).where(Launch.status == LaunchStatus.PUBLISHED, Launch.opens_at <= now,
                                Launch.announced_at.is_(None))
        .values(announced_at=now).returning(Launch.id, Launch.closes_at)
        .execution_options(synchronize_session=False)).all())
    for launch_id, closes_at in claimed:
        if closes_at is None or clock.as_utc(closes_at) > now:
            jobs.enqueue(announce, launch_id, job_id=f"launch-announce-{launch_id}", queue=QUEUE)
    return [launch_id for launch_id, _closes in claimed]


def announce(launch_id: int) -> int:
    """Enqueue one batch job per ``BATCH`` memberships of each of the launch's communities; returns how
    many batches. Cheap: one windowed SELECT of range starts per community."""
    community_ids = db.session.execute(sa.select(launch_communities.c.community_id).where(
        launch_communities.c.launch_id == launch_id).order_by(launch_communities.c.community_id)).scalars()
    batches = 0
    for community_id in community_ids:
        starts = batch_starts(community_id)
        for start, end in zip(starts, [*starts[1:], None], strict=True):
            jobs.enqueue(announce_batch, launch_id, community_id, start, end, queue=QUEUE,
                         job_id=f"launch-open-{launch_id}-{community_id}-{start}")
            batches += 1
    return batches


def batch_starts(community_id: int, size: int | None = None) -> list[int]:
    """The first membership id of every ``size`` (``BATCH``) memberships of the community, in id order."""
    size = size or BATCH
    numbered = sa.select(Membership.id, sa.func.row_number().over(order_by=Membership.id).label("n")) \
        .where(Membership.community_id == community_id).subquery()
    return list(db.session.execute(sa.select(numbered.c.id).where((numbered.c.n - 1) % size == 0)
                                   .order_by(numbered.c.id)).scalars())


def announce_batch(launch_id: int, community_id: int, start: int, end: int | None) -> int:
    """Tell the members whose membership id is in [start, end): in the app, once each; and, among those
    told now, the launch's followers by email. Returns how many were told now."""
    launch = db.session.get(Launch, launch_id)
    if launch is None or launch.status != LaunchStatus.PUBLISHED:
        return 0
    in_range = [Membership.community_id == community_id, Membership.id >= start]
    if end is not None:
        in_range.append(Membership.id < end)
    user_ids = list(db.session.execute(sa.select(Membership.user_id).where(*in_range)).scalars())
    slug = db.session.execute(sa.select(Community.slug).where(Community.id == community_id)).scalar_one()
    kind, params = _message(launch)
    told = notify.notify_many(user_ids, kind, key=f"launch-open-{launch_id}",
                              link=f"/c/{slug}/launches/{launch_id}", **params)
    _email_followers(launch_id, told, kind, params, f"/c/{slug}/launches/{launch_id}")
    return len(told)


def _message(launch: Launch) -> tuple[str, dict]:
    if launch.mode == LaunchMode.RAFFLE and launch.closes_at is not None:
        return "raffle_open", {"title": launch.title,
                               "until": clock.as_utc(launch.closes_at).strftime("%Y-%m-%d %H:%M UTC")}
    return "launch_open", {"title": launch.title}


def _email_followers(launch_id: int, told: list[int], kind: str, params: dict, link: str) -> None:
    if not told:
        return
    followers = db.session.execute(sa.select(User).join(LaunchFollow, LaunchFollow.user_id == User.id).where(
        LaunchFollow.launch_id == launch_id, LaunchFollow.user_id.in_(told))).scalars()
    with batch():
        for user in followers:
            with force_locale(user.locale or "en"):
                send_email(user.email, notify.render(kind, params, part=1),
                           f"{notify.render(kind, params)}\n\n{link}")
