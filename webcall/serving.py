"""gunicorn's own settings for `make serve` (gunicorn.conf.py), validated once before it starts.

HOST, PORT, WEB_CONCURRENCY, WEBCALL_THREADS, WEBCALL_GRACEFUL_TIMEOUT, WEBCALL_LOG_LEVEL and
WEBCALL_LOG_FORMAT come from the environment or `.env` (the environment wins, as for the app's
settings); an empty value means the default. A bad value raises `SettingsError` naming it, which
gunicorn.conf.py prints as one line before exiting with 2, as `app.py` does for the app's settings.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from .setting_checks import env_getter, log_format_of, log_level_of
from .setting_values import say_cannot_start, whole_number
from .settings import SettingsError

_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*"
)


@dataclass(frozen=True)
class Serving:
    """Where and how gunicorn serves the app."""

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    threads: int = 8
    graceful_timeout: int = 30
    log_level: str = "info"
    log_format: str = "text"

    @property
    def bind(self) -> str:
        """gunicorn's `bind`: an IPv6 address in brackets (`[::1]:5000`)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def serving_from_env(env: Mapping[str, str]) -> Serving:
    """The validated serving settings of `env`; raises `SettingsError` (one line) for a bad value."""
    get = env_getter(env)
    log_level = log_level_of(get)
    log_format = log_format_of(get)
    return Serving(
        host=_host(get("HOST")),
        port=port_from_env(env),
        workers=_whole("WEB_CONCURRENCY", get("WEB_CONCURRENCY"), 2, 1, 64),
        threads=_whole("WEBCALL_THREADS", get("WEBCALL_THREADS"), 8, 1, 256),
        graceful_timeout=_whole("WEBCALL_GRACEFUL_TIMEOUT", get("WEBCALL_GRACEFUL_TIMEOUT"), 30, 0, 3600),
        log_level=log_level,
        log_format=log_format,
    )


def port_from_env(env: Mapping[str, str]) -> int:
    """PORT: where gunicorn and `make run` listen, and so the port of a share link for this machine
    (`flask demos link`, webcall/cli.py); raises `SettingsError` for a bad value."""
    return _whole("PORT", env_getter(env)("PORT"), 5000, 1, 65535, "a port number")


def _whole(
    name: str, raw: str | None, default: int, low: int, high: int, what: str = "a whole number"
) -> int:
    return default if raw is None else whole_number(name, raw, low, high, what)


def _host(raw: str | None) -> str:
    if raw is None:
        return "127.0.0.1"
    host = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _HOST_NAME.fullmatch(host) and not host.replace(".", "").isdigit():
        return host
    raise SettingsError("HOST", f"{raw!r} is not an IP address or host name (e.g. 127.0.0.1, ::1)")


def check_free(serving: Serving) -> None:
    """Bind HOST:PORT once, as gunicorn is about to, so a taken port stops the start with one line
    naming PORT; raises `SettingsError`. A port taken right after this still meets gunicorn's retries."""
    where = f"{serving.host} port {serving.port}"
    try:
        # The family gunicorn takes: IPv6 for an IPv6 address, else IPv4 (a host name too).
        family = socket.AF_INET6 if ":" in serving.host else socket.AF_INET
        family, kind, proto, _, address = socket.getaddrinfo(
            serving.host, serving.port, family, socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise SettingsError("HOST", f"{serving.host!r} does not resolve to an address") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            sock.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SettingsError(
                    "PORT", f"{where} is already in use; set PORT (or HOST) to a free one"
                ) from None
            if error.errno == errno.EACCES:
                raise SettingsError("PORT", f"{where} needs privileges; set PORT to 1024 or above") from None
            if error.errno == errno.EADDRNOTAVAIL:
                raise SettingsError("HOST", f"{serving.host!r} is not an address of this machine") from None
            raise SettingsError("HOST", f"cannot listen on {where}: {error.strerror}") from None


def main() -> int:
    """`python -m webcall.serving`: check the serving settings (environment, then `.env`) and print
    one line for a bad one. `make serve` runs it before gunicorn, which reads WEB_CONCURRENCY from the
    environment when it is imported, before gunicorn.conf.py could check it (a traceback otherwise)."""
    import os

    from . import ROOT
    from .settings import load_env_file

    try:
        load_env_file(ROOT / ".env")
        serving_from_env(os.environ)
    except SettingsError as error:
        say_cannot_start(error)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
