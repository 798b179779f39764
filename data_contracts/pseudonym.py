"""Keyed pseudonyms (HMAC-SHA256). The same source id and secret always give the same key; without the
secret a key cannot be turned back into the id. Kinds are separate namespaces so a child id and a person id
that happen to be equal do not collide."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

PREFIX = {"child": "c", "person": "p", "id_number": "h", "phone": "t"}


def pseudonym(value: str, secret: str, kind: str) -> str:
    """`kind`-prefixed 16-hex-digit key for `value` (64 bits: collisions are negligible for a province)."""
    digest = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX[kind]}_{digest[:16]}"


def pseudonyms(values: Iterable[str | None], secret: str, kind: str) -> list[str | None]:
    return [None if v is None else pseudonym(str(v), secret, kind) for v in values]


def child_key(child_id: str, secret: str) -> str:
    return pseudonym(child_id, secret, "child")
