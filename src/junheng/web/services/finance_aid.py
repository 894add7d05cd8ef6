"""Finance guarantees and student aid for the web pages: the core's results, cached per data
version, cut to a county or a school, with personal columns masked unless asked otherwise.

Reviews of doubtful matches (same 身份证号, different name) are events in the audit log
(action ``aid_review``); the latest decision per match wins, and rejected matches are left out
of the aid evaluation. The audit log is the record a supervisor checks anyway, so there is no
second table that could disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from junheng.aid.eligibility import AidResult, evaluate_aid
from junheng.domain.masking import mask_frame
from junheng.finance.checks import FinanceResult, evaluate_finance
from junheng.web import models
from junheng.web.services.data import DataService

REVIEW_ACTION = "aid_review"
Decision = Literal["confirm", "reject"]
DECISIONS: tuple[Decision, ...] = ("confirm", "reject")
# Columns of the roll shown next to a match or a gap: masked unless the viewer may unmask.
PERSON_COLUMNS = ("name", "resident_id", "birth_date")


def finance_years(svc: DataService) -> list[int]:
    fin = svc.dataset().table("finance")
    return sorted(fin["year"].unique().to_list()) if fin.height else []


def finance_result(svc: DataService, year: int) -> FinanceResult:
    return svc.memo(("finance", year), lambda: evaluate_finance(svc.dataset(), year))


def chart_series(result: FinanceResult, code: str) -> dict[str, Any]:
    """The trend of one county (or the city row) for the charts: plain numbers only."""
    tr = result.trend.filter(pl.col("code") == code).sort("year")
    return {"years": tr["year"].to_list(),
            "budget": tr["edu_budget_yuan"].to_list(),
            "per_student": tr["per_student_yuan"].to_list(),
            "teacher_pay": tr["teacher_avg_pay_yuan"].to_list(),
            "civil_pay": tr["civil_servant_avg_pay_yuan"].to_list(),
            "public_funds": tr["public_funds_yuan"].to_list()}


# --- reviews --------------------------------------------------------------------------------

def review_key(year: int, student_id: str, source: str, category: str) -> str:
    return f"aid:{year}:{student_id}:{source}:{category}"


class ReviewDetail(BaseModel):
    """The audit log's detail of a review: written by the review form, read back here."""

    year: int
    decision: Decision


@dataclass(frozen=True)
class CountyAid:
    """One county's aid page: coverage by school, the county's total, the review queue (with
    decisions taken), the gap list and the programs in force."""

    year: int
    coverage: list[dict[str, Any]]
    total: dict[str, Any] | None
    queue: list[dict[str, Any]]
    gap: list[dict[str, Any]]
    programs: dict[str, dict[str, Any]]
    unmasked: bool

    @property
    def people(self) -> int:
        """How many rows name a pupil (what the audit log records)."""
        return len(self.queue) + len(self.gap)


@dataclass(frozen=True)
class SchoolAid:
    """One school's aid page: its matched lists, gap list and coverage."""

    year: int
    matches: list[dict[str, Any]]
    gap: list[dict[str, Any]]
    coverage: dict[str, Any] | None
    programs: dict[str, dict[str, Any]]
    unmasked: bool

    @property
    def people(self) -> int:
        return len(self.matches) + len(self.gap)


def decisions(engine: Engine, year: int) -> pl.DataFrame:
    """The latest decision per reviewed match of ``year``: student_id, source, category,
    decision, who (the reviewer's display name; the account name only when the account has
    none or is gone). The name is joined in the same query, not looked up per row."""
    a, u = models.audit_log, models.users
    who = func.coalesce(func.nullif(u.c.display_name, ""), a.c.username).label("who")
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.c.target, a.c.detail, who)
            .outerjoin(u, u.c.id == a.c.user_id)
            .where(a.c.action == REVIEW_ACTION, a.c.target.like(f"aid:{year}:%"))
            .order_by(a.c.id)).all()
    latest: dict[str, tuple[str, str | None]] = {}
    for target, detail, name in rows:  # reviews are few: one per doubtful match
        try:
            review = ReviewDetail.model_validate_json(detail or "{}")
        except ValidationError:  # not a decision this version knows: no decision taken
            continue
        latest[target] = (review.decision, name)
    recs = []
    for target, (decision, name) in latest.items():
        _aid, _y, sid, source, category = target.split(":", 4)
        recs.append({"student_id": sid, "source": source, "category": category,
                     "decision": decision, "who": name})
    return pl.DataFrame(recs, schema={"student_id": pl.Utf8, "source": pl.Utf8,
                                      "category": pl.Utf8, "decision": pl.Utf8,
                                      "who": pl.Utf8})


def aid_result(svc: DataService, engine: Engine, year: int) -> tuple[AidResult, pl.DataFrame]:
    """The aid evaluation with rejected matches left out, and the decisions taken."""
    dec = decisions(engine, year)
    rejected = dec.filter(pl.col("decision") == "reject")
    key = ("aid", year, tuple(sorted(rejected.select("student_id", "source", "category")
                                     .iter_rows())))
    return svc.memo(key, lambda: evaluate_aid(svc.dataset(), year, rejected=rejected)), dec


def _people(svc: DataService, year: int, unmask: bool) -> pl.DataFrame:
    roll = (svc.dataset().table("students").filter(pl.col("year") == year)
            .select("student_id", *PERSON_COLUMNS).unique("student_id", keep="first"))
    return roll if unmask else mask_frame("students", roll)


def _list_people(svc: DataService, year: int, unmask: bool) -> pl.DataFrame:
    lists = (svc.dataset().table("aid_lists").filter(pl.col("year") == year)
             .with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
             .select("row", pl.col("name").alias("list_name"),
                     pl.col("resident_id").alias("list_resident_id")))
    if unmask:
        return lists
    masked = mask_frame("aid_lists", lists.rename({"list_name": "name",
                                                   "list_resident_id": "resident_id"}))
    return masked.rename({"name": "list_name", "resident_id": "list_resident_id"})


def county_name(svc: DataService, code: str) -> str:
    """The county's name as every page gives it (views.county_names), or not found."""
    from junheng.web.services.views import NotFound, county_names

    names = county_names(svc)
    if code not in names:
        raise NotFound(code)
    return names[code]


def is_doubtful(svc: DataService, code: str, year: int, student_id: str, source: str,
                category: str) -> bool:
    """A match under review of one of ``code``'s schools (judged on the stored data)."""
    m = evaluate_aid_matches_unfiltered(svc, year).filter(
        (pl.col("student_id") == student_id) & (pl.col("source") == source)
        & (pl.col("category") == category) & pl.col("needs_review")
        & pl.col("school_id").is_in(school_ids_of(svc, code)))
    return m.height > 0


def school_ids_of(svc: DataService, code: str) -> list[str]:
    s = svc.dataset().table("schools")
    return s.filter(pl.col("county_code") == code)["school_id"].to_list()


def county_aid(svc: DataService, engine: Engine, code: str, year: int,
               unmask: bool) -> CountyAid:
    """Coverage by school, the review queue and problem counts of one county."""
    res, dec = aid_result(svc, engine, year)
    schools = svc.dataset().table("schools").select("school_id", "school_name")
    coverage = (res.schools.filter(pl.col("county_code") == code)
                .join(schools, on="school_id", how="left"))
    county_row = res.counties.filter(pl.col("county_code") == code)
    ids = school_ids_of(svc, code)
    queue = (res.match.matches.filter(pl.col("needs_review") & pl.col("school_id").is_in(ids))
             .join(_people(svc, year, unmask), on="student_id", how="left")
             .join(_list_people(svc, year, unmask), on="row", how="left")
             .join(schools, on="school_id", how="left"))
    # Rejected matches are gone from the result; show them with their decision too.
    all_matches = evaluate_aid_matches_unfiltered(svc, year)
    rejected = (all_matches.filter(pl.col("needs_review") & pl.col("school_id").is_in(ids))
                .join(dec.filter(pl.col("decision") == "reject"),
                      on=["student_id", "source", "category"], how="semi")
                .join(_people(svc, year, unmask), on="student_id", how="left")
                .join(_list_people(svc, year, unmask), on="row", how="left")
                .join(schools, on="school_id", how="left"))
    queue = pl.concat([queue, rejected], how="diagonal_relaxed").join(
        dec.select("student_id", "source", "category", "decision", "who"),
        on=["student_id", "source", "category"], how="left")
    gap = (res.not_aided.filter(pl.col("county_code") == code)
           .join(_people(svc, year, unmask), on="student_id", how="left")
           .join(schools, on="school_id", how="left"))
    return CountyAid(year=year, coverage=coverage.to_dicts(),
                     total=county_row.row(0, named=True) if county_row.height else None,
                     queue=queue.to_dicts(), gap=gap.to_dicts(), programs=res.programs,
                     unmasked=unmask)


def evaluate_aid_matches_unfiltered(svc: DataService, year: int) -> pl.DataFrame:
    """Every match before reviews (to show rejected ones with their decision)."""
    def run() -> pl.DataFrame:
        return evaluate_aid(svc.dataset(), year).match.matches
    return svc.memo(("aid-all-matches", year), run)


def school_aid(svc: DataService, engine: Engine, school_id: str, year: int,
               unmask: bool) -> SchoolAid:
    """One school's matched lists and gap list."""
    res, _dec = aid_result(svc, engine, year)
    matches = (res.match.matches.filter(pl.col("school_id") == school_id)
               .join(_people(svc, year, unmask), on="student_id", how="left"))
    gap = (res.not_aided.filter(pl.col("school_id") == school_id)
           .join(_people(svc, year, unmask), on="student_id", how="left"))
    cov = res.schools.filter(pl.col("school_id") == school_id)
    return SchoolAid(year=year, matches=matches.to_dicts(), gap=gap.to_dicts(),
                     coverage=cov.row(0, named=True) if cov.height else None,
                     programs=res.programs, unmasked=unmask)


def aid_years(svc: DataService) -> list[int]:
    st = svc.dataset().table("students")
    return sorted(st["year"].unique().to_list()) if st.height else []
