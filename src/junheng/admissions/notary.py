"""The frozen list, its SHA-256 hash, and the lottery drawn from (list hash, seed) — 可公证.

Everything here is specified so that a reviewer can recompute it from docs/admissions.md alone
with any language that has SHA-256 and a sort:

* **Canonical list.** The applications of one county, year and entry stage, sorted by
  ``application_id`` (Unicode code point order), written as UTF-8 CSV: a header line of the
  column ids of the ``applications`` table in registry order, then one line per application;
  every line ends with ``\\n``; an empty value is an empty field; integers in decimal;
  ``submitted_at`` as ``YYYY-MM-DD HH:MM:SS``; a field is quoted (``"``, inner quotes doubled)
  only when it contains a comma, a quote or a line break. The list hash is the lower-case hex
  SHA-256 of those bytes.
* **Lottery.** For each application, its key is SHA-256 of the UTF-8 bytes of
  ``list_sha256 + "\\n" + seed + "\\n" + application_id``. Sorting the applications by key (as
  unsigned big-endian 256-bit numbers; ties, which never occur in practice, by
  ``application_id``) gives the lottery order: the first gets number 1, the last number N. A
  hash ordering is a uniformly random permutation for a cryptographic hash, and unlike a
  seeded PRNG it needs no library-specific generator to reproduce.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from junheng.domain.fields import registry

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def list_columns() -> list[str]:
    return registry().table("applications").column_ids


def select_list(applications: pl.DataFrame, county_code: str, year: int,
                stage: str) -> pl.DataFrame:
    """The applications of one county, year and entry stage, in canonical order."""
    cols = list_columns()
    missing = [c for c in cols if c not in applications.columns]
    frame = applications.with_columns(
        [pl.lit(None, dtype=registry().table("applications").column(c).dtype).alias(c)
         for c in missing])
    return (frame.filter((pl.col("county_code") == county_code) & (pl.col("year") == year)
                         & (pl.col("entry_stage") == stage))
            .select(cols).sort("application_id"))


def canonical_csv(frozen: pl.DataFrame) -> bytes:
    """The bytes that are hashed (``frozen`` as returned by ``select_list``)."""
    out = frozen.select(list_columns()).sort("application_id").write_csv(
        None, include_header=True, line_terminator="\n", quote_style="necessary",
        null_value="", datetime_format=DATETIME_FORMAT)
    return out.encode("utf-8")


def list_sha256(frozen: pl.DataFrame) -> str:
    return hashlib.sha256(canonical_csv(frozen)).hexdigest()


def lottery_numbers(application_ids: list[str], list_hash: str, seed: str) -> np.ndarray:
    """Lottery number (1..N) of each id, in the order of ``application_ids``."""
    prefix = f"{list_hash}\n{seed}\n".encode()
    n = len(application_ids)
    digests = b"".join(hashlib.sha256(prefix + a.encode("utf-8")).digest()
                       for a in application_ids)
    # Each key as four big-endian 64-bit words: sorting them lexicographically is sorting the
    # 256-bit numbers; the id (its position in ``application_ids``, sorted) breaks ties.
    words = np.frombuffer(digests, dtype=">u8").reshape(n, 4).astype(np.uint64)
    tie = _id_order(application_ids)
    order = np.lexsort((tie, words[:, 3], words[:, 2], words[:, 1], words[:, 0]))
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = np.arange(1, n + 1, dtype=np.int64)
    return numbers


def _id_order(application_ids: list[str]) -> np.ndarray:
    """Rank of each id in code point order (the canonical list is already sorted)."""
    if all(a < b for a, b in zip(application_ids, application_ids[1:], strict=False)):
        return np.arange(len(application_ids), dtype=np.int64)
    ranks = np.empty(len(application_ids), dtype=np.int64)
    ranks[sorted(range(len(application_ids)), key=application_ids.__getitem__)] = np.arange(
        len(application_ids), dtype=np.int64)
    return ranks


@dataclass(frozen=True)
class FrozenList:
    """The list as frozen for the draw: its rows (canonical order) and its hash."""

    county_code: str
    year: int
    stage: str
    frame: pl.DataFrame
    sha256: str

    @property
    def size(self) -> int:
        return self.frame.height


def freeze(applications: pl.DataFrame, county_code: str, year: int, stage: str) -> FrozenList:
    frame = select_list(applications, county_code, year, stage)
    return FrozenList(county_code, year, stage, frame, list_sha256(frame))
