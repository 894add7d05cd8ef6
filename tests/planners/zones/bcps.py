"""Adapter: the Baltimore County (BCPS) 2015 southwest elementary redistricting case into the
exchange format. Names differ between files ("Edmondson" / "Edmonson"); the 2015 zoning's
"Catonsville ES" is the old building ("Old Catonsville ES" in the capacity file)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from tests.support.paths import REAL_DATA

# The shared folder beside the repository (``../shared``), never one machine's absolute path.
ROOT = REAL_DATA / "bcps_redistricting"
COUNTY = "BCPS-SW"


def _key_expr(col: pl.Expr) -> pl.Expr:
    return (col.str.replace_all("Edmondson", "Edmonson", literal=True)
            .str.replace_all("Old Catonsville", "Catonsville", literal=True).str.strip_chars())


def outline_text(geometry: dict[str, Any]) -> str | None:
    """A block's polygon as the exchange format's ``areas.geometry`` text: coordinates to 4
    decimals (about 10 m, finer than any map of the zones) with repeated points dropped, which
    keeps the largest block within a cell's 10,000 characters. A sliver with no area at that
    precision (block 451 of the source) has no outline and is drawn as its point."""
    def ring(points: list[list[float]]) -> list[list[float]]:
        out: list[list[float]] = []
        for x, y in points:
            p = [round(x, 4), round(y, 4)]
            if not out or out[-1] != p:
                out.append(p)
        return out
    def polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
        return [r for r in map(ring, rings) if len(r) >= 4]

    coords = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        coords = polygon(coords)
    else:
        coords = [p for p in map(polygon, coords) if p]
    if not coords:
        return None
    return json.dumps({"type": geometry["type"], "coordinates": coords}, separators=(",", ":"))


def load(year_capacity: str = "SRC_2015") -> tuple[Dataset, dict[str, dict[str, Any]]]:
    blocks = pl.read_csv(ROOT / "bcps_sw_planning_blocks_151118.csv", infer_schema_length=0)
    caps = pl.read_csv(ROOT / "bcps_sw_elementary_schools_capacity.csv", infer_schema_length=0)
    caps = caps.filter(pl.col("NAME") != "NewCatonsville ES").with_columns(
        _key_expr(pl.col("NAME")).alias("key"))
    sid = {k: f"ES{i:02d}" for i, k in enumerate(caps["key"].to_list())}
    areas = blocks.select(
        pl.col("PBID").alias("area_id"), ("Block " + pl.col("PBID")).alias("area_name"),
        pl.lit(COUNTY).alias("county_code"),
        pl.col("centroid_lat").cast(pl.Float64).alias("latitude"),
        pl.col("centroid_lon").cast(pl.Float64).alias("longitude"))
    # K5LiveAtt counts K–5 pupils; as age rows they are given one age (6) inside the band.
    kids = blocks.select(pl.lit(2015).alias("year"), pl.col("PBID").alias("area_id"),
                         pl.lit(6).alias("age"),
                         pl.col("K5LiveAtt").cast(pl.Float64).round().cast(pl.Int64).alias("children"))
    schools = caps.select(
        pl.col("key").replace_strict(sid).alias("school_id"), pl.col("NAME").alias("school_name"),
        pl.lit(COUNTY).alias("county_code"), pl.lit("primary").alias("school_type"),
        pl.lit("public").alias("ownership"), pl.col("lat").cast(pl.Float64).alias("latitude"),
        pl.col("lon").cast(pl.Float64).alias("longitude"))
    sections = caps.select(pl.lit(2015).alias("year"),
                           pl.col("key").replace_strict(sid).alias("school_id"),
                           pl.lit("primary").alias("stage"),
                           pl.col(year_capacity).cast(pl.Int64).alias("capacity"))
    current = blocks.select(pl.lit(2015).alias("year"), pl.col("PBID").alias("area_id"),
                            pl.lit("primary").alias("stage"),
                            _key_expr(pl.col("ES1516"))
                            .replace_strict(sid).alias("school_id"))
    gj = json.loads((ROOT / "bcps_sw_planning_blocks_151118.geojson").read_text("utf-8"))
    polygons = {str(f["properties"]["PBID"]): f["geometry"] for f in gj["features"]}
    outline = {k: outline_text(g) for k, g in polygons.items()}
    areas = areas.with_columns(
        pl.col("area_id").replace_strict(outline, default=None).alias("geometry"))
    ds = Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["BCPS Southwest"]}),
        "areas": areas, "area_children": kids, "schools": schools, "sections": sections,
        "area_assignments": current,
    })
    return ds, polygons
