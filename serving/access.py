"""Roles and jurisdiction: who may see which children, names, decisions and the audit log.

Area codes are 12-digit 统计用区划代码: village `330102001001`, its township `330102001000` (first 9 digits
+ "000"), its county `330102000000` (first 6 digits + "000000"). A user's jurisdiction is every village whose
code starts with the significant prefix of the user's area code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CODE12 = re.compile(r"^\d{12}$")


class Role(StrEnum):
    children_director = "children_director"  # 儿童主任: own village
    supervisor = "supervisor"  # 儿童督导员: own township
    county = "county"  # 县民政: the county
    data_team = "data_team"  # pseudonymous keys and aggregates only, never names
    admin = "admin"  # accounts and audit; no casework, no names


ROLE_ZH = {
    Role.children_director: "儿童主任",
    Role.supervisor: "儿童督导员",
    Role.county: "县民政",
    Role.data_team: "数据团队",
    Role.admin: "系统管理员",
}

# Which area a role is bound to: the number of significant digits of its area code (None: no area).
AREA_DIGITS: dict[Role, int | None] = {
    Role.children_director: 12,
    Role.supervisor: 9,
    Role.county: 6,
    Role.data_team: None,
    Role.admin: None,
}
NAME_ROLES = frozenset({Role.children_director, Role.supervisor, Role.county})
DECISION_ROLES = NAME_ROLES
# Who may open one child's record (panel, decisions, concern level): the caseworkers. The data team and admins
# work with aggregates and pseudonymous keys only; a count of fewer than SMALL_CELL children is not shown
# to them.
CHILD_RECORD_ROLES = NAME_ROLES
SMALL_CELL = 5
AUDIT_ROLES = frozenset({Role.county, Role.admin})


class AccessDenied(Exception):
    """The caller may not do this; the message is safe to show (it names no child)."""


def township_of(village_code: str) -> str:
    return village_code[:9] + "000"


def county_of(code: str) -> str:
    return code[:6] + "000000"


def normalize_area(role: Role, village: str | None, township: str | None, county: str | None) -> str | None:
    """The area code stored for a new user, checked against the role (ValueError with a clear message)."""
    given = {k: v for k, v in {"village": village, "township": township, "county": county}.items() if v}
    if len(given) > 1:
        raise ValueError("give at most one of --village, --township, --county")
    for kind, code in given.items():
        if not CODE12.match(code):
            raise ValueError(f"--{kind} must be a 12-digit 统计用区划代码, got {code!r}")
    if role is Role.children_director:
        if "village" not in given:
            raise ValueError("a children_director needs --village (12-digit village code)")
        return given["village"]
    if role is Role.supervisor:
        if "township" in given:
            return township_of(given["township"])
        if "village" in given:  # a village code names its township unambiguously
            return township_of(given["village"])
        raise ValueError("a supervisor needs --township (12-digit code)")
    if role is Role.county:
        code = next(iter(given.values()), None)
        return county_of(code) if code else None  # None: the whole deployment (one county)
    if given:
        raise ValueError(f"role {role} is not bound to an area; drop --{next(iter(given))}")
    return None


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    area_code: str | None

    @property
    def prefix(self) -> str:
        digits = AREA_DIGITS[self.role]
        if digits is None or self.area_code is None:
            return ""
        return self.area_code[:digits]

    @property
    def sees_names(self) -> bool:
        return self.role in NAME_ROLES

    @property
    def sees_free_text(self) -> bool:
        """Reasons and visit notes are free text and may name people: the same roles as names."""
        return self.role in NAME_ROLES

    @property
    def sees_child_records(self) -> bool:
        return self.role in CHILD_RECORD_ROLES

    def covers_village(self, village_code: str) -> bool:
        return village_code.startswith(self.prefix)

    def check_village(self, village_code: str) -> None:
        if not self.covers_village(village_code):
            raise AccessDenied(f"{ROLE_ZH[self.role]} {self.username} 无权查看该村（不在辖区内）")

    def covers_scope(self, scope: Scope) -> bool:
        return scope.prefix.startswith(self.prefix)

    def check_scope(self, scope: Scope) -> None:
        if not self.covers_scope(scope):
            raise AccessDenied(f"{ROLE_ZH[self.role]} {self.username} 无权查看该范围（不在辖区内）")

    def require(self, allowed: frozenset[Role], what: str) -> None:
        if self.role not in allowed:
            raise AccessDenied(f"角色 {self.role} 不能{what}")


SCOPE_DIGITS = {"village": 12, "township": 9, "county": 6}


@dataclass(frozen=True)
class Scope:
    kind: str  # village | township | county
    code: str

    @property
    def prefix(self) -> str:
        return self.code[: SCOPE_DIGITS[self.kind]]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


def resolve_scope(
    principal: Principal, village: str | None, township: str | None, whole_area: str | None = None
) -> Scope:
    """The list scope a request asks for. With neither village nor township the caller's whole area: a
    director's village, a supervisor's township, a county officer's county; `whole_area` (the county the
    service holds, when it holds exactly one) for county staff bound to no county, the data team and admins.
    Raises ValueError for malformed input and AccessDenied outside the caller's jurisdiction."""
    if village and township:
        raise ValueError("give either village or township, not both")
    for kind, code in (("village", village), ("township", township)):
        if code is not None and not CODE12.match(code):
            raise ValueError(f"{kind} must be a 12-digit 统计用区划代码")
    if village:
        scope = Scope("village", village)
    elif township:
        if not township.endswith("000"):
            raise ValueError("a township code ends in 000 (first 9 digits + 000)")
        scope = Scope("township", township)
    elif principal.role is Role.children_director and principal.area_code:
        scope = Scope("village", principal.area_code)
    elif principal.role is Role.supervisor and principal.area_code:
        scope = Scope("township", principal.area_code)
    elif principal.role is Role.county and principal.area_code:
        scope = Scope("county", county_of(principal.area_code))
    elif whole_area is not None:
        scope = Scope("county", county_of(whole_area))
    else:
        raise ValueError(
            "give village or township (12-digit 统计用区划代码): the service holds more than one county"
        )
    principal.check_scope(scope)
    return scope


def small_cell(count: int) -> bool:
    """A count of 1–4 children: shown to the data team and admins as "<5" (it could single a child out)."""
    return 0 < count < SMALL_CELL


def has_default_area(principal: Principal) -> bool:
    """Whether the caller's whole area is known from the account alone (else it is the service's county)."""
    return principal.area_code is not None and principal.role in (
        Role.children_director,
        Role.supervisor,
        Role.county,
    )
