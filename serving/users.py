"""Service accounts: add, list, disable, reset a password, sign out everywhere; authenticate; and turn a
token's subject back into a principal (refusing tokens whose account has moved to a newer token version).

Password policy: at least 10 characters; not one of the common passwords of zxcvbn's bundled list (30,000
passwords from public leaks), not the username nor containing it, and not guessable by zxcvbn's estimate
(score ≥ 3: more than 10^8 guesses, which refuses `aaaaaaaaaa`, `1234567890`, `qwertyuiop`, `password12`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.access import Principal, Role, normalize_area
from serving.security import dummy_hash, hash_password, verify_password
from serving.tables import User

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable; 3 = safely unguessable (> 10^8 guesses)


class UserExists(ValueError):
    pass


class NoSuchUser(LookupError):
    pass


@lru_cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str) -> str | None:
    """Why `password` may not be used for `username`, or None."""
    if len(password) < MIN_PASSWORD:
        return f"password: at least {MIN_PASSWORD} characters (密码至少 {MIN_PASSWORD} 位)"
    if len(password) > MAX_PASSWORD:
        return f"password: at most {MAX_PASSWORD} characters"
    lowered = password.lower()
    name = username.lower()
    if lowered in common_passwords():
        return "password: one of the most common passwords (常见密码，请换一个)"
    if len(name) >= 3 and (name in lowered or name[::-1] in lowered):
        return "password: must not contain the username (密码不能包含账号)"
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=[username])["score"] < MIN_SCORE:
        return "password: too easy to guess; use a longer phrase of unrelated words (密码太容易被猜到)"
    return None


def add_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    village: str | None = None,
    township: str | None = None,
    county: str | None = None,
) -> User:
    if not (1 <= len(username) <= 64) or not set(username) <= USERNAME_CHARS:
        raise ValueError("username: 1–64 characters of letters, digits, '_', '.', '-'")
    try:
        role_ = Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    area = normalize_area(role_, village, township, county)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role_.value,
        area_code=area,
        active=True,
        created_at=dt.datetime.now(dt.UTC),
        token_version=0,
    )
    session.add(user)
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NoSuchUser(f"no user {username!r}")
    return user


def disable_user(session: Session, username: str) -> User:
    """The account can no longer sign in, and every token it holds stops working (no commit: the caller
    commits it with its audit row)."""
    user = _user(session, username)
    user.active = False
    user.token_version += 1
    return user


def reset_password(session: Session, username: str, password: str) -> User:
    """A new password (the policy applies) and every earlier token revoked (no commit)."""
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    user.token_version += 1
    return user


def sign_out_everywhere(session: Session, username: str) -> User:
    """Revoke every token of the account (a lost phone); it may sign in again (no commit)."""
    user = _user(session, username)
    user.token_version += 1
    return user


def principal_of(user: User) -> Principal:
    return Principal(username=user.username, role=Role(user.role), area_code=user.area_code)


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    token_version: int


def authenticate(session: Session, username: str, password: str) -> SignedIn | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(password, dummy_hash())
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return SignedIn(principal_of(user), user.token_version)


def load_account(session: Session, username: str) -> SignedIn | None:
    """An active account's principal and current token version (None: unknown or disabled)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    return None if user is None else SignedIn(principal_of(user), user.token_version)
