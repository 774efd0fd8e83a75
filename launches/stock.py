"""A launch's units — ``launches.stock``, ``sold`` and ``held`` — and each member's units against the
per-member limit (``launch_allowances.units``): moved only here, each by one conditional UPDATE, so no
concurrency can oversell (``sold + held <= stock``) nor take a member past the limit.

Lock order, the same in every transaction: a hold or waitlist row first, then the member's allowance,
then the launch. The launch's row is the hot one, so it is locked last and held for the shortest time.
Nothing here commits — the row locks last until the caller's unit of work ends — except
``reserve_at_once``, PostgreSQL's first-come hold: the same three writes in one call of the
``launch_reserve`` function (migration 7e1f4c2a9d35) which, for a request that has not touched the
database otherwise, commits by itself in one round trip so the launch row is never locked across the
network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from core import hot_cache
from core.db import after_commit
from core.extensions import db
from launches import gate
from launches.models import Allowance, Launch, LaunchStatus

#: what ``reserve_at_once`` may refuse with (the function's exception messages)
REFUSALS = ("limit_reached", "sold_out", "closed", "not_open")


@dataclass(frozen=True)
class Counts:
    stock: int
    sold: int
    held: int

    @property
    def available(self) -> int:
        return max(self.stock - self.sold - self.held, 0)


def counts(launch_id: int) -> Counts | None:
    """The launch's numbers as the database has them now: one read by primary key, no lock."""
    row = db.session.execute(sa.select(Launch.stock, Launch.sold, Launch.held).where(Launch.id == launch_id)).first()
    return None if row is None else Counts(*row)


def _forget(launch_id: int) -> None:
    """The UPDATEs bypass the session: a launch already loaded reads its numbers again when next asked."""
    loaded = db.session.identity_map.get(db.session.identity_key(Launch, launch_id))
    if loaded is not None:
        db.session.expire(loaded, ["stock", "sold", "held"])


def _update_launch(launch_id: int, condition, **values) -> Counts | None:
    row = db.session.execute(
        sa.update(Launch).where(Launch.id == launch_id, condition).values(**values)
        .returning(Launch.stock, Launch.sold, Launch.held)
        .execution_options(synchronize_session=False)).first()
    _forget(launch_id)
    return None if row is None else Counts(*row)


def _insert_ignoring_conflict(table, **values):
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


def take_allowance(launch_id: int, user_id: int, quantity: int, limit: int) -> int | None:
    """Count ``quantity`` more units against the member's limit; their new total, or None past the limit."""
    db.session.execute(_insert_ignoring_conflict(Allowance.__table__, launch_id=launch_id, user_id=user_id, units=0))
    return db.session.execute(
        sa.update(Allowance).where(Allowance.launch_id == launch_id, Allowance.user_id == user_id,
                                   Allowance.units + quantity <= limit)
        .values(units=Allowance.units + quantity).returning(Allowance.units)
        .execution_options(synchronize_session=False)).scalar_one_or_none()


def give_back_allowance(launch_id: int, user_id: int, quantity: int) -> None:
    """The member's units went back (a hold expired or was cancelled): they may take them again."""
    db.session.execute(
        sa.update(Allowance).where(Allowance.launch_id == launch_id, Allowance.user_id == user_id,
                                   Allowance.units >= quantity)
        .values(units=Allowance.units - quantity).execution_options(synchronize_session=False))


def allowance_units(launch_id: int, user_id: int) -> int:
    return db.session.execute(sa.select(Allowance.units).where(
        Allowance.launch_id == launch_id, Allowance.user_id == user_id)).scalar_one_or_none() or 0


def hold_units(launch_id: int, quantity: int, now: datetime) -> Counts | None:
    """Set ``quantity`` units aside on a published launch that is open at ``now``; None when fewer are
    left (or it is not open). PostgreSQL keeps the row locked until the transaction ends, so concurrent
    holds queue here and each sees what the previous one left."""
    return _update_launch(launch_id, sa.and_(
        Launch.status == LaunchStatus.PUBLISHED, Launch.opens_at <= now,
        sa.or_(Launch.closes_at.is_(None), Launch.closes_at > now),
        Launch.sold + Launch.held + quantity <= Launch.stock), held=Launch.held + quantity)


def _reopen_gate(launch_id: int) -> None:
    """Units came back: once they are committed, the gate reads its count again (``launches.gate``)."""
    after_commit(partial(gate.forget, launch_id))


def release_units(launch_id: int, quantity: int) -> Counts | None:
    """Held units go back on sale (a hold expired or was cancelled)."""
    _reopen_gate(launch_id)
    return _update_launch(launch_id, Launch.held >= quantity, held=Launch.held - quantity)


def sell_units(launch_id: int, quantity: int) -> Counts | None:
    """Held units become sold (an order was made for them)."""
    return _update_launch(launch_id, Launch.held >= quantity, held=Launch.held - quantity,
                          sold=Launch.sold + quantity)


def add_stock(launch_id: int, units: int) -> Counts | None:
    """A restock: ``units`` more for sale (offer them with ``launches.waitlist.offer_restock``)."""
    if units < 1:
        raise ValueError("a restock adds at least one unit")
    _reopen_gate(launch_id)
    return _update_launch(launch_id, sa.true(), stock=Launch.stock + units)


class Refused(Exception):
    """``launch_reserve`` wrote nothing: ``code`` is one of ``REFUSALS``; ``detail`` the units left (or, for
    ``limit_reached``, the limit)."""

    def __init__(self, code: str, detail: int) -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


def reserve_at_once(launch_id: int, user_id: int, community_id: int, quantity: int,
                    now: datetime) -> tuple[int, datetime]:
    """PostgreSQL only: a first-come hold of ``quantity`` units — the hold, the member's allowance and the
    launch's ``held`` — in one call of ``launch_reserve``. When the unit of work has not touched the
    database yet (a request answered from the caches), on a connection of its own in autocommit: one round
    trip, committed before this returns. Otherwise inside the unit of work (in a savepoint), which then
    holds the launch row until it commits. Returns the hold's id and expiry; raises ``Refused`` having
    written nothing."""
    statement = sa.text("SELECT hold_id, expires_at FROM launch_reserve(:launch, :user, :community, :quantity, :now)")
    values = {"launch": launch_id, "user": user_id, "community": community_id, "quantity": quantity, "now": now}
    try:
        if hot_cache.session_in_database_transaction():
            with db.session.begin_nested():
                row = db.session.execute(statement, values).one()
        else:
            with hot_cache.autocommit_engine().connect() as connection:
                row = connection.execute(statement, values).one()
    except DBAPIError as error:
        diag = getattr(error.orig, "diag", None)
        code = getattr(diag, "message_primary", None)
        if getattr(diag, "sqlstate", None) != "P0001" or code not in REFUSALS:
            raise
        raise Refused(code, int(diag.message_detail or 0)) from None
    _forget(launch_id)
    return row.hold_id, row.expires_at.astimezone(UTC)
