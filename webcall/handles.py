"""Signed call handles: what lets a browser read back the call it created, and only that call.

The create response carries the handle; the browser sends it as `X-Call-Handle`. It works across
origins (the widget) without cookies, and expires. Signed with the current key; one signed with a key
in `fallbacks` (WEBCALL_SECRET_KEY_FALLBACKS) still reads its call, so a key rotation ends no call's summary.
"""

from __future__ import annotations

from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .secret_rotation import signing_keys

HANDLE_HEADER = "X-Call-Handle"
# The page reads the summary right after the hang-up, so a handle must outlive the longest call, and
# calls have no length limit unless WEBCALL_MAX_CALL_SECONDS or a demo sets one. What a client can make
# us ask itellico does not grow with the handles it holds: summary reads are limited per client IP
# (webcall/ratelimit.py).
HANDLE_MAX_AGE_SECONDS = 24 * 3600


class CallHandles:
    def __init__(self, secret_key: str, fallbacks: Sequence[str] = ()) -> None:
        self._serializer = URLSafeTimedSerializer(
            signing_keys(secret_key, fallbacks), salt="webcall.call-handle"
        )

    def issue(self, call_id: str) -> str:
        return self._serializer.dumps(call_id)

    def allows(self, handle: str | None, call_id: str) -> bool:
        if not handle:
            return False
        try:
            signed_id = self._serializer.loads(handle, max_age=HANDLE_MAX_AGE_SECONDS)
        except BadSignature:  # also covers SignatureExpired
            return False
        return signed_id == call_id
