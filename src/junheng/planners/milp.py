"""A small vectorised MILP builder over HiGHS, with named variables and constraints.

Variables and rows are added in blocks from numpy arrays (no Python loop per school in the model
build); each block has a name prefix and per-element keys, so a model written with
``write_lp`` reads like the plan's tables ("cv_cut(junior,sports_area_per_student,3)").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

# HiGHS runs every instance of a thread on one global task scheduler whose size is fixed by the
# first run; an instance that later asks for another thread count fails outright ("global
# scheduler has already been initialized"). So every planner of the process must ask for the
# same number: this one.
SOLVER_THREADS = int(os.environ.get("JUNHENG_SOLVER_THREADS", "2"))


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance. The first one of a process prints a banner on the C-level
    stdout, which would corrupt ``junheng plan`` JSON written to the screen: stdout's file
    descriptor is pointed at /dev/null while it is created."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.silent()
    h.setOptionValue("threads", SOLVER_THREADS)
    return h


def allow_seconds(h: highspy.Highs, seconds: float) -> None:
    """Let the next ``run`` take at most ``seconds`` more. HiGHS's ``time_limit`` is measured
    against the run time accumulated over every ``run`` of the instance, so a re-solve must be
    given the time already spent plus the time it may add."""
    h.setOptionValue("time_limit", float(h.getRunTime()) + max(float(seconds), 0.1))


@dataclass
class MilpBuilder:
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    col_names: list[str] = field(default_factory=list)
    n_cols: int = 0
    rows: list[tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    n_rows: int = 0
    _built_cols: int = 0
    _built_rows: int = 0

    def add_vars(
        self,
        prefix: str,
        keys: Sequence[str],
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = np.inf,
        cost: float | np.ndarray = 0.0,
        integer: bool = False,
    ) -> np.ndarray:
        n = len(keys)
        idx = np.arange(self.n_cols, self.n_cols + n)
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self.integer.append(np.full(n, integer))
        self.col_names.extend(f"{prefix}({k})" for k in keys)
        self.n_cols += n
        return idx

    def add_rows(
        self,
        prefix: str,
        keys: Sequence[str],
        row: np.ndarray,
        col: np.ndarray,
        val: np.ndarray,
        lo: float | np.ndarray,
        hi: float | np.ndarray,
    ) -> np.ndarray:
        """Rows ``lo <= A x <= hi`` with A given in COO form, ``row`` local to this block."""
        n = len(keys)
        if n == 0:
            return np.arange(0)
        mat = (n, np.asarray(row, np.int64), np.asarray(col, np.int64), np.asarray(val, float))
        self.rows.append((mat, np.broadcast_to(np.asarray(lo, float), (n,)).copy(),
                          np.broadcast_to(np.asarray(hi, float), (n,)).copy()))
        self.row_names.extend(f"{prefix}({k})" for k in keys)
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return idx

    def build(self, time_limit: float, mip_rel_gap: float) -> highspy.Highs:
        h = new_highs()
        h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        self._push_cols(h, 0)
        self._push_rows(h, self.rows, 0)
        self._built_rows = len(self.rows)
        return h

    def _push_cols(self, h: highspy.Highs, first: int) -> None:
        inf = h.getInfinity()
        lb = np.concatenate(self.lb)[first:]
        ub = np.concatenate(self.ub)[first:]
        ub = np.where(np.isinf(ub), inf, ub)
        lb = np.where(np.isinf(lb), -inf, lb)
        cost = np.concatenate(self.cost)[first:]
        n = len(lb)
        if n == 0:
            return
        h.addVars(n, lb, ub)
        idx = np.arange(first, first + n, dtype=np.int32)
        h.changeColsCost(n, idx, cost)
        integer = np.concatenate(self.integer)[first:]
        int_idx = idx[integer]
        if len(int_idx):
            h.changeColsIntegrality(
                len(int_idx), int_idx, np.full(len(int_idx), highspy.HighsVarType.kInteger)
            )
        for i in range(first, first + n):
            h.passColName(i, self.col_names[i])
        self._built_cols = first + n

    def push_new(self, h: highspy.Highs) -> None:
        """Add the columns and rows created since the model was built (or last pushed)."""
        if self.n_cols > self._built_cols:
            self._push_cols(h, self._built_cols)
        since = self._built_rows
        first_name = sum(m[0] for m, _, _ in self.rows[:since])
        self._push_rows(h, self.rows[since:], first_name)
        self._built_rows = len(self.rows)

    def _push_rows(self, h: highspy.Highs,
                   blocks: list[tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]],
                   first_name: int) -> None:
        inf = h.getInfinity()
        k = first_name
        for mat, lo, hi in blocks:
            n, r, c, v = mat
            csr = sp.csr_matrix((v, (r, c)), shape=(n, self.n_cols))
            csr.sum_duplicates()
            lo = np.where(np.isinf(lo), -inf, lo)
            hi = np.where(np.isinf(hi), inf, hi)
            first_row = h.getNumRow()
            h.addRows(csr.shape[0], lo, hi, csr.nnz, csr.indptr[:-1].astype(np.int32),
                      csr.indices.astype(np.int32), csr.data)
            for i in range(csr.shape[0]):
                h.passRowName(first_row + i, self.row_names[k + i])
            k += csr.shape[0]
