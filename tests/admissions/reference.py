"""An independent, plain implementation of shared/spec/admissions.md for the tests.

Written from the spec and docs/admissions.md only, in the most obvious way: Python's csv
module for the canonical list, hashlib for the lottery, one-proposal-at-a-time deferred
acceptance with a queue, a linear scan for round 2 with math.* great-circle distances. It shares
no code with junheng.admissions, so agreement on random instances means something.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass

import polars as pl

from junheng.domain.dataset import Dataset

COLUMNS = ["year", "application_id", "county_code", "entry_stage", "area_id", "category",
           "choice_1", "choice_2", "choice_3", "choice_4", "choice_5", "submitted_at"]
DEFAULT_ORDER = ["preferential", "hukou_house", "house", "hukou", "migrant", "other"]


def _text(v: object) -> str:
    if v is None:
        return ""
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
    return str(v)


def canonical_hash(ds: Dataset, county: str, year: int, stage: str) -> tuple[str, list[dict]]:
    apps = [r for r in ds.table("applications").iter_rows(named=True)
            if r["county_code"] == county and r["year"] == year and r["entry_stage"] == stage]
    apps.sort(key=lambda r: r["application_id"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    for r in apps:
        w.writerow([_text(r.get(c)) for c in COLUMNS])
    return hashlib.sha256(buf.getvalue().encode("utf-8")).hexdigest(), apps


def lottery(ids: list[str], list_hash: str, seed: str) -> dict[str, int]:
    keyed = sorted(ids, key=lambda a: (int.from_bytes(hashlib.sha256(
        (list_hash + "\n" + seed + "\n" + a).encode("utf-8")).digest(), "big"), a))
    return {a: i + 1 for i, a in enumerate(keyed)}


@dataclass
class RefResult:
    list_hash: str
    lottery: dict[str, int]
    school: dict[str, str | None]
    round: dict[str, int | None]
    choice_rank: dict[str, str | None]
    prefs: dict[str, list[str]]
    priority: dict[tuple[str, str], tuple[int, int]]
    seats: dict[str, int]


def reference_allocate(ds: Dataset, county: str, year: int, stage: str, seed: str,
                       order: list[list[str]] | None = None) -> RefResult:
    classes = order or [[c] for c in DEFAULT_ORDER]
    rank = {c: i for i, cls in enumerate(classes) for c in cls}
    list_hash, apps = canonical_hash(ds, county, year, stage)
    lot = lottery([a["application_id"] for a in apps], list_hash, seed)
    schools = {r["school_id"]: r for r in ds.table("schools").iter_rows(named=True)
               if r["county_code"] == county}
    seats = {s: 0 for s in schools}
    for r in ds.table("admission_plans").iter_rows(named=True):
        if r["year"] == year and r["entry_stage"] == stage and r["school_id"] in seats:
            seats[r["school_id"]] += r["seats"]
    zone: dict[str, set[str]] = {}
    for r in ds.table("area_assignments").iter_rows(named=True):
        s = r["school_id"]
        if (r["year"] == year and r["stage"] == stage and s in schools
                and schools[s]["ownership"] == "public"):
            zone.setdefault(r["area_id"], set()).add(s)

    def accepts(school: str, app: dict) -> bool:
        if school not in schools or seats[school] <= 0:
            return False
        if schools[school]["ownership"] == "private":
            return True
        return school in zone.get(app["area_id"], set())

    prefs: dict[str, list[str]] = {}
    ranks_of: dict[str, dict[str, str]] = {}
    priority: dict[tuple[str, str], tuple[int, int]] = {}
    for a in apps:
        aid = a["application_id"]
        lst: list[str] = []
        rk: dict[str, str] = {}
        for k in range(1, 6):
            s = a[f"choice_{k}"]
            if s is not None and s not in lst and accepts(s, a):
                lst.append(s)
                rk[s] = str(k)
        for s in sorted(zone.get(a["area_id"], set())):
            if s not in lst and accepts(s, a):
                lst.append(s)
                rk[s] = "zone"
        prefs[aid] = lst
        ranks_of[aid] = rk
        for s in lst:
            if schools[s]["ownership"] == "private":
                priority[(s, aid)] = (0, lot[aid])
            else:
                priority[(s, aid)] = (rank[a["category"]], lot[aid])

    # Round 1: one proposal at a time.
    held: dict[str, list[str]] = {s: [] for s in schools}
    nxt = {a["application_id"]: 0 for a in apps}
    free = [a["application_id"] for a in apps]
    match: dict[str, str | None] = {a["application_id"]: None for a in apps}
    while free:
        aid = free.pop()
        if nxt[aid] >= len(prefs[aid]):
            continue
        s = prefs[aid][nxt[aid]]
        nxt[aid] += 1
        held[s].append(aid)
        held[s].sort(key=lambda x: priority[(s, x)])
        match[aid] = s
        if len(held[s]) > seats[s]:
            out = held[s].pop()
            match[out] = None
            free.append(out)
    rnd: dict[str, int | None] = {a: (1 if match[a] else None) for a in match}
    crank: dict[str, str | None] = {a: (ranks_of[a][match[a]] if match[a] else None)
                                    for a in match}

    # Round 2.
    left = {s: seats[s] - len(held[s]) for s in schools}
    areas = {r["area_id"]: r for r in ds.table("areas").iter_rows(named=True)}
    unplaced = [a for a in apps if match[a["application_id"]] is None]
    unplaced.sort(key=lambda a: (rank[a["category"]], lot[a["application_id"]]))
    for a in unplaced:
        best = None
        for s, info in schools.items():
            if info["ownership"] != "public" or seats[s] <= 0 or left[s] <= 0:
                continue
            d = _km(areas.get(a["area_id"]), info)
            if best is None or (d, s) < best:
                best = (d, s)
        if best is not None:
            match[a["application_id"]] = best[1]
            left[best[1]] -= 1
            rnd[a["application_id"]] = 2
    return RefResult(list_hash, lot, match, rnd, crank, prefs, priority, seats)


def _km(area: dict | None, school: dict) -> float:
    if area is None or school["latitude"] is None or school["longitude"] is None:
        return math.inf
    p1, p2 = math.radians(area["latitude"]), math.radians(school["latitude"])
    dl = math.radians(school["longitude"] - area["longitude"])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def frames_equal(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    return a.equals(b)
