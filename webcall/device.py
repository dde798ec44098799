"""The browser's device for itellico's `device_fingerprint` (webcall/api.py's create): a random
first-party cookie, set on the first create, and a keyed hash of it, stable and non-personal."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, g, request

DEVICE_COOKIE = "webcall_device"


def device_fingerprint() -> str | None:
    """A stable, non-personal id for this browser: a keyed hash of a random first-party cookie."""
    device = request.cookies.get(DEVICE_COOKIE) or g.setdefault("new_device", secrets.token_urlsafe(16))
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, device.encode(), hashlib.sha256).hexdigest()[:32]


def remember_device(response: Response) -> None:
    device = g.get("new_device")
    if device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
