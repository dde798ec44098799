"""The one signing rule of both webhook directions: hex HMAC-SHA256 of `<rawBody>.<timestamp>`.

itellico signs its webhooks this way (webhooks.py checks them) and the rep notifications are signed
the same way (notification_send.py), so a receiver checks ours as we check itellico's. Its own module
because both importers sit on opposite ends of the task queue's imports. (The stand-in signs with its
own copy on purpose: a shared bug would be invisible.)"""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, body: bytes, timestamp: str) -> str:
    return hmac.new(secret.encode(), body + b"." + timestamp.encode(), hashlib.sha256).hexdigest()
