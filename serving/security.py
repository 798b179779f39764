"""Password hashing (pwdlib, argon2) and signed access tokens (pyjwt, HS256, with expiry)."""

from __future__ import annotations

import datetime as dt
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


def issue_token(username: str, secret: str, minutes: int, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    claims = {"sub": username, "iat": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str:
    """The username a valid, unexpired token was issued to."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired; sign in again") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    return str(claims["sub"])
