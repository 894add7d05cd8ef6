"""The outline of an area (GeoJSON Polygon or MultiPolygon in WGS84 degrees), checked at import.

Kept apart from :mod:`junheng.domain.geo` so that validating a dataset never imports numpy
(a tenth of a second or more of every command's start, for a check most datasets never run)."""

from __future__ import annotations

import json
import math
from typing import Any


def _ring_ok(ring: Any) -> bool:
    """A closed linear ring of at least four [lon, lat] positions within WGS84 bounds."""
    if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
        return False
    for pos in ring:
        if not isinstance(pos, list) or len(pos) < 2:
            return False
        lon, lat = pos[0], pos[1]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   for v in (lon, lat)):
            return False
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return False
    return True


def polygon_ok(text: str | None) -> bool:
    """Whether ``text`` is a GeoJSON geometry of type Polygon or MultiPolygon in WGS84 degrees
    (the outline of an area in the exchange format). Checked at import, so that a map never
    receives something it cannot draw."""
    if text is None:
        return False
    try:
        geom = json.loads(text)
    except ValueError:
        return False
    if not isinstance(geom, dict):
        return False
    coords = geom.get("coordinates")
    if geom.get("type") == "Polygon":
        polygons = [coords]
    elif geom.get("type") == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    else:
        return False
    return bool(polygons) and all(
        isinstance(rings, list) and rings and all(_ring_ok(r) for r in rings)
        for rings in polygons)
