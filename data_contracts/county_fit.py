"""Does a folder of feeds belong to the county already in the warehouse?

Two signs that it does not, judged per table against what earlier runs loaded:
- its admin units hardly overlap the warehouse's (another county's area codes);
- many of its rows repeat the key of a stored record with other content (another county whose ids collide
  with this one's, as two simulated counties do): a county resending its records gives exact duplicates, and
  a correction changes a few records, not a large share of a table.
Ingest then stops with one line naming the problem and the fix, unless told `--allow-mixed`.
"""

from __future__ import annotations

from pathlib import Path

from data_contracts.results import FileResult

MIXED_SHARE = 0.2  # conflicting duplicates against earlier runs, as a share of a table's rows
MIXED_MIN_ROWS = 5  # ... and at least this many (one changed record is a correction, not a county)
ADMIN_OVERLAP = 0.5  # share of a table's area codes the warehouse must already know


class CountyMismatch(Exception):
    """The folder looks like another county's; the message is one line with the fix."""


def conflict_problem(result: FileResult) -> str | None:
    """Why a table's rows say another county, from its counts so far; None when they do not."""
    read, conflicts = result.counts.read, result.earlier_conflicts
    if conflicts >= MIXED_MIN_ROWS and conflicts >= MIXED_SHARE * read:
        return (
            f"{conflicts:,} of {read:,} rows of {result.label} repeat the key of a record already there with "
            "other content (conflicting duplicates)"
        )
    return None


def admin_problem(result: FileResult, warehouse_codes: int) -> str | None:
    """Why an admin-units table says another county: most of its codes are new to a warehouse that holds
    admin units already."""
    read = result.counts.read
    if warehouse_codes and read and result.earlier_known < ADMIN_OVERLAP * read:
        return (
            f"only {result.earlier_known:,} of the {read:,} area codes of {result.label} are among the "
            f"{warehouse_codes:,} admin units already there"
        )
    return None


def mismatch_message(folder: Path, warehouse: Path, problem: str, loaded_before: bool) -> str:
    """One line: what is wrong and the two ways on."""
    done = "the tables before it in this run were loaded" if loaded_before else "nothing was loaded"
    return (
        f"{folder} does not look like the county already in {warehouse}: {problem}; {done}. Load it into a "
        "warehouse of its own (--warehouse FILE or SHOUHU_WAREHOUSE), or pass --allow-mixed to add it to "
        "this one anyway"
    )
