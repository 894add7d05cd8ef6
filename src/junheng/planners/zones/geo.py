"""Geometry for zoning: great-circle distances and the adjacency graph of areas.

Coordinates are WGS84 degrees of any country; nothing here assumes China.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

# Great-circle metres come from the one shared helper (mean Earth radius).
from junheng.domain.geo import EARTH_RADIUS_M, haversine


def _local_xy(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular metres around the centroid: fine for a county-sized graph."""
    lat0 = float(np.mean(lat))
    x = np.radians(lon - np.mean(lon)) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def delaunay_edges(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Undirected edges (i < j) of the Delaunay triangulation of the area points."""
    n = len(lat)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    xy = _local_xy(lat, lon)
    if n < 4:
        return knn_edges(lat, lon, n - 1)
    from scipy.spatial import Delaunay, QhullError

    try:
        tri = Delaunay(xy, qhull_options="QJ")
    except QhullError:
        return knn_edges(lat, lon, min(6, n - 1))
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    return _normalise(e)


def knn_edges(lat: np.ndarray, lon: np.ndarray, k: int = 6) -> np.ndarray:
    """Undirected edges joining each area to its k nearest areas."""
    n = len(lat)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    from scipy.spatial import cKDTree

    k = min(k, n - 1)
    _, idx = cKDTree(_local_xy(lat, lon)).query(_local_xy(lat, lon), k=k + 1)
    src = np.repeat(np.arange(n), k)
    return _normalise(np.column_stack([src, idx[:, 1:].ravel()]))


def polygon_edges(
    geometries: list[dict[str, Any] | None], tolerance_deg: float = 1e-6, min_shared: int = 2
) -> np.ndarray:
    """Areas whose polygons share a boundary: at least ``min_shared`` vertices in common after
    snapping to a grid of ``tolerance_deg`` (planning blocks cut from one GIS layer share their
    vertices exactly; two shared vertices means a shared edge, not a corner touch)."""
    owners: list[np.ndarray] = []
    points: list[np.ndarray] = []
    for i, geom in enumerate(geometries):
        if not geom:
            continue
        for ring in _rings(geom):
            arr = np.asarray(ring, dtype=float)[:, :2]
            points.append(arr)
            owners.append(np.full(len(arr), i, dtype=np.int64))
    if not points:
        return np.zeros((0, 2), dtype=np.int64)
    pts = np.round(np.concatenate(points) / tolerance_deg).astype(np.int64)
    frame = pl.DataFrame({"x": pts[:, 0], "y": pts[:, 1], "owner": np.concatenate(owners)}).unique()
    pairs = (
        frame.join(frame, on=["x", "y"], suffix="_b")
        .filter(pl.col("owner") < pl.col("owner_b"))
        .group_by(["owner", "owner_b"])
        .len()
        .filter(pl.col("len") >= min_shared)
    )
    return _normalise(pairs.select(["owner", "owner_b"]).to_numpy().astype(np.int64))


def _rings(geom: dict[str, Any]) -> list[list[list[float]]]:
    if geom.get("type") == "Polygon":
        return list(geom["coordinates"])
    if geom.get("type") == "MultiPolygon":
        return [ring for poly in geom["coordinates"] for ring in poly]
    return []


def _normalise(e: np.ndarray) -> np.ndarray:
    if len(e) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    e = np.sort(e.astype(np.int64), axis=1)
    e = e[e[:, 0] != e[:, 1]]
    return np.unique(e, axis=0)


def connect_components(edges: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Add the shortest link between graph components so islands (a polygon set with gaps, an
    enclave) do not make contiguity impossible; the added links are reported by the caller."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(lat)
    extra: list[tuple[int, int]] = []
    while True:
        all_e = np.concatenate([edges, np.array(extra, dtype=np.int64).reshape(-1, 2)])
        g = coo_matrix((np.ones(len(all_e)), (all_e[:, 0], all_e[:, 1])), shape=(n, n))
        k, label = connected_components(g, directed=False)
        if k <= 1:
            return np.array(extra, dtype=np.int64).reshape(-1, 2)
        inside = np.nonzero(label == label[0])[0]
        outside = np.nonzero(label != label[0])[0]
        d = haversine(lat[inside][:, None], lon[inside][:, None], lat[outside][None, :],
                        lon[outside][None, :])
        a, b = np.unravel_index(np.argmin(d), d.shape)
        extra.append((int(min(inside[a], outside[b])), int(max(inside[a], outside[b]))))
