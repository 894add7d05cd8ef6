"""The finance checks of policy measures 18–20 and the funding norms, per county and for the city.

Every figure is computed as column expressions over all counties (and all schools, sections
and transfers) at once; only the verdict sentences are formatted per county. Money is compared
in 分 (rounded to 0.01 元), so "a drop of 1 元 fails" and "equal passes" hold exactly, and float
noise in a per-student division never decides a verdict.

A check is ``not_reported`` when a table or figure it needs is missing (the sentence says which);
``no_rule`` when no rule is in force for the year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.finance.norms import FinanceRules, finance_rules
from junheng.standards.loader import DatedValue

Status = Literal["passed", "failed", "not_reported", "no_rule"]
COMPULSORY = ("primary", "junior")
NOT_REPORTED_EN = "not reported"


@dataclass(frozen=True)
class CheckResult:
    """One verdict with everything a reader needs to trust it."""

    id: str
    label: str
    status: Status
    text_zh: str
    value: float | None = None
    previous: float | None = None
    limit: float | None = None
    unit: str = "元"
    source: str | None = None
    clause: str | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        return {"passed": True, "failed": False}.get(self.status)

    @property
    def against_previous(self) -> bool:
        """The two 不降低 checks compare with last year's figure; the others with a limit."""
        return self.id in ("budget_not_decreasing", "per_student_not_decreasing")

    @property
    def reference(self) -> float | None:
        """What the value is compared with: last year's figure or the limit."""
        return self.previous if self.against_previous else self.limit

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "passed": self.passed,
                               "status": self.status, "value": self.value}
        if self.against_previous:
            out["previous"] = self.previous
        else:
            out["limit"] = self.limit
        out.update({"unit": self.unit, "source": self.source, "clause": self.clause,
                    "text_zh": self.text_zh, "figures": dict(self.figures)})
        return out


@dataclass(frozen=True)
class AreaResult:
    """The checks of one county, or of the city as a whole."""

    code: str
    name: str
    checks: tuple[CheckResult, ...]

    def check(self, check_id: str) -> CheckResult:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)


@dataclass(frozen=True)
class FinanceResult:
    year: int
    rules_id: str
    counties: tuple[AreaResult, ...]
    city: AreaResult | None
    trend: pl.DataFrame  # year, code, edu_budget_yuan, students, per_student_yuan, pay columns
    flows: pl.DataFrame  # transfers between schools: required and moved money per school pair

    def to_json(self) -> dict[str, Any]:
        def area(a: AreaResult, key: str) -> dict[str, Any]:
            return {key: a.code, "name": a.name, "checks": [c.to_json() for c in a.checks]}

        return {
            "year": self.year,
            "rules": self.rules_id,
            "counties": [area(a, "county_code") for a in self.counties],
            "city": area(self.city, "code") if self.city is not None else None,
            "trend": self.trend.to_dicts(),
            "flows": self.flows.to_dicts(),
        }


# --- formatting -----------------------------------------------------------------------------

def yuan(v: float) -> str:
    """An amount as a finance bureau writes it: thousands separators, 分 only when present."""
    r = round(v, 2)
    return f"{r:,.0f}元" if r == round(r) else f"{r:,.2f}元"


def _cite(rule: DatedValue) -> str:
    return f"{rule.source}{(' ' + rule.clause) if rule.clause else ''}"


def _money(expr: pl.Expr) -> pl.Expr:
    return expr.round(2)


# --- inputs ---------------------------------------------------------------------------------

def _has(ds: Dataset, table: str) -> bool:
    return table in ds and ds.table(table).height > 0


def _section_students(ds: Dataset) -> pl.DataFrame:
    """Students per county and year from the sections (fallback when finance lacks them)."""
    if not (_has(ds, "sections") and _has(ds, "schools")):
        return pl.DataFrame(schema={"county_code": pl.Utf8, "year": pl.Int64,
                                    "section_students": pl.Int64})
    return (ds.table("sections").join(ds.table("schools").select("school_id", "county_code"),
                                    on="school_id", how="inner")
            .group_by("county_code", "year")
            .agg(pl.col("students").sum().alias("section_students")))


def _city_code(counties: pl.DataFrame, finance: pl.DataFrame) -> str | None:
    """The prefecture's own row in ``finance`` (code = county prefix + 00), when reported."""
    if counties.height == 0:
        return None
    prefixes = counties["county_code"].str.slice(0, 4).unique().to_list()
    if len(prefixes) != 1:
        return None
    code = f"{prefixes[0]}00"
    if code in counties["county_code"].to_list():
        return None
    return code if finance.filter(pl.col("county_code") == code).height else None


def trend_frame(ds: Dataset, codes: list[str]) -> pl.DataFrame:
    """Every year's budget, students, per-student spend and pay for ``codes`` (chart data)."""
    fin = ds.table("finance").filter(pl.col("county_code").is_in(codes))
    sec = _section_students(ds)
    return (fin.join(sec, on=["county_code", "year"], how="left")
            .with_columns(pl.coalesce("students", "section_students").alias("students"))
            .with_columns(_money(pl.col("edu_budget_yuan") / pl.col("students"))
                          .alias("per_student_yuan"))
            .select(pl.col("county_code").alias("code"), "year", "edu_budget_yuan", "students",
                    "per_student_yuan", "teacher_avg_pay_yuan", "civil_servant_avg_pay_yuan",
                    "public_funds_yuan")
            .sort("code", "year"))


# --- check builders (vectorised figures, then one sentence per area) ------------------------

def _not_decreasing(frame: pl.DataFrame, year: int, check_id: str, rule: DatedValue | None,
                    label: str, unit: str, what: str) -> dict[str, CheckResult]:
    """``frame``: code, cur, prev (rounded money) → one result per code."""
    out: dict[str, CheckResult] = {}
    if rule is None:
        for code in frame["code"].to_list():
            out[code] = CheckResult(check_id, label, "no_rule",
                                    f"{year}年无适用规则 / no rule in force", unit=unit)
        return out
    allowed = float(rule.value)
    judged = frame.with_columns(
        (pl.col("cur") - pl.col("prev")).round(2).alias("change"),
        (pl.col("cur") >= pl.col("prev") - allowed).alias("ok"))
    for code, cur, prev, change, ok in judged.select(
            "code", "cur", "prev", "change", "ok").iter_rows():
        if cur is None or prev is None:
            missing = "、".join(str(y) for y, v in ((year - 1, prev), (year, cur)) if v is None)
            text = (f"{missing}年{what}未报送，无法比较 / {NOT_REPORTED_EN}")
            out[code] = CheckResult(check_id, label, "not_reported", text, cur, prev,
                                    unit=unit, source=rule.source, clause=rule.clause)
            continue
        fmt = yuan if unit == "元" else (lambda v: yuan(v).removesuffix("元") + "元/生")
        if ok:
            verb = "持平" if change == 0 else f"增加{fmt(change)}"
            text = (f"{year}年{what}为{fmt(cur)}，比上年（{fmt(prev)}）{verb}，"
                    f"符合“逐年只增不减”的要求（{_cite(rule)}）。")
        else:
            text = (f"{year}年{what}为{fmt(cur)}，比上年（{fmt(prev)}）减少{fmt(-change)}，"
                    f"未达到“逐年只增不减”的要求（{_cite(rule)}）。")
        out[code] = CheckResult(check_id, label, "passed" if ok else "failed", text, cur, prev,
                                unit=unit, source=rule.source, clause=rule.clause,
                                figures={"change": change})
    return out


def _pay_parity(frame: pl.DataFrame, year: int, rule: DatedValue | None,
                label: str) -> dict[str, CheckResult]:
    """``frame``: code, teacher, civil (rounded money), pay_source."""
    out: dict[str, CheckResult] = {}
    cid = "teacher_pay_parity"
    for code, teacher, civil, src in frame.select(
            "code", "teacher", "civil", "pay_source").iter_rows():
        if rule is None:
            out[code] = CheckResult(cid, label, "no_rule", f"{year}年无适用规则 / no rule in force")
            continue
        if teacher is None or civil is None:
            missing = "、".join(w for w, v in (("教师平均工资收入", teacher),
                                              ("当地公务员平均工资收入", civil)) if v is None)
            out[code] = CheckResult(cid, label, "not_reported",
                                    f"{year}年{missing}未报送 / {NOT_REPORTED_EN}", teacher,
                                    limit=civil, source=rule.source, clause=rule.clause)
            continue
        gap = round(teacher - civil, 2)
        ok = teacher >= civil - float(rule.value)
        if ok:
            text = (f"{year}年义务教育教师平均工资收入{yuan(teacher)}，当地公务员平均工资收入"
                    f"{yuan(civil)}，教师{'与公务员持平' if gap == 0 else '高出' + yuan(gap)}，"
                    f"符合“不低于当地公务员平均工资收入水平”的要求（{_cite(rule)}）。")
        else:
            text = (f"{year}年义务教育教师平均工资收入{yuan(teacher)}，低于当地公务员平均工资收入"
                    f"{yuan(civil)}，差{yuan(-gap)}，未落实“不低于当地公务员平均工资收入水平”"
                    f"的要求（{_cite(rule)}）。")
        out[code] = CheckResult(cid, label, "passed" if ok else "failed", text, teacher,
                                limit=civil, source=rule.source, clause=rule.clause,
                                figures={"difference": gap, "pay_source": src})
    return out


def public_funds_required(ds: Dataset, year: int, rates: Mapping[str, float],
                          floor: Mapping[str, Any]) -> pl.DataFrame:
    """The 公用经费 each county's public compulsory schools are owed under the norms.

    Per section: students (small village schools and teaching points funded as ``min_students``)
    × the stage rate (special schools at the special rate) + the boarding extra for boarding
    schools (the format records boarding per school, so every student of a boarding school is
    counted as boarding); 随班就读 disabled students on the roll add the difference up to the
    special-education rate. One row per county."""
    schools = ds.table("schools").filter(pl.col("ownership") == "public").select(
        "school_id", "county_code", "school_type", "locale", "is_boarding")
    sec = (ds.table("sections").filter((pl.col("year") == year)
                                     & pl.col("stage").is_in(list(COMPULSORY)))
           .join(schools, on="school_id", how="inner"))
    sec = sec.with_columns(pl.col("students").sum().over("school_id").alias("school_students"))
    small = (pl.col("school_type").is_in(list(floor["school_types"]))
             & pl.col("locale").is_in(list(floor["locales"]))
             & (pl.col("school_students") > 0)
             & (pl.col("school_students") < int(floor["min_students"])))
    special = pl.col("school_type") == "special"
    rate = (pl.when(special).then(pl.lit(float(rates["special"])))
            .when(pl.col("stage") == "primary").then(pl.lit(float(rates["primary"])))
            .otherwise(pl.lit(float(rates["junior"]))))
    # A small school's floor applies to the school: its sections share the 100 in proportion.
    funded = (pl.when(small).then(pl.col("students") * int(floor["min_students"])
                                  / pl.col("school_students"))
              .otherwise(pl.col("students")))
    boarding = pl.col("is_boarding").fill_null(False)
    sec = sec.with_columns(
        funded.alias("funded_students"),
        (funded * (rate + pl.when(boarding).then(float(rates["boarding_extra"])).otherwise(0.0))
         ).alias("required_yuan"),
        small.alias("is_small"))
    per_county = sec.group_by("county_code").agg(
        pl.col("required_yuan").sum(),
        pl.col("students").sum().alias("students"),
        pl.col("funded_students").sum().round(0).cast(pl.Int64).alias("funded_students"),
        pl.col("school_id").filter(pl.col("is_small")).n_unique().alias("small_schools"),
        pl.col("students").filter(special).sum().alias("special_students"),
        pl.col("students").filter(boarding).sum().alias("boarding_students"),
    )
    if _has(ds, "students"):
        disabled = (ds.table("students")
                    .filter((pl.col("year") == year) & pl.col("is_disabled").fill_null(False)
                            & (pl.col("disability_placement") == "regular_class"))
                    .join(schools.filter(pl.col("school_type") != "special"),
                          on="school_id", how="inner")
                    .with_columns(pl.when(pl.col("grade").fill_null(1) <= 6)
                                  .then(float(rates["primary"]))
                                  .otherwise(float(rates["junior"])).alias("base"))
                    .group_by("county_code")
                    .agg(pl.len().cast(pl.Int64).alias("disabled_regular_class"),
                         (float(rates["disabled_regular_class"]) - pl.col("base")).clip(0).sum()
                         .alias("disabled_extra_yuan")))
        per_county = (per_county.join(disabled, on="county_code", how="left")
                      .with_columns(pl.col("disabled_regular_class").fill_null(0),
                                    pl.col("disabled_extra_yuan").fill_null(0.0)))
    else:
        per_county = per_county.with_columns(pl.lit(0, pl.Int64).alias("disabled_regular_class"),
                                             pl.lit(0.0).alias("disabled_extra_yuan"))
    return per_county.with_columns(
        _money(pl.col("required_yuan") + pl.col("disabled_extra_yuan")).alias("required_yuan"))


def transfer_flows(ds: Dataset, year: int, rates: Mapping[str, float],
                   programs: list[str]) -> pl.DataFrame:
    """Per transfer of a compulsory-school student between two schools: what must move (the
    destination's 公用经费 rate with the boarding extra, plus the student's 两免一补 award) and
    what moved; then summed per pair of schools. Sending county = the county that must pay."""
    schools = ds.table("schools").select("school_id", "county_code", "school_type", "is_boarding")
    tr = (ds.table("transfers")
          .filter((pl.col("year") == year) & pl.col("from_school_id").is_not_null()
                  & pl.col("to_school_id").is_not_null()
                  & (pl.col("from_school_id") != pl.col("to_school_id")))
          .join(schools.select("school_id", pl.col("county_code").alias("from_county")),
                left_on="from_school_id", right_on="school_id", how="inner")
          .join(schools.rename({"county_code": "to_county", "school_type": "to_type",
                                "is_boarding": "to_boarding"}),
                left_on="to_school_id", right_on="school_id", how="inner"))
    by_type = (pl.when(pl.col("to_type").is_in(["primary", "teaching_point", "nine_year",
                                                "special"])).then(pl.lit("primary"))
               .when(pl.col("to_type").is_in(["junior", "complete_secondary", "twelve_year"]))
               .then(pl.lit("junior"))
               .otherwise(pl.lit(None, pl.Utf8)))
    if _has(ds, "students"):
        grades = (ds.table("students").filter(pl.col("year") == year)
                  .select("student_id", "grade").unique("student_id", keep="first"))
        tr = tr.join(grades, on="student_id", how="left")
    else:
        tr = tr.with_columns(pl.lit(None, pl.Int64).alias("grade"))
    stage = (pl.when(pl.col("grade").is_between(1, 6)).then(pl.lit("primary"))
             .when(pl.col("grade").is_between(7, 9)).then(pl.lit("junior"))
             .when(pl.col("grade").is_null()).then(by_type)
             .otherwise(pl.lit(None, pl.Utf8)))
    tr = tr.with_columns(stage.alias("stage")).filter(pl.col("stage").is_in(list(COMPULSORY)))
    if _has(ds, "aid_awards"):
        awards = (ds.table("aid_awards")
                  .filter((pl.col("year") == year) & pl.col("program").is_in(programs))
                  .group_by("student_id").agg(pl.col("amount_yuan").fill_null(0.0).sum()
                                              .alias("aid_yuan")))
        tr = tr.join(awards, on="student_id", how="left")
    else:
        tr = tr.with_columns(pl.lit(None, pl.Float64).alias("aid_yuan"))
    rate = (pl.when(pl.col("to_type") == "special").then(float(rates["special"]))
            .when(pl.col("stage") == "primary").then(float(rates["primary"]))
            .otherwise(float(rates["junior"])))
    tr = tr.with_columns(
        _money(rate + pl.when(pl.col("to_boarding").fill_null(False))
               .then(float(rates["boarding_extra"])).otherwise(0.0)
               + pl.col("aid_yuan").fill_null(0.0)).alias("required_yuan"),
        _money(pl.col("funds_moved_yuan").fill_null(0.0)).alias("moved_yuan"),
        pl.col("funds_moved_yuan").is_not_null().alias("reported"))
    tr = tr.with_columns((pl.col("moved_yuan") < pl.col("required_yuan")).alias("short"))
    return (tr.group_by("from_county", "to_county", "from_school_id", "to_school_id")
            .agg(pl.len().cast(pl.Int64).alias("transfers"),
                 pl.col("reported").sum().cast(pl.Int64).alias("reported"),
                 pl.col("required_yuan").sum().round(2),
                 pl.col("moved_yuan").sum().round(2),
                 pl.col("short").sum().cast(pl.Int64).alias("short_transfers"),
                 (pl.col("required_yuan") - pl.col("moved_yuan")).clip(0).sum().round(2)
                 .alias("shortfall_yuan"))
            .sort("from_county", "to_county", "from_school_id", "to_school_id"))


def _flows_check(flows: pl.DataFrame | None, codes: list[str], year: int,
                 rule: DatedValue | None, label: str, why_missing: str
                 ) -> dict[str, CheckResult]:
    cid = "funds_follow_students"
    out: dict[str, CheckResult] = {}
    if rule is None:
        return {c: CheckResult(cid, label, "no_rule", f"{year}年无适用规则 / no rule in force")
                for c in codes}
    if flows is None:
        return {c: CheckResult(cid, label, "not_reported", why_missing, source=rule.source,
                               clause=rule.clause) for c in codes}
    sums = (pl.DataFrame({"from_county": codes})
            .join(flows.group_by("from_county").agg(
                pl.col("transfers", "reported", "short_transfers").sum(),
                pl.col("required_yuan", "moved_yuan", "shortfall_yuan").sum().round(2),
                pl.col("to_county").filter(pl.col("to_county") != pl.col("from_county"))
                .n_unique().alias("to_counties")), on="from_county", how="left")
            .fill_null(0))
    for code, n, reported, short, req, moved, gap, n_other in sums.select(
            "from_county", "transfers", "reported", "short_transfers", "required_yuan",
            "moved_yuan", "shortfall_yuan", "to_counties").iter_rows():
        figures = {"transfers": n, "short_transfers": short, "shortfall_yuan": gap,
                   "to_other_counties": n_other}
        if n == 0:
            out[code] = CheckResult(cid, label, "passed", f"{year}年无转出学生，无需划转经费。",
                                    0.0, limit=0.0, source=rule.source, clause=rule.clause,
                                    figures=figures)
            continue
        if reported == 0:
            out[code] = CheckResult(
                cid, label, "not_reported",
                f"{year}年转出学生{n}人，应随学籍划转{yuan(req)}，但随学籍划转经费未报送 / "
                f"{NOT_REPORTED_EN}", None, limit=req, source=rule.source, clause=rule.clause,
                figures=figures)
            continue
        head = (f"{year}年转出学生{n}人，应随学籍划转“两免一补”和生均公用经费{yuan(req)}，"
                f"已划转{yuan(moved)}")
        if short == 0:
            text = f"{head}，均已足额划转，符合“资金随学生学籍流动”的要求（{_cite(rule)}）。"
        else:
            text = (f"{head}；其中{short}人的经费未足额划转，差额{yuan(gap)}，未落实"
                    f"“资金随学生学籍流动”的要求（{_cite(rule)}）。")
        out[code] = CheckResult(cid, label, "passed" if short == 0 else "failed", text, moved,
                                limit=req, source=rule.source, clause=rule.clause,
                                figures=figures)
    return out


def _funds_norm_check(frame: pl.DataFrame, year: int, rule: DatedValue | None, label: str,
                      why_missing: str | None) -> dict[str, CheckResult]:
    """``frame``: code, allocated, required_yuan and the figures of ``public_funds_required``."""
    cid = "public_funds_norm"
    out: dict[str, CheckResult] = {}
    fig_cols = ["funded_students", "small_schools", "special_students", "boarding_students",
                "disabled_regular_class"]
    for row in frame.iter_rows(named=True):
        code = row["code"]
        if rule is None:
            out[code] = CheckResult(cid, label, "no_rule", f"{year}年无适用规则 / no rule in force")
            continue
        if why_missing is not None or row["allocated"] is None or row["required_yuan"] is None:
            reason = why_missing or (f"{year}年义务教育公用经费拨付额未报送"
                                     if row["allocated"] is None
                                     else f"{year}年本区县公办义务教育学校学段情况未报送")
            out[code] = CheckResult(cid, label, "not_reported",
                                    f"{reason} / {NOT_REPORTED_EN}", row["allocated"],
                                    limit=row["required_yuan"], source=rule.source,
                                    clause=rule.clause)
            continue
        allocated, required = row["allocated"], row["required_yuan"]
        ok = allocated >= required
        figures = {k: row[k] for k in fig_cols}
        rates = rule.value
        basis = (f"按小学{rates['primary']:g}元、初中{rates['junior']:g}元、寄宿生另加"
                 f"{rates['boarding_extra']:g}元、特殊教育{rates['special']:g}元、"
                 f"不足100人的村小和教学点按100人核定")
        if ok:
            text = (f"{year}年义务教育公用经费拨付{yuan(allocated)}，{basis}应不低于"
                    f"{yuan(required)}，已达到生均公用经费基准定额（{_cite(rule)}）。")
        else:
            text = (f"{year}年义务教育公用经费拨付{yuan(allocated)}，{basis}应不低于"
                    f"{yuan(required)}，差{yuan(required - allocated)}，未达到生均公用经费"
                    f"基准定额（{_cite(rule)}）。")
        out[code] = CheckResult(cid, label, "passed" if ok else "failed", text, allocated,
                                limit=required, source=rule.source, clause=rule.clause,
                                figures=figures)
    return out


def _city_roll_up(check_id: str, label: str, year: int, parts: list[CheckResult],
                  rule: DatedValue | None) -> CheckResult:
    """A city verdict from the counties' when the city has no figure of its own: passed only
    when every county reported and passed (a sum would let one county's surplus hide
    another's gap)."""
    if rule is None:
        return CheckResult(check_id, label, "no_rule", f"{year}年无适用规则 / no rule in force")
    failed = [p for p in parts if p.status == "failed"]
    missing = [p for p in parts if p.status == "not_reported"]
    value = sum(p.value or 0.0 for p in parts if p.value is not None)
    limit = sum(p.limit or 0.0 for p in parts if p.limit is not None)
    figures = {"counties_failed": len(failed), "counties_not_reported": len(missing),
               "counties": len(parts)}
    if failed:
        status: Status = "failed"
        text = (f"{year}年全市{len(parts)}个区县中{len(failed)}个未达到要求"
                f"（{_cite(rule)}），详见各区县。")
    elif missing:
        status = "not_reported"
        text = f"{year}年全市有{len(missing)}个区县未报送 / {NOT_REPORTED_EN}"
    else:
        status = "passed"
        text = f"{year}年全市{len(parts)}个区县均达到要求（{_cite(rule)}）。"
    return CheckResult(check_id, label, status, text, round(value, 2), limit=round(limit, 2),
                       source=rule.source, clause=rule.clause, figures=figures)


# --- the evaluation -------------------------------------------------------------------------

def evaluate_finance(ds: Dataset, year: int, county: str | None = None,
                     rules: FinanceRules | None = None) -> FinanceResult:
    """Judge every county (or ``county``) and, without ``county``, the city as a whole."""
    rules = rules or finance_rules()
    day = dt.date(year, 12, 31)
    labels = {cid: zh for cid, (zh, _en) in rules.labels.items()}
    counties = ds.table("counties").sort("county_code")
    if county is not None:
        counties = counties.filter(pl.col("county_code") == county)
        if counties.height == 0:
            raise KeyError(f"未知的区县 / unknown county: {county}")
    codes = counties["county_code"].to_list()
    names = dict(counties.select("county_code", "county_name").iter_rows())
    finance = ds.table("finance")
    city_code = _city_code(ds.table("counties"), finance) if county is None else None
    area_codes = codes + ([city_code] if city_code else [])
    pref = counties["prefecture_name"].drop_nulls()
    city_name = pref[0] if pref.len() else "全市"

    # One frame of every area's figures for the year and the year before.
    fin = finance.filter(pl.col("year").is_in([year - 1, year]))
    sec = _section_students(ds)
    fin = (fin.join(sec, on=["county_code", "year"], how="left")
           .with_columns(pl.coalesce("students", "section_students").alias("students_used")))
    base = pl.DataFrame({"code": area_codes}, schema={"code": pl.Utf8})

    def year_cols(y: int, suffix: str) -> pl.DataFrame:
        return (fin.filter(pl.col("year") == y)
                .select(pl.col("county_code").alias("code"),
                        _money(pl.col("edu_budget_yuan")).alias(f"budget{suffix}"),
                        _money(pl.col("edu_budget_yuan") / pl.col("students_used"))
                        .alias(f"per{suffix}"),
                        _money(pl.col("teacher_avg_pay_yuan")).alias(f"teacher{suffix}"),
                        _money(pl.col("civil_servant_avg_pay_yuan")).alias(f"civil{suffix}"),
                        _money(pl.col("public_funds_yuan")).alias(f"allocated{suffix}")))

    wide = (base.join(year_cols(year, ""), on="code", how="left")
            .join(year_cols(year - 1, "_prev"), on="code", how="left"))
    # Pay may come from the county facts of the evaluation standards when finance lacks it.
    if _has(ds, "county_facts"):
        facts = (ds.table("county_facts").filter(pl.col("year") == year)
                 .select(pl.col("county_code").alias("code"),
                         _money(pl.col("teacher_avg_pay_yuan")).alias("teacher_facts"),
                         _money(pl.col("civil_servant_avg_pay_yuan")).alias("civil_facts")))
        wide = wide.join(facts, on="code", how="left")
    else:
        wide = wide.with_columns(pl.lit(None, pl.Float64).alias("teacher_facts"),
                                 pl.lit(None, pl.Float64).alias("civil_facts"))
    from_finance = pl.col("teacher").is_not_null() & pl.col("civil").is_not_null()
    wide = wide.with_columns(
        pl.when(from_finance).then(pl.lit("finance")).otherwise(pl.lit("county_facts"))
        .alias("pay_source"),
        pl.when(from_finance).then(pl.col("teacher")).otherwise(pl.col("teacher_facts"))
        .alias("teacher"),
        pl.when(from_finance).then(pl.col("civil")).otherwise(pl.col("civil_facts"))
        .alias("civil"))

    r_budget = rules.at("budget_not_decreasing", day)
    r_per = rules.at("per_student_not_decreasing", day)
    r_pay = rules.at("teacher_pay_parity", day)
    r_rates = rules.at("public_funds_rates", day)
    r_floor = rules.at("small_school_floor", day)
    r_follow = rules.at("funds_follow_students", day)

    budget = _not_decreasing(wide.select("code", pl.col("budget").alias("cur"),
                                         pl.col("budget_prev").alias("prev")),
                             year, "budget_not_decreasing", r_budget,
                             labels["budget_not_decreasing"], "元", "一般公共预算教育支出")
    per = _not_decreasing(wide.select("code", pl.col("per").alias("cur"),
                                      pl.col("per_prev").alias("prev")),
                          year, "per_student_not_decreasing", r_per,
                          labels["per_student_not_decreasing"], "元/生",
                          "按在校学生人数平均的一般公共预算教育支出")
    pay = _pay_parity(wide, year, r_pay, labels["teacher_pay_parity"])

    funds_label = labels["public_funds_norm"]
    why_funds: str | None = None
    if not (_has(ds, "sections") and _has(ds, "schools")):
        why_funds = "学段情况 (sections) 或学校 (schools) 未报送，无法核定应拨公用经费"
    if r_rates is not None and r_floor is not None and why_funds is None:
        req = public_funds_required(ds, year, r_rates.value, r_floor.value)
        funds_frame = (base.join(wide.select("code", "allocated"), on="code", how="left")
                       .join(req.rename({"county_code": "code"}), on="code", how="left"))
    else:
        funds_frame = base.join(wide.select("code", "allocated"), on="code", how="left")
        for c in ("required_yuan", "funded_students", "small_schools", "special_students",
                  "boarding_students", "disabled_regular_class"):
            funds_frame = funds_frame.with_columns(pl.lit(None, pl.Float64).alias(c))
    funds = _funds_norm_check(funds_frame.filter(pl.col("code").is_in(codes)), year,
                              r_rates if r_floor is not None else None, funds_label, why_funds)

    follow_label = labels["funds_follow_students"]
    if r_rates is not None and r_follow is not None and _has(ds, "transfers") and _has(
            ds, "schools"):
        flows: pl.DataFrame | None = transfer_flows(ds, year, r_rates.value,
                                                    list(r_follow.value["programs"]))
        why_follow = ""
    else:
        flows = None
        why_follow = (f"学籍变动 (transfers) 未报送，无法核对经费随学籍流动 / {NOT_REPORTED_EN}"
                      if not _has(ds, "transfers") else
                      f"学校 (schools) 未报送 / {NOT_REPORTED_EN}")
    follow = _flows_check(flows, codes, year, r_follow, follow_label, why_follow)

    results = tuple(
        AreaResult(code, names.get(code, code),
                   (budget[code], per[code], pay[code], funds[code], follow[code]))
        for code in codes)

    city: AreaResult | None = None
    if county is None:
        def roll(cid: str, label: str, rule: DatedValue | None) -> CheckResult:
            return _city_roll_up(cid, label, year, [a.check(cid) for a in results], rule)

        if city_code is not None:
            # The prefecture reports its own budget (city bureau and city schools included).
            city_budget, city_per = budget[city_code], per[city_code]
            city_pay = pay[city_code]
        else:
            city_budget = _not_decreasing(
                _sum_frame(wide, codes, "budget"), year, "budget_not_decreasing", r_budget,
                labels["budget_not_decreasing"], "元", "全市一般公共预算教育支出")["city"]
            city_per = roll("per_student_not_decreasing", labels["per_student_not_decreasing"],
                            r_per)
            city_pay = roll("teacher_pay_parity", labels["teacher_pay_parity"], r_pay)
        city = AreaResult(city_code or "city", city_name, (
            city_budget, city_per, city_pay,
            roll("public_funds_norm", funds_label, r_rates),
            roll("funds_follow_students", follow_label, r_follow)))

    empty_flows = pl.DataFrame(schema={
        "from_county": pl.Utf8, "to_county": pl.Utf8, "from_school_id": pl.Utf8,
        "to_school_id": pl.Utf8, "transfers": pl.Int64, "reported": pl.Int64,
        "required_yuan": pl.Float64, "moved_yuan": pl.Float64, "short_transfers": pl.Int64,
        "shortfall_yuan": pl.Float64})
    shown = flows if flows is not None else empty_flows
    if county is not None:
        shown = shown.filter((pl.col("from_county") == county) | (pl.col("to_county") == county))
    return FinanceResult(year, rules.id, results, city, trend_frame(ds, area_codes), shown)


def _sum_frame(wide: pl.DataFrame, codes: list[str], col: str) -> pl.DataFrame:
    """The counties' sum as one row "city"; null when any county is missing the figure."""
    part = wide.filter(pl.col("code").is_in(codes))

    def total(c: str) -> pl.Expr:
        return pl.when(pl.col(c).null_count() == 0).then(pl.col(c).sum().round(2))

    return part.select(pl.lit("city").alias("code"), total(col).alias("cur"),
                       total(f"{col}_prev").alias("prev"))
