"""The dataset and its evaluations as the pages see them, cached per data version.

Loading the whole dataset from the database and evaluating a standard takes far longer than a
page may, so both are computed once per (data version, standard, year) and shared by every
request of the worker. The data version is the counter ``junheng.io.db`` bumps on every import (from
the app or the command line), so each worker notices a change made by another one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from junheng.domain.dataset import Dataset
from junheng.standards.engine import Evaluation
from junheng.web.settings import Settings

T = TypeVar("T")


def read_version(engine: Engine) -> int:
    from junheng.io.db import get_data_version

    with engine.connect() as conn:
        return get_data_version(conn)


def bump_version(engine: Engine) -> int:
    from junheng.io.db import bump_data_version

    with engine.begin() as conn:
        return bump_data_version(conn)


class DataService:
    """Per-process cache of the dataset, evaluations and derived page data."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        # Least recently used first; bounded by settings.cache_max_entries.
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._version: int | None = None
        self._checked_at = 0.0

    def version(self, refresh: bool = False) -> int:
        now = time.monotonic()
        if (not refresh and self._version is not None
                and now - self._checked_at < self.settings.data_version_check_seconds):
            return self._version
        v = read_version(self.engine)
        self._checked_at = now
        if v != self._version:
            with self._lock:
                if v != self._version:
                    self._values.clear()
                    self._version = v
        return v

    def invalidate(self) -> None:
        bump_version(self.engine)
        self.version(refresh=True)

    def _get(self, full_key: Hashable) -> tuple[float, Any] | None:
        hit = self._values.get(full_key)
        if hit is None or time.monotonic() - hit[0] >= self.settings.cache_ttl_seconds:
            return None
        # KeyError: dropped by another thread meanwhile; the value is still good.
        with contextlib.suppress(KeyError):
            self._values.move_to_end(full_key)
        return hit

    def _put(self, full_key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[full_key] = (time.monotonic(), value)
            self._values.move_to_end(full_key)
            # Bounded: the least recently used entries go first. The dataset is used by
            # every miss, so it stays unless the cache is tiny.
            while len(self._values) > max(self.settings.cache_max_entries, 1):
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)

    def peek(self, key: Hashable) -> Any | None:
        """The cached value for ``key`` at the current data version, or None."""
        hit = self._get((self.version(), key))
        return hit[1] if hit is not None else None

    def memo(self, key: Hashable, compute: Callable[[], T],
             keep: Callable[[T], bool] | None = None) -> T:
        """``compute()`` once per key and data version (recomputed after the TTL). A value
        for which ``keep`` says False is returned but not stored: the next request computes
        again (a solver that ran out of time may finish on a quieter machine)."""
        full_key = (self.version(), key)
        hit = self._get(full_key)
        if hit is not None:
            return hit[1]  # type: ignore[no-any-return]
        with self._lock:
            key_lock = self._key_locks.setdefault(full_key, threading.Lock())
        # One request computes while the others for the same key wait for its result.
        with key_lock:
            hit = self._get(full_key)
            if hit is not None:
                return hit[1]  # type: ignore[no-any-return]
            value = compute()
            if keep is None or keep(value):
                self._put(full_key, value)
        with self._lock:
            self._key_locks.pop(full_key, None)
        return value

    def dataset(self) -> Dataset:
        def load() -> Dataset:
            from junheng.io.db import load_dataset

            return load_dataset(self.engine)

        return self.memo("dataset", load)

    def years(self) -> list[int]:
        return self.memo("years", lambda: self.dataset().years())

    def latest_year(self) -> int | None:
        ys = self.years()
        return ys[-1] if ys else None

    def evaluation(self, year: int, standard_id: str | None = None) -> Evaluation | None:
        """The typed evaluation of ``year`` (cached), or None when the data has no such year."""
        standard = standard_id or self.settings.standard_id

        def run() -> Evaluation | None:
            from junheng.standards.engine import evaluate

            ds = self.dataset()
            if year not in ds.years():
                return None
            return evaluate(ds, standard, year)

        return self.memo(("evaluation", standard, year), run)
