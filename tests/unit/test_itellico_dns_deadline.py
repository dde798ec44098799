"""The itellico host's name is looked up within the request's connect timeout
(webcall/itellico_transport.py `_BoundedLookup`). httpx connects with `socket.create_connection`, whose
lookup (the system resolver's getaddrinfo) no timeout bounds: a resolver that does not answer held a
create past ITELLICOAI_TIMEOUT_SECONDS for as long as the resolver's own retries took (half a minute
and more with a few name servers), and the request deadline cannot cut it (there is no socket yet).

The resolver here is socket.getaddrinfo replaced for one test name: it hangs until the test ends, or
answers with the raw-socket "itellico" of test_itellico_deadline.py on loopback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from webcall.itellico_errors import UpstreamError, UpstreamErrorKind

from .test_itellico_deadline import ACCOUNT_ID, BOUNDED, client_of, in_thread, upstream  # noqa: F401

pytestmark = pytest.mark.unit

NAME = "itellico.test"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], list[str]]]:
    """`resolver(hang)`: NAME's lookups hang until the test ends, or find 127.0.0.1; the names asked."""
    real = socket.getaddrinfo
    released = threading.Event()
    asked: list[str] = []

    def install(hang: bool) -> list[str]:
        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != NAME:
                return real(host, port, *args, **kwargs)
            asked.append(host)
            if hang:
                released.wait()
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            return real("127.0.0.1", port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    yield install
    released.set()


def test_a_hung_name_lookup_is_given_up_at_the_connect_timeout(upstream, resolver):  # noqa: F811
    served = upstream("ok")
    asked = resolver(True)
    client = client_of(f"http://{NAME}:{served.port}", account_id=ACCOUNT_ID)
    error, took = in_thread(lambda: client.current_account())
    assert isinstance(error, UpstreamError) and error.kind is UpstreamErrorKind.TIMEOUT, error
    assert error.nothing_sent  # no connection: no call can have been made
    assert took < BOUNDED, took
    assert asked and not served.requests


def test_a_name_that_is_found_is_connected_to(upstream, resolver):  # noqa: F811
    served = upstream("ok")
    asked = resolver(False)
    client = client_of(f"http://{NAME}:{served.port}", account_id=ACCOUNT_ID)
    assert client.current_account().id == ACCOUNT_ID
    assert asked == [NAME]
    assert len(served.requests) == 1
