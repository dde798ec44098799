"""One PING to a Redis, bounded in time: the task worker's start check (webcall/worker.py) and the
Redis checks of /readyz (webcall/health.py).

A PING opens one fresh connection, with the given timeout to connect and to read each reply, and no
retries: a Redis that takes connections and never answers costs one timeout. (A client made with
`redis.Redis(host=…)` retries 10 times by default: a hung pair of Sentinels held /readyz ~20 s, not 1.)
The caller gets the error as a value; what it shows of it is its own choice (the worker prints the
message with the URL's password masked, /readyz only a word and the error's type).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .setting_values import mask_password

# Ports of a Sentinel or Cluster URI's hosts written without one (as Flask-Limiter's `limits` reads them).
_DEFAULT_PORTS = {"redis+sentinel": 26379, "redis+cluster": 6379}


def ping_failure(url: str, timeout: float) -> Exception | None:
    """The error of one PING to the Redis at `url` (redis:// or rediss://), or None when it answered."""
    try:
        client = redis.Redis.from_url(url, **bounded(timeout))
    except ValueError as error:  # a query option redis-py cannot read
        return error
    return _ping(client)


def storage_failure(uri: str, timeout: float) -> Exception | None:
    """The error of PINGing a Flask-Limiter storage URI's Redis, or None. A Sentinel or Cluster URI lists
    several hosts (`redis+sentinel://h1:26379,h2:26379/service`): one that answers is enough. They share
    `timeout` (each gets its part), so hosts that all hang cost one timeout together, not one each."""
    scheme = uri.split("://", 1)[0]
    if scheme not in _DEFAULT_PORTS:
        return ping_failure(uri, timeout)
    parts = urlsplit(uri)
    hosts = parts.netloc.rpartition("@")[2].split(",")
    failure: Exception | None = None
    for host in hosts:
        where = urlsplit(f"//{host}")  # host, host:port, [v6]:port
        client = redis.Redis(
            host=where.hostname or "",
            port=where.port or _DEFAULT_PORTS[scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            **bounded(timeout / len(hosts)),
        )
        failure = _ping(client)
        if failure is None:
            return None
    return failure


def unreachable(url: str, timeout: float = 5.0) -> str | None:
    """Why a Redis task queue cannot be reached, or None (also for a queue that is not Redis: an SQLite
    one was opened already). The worker refuses to start with this line rather than log a traceback per
    poll; the URL's password is masked."""
    if not url.startswith(("redis://", "rediss://")):
        return None
    error = ping_failure(url, timeout)
    if error is None:
        return None
    return f"cannot reach the Redis queue at {mask_password(url)}: {type(error).__name__}: {error}"


def bounded(timeout: float) -> dict[str, Any]:
    """A redis-py client's options for `timeout` to connect and to read each reply, and no retries
    (also the rate limiter's storage: webcall/ratelimit.py)."""
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": Retry(NoBackoff(), 0)}


def _ping(client: redis.Redis) -> Exception | None:
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return error
    finally:
        client.close()
    return None
