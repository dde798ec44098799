"""Changing a signed token so that it no longer verifies, every time."""

from __future__ import annotations


def tampered(token: str) -> str:
    """`token` (itsdangerous: `payload.signature`) with the signature's first character changed.

    Not the last: a 20-byte MAC takes 27 base64 characters, and decoding ignores the last one's two
    lowest bits, so changing it (or the tail to a fixed string) is sometimes no change at all. A CI run
    met it: `token[:-3] + "abc"` on a token that ended in "abc" (1 in 65,536; "xx" for the last two
    is 1 in 1,024)."""
    payload, signature = token.rsplit(".", 1)
    first = "A" if signature[0] != "A" else "B"
    return f"{payload}.{first}{signature[1:]}"
