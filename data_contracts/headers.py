"""Which header in a county's file means which contract column, declared once per feed.

Accepted for each column: its name, its 中文 title (models.py), the headers declared in
`header_aliases/<feed>.yaml` (common county exports, the national information system's forms) and those
of `_common.yaml`, plus a county's own mapping file (same layout, one section per feed). Headers a county
export often carries that the contract leaves out on purpose are declared `not_loaded`. Headers are compared
after NFKC (full-width → ASCII), without spaces, `*` marks or case, and a trailing `(…)` hint may be left off
("出生日期（yyyy-mm-dd）" is 出生日期).

Precedence when two declarations claim one header: the county's file, then the feed's file and the contract,
then `_common.yaml`, then the headers derived by dropping a `(…)` hint (ambiguous ones are not used).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from data_contracts.feeds import FEEDS, Feed

ALIAS_PACKAGE = "data_contracts.header_aliases"
COMMON_FILE = "_common.yaml"
COUNTY_FILE_NAMES = ("表头对照.yaml", "headers.yaml")  # a county mapping found beside the feeds
NOT_LOADED = "<not loaded>"

_DERIVED, _COMMON, _DECLARED, _COUNTY = 0, 1, 2, 3  # precedence levels
_HINT = re.compile(r"\([^()]*\)$")  # a trailing "(…)" hint, after NFKC turned （） into ()
_MARKS = str.maketrans("", "", "*※★")


class MappingProblem(Exception):
    """A header declaration or a county mapping file that cannot be used (one line: what and how to fix)."""


class HeaderDeclaration(BaseModel):
    """One feed's header declarations: the layout of `header_aliases/*.yaml` and of each section of a
    county mapping file."""

    model_config = ConfigDict(extra="forbid")

    feed: str | None = None
    exported_from: str = ""  # which system or ledger a county exports the feed from (built-in files only)
    names: list[str] = []  # sheet and file names that mean this feed (besides its name and title)
    columns: dict[str, list[str]] = {}  # contract column -> accepted headers
    not_loaded: list[str] = []  # headers known to appear that the contract leaves out

    @field_validator("columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value


def header_key(text: object) -> str:
    """The form headers are compared in: NFKC, no spaces, no `*` marks, case-folded."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).translate(_MARKS).casefold()


def without_hint(key: str) -> str:
    """The key with a trailing "(…)" hint removed (and repeated: "年级(0=学前)(必填)" -> "年级")."""
    previous = None
    while previous != key:
        previous, key = key, _HINT.sub("", key)
    return key


@dataclass(frozen=True)
class HeaderMatch:
    """How one header row maps onto a feed."""

    columns: dict[int, str]  # position in the row -> contract column
    unknown: list[str]  # headers of no contract column, in file order
    not_loaded: list[str]  # declared headers the contract leaves out
    duplicates: dict[str, list[int]]  # contract column -> the positions of every header naming it

    @property
    def named(self) -> int:
        """How many distinct contract columns the row names."""
        return len(set(self.columns.values()))


@dataclass
class _Index:
    feed: str
    targets: dict[str, str] = field(default_factory=dict)  # key -> column or NOT_LOADED
    levels: dict[str, int] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)

    def add(self, key: str, target: str, level: int, where: str) -> None:
        if not key or (level == _DERIVED and key in self.ambiguous):
            return
        if key not in self.targets or level > self.levels[key]:
            self.targets[key], self.levels[key] = target, level
        elif level == self.levels[key] and self.targets[key] != target:
            if level == _DERIVED:  # two titles share a hint-less form: use neither
                self.ambiguous.add(key)
                del self.targets[key], self.levels[key]
            else:
                raise MappingProblem(
                    f"{where}: header {key!r} of feed {self.feed} is given to both "
                    f"{self.targets[key]} and {target}; keep it under one of them"
                )


@dataclass(frozen=True)
class FeedHeaders:
    """The accepted headers and names of one feed."""

    feed: Feed
    targets: dict[str, str]  # header key -> contract column or NOT_LOADED
    names: tuple[str, ...]  # keys of the Chinese sheet and file names that mean this feed

    def target(self, header: object) -> str | None:
        key = header_key(header)
        if key in self.targets:
            return self.targets[key]
        return self.targets.get(without_hint(key))

    def match(self, headers: list[object]) -> HeaderMatch:
        columns: dict[int, str] = {}
        unknown: list[str] = []
        not_loaded: list[str] = []
        for position, header in enumerate(headers):
            target = self.target(header)
            text = "" if header_key(header) == "" else str(header).strip()
            if target == NOT_LOADED:
                not_loaded.append(text)
            elif target is not None:
                columns[position] = target
            elif text:
                unknown.append(text)
        by_column: dict[str, list[int]] = {}
        for position, column in columns.items():
            by_column.setdefault(column, []).append(position)
        duplicates = {c: p for c, p in by_column.items() if len(p) > 1}
        return HeaderMatch(columns, unknown, not_loaded, duplicates)

    def accepted(self, column: str) -> list[str]:
        """Every declared header of a column (normalized), for the county data page."""
        return [k for k, t in self.targets.items() if t == column]


def _read_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise MappingProblem(f"{where}: not valid YAML{line}; check the indentation and colons") from None


def _declaration(data: Any, where: str) -> HeaderDeclaration:
    try:
        return HeaderDeclaration.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise MappingProblem(f"{where}: {place}: {first['msg']}") from None


@cache
def builtin_declarations() -> tuple[HeaderDeclaration, dict[str, HeaderDeclaration]]:
    """`_common.yaml` and one declaration per feed (empty for a feed without a file)."""
    folder = resources.files(ALIAS_PACKAGE)
    common = _declaration(
        _read_yaml(folder.joinpath(COMMON_FILE).read_text("utf-8"), COMMON_FILE), COMMON_FILE
    )
    per_feed: dict[str, HeaderDeclaration] = {}
    for name in FEEDS:
        path = folder.joinpath(f"{name}.yaml")
        if path.is_file():
            declared = _declaration(_read_yaml(path.read_text("utf-8"), path.name), path.name)
            if declared.feed != name:
                raise MappingProblem(f"{path.name}: says feed {declared.feed!r}, expected {name!r}")
            per_feed[name] = declared
        else:
            per_feed[name] = HeaderDeclaration(feed=name)
    return common, per_feed


def read_county_mapping(path: Path) -> dict[str, HeaderDeclaration]:
    """A county's mapping file: one section per feed, each laid out like `header_aliases/<feed>.yaml`."""
    where = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingProblem(f"cannot read the header mapping {path}: {exc}; save it as UTF-8 text") from None
    data = _read_yaml(text, where)
    if not isinstance(data, dict):
        raise MappingProblem(f"{where}: expected one section per feed (e.g. `visit_logs:`)")
    out: dict[str, HeaderDeclaration] = {}
    for feed_name, section in data.items():
        if feed_name not in FEEDS:
            raise MappingProblem(
                f"{where}: unknown feed {feed_name!r}; sections are feed names: {', '.join(FEEDS)}"
            )
        declared = _declaration(section or {}, f"{where}: {feed_name}")
        unknown = [c for c in declared.columns if c not in FEEDS[feed_name].schema.columns]
        if unknown:
            raise MappingProblem(
                f"{where}: {feed_name} has no column {unknown[0]!r}; see docs/contracts.md for its columns"
            )
        out[feed_name] = declared
    return out


def _feed_headers(
    feed: Feed,
    common: HeaderDeclaration,
    own: HeaderDeclaration,
    county: HeaderDeclaration | None,
    where: str,
) -> FeedHeaders:
    index = _Index(feed.name)
    for name, column in feed.schema.columns.items():
        index.add(header_key(name), name, _DECLARED, "models.py")
        title = header_key(column.title or "")
        index.add(title, name, _DECLARED, "models.py")
        index.add(without_hint(title), name, _DERIVED, "models.py")
    for name, headers in common.columns.items():
        if name in feed.schema.columns:
            for header in headers:
                index.add(header_key(header), name, _COMMON, COMMON_FILE)
    for header in common.not_loaded:
        index.add(header_key(header), NOT_LOADED, _COMMON, COMMON_FILE)
    layers = [(own, _DECLARED, f"{feed.name}.yaml")] + ([(county, _COUNTY, where)] if county else [])
    for declared, level, source in layers:
        for name, headers in declared.columns.items():
            if name not in feed.schema.columns:
                raise MappingProblem(f"{source}: feed {feed.name} has no column {name!r}")
            for header in headers:
                index.add(header_key(header), name, level, source)
                index.add(without_hint(header_key(header)), name, _DERIVED, source)
        for header in declared.not_loaded:
            index.add(header_key(header), NOT_LOADED, level, source)
    names = [header_key(feed.title), without_hint(header_key(feed.title))]
    names += [header_key(n) for n in own.names + (county.names if county else [])]
    return FeedHeaders(feed, dict(index.targets), tuple(dict.fromkeys(n for n in names if n)))


def load_headers(county_file: Path | None = None) -> dict[str, FeedHeaders]:
    """Every feed's accepted headers: the declared ones, with a county's mapping file on top."""
    common, per_feed = builtin_declarations()
    county = read_county_mapping(county_file) if county_file is not None else {}
    where = county_file.name if county_file is not None else ""
    return {
        name: _feed_headers(feed, common, per_feed[name], county.get(name), where)
        for name, feed in FEEDS.items()
    }


def declared_headers(feed: Feed) -> tuple[dict[str, list[str]], list[str]]:
    """As written in the declarations (for people to read): each column's accepted headers besides its name,
    its title first, and the headers the feed leaves out on purpose."""
    common, per_feed = builtin_declarations()
    own = per_feed[feed.name]
    accepted = load_headers()[feed.name]
    columns: dict[str, list[str]] = {}
    for name, column in feed.schema.columns.items():
        spelled = [column.title or "", *common.columns.get(name, []), *own.columns.get(name, [])]
        # only headers that really lead to this column (a feed's own declaration may take a common one)
        keep = [h for h in spelled if h and accepted.target(h) == name]
        columns[name] = list(dict.fromkeys(keep))
    left_out = [h for h in common.not_loaded + own.not_loaded if accepted.target(h) == NOT_LOADED]
    return columns, list(dict.fromkeys(left_out))


def county_mapping_in(folder: Path) -> Path | None:
    """The county mapping file kept beside the feeds, if any."""
    for place in (folder, folder / "feeds"):
        for name in COUNTY_FILE_NAMES:
            if (place / name).is_file():
                return place / name
    return None


def feed_for_name(name: str, headers: dict[str, FeedHeaders]) -> Feed | None:
    """The feed a file stem or sheet name means: it starts with the feed's name, or contains one of its
    Chinese names; the longest match wins (`schools` vs `school_events`, 学校 vs 学校出勤)."""
    key = header_key(name)
    found: list[tuple[int, str]] = []
    for feed_name, declared in headers.items():
        if key.startswith(feed_name):
            found.append((len(feed_name), feed_name))
        found += [(len(n), feed_name) for n in declared.names if n in key]
    return FEEDS[max(found)[1]] if found else None
