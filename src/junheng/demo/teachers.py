"""Teacher-level rows that add up exactly to the section counts.

Each section's teachers get their attributes by rank: with a random order per attribute, the
first ``degree_teachers`` of them hold the higher degree, the first ``backbone_teachers`` are
county-level backbone teachers, and so on, so the person table and the section table agree.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_SUBJECTS = {
    "preschool": (["学前教育"], [1.0]),
    "primary": (["语文", "数学", "英语", "科学", "道德与法治", "信息技术"],
                [0.38, 0.3, 0.12, 0.08, 0.07, 0.05]),
    "junior": (["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "信息技术"],
               [0.16, 0.16, 0.15, 0.1, 0.07, 0.07, 0.07, 0.07, 0.08, 0.07]),
    "senior": (["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "思想政治", "信息技术"],
               [0.15, 0.15, 0.15, 0.11, 0.09, 0.08, 0.07, 0.07, 0.07, 0.06]),
}
_PE_ART = (["体育", "音乐", "美术"], [0.45, 0.28, 0.27])
# "高于规定学历": 小学 专科及以上, 初中 本科及以上, 高中 研究生; preschool 专科及以上.
_DEGREE_HIGH = {
    "preschool": (["associate", "bachelor"], [0.6, 0.4]),
    "primary": (["associate", "bachelor", "master"], [0.3, 0.66, 0.04]),
    "junior": (["bachelor", "master"], [0.9, 0.1]),
    "senior": (["master", "doctor"], [0.97, 0.03]),
}
_DEGREE_LOW = {"preschool": "secondary", "primary": "secondary", "junior": "associate",
               "senior": "bachelor"}


def _choose(rng: np.random.Generator, options: tuple[list[str], list[float]], n: int) -> np.ndarray:
    values, p = options
    return np.asarray(values)[rng.choice(len(values), size=n, p=np.asarray(p) / sum(p))]


def teachers_table(sections: pl.DataFrame, schools: pl.DataFrame, year: int,
                   rng: np.random.Generator) -> pl.DataFrame:
    """One row per 专任教师 of ``year``, ids ``T<school_id>-<nnn>`` numbered within the school."""
    sec = (sections.filter((pl.col("year") == year) & (pl.col("teachers") > 0))
           .sort("school_id", "stage"))
    t = sec["teachers"].to_numpy()
    idx = np.repeat(np.arange(sec.height), t)
    n = idx.size
    rows = sec.select("school_id", "stage")[idx].with_row_index("row")
    rows = rows.with_columns(
        pl.int_range(pl.len()).over("school_id").alias("seq"),
        pl.lit(idx).alias("sec"),
    )

    def ranked(count_col: str) -> np.ndarray:
        """True for the first ``count`` teachers of each section in a fresh random order."""
        u = pl.Series("u", rng.random(n))
        rank = rows.with_columns(u).select(pl.col("u").rank("ordinal").over("sec"))["u"]
        return (rank.to_numpy() <= sec[count_col].to_numpy()[idx])

    stage = rows["stage"].to_numpy()
    is_degree = ranked("degree_teachers")
    is_backbone = ranked("backbone_teachers")
    is_pe_art = ranked("pe_art_teachers")
    is_title = ranked("senior_title_teachers")
    is_certified = ranked("certified_teachers")

    degree = np.empty(n, dtype=object)
    subject = np.empty(n, dtype=object)
    for s, subjects in _SUBJECTS.items():
        m = stage == s
        degree[m] = np.where(is_degree[m], _choose(rng, _DEGREE_HIGH[s], int(m.sum())),
                             _DEGREE_LOW[s])
        subject[m] = np.where(is_pe_art[m], _choose(rng, _PE_ART, int(m.sum())),
                              _choose(rng, subjects, int(m.sum())))
    backbone = np.where(is_backbone,
                        _choose(rng, (["county", "city", "province", "national"],
                                      [0.62, 0.3, 0.07, 0.01]), n),
                        _choose(rng, (["none", "school"], [0.8, 0.2]), n))
    title = np.where(is_title,
                     _choose(rng, (["intermediate", "senior_associate", "senior"],
                                   [0.68, 0.29, 0.03]), n),
                     _choose(rng, (["junior", "none"], [0.78, 0.22]), n))
    age = np.clip(np.rint(rng.normal(40.0, 9.0, n)), 22, 59).astype(np.int64)
    years_at = np.minimum(np.floor(rng.exponential(7.0, n)), age - 22).astype(np.int64)
    public_compulsory = rows.join(
        schools.select("school_id", "ownership", "school_type"), on="school_id", how="left",
        maintain_order="left").select(
        (pl.col("ownership") == "public")
        & pl.col("school_type").is_in(["primary", "teaching_point", "junior", "nine_year",
                                       "complete_secondary", "twelve_year"])
        & pl.col("stage").is_in(["primary", "junior"]))[:, 0].to_numpy()
    # 交流轮岗: public compulsory teachers six years or more at one school, not near retirement.
    eligible = public_compulsory & (years_at >= 6) & (age <= 55)

    return pl.DataFrame({
        "year": np.full(n, year),
        "teacher_id": rows.select(pl.format("T{}-{}", pl.col("school_id"),
                                            (pl.col("seq") + 1).cast(pl.Utf8).str.zfill(3)))[:, 0],
        "school_id": rows["school_id"],
        "stage": stage,
        "subject": subject.astype(str),
        "degree": degree.astype(str),
        "title": title,
        "backbone_level": backbone,
        "years_at_school": years_at,
        "birth_year": year - age,
        "is_certified": is_certified,
        "is_rotation_eligible": eligible,
    })
