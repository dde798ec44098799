"""A rate-limit Redis that takes connections and never answers must not hold up the app's limited views.

Flask-Limiter falls back to counting in memory when its storage fails (WEBCALL_RATE_LIMIT_STORAGE_URI,
webcall/ratelimit.py), but a Redis client without a read timeout never fails, it waits: three creates
took 10 + 5 + 5 s with a plain redis:// URI, and 118 + 59 s each with a Sentinel one (measured).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from webcall import create_app

from .test_readiness_redis import stalling

pytestmark = pytest.mark.unit

# Three creates, the first meeting the storage's timeout (webcall/ratelimit.py, 1 s a step) before the
# fallback: a few seconds. Far below what a missing timeout costs (20 s and more, above).
DEADLINE_SECONDS = 8


@pytest.mark.parametrize("scheme", ["redis://{}/0", "redis+sentinel://{}/mymaster"])
def test_creates_with_a_hung_rate_limit_redis_fall_back_to_memory_in_time(settings, standin, scheme):
    with stalling() as hung:
        uri = scheme.format(f"127.0.0.1:{hung.port}")
        client = create_app({"settings": replace(settings, rate_limit_storage_uri=uri)}).test_client()
        answers: list[int] = []

        def three_creates() -> None:
            for _ in range(3):
                answers.append(client.post("/api/calls", json={"mode": "text"}).status_code)

        worker = threading.Thread(target=three_creates, daemon=True)
        worker.start()
        worker.join(DEADLINE_SECONDS)
        assert not worker.is_alive(), f"3 creates not answered within {DEADLINE_SECONDS} s: {answers}"
        assert answers == [201, 201, 201]  # limited in memory meanwhile, the calls made
