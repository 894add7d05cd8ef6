"""Great-circle distance, the one implementation every package uses (zones, rotation, new
campuses, the demo). Coordinates are WGS84 degrees of any country."""

from __future__ import annotations

import numpy as np

# The mean Earth radius (IUGG).
EARTH_RADIUS_M = 6_371_008.8
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000
# The rounded radius the planners (investment, rotation) were built and checked with; kept so
# their plans stay identical to the published ones (the difference is 1.4 m in 1,000 km).
PLANNER_RADIUS_KM = 6371.0


def haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray,
              radius: float = EARTH_RADIUS_M) -> np.ndarray:
    """Great-circle distance in the unit of ``radius`` (metres by default), broadcasting like
    numpy (pass column/row vectors for a matrix)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def distance_matrix(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray,
                    radius: float = EARTH_RADIUS_M) -> np.ndarray:
    """From every point 1 (rows) to every point 2 (columns), in the unit of ``radius``."""
    return haversine(np.asarray(lat1)[:, None], np.asarray(lon1)[:, None],
                     np.asarray(lat2)[None, :], np.asarray(lon2)[None, :], radius)
