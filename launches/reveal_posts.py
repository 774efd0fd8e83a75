"""Telling the community of each reveal as it happens: a feed post in every community of the launch and
a notification to each follower. Only stages whose time has come are ever touched
(``launches.reveals``); ``posted_at``, set in the same unit of work as the posts under a row lock, makes
it once per stage however often or concurrently the sweeper runs."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, notify
from core.extensions import db
from launches.models import Launch, LaunchFollow, LaunchStatus, RevealStage
from shopkeeper.models import Community, Membership, Post

#: followers told per job run; the job enqueues itself for the rest
FOLLOWER_BATCH = 500

notify.register("launch_revealed", _l("New on %(launch)s: %(stage)s"),
                _l("%(launch)s: %(stage)s is revealed"))


def launch_path(community_slug: str, launch_id: int) -> str:
    return f"/c/{community_slug}/launches/{launch_id}"


def due_stage_ids(now=None) -> list[int]:
    """Stages of published launches whose time has come and that were not posted yet, oldest first."""
    now = now or clock.now()
    return list(db.session.execute(
        sa.select(RevealStage.id).join(Launch).where(RevealStage.reveal_at <= now, RevealStage.posted_at.is_(None),
                                                     Launch.status == LaunchStatus.PUBLISHED)
        .order_by(RevealStage.reveal_at, RevealStage.id)).scalars())


def post_stage(stage_id: int) -> bool:
    """Post the stage to each of its launch's communities (as the community's owner) and stamp it, under
    a lock on the stage's row; False when it is not due, already posted or locked by another run."""
    query = sa.select(RevealStage).where(RevealStage.id == stage_id, RevealStage.posted_at.is_(None),
                                         RevealStage.reveal_at <= clock.now())
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    stage = db.session.execute(query).scalar_one_or_none()
    if stage is None or stage.launch.status != LaunchStatus.PUBLISHED:
        return False
    launch = stage.launch
    for community in launch.communities:
        body = "\n\n".join(part for part in (f"{launch.title} — {stage.title}", stage.body,
                                             launch_path(community.slug, launch.id)) if part)
        db.session.add(Post(community_id=community.id, author_id=community.owner_id, body=body))
    stage.posted_at = clock.now()
    db.session.flush()
    return True


def tell_followers(stage_id: int, after_user_id: int = 0) -> int | None:
    """Tell the next batch of followers (by user id, after ``after_user_id``) of a posted stage, each once
    (the notification key is per stage and user). Returns the last user id told, or None when done."""
    stage = db.session.get(RevealStage, stage_id)
    if stage is None or stage.posted_at is None:
        return None
    launch = stage.launch
    follows = db.session.execute(
        sa.select(LaunchFollow).where(LaunchFollow.launch_id == launch.id, LaunchFollow.user_id > after_user_id)
        .order_by(LaunchFollow.user_id).limit(FOLLOWER_BATCH)).scalars().all()
    user_ids = [follow.user_id for follow in follows]
    slugs = dict(db.session.execute(
        sa.select(Membership.user_id, sa.func.min(Community.slug)).join(Community)
        .where(Membership.user_id.in_(user_ids), Community.id.in_([c.id for c in launch.communities]))
        .group_by(Membership.user_id)).all()) if user_ids else {}
    for user in db.session.execute(sa.select(User).where(User.id.in_(list(slugs))).order_by(User.id)).scalars():
        notify.tell(user, "launch_revealed", key=f"launch-reveal-{stage.id}",
                    link=launch_path(slugs[user.id], launch.id), launch=launch.title, stage=stage.title)
    return follows[-1].user_id if len(follows) == FOLLOWER_BATCH else None
