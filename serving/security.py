"""Password hashing (pwdlib, argon2), signed access tokens (pyjwt, HS256, with expiry and the account's token
version, so raising the version revokes every token issued before) and the pages' CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


# Verifying against a real hash when the user does not exist keeps the response time the same, so timing
# does not reveal which usernames exist.
@lru_cache
def dummy_hash() -> str:
    return hash_password("not-a-real-password")


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    username: str
    version: int  # the account's token version when the token was issued


def issue_token(
    username: str, secret: str, minutes: int, version: int = 0, now: dt.datetime | None = None
) -> str:
    now = now or dt.datetime.now(dt.UTC)
    claims = {"sub": username, "ver": version, "iat": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> TokenClaims:
    """Who a valid, unexpired token was issued to, and the account's token version then."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "ver"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired; sign in again") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    version = claims["ver"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise TokenError("invalid token")
    return TokenClaims(str(claims["sub"]), version)


def csrf_token(session_token: str, secret: str) -> str:
    """The CSRF token of a page session: an HMAC of its session token, so it needs no storage, changes with
    every sign-in, and cannot be made without the secret (another site cannot read the httpOnly cookie)."""
    mac = hmac.new(secret.encode(), b"csrf\x00" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_matches(given: str, session_token: str, secret: str) -> bool:
    return hmac.compare_digest(given.encode(), csrf_token(session_token, secret).encode())
