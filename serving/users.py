"""Service accounts: add, list, authenticate, and turn a token's subject back into a principal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.access import Principal, Role, normalize_area
from serving.security import dummy_hash, hash_password, verify_password
from serving.tables import User

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class UserExists(ValueError):
    pass


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
    if len(password) < 8:
        raise ValueError("password: at least 8 characters")
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
    )
    session.add(user)
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def principal_of(user: User) -> Principal:
    return Principal(username=user.username, role=Role(user.role), area_code=user.area_code)


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(password, dummy_hash())
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return principal_of(user)


def load_principal(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    return None if user is None else principal_of(user)
