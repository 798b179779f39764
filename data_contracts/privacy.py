"""Scan outputs for personal data: names, 18-digit resident ID numbers and mainland mobile numbers.

Any room can call `scan_for_pii` on what it writes (warehouse, feature matrices, `mlruns/`, logs, reports).
The identity tables are the one place such data is allowed, so they are never scanned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Bounded by non-alphanumerics so digits inside hex run ids or longer numbers never match.
# Written with groups, not look-arounds, so the same pattern runs in Python and in DuckDB (RE2).
_EDGE_L = r"(?:^|[^0-9A-Za-z])"
_EDGE_R = r"(?:$|[^0-9A-Za-z])"
ID_NUMBER = (
    _EDGE_L + r"([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])" + _EDGE_R
)
PHONE = _EDGE_L + r"(1[3-9]\d{9})" + _EDGE_R
PATTERNS = {"id_number": ID_NUMBER, "phone": PHONE}
TEXT_LIMIT = 50_000_000  # bytes read per file; model binaries beyond this are not text we wrote


@dataclass(frozen=True)
class Finding:
    where: str  # "warehouse:<table>.<column>" or a file path
    kind: str  # "id_number", "phone" or "name"
    sample: str  # masked, so a finding never reprints the personal data it found

    def __str__(self) -> str:
        return f"{self.kind} in {self.where}: {self.sample}"


def mask(value: str) -> str:
    return value[:2] + "*" * max(len(value) - 4, 1) + value[-2:] if len(value) > 4 else "*" * len(value)


def scan_text(text: str, where: str, names: Iterable[str] = ()) -> list[Finding]:
    findings = [
        Finding(where, kind, mask(m.group(1)))
        for kind, p in PATTERNS.items()
        for m in [re.search(p, text)]
        if m
    ]
    findings += [Finding(where, "name", mask(n)) for n in names if n and n in text]
    return findings


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan_warehouse(path: Path, names: list[str]) -> list[Finding]:
    from data_contracts.warehouse import connect, model_facing_tables

    findings: list[Finding] = []
    con = connect(path, read_only=True)
    try:
        for table in model_facing_tables(con):
            probes: list[tuple[str, str, str]] = []  # (column, kind, SQL giving a sample or NULL)
            for column in [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]:
                value = f'CAST("{column}" AS VARCHAR)'
                for kind, pattern in PATTERNS.items():
                    p = _sql_literal(pattern)
                    probes.append(
                        (
                            column,
                            kind,
                            f"max(regexp_extract({value}, {p}, 1)) FILTER "
                            f"(WHERE regexp_matches({value}, {p}))",
                        )
                    )
                probes += [
                    (
                        column,
                        "name",
                        f"max({_sql_literal(n)}) FILTER (WHERE contains({value}, {_sql_literal(n)}))",
                    )
                    for n in names
                ]
            # A clean table (the usual case) costs one pass over the row as one string; only a hit pays for
            # the per-column probes that say where.
            row_text = (
                "concat_ws(chr(31), "
                + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in dict.fromkeys(c for c, _, _ in probes))
                + ")"
            )
            tests = [f"regexp_matches({row_text}, {_sql_literal(p)})" for p in PATTERNS.values()]
            tests += [f"contains({row_text}, {_sql_literal(n)})" for n in names]
            if not con.execute(f'SELECT count(*) FROM "{table}" WHERE {" OR ".join(tests)}').fetchall()[0][0]:
                continue
            hits = con.execute(f'SELECT {", ".join(sql for _, _, sql in probes)} FROM "{table}"').fetchall()[
                0
            ]
            findings += [
                Finding(f"warehouse:{table}.{column}", kind, mask(hit))
                for (column, kind, _), hit in zip(probes, hits, strict=True)
                if hit is not None
            ]
    finally:
        con.close()
    return findings


def _parquet_text(path: Path) -> str:
    import duckdb  # Parquet pages are compressed: read the values, not the bytes

    rows = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
    return "\n".join("\t".join(map(str, r)) for r in rows)


def _sqlite_text(path: Path) -> str:
    import sqlite3  # MLflow's tracking store: values sit back to back in pages, so read them as values

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join("\t".join(map(str, r)) for t in tables for r in con.execute(f'SELECT * FROM "{t}"'))
    finally:
        con.close()


def _scan_file(path: Path, names: list[str]) -> list[Finding]:
    if path.suffix == ".parquet":
        text = _parquet_text(path)
    elif path.suffix in {".db", ".sqlite"}:
        text = _sqlite_text(path)
    else:
        with path.open("rb") as handle:
            text = handle.read(TEXT_LIMIT).decode("utf-8", errors="ignore")
    return scan_text(text, str(path), names)


def scan_for_pii(
    warehouse: Path | None = None, folders: Iterable[Path] = (), known_names: Iterable[str] = ()
) -> list[Finding]:
    """Findings of names (`known_names`, e.g. from the identity tables or a test's factory), 18-digit ID
    numbers and phone numbers in every warehouse table except `identity_*`, and in every file under
    `folders` (Parquet, SQLite and DuckDB files read as values; other files as UTF-8 text). Empty = clean."""
    names = [n for n in known_names if n]
    findings: list[Finding] = []
    if warehouse is not None:
        findings += _scan_warehouse(Path(warehouse), names)
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or path.name.endswith(".wal"):  # a WAL is read through its database
                continue
            if path.suffix == ".duckdb":
                findings += _scan_warehouse(path, names)
            else:
                findings += _scan_file(path, names)
    return findings
