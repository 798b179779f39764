"""The simulator's output is a function of its configuration: a fixed seed writes byte-identical files. The
stored digest pins the output of the engine, so a refactoring that is meant to change nothing is proved to
change nothing; a change meant to alter the output updates the digest in its own commit, saying why."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from simulation.config import SimulationConfig
from simulation.county import simulate

# sha256 over (relative path, bytes) of every file written, in path order
EXPECTED_DIGEST = "1dcf3ebc8dbb4f4a3b1f04b01d71a9231f2d1913293496665bec4688711ed296"


def output_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(out)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_a_fixed_seed_writes_the_stored_output_byte_for_byte(tmp_path: Path) -> None:
    config = SimulationConfig(
        townships=2,
        villages=2,
        children=300,
        start=date(2023, 1, 1),
        end=date(2024, 1, 31),
        seed=11,
        faults=0.05,
    )
    # 13 months: two Spring Festivals, a school year's start, the October screening and both break sweeps
    simulate(config, tmp_path, progress=False)
    assert output_digest(tmp_path) == EXPECTED_DIGEST
