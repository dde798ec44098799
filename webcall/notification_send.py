"""Sending one rep notification (its words: webcall/notification_text.py): the outgoing webhook (signed,
pinned to an address we checked) and the email (SMTP; the message itself: webcall/notification_email.py).

Each sender returns an error code or None, never raises: `Failure(code, retry)`, where `retry` is False
for answers that will not change by trying again (a 404 from a deleted Slack webhook, a refused
recipient, a private address). A webhook attempt as a whole (DNS lookup, connect, TLS, request,
answer) ends within WEBCALL_NOTIFY_TIMEOUT_SECONDS, its connect within CONNECT_SECONDS, so a receiver
that stalls or answers a byte at a time holds a worker thread for that long at most; of its answer only
the status is read, never the body; an email's every step (the lookup, each SMTP command) has that timeout.

SSRF: the webhook URL is typed by a rep, so the host is resolved here and every address it resolves to
must be public unless WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS; the request then goes to that checked
address (the Host header and TLS SNI/certificate check keep the name), so a DNS answer that changes
between the check and the connect cannot redirect it. Redirects are not followed.

Plain http://: a notification carries the prospect's call facts and a link to the call, and over plain
HTTP anyone on the way reads (and could change) it; the signature helps only receivers that check it.
`plain_http_refused` is the one rule, used here when sending and by the form on save
(webcall/notification_prefs.py): development takes it (make run, receivers on loopback); production
only towards an address that is not public, which the SSRF guard lets through only with
WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS (receivers on the internal network).
"""

from __future__ import annotations

import functools
import ipaddress
import smtplib
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .notification_deadline import RequestDeadline
from .notification_email import compose
from .notification_text import Notice
from .settings import Settings
from .signing import signature

SIGNATURE_HEADER = "X-Webcall-Signature"
TIMESTAMP_HEADER = "X-Webcall-Timestamp"
DELIVERY_HEADER = "X-Webcall-Delivery"
USER_AGENT = "itellico-webcall-notifications/1"


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Failure:
    code: str  # short, for the delivery log and metrics: http_503, timeout, refused_private, …
    retry: bool = True


def ascii_url(url: str) -> str | None:
    """The URL with its host name in ASCII (IDNA: fullwidth letters and other scripts, as a browser
    sends them; a Host header is ASCII), or None when the name has no such form."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.isascii():
        return url
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port is not None else host))


def plain_http_refused(settings: Settings, address: IPAddress | None) -> bool:
    """Whether a plain http:// webhook to `address` (None: a name not looked up yet, as on save) is
    refused: in production, unless it goes to an address that is not public and private targets are
    allowed (then it never leaves the internal network)."""
    if settings.environment != "production":
        return False
    if not settings.notify_allow_private_targets:
        return True
    return address is not None and address.is_global


def shown_target(channel: str, target: str) -> str:
    """Where a delivery went, as pages show it: a webhook's host (host_of), an email's address."""
    return host_of(target) if channel == "webhook" else target


def host_of(url: str) -> str:
    """What pages and logs show of a webhook URL: its host (paths and queries carry Slack's secret)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds: once per process, not per delivery.
    return httpx.create_ssl_context()


# The system resolver has its own timeouts (glibc: 5 s per try and server, twice), long enough for
# a name whose servers never answer to hold both of the worker's threads for half a minute. The
# lookup runs here instead and is given up after the notification timeout; a given-up lookup keeps
# its thread until the resolver returns, and there are only this many (more wait their turn).
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="notify-dns")


def _address(host: str, port: int, allow_private: bool, timeout: float) -> str | Failure:
    """The address to connect to, after checking every address the name resolves to."""
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=timeout)
    except TimeoutError:
        lookup.cancel()  # still queued behind hung lookups: never start it
        return Failure("dns_timeout")
    except (OSError, UnicodeError):
        return Failure("dns_error")
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        return Failure("dns_error")
    if not allow_private and not all(address.is_global for address in addresses):
        return Failure("refused_private", retry=False)
    return str(addresses[0])


def _tls_failed(error: BaseException) -> bool:
    """Whether the connection failed in its TLS handshake (a certificate not valid for the name, none
    a trusted authority signed, a receiver not speaking TLS): httpx wraps ssl's error in ConnectError."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


# A receiver that does not accept a connection within this is not going to (Slack's take well under a
# second): the rest of the attempt's time is not spent waiting for it.
CONNECT_SECONDS = 3.0
EMAIL_TIMEOUTS = 3  # an email attempt as a whole: this many WEBCALL_NOTIFY_TIMEOUT_SECONDS


def post_webhook(settings: Settings, url: str, notice: Notice) -> Failure | None:
    try:
        parts = urlsplit(ascii_url(url) or "")
        # urlsplit takes any port; reading it raises ValueError for one that is no number or out of
        # range: a URL saved before the check on save refused it, which no retry can mend.
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return Failure("bad_url", retry=False)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Failure("bad_url", retry=False)
    plain = parts.scheme == "http"
    if plain and plain_http_refused(settings, None):  # refused whatever the name resolves to
        return Failure("refused_plain_http", retry=False)
    # The whole attempt (lookup, connect, TLS, request, answer) ends by this time.
    deadline = time.monotonic() + settings.notify_timeout_seconds
    address = _address(
        parts.hostname, port, settings.notify_allow_private_targets, settings.notify_timeout_seconds
    )
    if isinstance(address, Failure):
        return address
    if plain and plain_http_refused(settings, ipaddress.ip_address(address)):  # where it would go
        return Failure("refused_plain_http", retry=False)
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    body = notice.json_body()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": parts.netloc.rpartition("@")[2],
        # The delivery's uid, the same on a repeat (at least once): what receivers de-duplicate on.
        # Not its row's number, which restarts at 1 on a new database.
        DELIVERY_HEADER: str(notice.fields["delivery_uid"]),
    }
    if settings.notify_signing_secret:
        stamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = stamp
        headers[SIGNATURE_HEADER] = "sha256=" + signature(settings.notify_signing_secret, body, stamp)
    left = deadline - time.monotonic()
    if left <= 0:
        return Failure("timeout")
    timeout = httpx.Timeout(left, connect=min(CONNECT_SECONDS, left))
    cut_off = RequestDeadline(left)
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, verify=_tls()) as client,
            cut_off,
            # Streamed, and closed unread: only the status is used, and `post` read the whole body
            # into memory (a rep's link to a large file was downloaded on each attempt, past the
            # worker's memory). Closing an unread answer closes its connection; nothing is drained.
            client.stream(
                "POST",
                pinned,
                content=body,
                headers=headers,
                extensions={"sni_hostname": parts.hostname, "trace": cut_off.trace},
            ) as answer,
        ):
            status = answer.status_code
    except httpx.TimeoutException:
        return Failure("timeout")
    except httpx.ConnectError as error:
        if cut_off.passed:
            return Failure("timeout")
        return Failure("tls_error" if _tls_failed(error) else "connect_error")
    except httpx.HTTPError:
        return Failure("timeout" if cut_off.passed else "http_error")
    if 200 <= status < 300:
        return None
    # 408 and 429 are "later"; 5xx may pass; any other 4xx (a deleted Slack hook: 404/410) will not.
    retry = status >= 500 or status in (408, 429)
    return Failure(f"http_{status}", retry=retry)


class _SMTP(smtplib.SMTP):
    """smtplib's client, its host's name looked up like a webhook's: given up after the timeout
    (smtplib asks the system resolver, whose own timeouts add up to half a minute). It connects to the
    address found; STARTTLS checks the certificate against the name, which smtplib keeps. Each socket it
    reads is shut down at `cut_off`'s deadline."""

    def __init__(self, host: str, port: int, timeout: float, cut_off: RequestDeadline) -> None:
        self._cut_off = cut_off  # before smtplib's constructor, which connects
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        address = _address(host, port, True, timeout)  # the operator's own relay may well be local
        if isinstance(address, Failure):
            raise _LookupFailed(address)
        sock = socket.create_connection((address, port), timeout, self.source_address)
        self._cut_off.watch(sock)
        return sock

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = super().starttls(*args, **kwargs)
        self._cut_off.watch(self.sock)  # the TLS socket replaces the plain one
        return answer


class _LookupFailed(OSError):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.code)
        self.failure = failure


def send_email(settings: Settings, to: str, notice: Notice) -> Failure | None:
    if not settings.smtp_host or not settings.smtp_from:
        return Failure("smtp_off", retry=False)
    try:
        message = compose(settings, to, notice)
    except ValueError:  # a header with a line break: trying again cannot change it
        return Failure("bad_message", retry=False)
    timeout = settings.notify_timeout_seconds
    # A dozen steps (greeting, EHLO, STARTTLS, login, the envelope, the message), each within `timeout`,
    # and the whole within a few of them: well inside the delivery's claim (webcall/notify.py `lease`).
    cut_off = RequestDeadline(timeout * EMAIL_TIMEOUTS)
    with cut_off:
        failure = _converse(settings, settings.smtp_host, message, timeout, cut_off)
    return Failure("timeout") if failure is not None and cut_off.passed else failure


def _converse(
    settings: Settings, host: str, message: EmailMessage, timeout: float, cut_off: RequestDeadline
) -> Failure | None:
    try:
        with _SMTP(host, settings.smtp_port, timeout, cut_off) as smtp:
            if settings.smtp_starttls:
                # Never falls back to plain text (no STARTTLS → an error below), and checks the
                # certificate against the name as a webhook's is (smtplib's own default checks none).
                smtp.starttls(context=_tls())
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPNotSupportedError:
        return Failure("smtp_no_starttls", retry=False)
    except smtplib.SMTPAuthenticationError:
        return Failure("smtp_auth", retry=False)
    except smtplib.SMTPRecipientsRefused as error:
        # A 4xx is "not now" (greylisting refuses an unknown sender's first tries); a 5xx is for good.
        later = all(code < 500 for code, _ in error.recipients.values())
        return Failure("smtp_recipient_refused", retry=later)
    except smtplib.SMTPResponseException as error:
        return Failure(f"smtp_{error.smtp_code}", retry=error.smtp_code < 500)
    except _LookupFailed as error:
        return error.failure
    except ssl.SSLError:
        return Failure("tls_error")
    except TimeoutError:
        return Failure("timeout")
    except (smtplib.SMTPException, OSError):
        return Failure("connect_error")
    return None
