"""The calls a client has started that are not over yet ("open calls"), per client IP or share link.

itellico counts an account's calls in progress against a concurrency limit (the sandbox stand-in: 10;
itellico's own is commercial and not published: itellico's docs, "Limits and quotas"), and a call nobody
joins stays in progress while the agent waits for a person (the stand-in: 60 s). With only a rate per IP
(10 a minute), one address that made its calls and never joined them kept every place of the account
filled, and every other visitor got 429 from upstream (an audit). So each create takes one of its
client's WEBCALL_OPEN_CALLS_PER_IP places first (webcall/api_limits.py); with none free it is refused
(429 `too_many_open_calls`, `Retry-After`: until its oldest place frees) and nothing goes upstream.

A place is given back
- when the create made no call (a bad body, a refusal of ours or itellico's); a create that timed out
  keeps it (itellico may have made the call);
- when a read of the call's summary (`GET /api/calls/<id>`, which needs the call's handle) finds the call
  over: the page reads it right after its hang-up (static/js/summary-panel.js);
- when itellico's signed `conversation.ended` for the call arrives (webcall/webhooks.py): a page closed
  mid-call, or a call that failed after its create, reads no summary. With memory:// only the process
  that receives it gives the place back (the one that took it when the app runs as one process);
- when the client has none free and its call is known over (webcall/api_limits.py `_known_over`): by
  the call log, which every process shares (with memory:// each gunicorn worker counts its own places,
  and another worker's summary read, or the task worker's webhook or refresh, found it over: two workers
  told a visitor with no call open "Too many calls" for the whole hold, an audit), else by itellico,
  asked then (a tab reloaded or closed mid-call reads no summary);
- at the latest WEBCALL_OPEN_CALL_HOLD_SECONDS after it was taken: a call whose end is never heard of.

The places live in the rate limits' storage (webcall/ratelimit.py): with Redis, one sorted set per client
(members its places, scores when each frees) and one key per call naming its place, so every instance
counts the same places; with memory://, and while the Redis cannot be reached, in this process.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

from flask import g
from limits.storage import RedisStorage, Storage

from .calllog import OPEN_STATUSES
from .ratelimit import in_limit_storage, limiter

# What "now" is; tests set their own.
clock: Callable[[], float] = time.time
# How often the memory store drops places and calls whose time is up.
SWEEP_SECONDS = 60.0
_PLACE = "open_call_place"
_OPENED = "open_call_opened"
T = TypeVar("T")


@dataclass(frozen=True)
class Place:
    owner: str  # "ip:<client ip>" or "link:<link id>"
    token: str  # this place among the owner's
    until: float  # when it frees at the latest (clock time)


class Places(Protocol):
    def take(self, place: Place, cap: int, now: float) -> float | None: ...
    def give_back(self, place: Place) -> None: ...
    def note_call(self, call_id: str, place: Place, now: float) -> None: ...
    def call_over(self, call_id: str) -> None: ...
    def calls_of(self, owner: str) -> list[str]: ...


class MemoryPlaces:
    """The places of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, dict[str, float]] = {}  # owner -> token -> until
        self._calls: dict[str, Place] = {}
        self._swept = 0.0

    def take(self, place: Place, cap: int, now: float) -> float | None:
        """Take `place` if its owner holds fewer than `cap` places; else when the first one frees."""
        with self._lock:
            self._sweep(now)
            held = {token: until for token, until in self._held.get(place.owner, {}).items() if until > now}
            if len(held) >= cap:
                self._held[place.owner] = held
                return min(held.values())
            self._held[place.owner] = {**held, place.token: place.until}
            return None

    def give_back(self, place: Place) -> None:
        with self._lock:
            self._held.get(place.owner, {}).pop(place.token, None)

    def note_call(self, call_id: str, place: Place, now: float) -> None:
        with self._lock:
            self._calls[call_id] = place

    def call_over(self, call_id: str) -> None:
        with self._lock:
            place = self._calls.pop(call_id, None)
            if place is not None:
                self._held.get(place.owner, {}).pop(place.token, None)

    def calls_of(self, owner: str) -> list[str]:
        with self._lock:
            return [call_id for call_id, place in self._calls.items() if place.owner == owner]

    def _sweep(self, now: float) -> None:
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        for owner in list(self._held):
            held = {token: until for token, until in self._held[owner].items() if until > now}
            if held:
                self._held[owner] = held
            else:
                del self._held[owner]
        self._calls = {call_id: place for call_id, place in self._calls.items() if place.until > now}


# One atomic step: drop the owner's places whose time is up; full: the score (time) its first place frees;
# else take the place. Concurrent creates of one client each see the places taken before.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return false
"""


class RedisPlaces:
    """The places in the rate limits' Redis (any of limits' Redis storages: plain, Sentinel, Cluster; every
    command names one key)."""

    def __init__(self, storage: RedisStorage) -> None:
        self._storage = storage
        self._take = storage.get_connection().register_script(_TAKE)

    def take(self, place: Place, cap: int, now: float) -> float | None:
        ttl = max(1, math.ceil(place.until - now))
        first = self._take(
            keys=[self._owner_key(place.owner)], args=[now, cap, place.until, place.token, ttl]
        )
        return None if first is None else float(first)

    def give_back(self, place: Place) -> None:
        self._storage.get_connection().zrem(self._owner_key(place.owner), place.token)

    def note_call(self, call_id: str, place: Place, now: float) -> None:
        ttl = max(1, math.ceil(place.until - now))
        connection = self._storage.get_connection()
        connection.set(self._call_key(call_id), f"{place.owner}\n{place.token}", ex=ttl)
        # The owner's calls by place, for calls_of: kept as long as its newest place.
        connection.hset(self._calls_key(place.owner), place.token, call_id)
        connection.expire(self._calls_key(place.owner), ttl)

    def call_over(self, call_id: str) -> None:
        connection = self._storage.get_connection()
        held = connection.get(self._call_key(call_id))
        if held is None:
            return
        owner, _, token = held.decode().partition("\n")
        connection.zrem(self._owner_key(owner), token)  # at most once: a token is one place
        connection.hdel(self._calls_key(owner), token)
        connection.delete(self._call_key(call_id))

    def calls_of(self, owner: str) -> list[str]:
        connection = self._storage.get_connection()
        tokens = [token.decode() for token in connection.zrange(self._owner_key(owner), 0, -1)]
        calls = connection.hmget(self._calls_key(owner), tokens) if tokens else []
        return [call_id.decode() for call_id in calls if call_id is not None]

    def _calls_key(self, owner: str) -> str:
        return self._storage.prefixed_key(f"webcall/open-calls/{owner}/calls")

    def _owner_key(self, owner: str) -> str:
        return self._storage.prefixed_key(f"webcall/open-calls/{owner}")

    def _call_key(self, call_id: str) -> str:
        return self._storage.prefixed_key(f"webcall/open-call/{call_id}")


_lock = threading.Lock()
# Per storage of the one Limiter: each app built gets its own (for memory://, fresh places, as the
# limiter's counters are), Flask-Limiter's in-memory fallback its own, and in_limit_storage's own.
_stores: WeakKeyDictionary[Any, Places] = WeakKeyDictionary()


def _places(storage: Storage) -> Places:
    with _lock:
        places = _stores.get(storage)
        if places is None:
            places = RedisPlaces(storage) if isinstance(storage, RedisStorage) else MemoryPlaces()
            _stores[storage] = places
    return places


def _use(operation: Callable[[Places], T]) -> T:
    return in_limit_storage(lambda storage: operation(_places(storage)), "open calls")


def take(
    owner: str, cap: int, hold_seconds: int, over: Callable[[list[str]], list[str]] = lambda calls: []
) -> int | None:
    """Take one of `owner`'s `cap` places for this request: None, or the whole seconds until one frees.
    None free: `over` names which of the owner's calls are known over elsewhere (the call log); their
    places are given back, and one taken if that freed any."""
    now = clock()
    place = Place(owner, secrets.token_urlsafe(12), now + hold_seconds)
    frees_at = _use(lambda places: places.take(place, cap, now))
    if frees_at is not None:
        finished = over(_use(lambda places: places.calls_of(owner)))
        for call_id in finished:
            ended(call_id)
        if finished:
            frees_at = _use(lambda places: places.take(place, cap, now))
    if frees_at is not None:
        return min(max(1, math.ceil(frees_at - now)), hold_seconds)
    setattr(g, _PLACE, place)
    return None


def opened(call_id: str) -> None:
    """This request's create made `call_id`: its place is the call's until the call is over."""
    place = g.get(_PLACE)
    if place is None:  # no cap (limits off)
        return
    setattr(g, _OPENED, True)
    _use(lambda places: places.note_call(call_id, place, clock()))


def settle(keep: bool) -> None:
    """The create is answered: its place is given back unless it made a call or `keep`."""
    place = g.pop(_PLACE, None)
    if place is not None and not keep and not g.get(_OPENED):
        _use(lambda places: places.give_back(place))


def seen(call_id: str, status: str) -> None:
    """A read of the call (with its handle) found it in `status`: once over, its place is given back."""
    if status not in OPEN_STATUSES:
        ended(call_id)


def ended(call_id: str) -> None:
    """`call_id` is over: the place it holds, if any, is given back (once: a second time finds none)."""
    if limiter.enabled:
        _use(lambda places: places.call_over(call_id))
