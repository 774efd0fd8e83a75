"""Many units of work at once, as concurrent requests would run them (PostgreSQL tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from core.errors import DomainError
from core.extensions import db


def all_at_once(app, calls: Sequence[tuple], action: Callable) -> list:
    """``action(*call)`` for each call, each in a thread, an app context and a unit of work of its own,
    all released together: what each returned (committed), or the code of the DomainError it raised
    (rolled back). Pass ids, not objects: threads share no session."""
    start = threading.Barrier(len(calls))

    def one(call: tuple):
        start.wait()
        with app.app_context():
            try:
                result = action(*call)
                db.session.commit()
                return result
            except DomainError as error:
                db.session.rollback()
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))
