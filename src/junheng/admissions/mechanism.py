"""The two allocation rounds on plain arrays (shared/spec/admissions.md, "Allocation").

Round 1 is student-proposing deferred acceptance run in batches: every applicant without a
place proposes at once to the next school on their list, and every school keeps its best
applicants up to its seats among those it held and those who just proposed. Batching gives the
same matching as proposing one at a time (the student-optimal stable matching is unique), and
each batch is a single sort over the applicants involved, so 100,000 applicants need a few
dozen array passes instead of hundreds of thousands of Python steps.

Preference lists are flat arrays sorted by (applicant, position): entry ``e`` says applicant
``entry_app[e]`` ranks school ``entry_school[e]`` at that position, with priority
``entry_priority[e]`` there (lower is better, unique per school). Applicant ``i``'s entries are
``start[i] <= e < end[i]``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from junheng.domain.geo import EARTH_RADIUS_KM, distance_matrix

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def deferred_acceptance(start: IntArray, end: IntArray, entry_school: IntArray,
                        entry_priority: IntArray, seats: IntArray) -> IntArray:
    """The entry each applicant holds at the end (-1: none)."""
    n = start.shape[0]
    held = np.full(n, -1, dtype=np.int64)
    if n == 0 or entry_school.shape[0] == 0:
        return held
    nxt = start.copy()
    active = np.nonzero(nxt < end)[0]
    span = int(entry_priority.max()) + 1
    hit = np.zeros(seats.shape[0], dtype=bool)
    while active.size:
        proposals = nxt[active]
        hit[:] = False
        hit[entry_school[proposals]] = True
        # Only schools that received a proposal can change what they hold.
        holders = np.nonzero(held >= 0)[0]
        holders = holders[hit[entry_school[held[holders]]]]
        cand_app = np.concatenate([holders, active])
        cand_entry = np.concatenate([held[holders], proposals])
        school = entry_school[cand_entry]
        order = np.argsort(school * span + entry_priority[cand_entry], kind="stable")
        school = school[order]
        cand_app = cand_app[order]
        cand_entry = cand_entry[order]
        place_in_school = np.arange(order.shape[0]) - np.searchsorted(school, school, "left")
        keep = place_in_school < seats[school]
        held[cand_app[keep]] = cand_entry[keep]
        out_app = cand_app[~keep]
        held[out_app] = -1
        nxt[out_app] = cand_entry[~keep] + 1
        active = out_app[nxt[out_app] < end[out_app]]
    return held


def great_circle_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray,
                    lon2: FloatArray) -> FloatArray:
    """Haversine distance (km) between every point 1 (rows) and every point 2 (columns)."""
    out: FloatArray = distance_matrix(lat1, lon1, lat2, lon2, radius=EARTH_RADIUS_KM)
    return np.where(np.isnan(out), np.inf, out)


def nearest_free(order: IntArray, applicant_area: IntArray, area_lat: FloatArray,
                 area_lon: FloatArray, school_lat: FloatArray, school_lon: FloatArray,
                 eligible: npt.NDArray[np.bool_], free: IntArray,
                 ) -> tuple[IntArray, FloatArray]:
    """Round 2 (调剂): applicants in ``order`` each take the nearest eligible school with a
    free seat (ties by school index = school_id order). Returns (school or -1, distance km)
    per applicant of ``order``; ``free`` is updated in place."""
    school = np.full(order.shape[0], -1, dtype=np.int64)
    dist = np.full(order.shape[0], np.nan, dtype=np.float64)
    # A school full after round 1 never frees a seat, so it is left out from the start.
    candidates = np.nonzero(eligible & (free > 0))[0]
    if order.shape[0] == 0 or candidates.shape[0] == 0:
        return school, dist
    areas = np.unique(applicant_area[order])
    d = great_circle_km(area_lat[areas], area_lon[areas], school_lat[candidates],
                        school_lon[candidates])
    # Sorted once per area: (distance, school index). Seats only ever fill up, so each area's
    # pointer only moves forward. Plain lists: this loop touches single elements.
    # A stable sort keeps school index (= school_id) order among equal distances.
    by = np.argsort(d, axis=1, kind="stable")
    ranked_schools = candidates[by].tolist()
    ranked_dist = np.take_along_axis(d, by, axis=1).tolist()
    ranked: dict[int, tuple[list[int], list[float]]] = {
        a: (ranked_schools[r], ranked_dist[r]) for r, a in enumerate(areas.tolist())}
    pointer = dict.fromkeys(ranked, 0)
    left: list[int] = free.tolist()
    out_school: list[int] = [-1] * order.shape[0]
    out_dist: list[float] = [float("nan")] * order.shape[0]
    for k, a in enumerate(applicant_area[order].tolist()):
        schools, dists = ranked[a]
        p = pointer[a]
        last = len(schools)
        while p < last and left[schools[p]] <= 0:
            p += 1
        pointer[a] = p
        if p == last:
            continue
        s = schools[p]
        left[s] -= 1
        out_school[k] = s
        out_dist[k] = dists[p]
    free[:] = np.asarray(left, dtype=np.int64)
    school[:] = np.asarray(out_school, dtype=np.int64)
    dist[:] = np.asarray(out_dist, dtype=np.float64)
    return school, dist
