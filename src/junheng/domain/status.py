"""The order of verdicts, once: a failure outweighs a gap in the data, which outweighs a pass.
Whatever combines verdicts (a county of its parts, an item of its checks) asks here."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

PASSED, NOT_REPORTED, FAILED = "passed", "not_reported", "failed"
RANK = {PASSED: 0, NOT_REPORTED: 1, FAILED: 2}
_BY_RANK = {v: k for k, v in RANK.items()}


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of ``statuses``; nothing to judge is ``not_reported``, never a pass. A status
    without a judgement (``reported``: computed, no threshold) lowers nothing."""
    ranks = [RANK.get(s, RANK[PASSED]) for s in statuses]
    return _BY_RANK[max(ranks)] if ranks else NOT_REPORTED


def status_rank(status: pl.Expr) -> pl.Expr:
    """The rank of a status column (an unknown status counts as not reported)."""
    return status.replace_strict(RANK, default=RANK[NOT_REPORTED], return_dtype=pl.Int8)


def status_from_rank(rank: pl.Expr) -> pl.Expr:
    """Back from a rank (e.g. the ``max`` of ranks) to the status."""
    return (pl.when(rank >= RANK[FAILED]).then(pl.lit(FAILED))
            .when(rank == RANK[NOT_REPORTED]).then(pl.lit(NOT_REPORTED))
            .otherwise(pl.lit(PASSED)))
