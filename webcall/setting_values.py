"""The rules for setting values, shared by the app's settings (webcall/settings.py), gunicorn's
(webcall/serving.py) and `make run` (webcall/devserver.py): each value kind is checked one way, and a
bad value raises `SettingsError`, one line naming the setting and never showing a secret.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

Getter = Callable[[str], str | None]


class SettingsError(ValueError):
    """A setting is missing or invalid; `str()` is one line that names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")
        self.name = name
        self.problem = problem


class EnvFileError(SettingsError):
    """`.env` cannot be read; `str()` is one line naming the file, never showing its content."""

    def __init__(self, path: Path, problem: str) -> None:
        ValueError.__init__(self, f"{path}: {problem}")
        self.name = ".env"


def default_environment(value: str, environ: MutableMapping[str, str] | None = None) -> None:
    """WEBCALL_ENV of a process that serves: `value` unless this process's own environment names one
    (an empty value, as `WEBCALL_ENV=` in a systemd EnvironmentFile=, names none). gunicorn
    (gunicorn.conf.py) and the task worker default to production, before `.env` is read, so a
    development `.env` (as in .env.example) never turns it off; `make run` to development."""
    environ = os.environ if environ is None else environ
    if not environ.get("WEBCALL_ENV", "").strip():
        environ["WEBCALL_ENV"] = value


def load_env_file(path: Path) -> None:
    """`load_dotenv(path)`, except that a file that is not UTF-8 (or cannot be read) raises EnvFileError
    instead of a UnicodeDecodeError traceback. A missing file is fine; set variables win, as before."""
    from dotenv import load_dotenv

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as error:
        raise EnvFileError(path, f"cannot be read: {error.strerror or error}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise EnvFileError(path, f"is not UTF-8 text (line {line}): save it as UTF-8") from None
    load_dotenv(path, encoding="utf-8")


def uuid_value(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise SettingsError(name, f"{value!r} is not a UUID") from None


def mask_password(url: str) -> str:
    """`url` with the password of its userinfo (user:password@host) replaced, for error messages."""
    return re.sub(r"(^|//)([^/:@]*):[^/]*@", r"\1\2:***@", url, count=1)


def url_parts(name: str, raw: str, what: str) -> SplitResult:
    """`raw` split, its port checked: every URL setting goes through here, so a malformed one
    ("http://[::1", "redis://host:abc/0", a port over 65535) stops the start with one line."""
    try:
        parts = urlsplit(raw)
        # ValueError when not a number or out of 0..65535; "h1:26379,h2:26379" (Redis Sentinel) is hosts.
        port = None if "," in parts.netloc else parts.port
    except ValueError:
        raise SettingsError(
            name, f"{mask_password(raw)!r} is not {what} (malformed host, or a port not in 1..65535)"
        ) from None
    if port == 0:
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what} (port 0)")
    return parts


ORIGIN_EXAMPLE = "an origin like https://www.example.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")


def web_origin(raw: str) -> str | None:
    """`raw` as a browser writes it in an Origin header, or None if it is no http(s) origin: scheme and
    host in lower case, an international name in punycode, no default port, no slash. The API compares
    the header with the allowed origins as text, so "https://WWW.Acme.Example:443/" kept as typed
    allowed nothing (demos' `allowed_origins`, WEBCALL_ALLOWED_ORIGINS)."""
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not host
        or port == 0
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        return None
    if ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        if not _HOST_NAME.fullmatch(host):
            return None  # "acme .example": Python's IDNA codec passes it; no browser's Origin is it
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown_port}"


def web_page(raw: str) -> SplitResult | None:
    """`raw` split if it is an address a link on our pages may point to (the imprint, a privacy policy:
    WEBCALL_IMPRINT_URL, the embed page's `?privacy_url=`), else None: absolute http(s) with a host and a
    valid port, no `user@` part (every visitor would read it), no whitespace or control character (a
    pasted line break). The element's own check is static/js/privacy-link.js."""
    if not raw.isprintable() or re.search(r"\s", raw) or not re.match(r"https?://", raw, re.IGNORECASE):
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or "@" in parts.netloc or port == 0:
        return None
    return parts


def header_secret(name: str, raw: str | None) -> str | None:
    """A key or token sent or compared in an HTTP header: printable ASCII, no whitespace. A zero-width
    or non-breaking space copied along with it otherwise fails every request (or crashes the client).
    The message never shows the value, not even a part of it."""
    if raw is not None and not re.fullmatch(r"[\x21-\x7e]+", raw):
        raise SettingsError(
            name, "has a non-ASCII or whitespace character (probably pasted along with it): copy it again"
        )
    return raw


def number(name: str, get: Getter, default: float, low: float, high: float, why: str = "") -> float:
    """`name`'s number in low..high; `why`, if given, is said after the range when it is outside."""
    raw = get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(name, f"{raw} is outside {low:g}..{high:g}" + (f": {why}" if why else ""))
    return value


def optional_int(name: str, get: Getter, low: int, high: int) -> int | None:
    raw = get(name)
    return None if raw is None else whole_number(name, raw, low, high)


def whole_number(name: str, raw: str, low: int, high: int, what: str = "a whole number") -> int:
    if not is_digits(raw) or not low <= int(raw) <= high:
        raise SettingsError(name, f"{raw!r} is not {what} in {low}..{high}")
    return int(raw)


def is_digits(raw: str) -> bool:
    """ASCII digits only: str.isdigit() is also true for "²" (int() refuses it) and Arabic-Indic digits
    (int() takes them)."""
    return raw.isascii() and raw.isdigit()


def flag(name: str, get: Getter) -> bool:
    raw = (get(name) or "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not true/false")


def ip_networks(name: str, raw: str | None) -> tuple[str, ...]:
    """Addresses or networks, comma- or space-separated ("10.0.0.7, 192.168.1.0/24"), normalised."""
    if raw is None:
        return ()
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(name, f"{item!r} is not an IP address or network like 10.0.0.0/24") from None
        networks.append(str(_unmapped(network)))
    return tuple(networks)


_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def _unmapped(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """`::ffff:10.0.0.0/120` as `10.0.0.0/24`: clients' IPv4-mapped addresses are compared as IPv4
    (webcall/metrics.py), so a mapped entry would never match, and would slip past the loopback check."""
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_V4_MAPPED):
        mapped = network.network_address.ipv4_mapped
        assert mapped is not None  # inside ::ffff:0:0/96
        return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def header_name(name: str, get: Getter, default: str) -> str:
    raw = get(name) or default
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", raw):
        raise SettingsError(name, f"{raw!r} is not an HTTP header name")
    return raw


def cannot_start(problem: object, program: str = "itellico web-call") -> str:
    """The one line a refused start prints (and exits with 2): the app, gunicorn, `make run`, the
    worker. Never a traceback."""
    return f"{program} cannot start: {problem}"


def say_cannot_start(problem: object, program: str = "itellico web-call") -> None:
    """Write cannot_start's line to stderr in one write. print() writes the line and its newline apart,
    and `make serve`'s gunicorn and task worker share one stderr: another line landed in between."""
    sys.stderr.write(cannot_start(problem, program) + "\n")
    sys.stderr.flush()
