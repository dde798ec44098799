"""Port checks with clear messages, and free ports for tests."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    pass


def ensure_free(port: int, setting: str, *, udp: bool = False) -> None:
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        if not udp:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            proto = "UDP" if udp else "TCP"
            raise PortInUseError(
                f"port {port}/{proto} on 127.0.0.1 is already in use; set {setting} to a free port"
            ) from None


def free_port(*, udp: bool = False) -> int:
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
