"""Raffle launches: members enter once during [opens_at, closes_at); at ``closes_at`` a fair draw
(``core.fairdraw``) ranks every entry, and the first ranks — one unit each, as many as the launch has
units free — get a purchase hold for ``claim_minutes``; the rest wait in draw order. A winner's hold that
runs out (or is let go) passes its unit to the next drawn.

Auditable: ``seed_hash`` (SHA-256 of a secret seed) is set when the launch is prepared — published, or at
the latest the first entry — and shown from then on; ``seed`` is shown only once ``drawn_at`` is set.
The draw ranks by ``fairdraw.draw_order(seed, entry ids)``, so anyone can recompute it from the audit page.

Units move through ``launches.stock`` and holds end through ``launches.holds`` (the same lock order:
entry or hold first, then the allowance, then the launch). Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock, fairdraw, jobs, notify
from core.errors import Conflict
from core.extensions import db
from launches import holds, stock
from launches.models import EntryStatus, Hold, HoldSource, HoldStatus, Launch, LaunchMode, LaunchStatus, RaffleEntry
from shopkeeper.models import Community

UNITS_PER_WINNER = 1  #: one drawn entry = one unit: as many winners as there are units

notify.register("raffle_won", _l("You won the draw for %(title)s: pay for your unit before %(until)s."),
                _l("You won the draw for %(title)s"))
notify.register("raffle_drawn", _l("The draw for %(title)s is done: see your place and check the draw."))


def prepare(launch: Launch) -> None:
    """Commit to a secret seed (publishing its hash) and schedule the draw at ``closes_at``, once per
    raffle launch: called at publication, by the sweeper, and at the first entry — whichever comes first.
    The seed is set by a conditional UPDATE, so two callers cannot publish two commitments."""
    if launch.mode != LaunchMode.RAFFLE or launch.seed_hash is not None or launch.drawn_at is not None:
        return
    seed = fairdraw.new_seed()
    db.session.execute(sa.update(Launch).where(Launch.id == launch.id, Launch.seed_hash.is_(None))
                       .values(seed=seed, seed_hash=fairdraw.commitment(seed))
                       .execution_options(synchronize_session=False))
    db.session.refresh(launch, ["seed", "seed_hash"])
    if launch.closes_at is not None:
        schedule_draw(launch)


def schedule_draw(launch: Launch) -> None:
    from launches.raffle_jobs import draw_job

    at = clock.as_utc(launch.closes_at)
    jobs.enqueue(draw_job, launch.id, at=at, job_id=f"raffle-draw-{launch.id}-{int(at.timestamp())}")


def is_entering(launch: Launch, now: datetime) -> bool:
    return (launch.mode == LaunchMode.RAFFLE and launch.status == LaunchStatus.PUBLISHED
            and launch.drawn_at is None and clock.as_utc(launch.opens_at) <= now
            and launch.closes_at is not None and now < clock.as_utc(launch.closes_at))


def enter(user: User, launch_id: int, community: Community | None = None) -> RaffleEntry:
    """Enter the caller in a raffle launch's draw, once. Raises ``not_found`` (not a member of a launch
    community, or a draft), ``not_raffle``, ``not_open`` / ``closed`` and ``already_entered`` (409)."""
    found = holds.peek(user, launch_id, community)
    launch = db.session.get(Launch, found.id)
    now = clock.now()
    if launch.mode != LaunchMode.RAFFLE:
        raise Conflict("not_raffle", _l("This launch is first come: reserve instead."))
    if launch.status == LaunchStatus.PUBLISHED and now < clock.as_utc(launch.opens_at):
        raise Conflict("not_open", _l("Entries have not opened yet."))
    if not is_entering(launch, now):
        raise Conflict("closed", _l("Entries are closed."))
    prepare(launch)
    entry = RaffleEntry(launch_id=launch.id, user_id=user.id, community_id=found.community_id)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        raise Conflict("already_entered", _l("You are already in this draw.")) from None
    return entry


def my_entry(user: User | None, launch_id: int) -> RaffleEntry | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(sa.select(RaffleEntry).where(
        RaffleEntry.launch_id == launch_id, RaffleEntry.user_id == user.id)).scalar_one_or_none()


def entry_count(launch_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(RaffleEntry)
                              .where(RaffleEntry.launch_id == launch_id)).scalar_one()


def draw(launch_id: int) -> str:
    """At ``closes_at``: rank every entry, give the first ranks a hold, the rest wait; publish the seed.
    Returns "drawn", or "skipped" (not a published raffle, not yet closed, or drawn already — so a second
    run, or a concurrent one, changes nothing: ``drawn_at`` is claimed by one conditional UPDATE)."""
    now = clock.now()
    launch = db.session.get(Launch, launch_id)
    if launch is None or launch.mode != LaunchMode.RAFFLE or launch.status != LaunchStatus.PUBLISHED \
            or launch.closes_at is None or clock.as_utc(launch.closes_at) > now:
        return "skipped"
    prepare(launch)  # never prepared (no entry, sweeper late): commit now, publish at once with the draw
    claimed = db.session.execute(sa.update(Launch).where(Launch.id == launch_id, Launch.drawn_at.is_(None))
                                 .values(drawn_at=now).returning(Launch.seed)
                                 .execution_options(synchronize_session=False)).scalar_one_or_none()
    if claimed is None:
        return "skipped"
    db.session.refresh(launch)
    ids = list(db.session.execute(sa.select(RaffleEntry.id).where(RaffleEntry.launch_id == launch_id)
                                  .order_by(RaffleEntry.id)).scalars())
    order = fairdraw.draw_order(claimed, ids)
    if order:
        db.session.execute(sa.update(RaffleEntry), [
            {"id": entry_id, "draw_rank": rank, "status": EntryStatus.WAITING}
            for rank, entry_id in enumerate(order, start=1)])
    winners = pass_on(launch_id)
    _tell_the_rest(launch, winners)
    return "drawn"


def pass_on(launch_id: int) -> list[int]:
    """Give each free unit to the next WAITING entry in draw order (a hold for ``claim_minutes``) after
    ending winners' holds that ran out; once every unit is sold, the still-waiting have lost. Idempotent:
    run again, it finds nothing to do. Returns the user ids of the new winners."""
    now = clock.now()
    _close_lapsed_wins(launch_id, now)
    launch = db.session.get(Launch, launch_id)
    winners: list[int] = []
    while (counts := stock.counts(launch_id)) is not None and counts.available >= UNITS_PER_WINNER:
        entry = _next_waiting(launch_id)
        if entry is None:
            break
        outcome = _award(launch, entry, now)
        if outcome == "won":
            winners.append(entry.user_id)
        elif outcome == "no_unit":
            break
    counts = stock.counts(launch_id)
    if counts is not None and counts.held == 0 and counts.available < UNITS_PER_WINNER:
        db.session.execute(sa.update(RaffleEntry).where(RaffleEntry.launch_id == launch_id,
                                                        RaffleEntry.status == EntryStatus.WAITING)
                           .values(status=EntryStatus.LOST).execution_options(synchronize_session=False))
    db.session.flush()
    return winners


def _close_lapsed_wins(launch_id: int, now: datetime) -> None:
    """A winner whose hold ran out (expired here or by the holds sweeper) or was let go has lost it."""
    lapsed = db.session.execute(
        sa.select(RaffleEntry.id, Hold.id, Hold.status, Hold.expires_at).join(Hold, Hold.id == RaffleEntry.hold_id)
        .where(RaffleEntry.launch_id == launch_id, RaffleEntry.status == EntryStatus.WON,
               sa.or_(Hold.status.in_([HoldStatus.EXPIRED, HoldStatus.CANCELLED]),
                      sa.and_(Hold.status == HoldStatus.HELD, Hold.expires_at <= now)))).all()
    for entry_id, hold_id, status, _expires in lapsed:
        if status == HoldStatus.HELD:
            holds.expire_hold(hold_id)
        db.session.execute(sa.update(RaffleEntry).where(RaffleEntry.id == entry_id,
                                                        RaffleEntry.status == EntryStatus.WON)
                           .values(status=EntryStatus.LOST).execution_options(synchronize_session=False))


def _next_waiting(launch_id: int) -> RaffleEntry | None:
    return db.session.execute(sa.select(RaffleEntry).where(RaffleEntry.launch_id == launch_id,
                                                           RaffleEntry.status == EntryStatus.WAITING)
                              .order_by(RaffleEntry.draw_rank).limit(1)).scalar_one_or_none()


class _Undo(Exception):
    """Leaves an award's savepoint: nothing of it stays."""


def _award(launch: Launch, entry: RaffleEntry, now: datetime) -> str:
    """The entry wins a unit: claimed WAITING → WON first (the entry row is the lock), then the member's
    allowance, then the unit on the launch. Returns "won"; "lost" when the member cannot take a unit
    (bought their limit another way); "taken" when another run claimed the entry; "no_unit" when no unit
    was free after all (the entry stays WAITING)."""
    try:
        with db.session.begin_nested():
            claimed = db.session.execute(
                sa.update(RaffleEntry).where(RaffleEntry.id == entry.id, RaffleEntry.status == EntryStatus.WAITING)
                .values(status=EntryStatus.WON).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                raise _Undo("taken")
            if stock.take_allowance(launch.id, entry.user_id, UNITS_PER_WINNER, launch.per_member_limit) is None:
                db.session.execute(sa.update(RaffleEntry).where(RaffleEntry.id == entry.id)
                                   .values(status=EntryStatus.LOST).execution_options(synchronize_session=False))
                return "lost"
            if _hold_drawn_unit(launch.id) is None:
                raise _Undo("no_unit")
            hold = Hold(launch_id=launch.id, user_id=entry.user_id, community_id=entry.community_id,
                        quantity=UNITS_PER_WINNER, source=HoldSource.RAFFLE, status=HoldStatus.HELD,
                        expires_at=now + timedelta(minutes=launch.claim_minutes))
            db.session.add(hold)
            db.session.flush()
            db.session.execute(sa.update(RaffleEntry).where(RaffleEntry.id == entry.id).values(hold_id=hold.id)
                               .execution_options(synchronize_session=False))
    except _Undo as undone:
        return str(undone)
    finally:
        db.session.expire(entry)
    _tell_winner(launch, entry.user_id, entry.community_id, hold)
    return "won"


def _hold_drawn_unit(launch_id: int) -> int | None:
    """One conditional UPDATE, like ``stock.hold_units`` but after the entry window has closed (a drawn
    unit is held at or after ``closes_at``): the new ``held``, or None when no unit is free."""
    held = db.session.execute(
        sa.update(Launch).where(Launch.id == launch_id, Launch.status == LaunchStatus.PUBLISHED,
                                Launch.sold + Launch.held + UNITS_PER_WINNER <= Launch.stock)
        .values(held=Launch.held + UNITS_PER_WINNER).returning(Launch.held)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    loaded = db.session.identity_map.get(db.session.identity_key(Launch, launch_id))
    if loaded is not None:
        db.session.expire(loaded, ["stock", "sold", "held"])
    return held


def launch_link(community_id: int, launch_id: int) -> str:
    slug = db.session.execute(sa.select(Community.slug).where(Community.id == community_id)).scalar_one()
    return f"/c/{slug}/launches/{launch_id}"


def _tell_winner(launch: Launch, user_id: int, community_id: int, hold: Hold) -> None:
    user = db.session.get(User, user_id)
    notify.tell(user, "raffle_won", key=f"raffle-won-{launch.id}-{hold.id}",
                link=launch_link(community_id, launch.id), title=launch.title,
                until=clock.as_utc(hold.expires_at).strftime("%Y-%m-%d %H:%M UTC"))


def _tell_the_rest(launch: Launch, winners: list[int]) -> None:
    """Everyone who entered and did not win at once: in the app (their place is on the launch page)."""
    rows = db.session.execute(sa.select(RaffleEntry.user_id, RaffleEntry.community_id).where(
        RaffleEntry.launch_id == launch.id, RaffleEntry.user_id.not_in(winners) if winners else sa.true())).all()
    by_community: dict[int, list[int]] = {}
    for user_id, community_id in rows:
        by_community.setdefault(community_id, []).append(user_id)
    for community_id, user_ids in by_community.items():
        notify.notify_many(user_ids, "raffle_drawn", key=f"raffle-drawn-{launch.id}",
                           link=launch_link(community_id, launch.id), title=launch.title)


@dataclass(frozen=True)
class Audit:
    """What the audit page and API show: the commitment always; the seed and order only after the draw."""

    launch_id: int
    seed_hash: str | None
    seed: str | None
    drawn_at: datetime | None
    slots: int
    entries: list[RaffleEntry]  #: in entry order (id)

    @property
    def entry_ids(self) -> list[int]:
        return [entry.id for entry in self.entries]

    @property
    def draw_order(self) -> list[RaffleEntry]:
        return sorted((e for e in self.entries if e.draw_rank is not None), key=lambda e: e.draw_rank)

    @property
    def snippet(self) -> str | None:
        return None if self.seed is None else fairdraw.recompute_snippet(self.seed, self.entry_ids, self.slots)


def audit(launch: Launch) -> Audit:
    """The draw as anyone may check it. The seed stays out until ``drawn_at`` is set, whatever is stored."""
    drawn = launch.drawn_at is not None
    entries = list(db.session.execute(sa.select(RaffleEntry).where(RaffleEntry.launch_id == launch.id)
                                      .order_by(RaffleEntry.id)).scalars()) if drawn else []
    return Audit(launch_id=launch.id, seed_hash=launch.seed_hash, seed=launch.seed if drawn else None,
                 drawn_at=launch.drawn_at, slots=launch.stock // UNITS_PER_WINNER, entries=entries)
