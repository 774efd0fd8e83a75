"""The drop's gate: a count in Redis of the units a first-come launch may still have, taken atomically by
each reserve request *before* it reaches the database. When a drop opens, thousands ask for a hundred
units: the gate lets about a hundred through to ``launches.stock`` and answers the rest "sold out" from
Redis, so they neither wait on the launch row's lock nor cost a database round trip.

The database stays the only judge of units (``sold + held <= stock`` by conditional UPDATE); the gate
only turns requests away early, so it may admit too many (harmless: the database refuses them) but must
never strand units by admitting too few for long. Hence:

- the count is a cache of ``stock - sold - held`` with a time to live (``TTL_SECONDS``): missing, it is
  read again from the database (``SET NX``), so any drift lasts at most that long;
- a request the database refuses as sold out sets the count to what the database says is left; one that
  fails for another reason (the member's limit, an error) gives its units back;
- units coming back (a hold expired or let go, a restock) delete the count, which is read again at once;
- a process that heard "none left" says so from memory for half a second, so the crowd after a sell-out
  costs not even a Redis call.

Without Redis, or when it does not answer, there is no gate: every request goes to the database."""

from __future__ import annotations

from collections.abc import Callable

from core import hot_cache

TTL_SECONDS = 5
#: how long a process answers "sold out" without asking Redis, once Redis said none are left
SOLD_OUT_SECONDS = 0.5
_TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
left = tonumber(left)
if left >= tonumber(ARGV[1]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return left
end
return -2 - left
"""
_GIVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return -1
"""


def _key(launch_id: int) -> str:
    return hot_cache.redis_key(f"launch:{launch_id}:left")


def _script(client, name: str, source: str):
    scripts = hot_cache.cache("gate-scripts", maxsize=8, ttl=10**9)
    found = scripts.get((id(client), name))
    if found is None:
        found = client.register_script(source)
        scripts.put((id(client), name), found)
    return found


def _counted() -> hot_cache.HotCache:
    return hot_cache.cache("gate-counted", maxsize=10_000, ttl=0.2)


def _count(launch_id: int, available: Callable[[], int]) -> bool:
    return seed(launch_id, available())


def seed(launch_id: int, left: int) -> bool:
    """Start the count at ``left`` (``stock - sold - held`` as just read) unless it is there; False when
    Redis does not answer."""
    return hot_cache.guarded_call(
        lambda client: client.set(_key(launch_id), max(left, 0), ex=TTL_SECONDS, nx=True) or True, default=False)


def _sold_out() -> hot_cache.HotCache:
    return hot_cache.cache("gate-sold-out", maxsize=10_000, ttl=SOLD_OUT_SECONDS)


def take(launch_id: int, quantity: int, available: Callable[[], int]) -> tuple[bool, int] | None:
    """Take ``quantity`` units off the gate: (True, units left before) or (False, units left); None when
    there is no gate. ``available`` reads ``stock - sold - held`` from the database when the count is
    missing. A process that heard "none left" answers so from memory for ``SOLD_OUT_SECONDS``."""
    if hot_cache.redis() is not None and _sold_out().get(launch_id):
        return False, 0

    def attempt(client) -> int:
        return int(_script(client, "take", _TAKE)(keys=[_key(launch_id)], args=[quantity]))

    answer = hot_cache.guarded_call(attempt)
    if answer == -1:  # one thread of the process reads the count from the database; the others wait
        counted = _counted().get_or_load(launch_id, lambda: _count(launch_id, available))
        answer = hot_cache.guarded_call(attempt) if counted else None
    if answer is None or answer == -1:
        return None
    if answer == -2:
        _sold_out().put(launch_id, True)
    return (True, answer) if answer >= 0 else (False, -2 - answer)


def known_sold_out(launch_id: int) -> bool:
    """This process heard from Redis, under ``SOLD_OUT_SECONDS`` ago, that none are left."""
    return bool(_sold_out().get(launch_id))


def give_back(launch_id: int, quantity: int) -> None:
    hot_cache.guarded_call(lambda client: _script(client, "give", _GIVE)(keys=[_key(launch_id)], args=[quantity]))


def settle(launch_id: int, left: int) -> None:
    """The database says ``left`` units are left: the gate says so too."""
    hot_cache.guarded_call(lambda client: client.set(_key(launch_id), max(left, 0), ex=TTL_SECONDS))


def forget(launch_id: int) -> None:
    """Units came back: read the count again from the database at the next request."""
    _sold_out().drop(launch_id)
    hot_cache.guarded_call(lambda client: client.delete(_key(launch_id)))
