"""Fake but well-formed personal identifiers, so the PII path (hashing, identity tables) is exercised.

Names come from a deliberately tiny syllable table; ID numbers use the fake area code of the simulated county
(city code 99 does not exist) with a valid GB 11643 check digit; phones match 1[3-9]XXXXXXXXX.
"""

from __future__ import annotations

import numpy as np

SURNAMES = tuple("王李张刘陈杨赵黄周吴")
GIVEN = tuple("安宁乐欣禾苗星雨晨阳松竹")
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character of an 18-digit citizen ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_numbers(area: str, birth_dates: np.ndarray, male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One 18-digit ID per person: area (6) + YYYYMMDD + sequence (odd = male) + check digit.

    Sequences are drawn without replacement per birth date would be exact; a random 3-digit draw with the
    right parity makes collisions rare, and callers de-duplicate by construction (see `unique_ids`)."""
    seq = rng.integers(0, 500, size=len(birth_dates)) * 2 + male.astype(int)
    days = np.datetime_as_string(np.asarray(birth_dates, dtype="datetime64[D]"), unit="D")
    out = np.empty(len(days), dtype=object)
    seen: set[str] = set()
    for i, (d, s) in enumerate(zip(days, seq, strict=True)):
        s_int = int(s)
        while True:
            first17 = f"{area}{d.replace('-', '')}{s_int % 1000:03d}"
            if first17 not in seen:
                break
            s_int += 2  # keep the sex parity
        seen.add(first17)
        out[i] = first17 + check_digit(first17)
    return out


def names(n: int, rng: np.random.Generator, surnames: np.ndarray | None = None) -> np.ndarray:
    """Synthetic two- or three-character names; `surnames` (indices into SURNAMES) keeps families together."""
    sur = rng.integers(0, len(SURNAMES), n) if surnames is None else surnames
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.3
    return np.array(
        [
            SURNAMES[s] + GIVEN[a] + ("" if t else GIVEN[b])
            for s, a, b, t in zip(sur, g1, g2, two, strict=True)
        ],
        dtype=object,
    )


def phones(n: int, rng: np.random.Generator) -> np.ndarray:
    second = rng.integers(3, 10, n)
    rest = rng.integers(0, 10**9, n)
    return np.array([f"1{a}{b:09d}" for a, b in zip(second, rest, strict=True)], dtype=object)
