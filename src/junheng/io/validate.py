"""Validation and typing of a raw dataset, column by column, vectorised.

Each check is a Polars expression over a whole column that flags the bad rows; messages are
built only for the (few) flagged rows. Every problem names file, sheet, row and column, says
what was found and what was expected, and all problems are reported at once (up to a limit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Column, CrossCheck, Limits, Table, registry, unknown_references
from junheng.domain.needs import TableNeeds
from junheng.domain.outline import polygon_ok
from junheng.io.problems import DEFAULT_PROBLEM_LIMIT, Problem, ValidationFailed
from junheng.io.readers import ROW, RawDataset, RawSheet, read_raw
from junheng.reports.safe_cells import restore_expr

TRUE_WORDS = ["是", "true", "yes", "y", "t", "1", "对", "有"]
FALSE_WORDS = ["否", "false", "no", "n", "f", "0", "无", "没有"]

# ISO 7064 MOD 11-2 weights and check characters of the 18-digit 公民身份号码 (GB 11643-1999).
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """The check character of an 18-digit resident id from its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _resident_id_ok(value: str | None) -> bool:
    if value is None or len(value) != 18 or not value[:17].isdigit():
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


# Per column, a sample is enough to see the pattern; the rest of the budget goes to other
# columns and sheets so that one broken column does not hide every other problem.
PER_COLUMN_LIMIT = 50


@dataclass
class _Collector:
    limit: int
    problems: list[Problem]
    truncated: bool = False

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def add_rows(self, sheet: RawSheet, column: str | None, bad: pl.DataFrame,
                 zh: str, en: str, severity: str = "error") -> None:
        """One problem per flagged row; ``zh``/``en`` may use {value}."""
        if bad.height > PER_COLUMN_LIMIT:
            self.truncated = True
            bad = bad.head(PER_COLUMN_LIMIT)
        for row, value in bad.select(ROW, "__value").iter_rows():
            self.add(Problem(sheet.file, sheet.sheet or sheet.table.id, row, column,
                             zh.format(value=value), en.format(value=value), severity))

    def finish(self) -> list[Problem]:
        """At most ``limit`` errors, taken round-robin over sheets so every sheet shows."""
        errors = [p for p in self.problems if p.severity == "error"]
        others = [p for p in self.problems if p.severity != "error"]
        if len(errors) <= self.limit:
            return self.problems
        self.truncated = True
        by_sheet: dict[tuple[str, str | None], list[Problem]] = {}
        for p in errors:
            by_sheet.setdefault((p.file, p.sheet), []).append(p)
        queues = list(by_sheet.values())
        kept: list[Problem] = []
        depth = 0
        while len(kept) < self.limit:
            for q in queues:
                if depth < len(q) and len(kept) < self.limit:
                    kept.append(q[depth])
            depth += 1
        order = {id(p): i for i, p in enumerate(errors)}
        kept.sort(key=lambda p: order[id(p)])
        return others + kept


@dataclass(frozen=True)
class _Check:
    """A row-level check: the rows where ``mask`` is true get the message."""

    column: str
    label: str
    mask: pl.Expr
    zh: str
    en: str
    severity: str = "error"


def _bounds_en(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"{col.min:g} to {col.max:g}"
    if col.min is not None:
        return f"at least {col.min:g}"
    return f"at most {col.max:g}" if col.max is not None else "any size"


def _num_col(col_id: str) -> str:
    return f"__num_{col_id}"


def _num_text(col_id: str) -> pl.Expr:
    # Clerks type thousands separators ("1,200") and stray spaces; neither changes the number.
    return pl.col(col_id).str.replace_all(r"[,，\s]", "")


def _type_column(col: Column, checks: list[_Check], is_number: bool = False) -> pl.Expr:
    """Queue the checks of one column and return the expression that types it.
    ``is_number``: the column is already a number (read typed), so only its bounds are checked."""
    c = col.id
    raw = pl.col(c)
    present = raw.is_not_null()
    label = f"{col.label}({col.id})"

    def flag(mask: pl.Expr, zh: str, en: str) -> None:
        checks.append(_Check(c, label, mask, zh, en))

    if col.required:
        flag(raw.is_null(), "必填项为空", "required value is empty")
    limit = registry().limits.field_chars
    if not is_number:  # a parsed number is at most a few dozen characters
        flag(raw.str.len_chars() > limit,
             f"内容过长：超过 {limit:,} 个字符", f"too long: more than {limit:,} characters")
    if col.type in ("int", "float"):
        num = pl.col(_num_col(c))  # parsed once per sheet in _check_sheet
        if not is_number:
            flag(present & num.is_null(),
                 f"应为数字，实际为“{{value}}”（{col.describe_zh()}）",
                 "expected a number, got '{value}'")
        # "nan", "inf" and "1e400" (which parses as inf) are not figures anyone counted.
        finite = num.is_not_null() & num.is_finite()
        flag(num.is_not_null() & ~finite,
             f"应为有限的数字，实际为“{{value}}”（{col.describe_zh()}）",
             f"expected a finite number, got '{{value}}' ({col.type}, "
             f"{_bounds_en(col)})")
        valid = finite
        if col.type == "int":
            flag(finite & (num != num.floor()),
                 "应为整数，不能有小数：“{value}”",
                 "expected a whole number, got the fraction '{value}'")
        if col.min is not None:
            flag(finite & (num < col.min),
                 "不能为负数：“{value}”" if col.min == 0 else f"不能小于{col.min:g}：“{{value}}”",
                 f"must be at least {col.min:g}, got '{{value}}'")
            valid = valid & (num >= col.min)
        if col.max is not None:
            if col.max == 1 and col.min == 0:
                flag(finite & (num > col.max),
                     "比率应为0到1之间的小数（如 0.95），不能大于1：“{value}”",
                     "a rate is a fraction between 0 and 1 (e.g. 0.95), got '{value}'")
            else:
                flag(finite & (num > col.max), f"不能大于{col.max:g}：“{{value}}”",
                     f"must be at most {col.max:g}, got '{{value}}'")
            valid = valid & (num <= col.max)
        # Out-of-range values (already reported) become empty rather than reaching the cast,
        # so 10^20 in an integer column is a located error, never an overflow.
        if is_number and col.type == "int":
            # Already Int64: no round trip through a float.
            return pl.when(valid).then(raw).otherwise(None).alias(c)
        kept = pl.when(valid).then(num).otherwise(None)
        typed = kept.round(0).cast(pl.Int64) if col.type == "int" else kept
        return typed.alias(c)
    if col.type == "bool":
        low = raw.str.to_lowercase()
        flag(present & ~(low.is_in(TRUE_WORDS) | low.is_in(FALSE_WORDS)),
             "应为“是”或“否”，实际为“{value}”",
             "expected 是/否 (yes/no, true/false, 1/0), got '{value}'")
        return (pl.when(low.is_in(TRUE_WORDS)).then(True)
                .when(low.is_in(FALSE_WORDS)).then(False)
                .otherwise(None).alias(c))
    if col.type == "enum":
        by_label = {v: k for k, v in col.values.items()}
        codes = list(col.values)
        mapped = (pl.when(raw.is_in(codes)).then(raw)
                  .otherwise(raw.replace_strict(by_label, default=None)))
        allowed = "、".join(f"{k}（{v}）" for k, v in col.values.items())
        flag(present & mapped.is_null(), f"未知代码“{{value}}”，可用代码：{allowed}",
             f"unknown code '{{value}}'; allowed: {', '.join(codes)}")
        return mapped.alias(c)
    if col.type == "date":
        parsed = raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        flag(present & parsed.is_null(), "应为日期（YYYY-MM-DD），实际为“{value}”",
             "expected a date (YYYY-MM-DD), got '{value}'")
        return parsed.alias(c)
    if col.type == "datetime":
        # Excel cells arrive as "YYYY-MM-DD HH:MM:SS" (or a bare date at midnight), CSV files
        # as typed; "T" and fractions of a second are accepted and dropped.
        text = raw.str.replace("T", " ", literal=True).str.replace(r"\.\d+$", "")
        parsed = pl.coalesce(
            text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
            text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
            text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
        )
        flag(present & parsed.is_null(), "应为时间（YYYY-MM-DD HH:MM:SS），实际为“{value}”",
             "expected a date and time (YYYY-MM-DD HH:MM:SS), got '{value}'")
        return parsed.alias(c)
    # text
    if col.pattern is not None:
        digits = None
        if col.pattern.startswith(r"^\d{") and col.pattern.endswith("}$"):
            digits = int(col.pattern[4:-2])
        mismatch = present & ~raw.str.contains(col.pattern)
        if digits is not None:
            # Excel turns a code typed into a General cell into a number and drops its zeros.
            short_number = mismatch & raw.str.contains(r"^\d+$") & (
                raw.str.len_chars() < digits)
            flag(short_number,
                 f"应为{digits}位代码，实际为{{value}}：开头的0可能被Excel当作数字丢掉了。"
                 "请把该列设置为“文本”格式后重新输入",
                 f"expected a {digits}-digit code, got {{value}}: Excel probably stored it as "
                 "a number and dropped the leading zero(s); format the column as text and retype")
            mismatch = mismatch & ~short_number
        what = f"{digits}位数字" if digits else f"格式 {col.pattern}"
        flag(mismatch, f"格式不对：应为{what}，实际为“{{value}}”",
             f"wrong format: expected {digits or col.pattern} digits, got '{{value}}'")
    if col.check == "resident_id":
        ok = raw.map_elements(_resident_id_ok, return_dtype=pl.Boolean)
        kept_zh, kept_en = (("；已保留该行，比对时不按此号码匹配", "; the row is kept and never "
                             "matched by this number") if col.check_severity == "warning"
                            else ("", ""))
        checks.append(_Check(
            c, label, present & ~ok,
            "身份证号无效：应为18位，且最后一位校验码正确（{value}）" + kept_zh,
            "invalid resident id: 18 characters with a correct check digit ({value})" + kept_en,
            col.check_severity))
    if col.check == "geojson_polygon":
        ok = raw.map_elements(polygon_ok, return_dtype=pl.Boolean)
        checks.append(_Check(
            c, label, present & ~ok,
            "片区边界无效：应为 GeoJSON 的 Polygon 或 MultiPolygon（WGS84 经纬度，首尾点相同的闭合环）",
            "invalid area outline: expected a GeoJSON Polygon or MultiPolygon (WGS84 degrees, "
            "closed rings)", col.check_severity))
    return raw.alias(c)


def _run_checks(sheet: RawSheet, checks: list[_Check], out: _Collector) -> None:
    """Evaluate every queued mask in one pass; materialise rows only for the failing ones."""
    if not checks or sheet.frame.height == 0:
        return
    frame = sheet.frame
    masks = frame.select([ch.mask.fill_null(False).alias(f"m{i}")
                          for i, ch in enumerate(checks)])
    hits = masks.select(pl.all().any()).row(0)
    for i, (ch, hit) in enumerate(zip(checks, hits, strict=True)):
        if not hit:
            continue
        bad = (frame.select(pl.col(ROW), pl.col(ch.column).alias("__value"))
               .filter(masks[f"m{i}"]))
        out.add_rows(sheet, ch.label, bad, ch.zh, ch.en, ch.severity)


def _check_sheet(sheet: RawSheet, out: _Collector) -> pl.DataFrame:
    if sheet.as_text is None:
        return _check_sheet_as(sheet, out)
    # Numbers parsed while reading: the checks run on them, and a sheet with any problem
    # is checked again from its text, so every message quotes what the clerk typed, exactly
    # as a sheet read as text would (problems are rare; the clean national file pays once).
    trial = _Collector(limit=out.limit, problems=[])
    typed = _check_sheet_as(sheet, trial)
    if not trial.problems:
        return typed
    text = sheet.as_text()
    if text is None:  # the file changed under us: report what the typed read found
        out.problems.extend(trial.problems)
        out.truncated |= trial.truncated
        return typed
    sheet.frame = sheet.frame.clear()
    return _check_sheet_as(text, out)


def _check_sheet_as(sheet: RawSheet, out: _Collector) -> pl.DataFrame:
    table = sheet.table
    frame = sheet.frame
    missing = [c for c in table.columns if c.required and c.id not in frame.columns]
    for col in missing:
        out.add(Problem(sheet.file, sheet.sheet or table.id, 1, f"{col.label}({col.id})",
                        f"缺少必填列“{col.label}”（{col.id}）",
                        f"required column '{col.id}' ({col.label_en or col.label}) is missing"))
    numeric = [c.id for c in table.columns if c.type in ("int", "float") and c.id in frame.columns]
    parsed = {c for c in numeric if frame.schema[c] != pl.Utf8}
    # Text an export protected against formula injection ("'=..."; reports/safe_cells.py)
    # reads back as it was before the export.
    text = [c for c in frame.columns if c != ROW and (
        c not in table.column_ids or table.column(c).type == "text")]
    if text and frame.height:
        # The regex runs only on columns that hold such a value: a cheap scan first, since
        # a national class list has millions of names and none of them quoted.
        quoted = frame.select([pl.col(c).str.starts_with("'").any() for c in text]).row(0)
        text = [c for c, q in zip(text, quoted, strict=True) if q]
    sheet = RawSheet(table, sheet.file, sheet.sheet, frame.with_columns(
        [restore_expr(pl.col(c)).alias(c) for c in text]).with_columns(
        [(pl.col(c).cast(pl.Float64) if c in parsed
          else _num_text(c).cast(pl.Float64, strict=False)).alias(_num_col(c))
         for c in numeric]),
        sheet.unknown_columns)
    frame = sheet.frame
    exprs = []
    checks: list[_Check] = []
    for col in table.columns:
        if col.id not in frame.columns:
            exprs.append(pl.lit(None, dtype=col.dtype).alias(col.id))
            continue
        exprs.append(_type_column(col, checks, is_number=col.id in parsed))
    distinct = [c for c in table.distinct if c in frame.columns]
    for j, later in enumerate(distinct):
        for earlier in distinct[:j]:
            col = table.column(later)
            checks.append(_Check(
                later, f"{col.label}({later})",
                pl.col(later).is_not_null() & (pl.col(later) == pl.col(earlier)),
                f"与“{table.column(earlier).label}”重复：“{{value}}”",
                f"repeats {earlier}: '{{value}}'"))
    _run_checks(sheet, checks, out)
    extra = [c for c in frame.columns
             if c not in table.column_ids and c != ROW and not c.startswith("__num_")]
    typed = frame.select([*exprs, *[pl.col(c) for c in extra], pl.col(ROW)])
    _check_cross(table, typed, out, sheet.file, sheet.sheet or table.id)
    if table.key and not missing:
        # Hash the key first: an exact duplicate search over millions of string keys costs
        # a gigabyte; the (rare) rows whose hashes collide are then compared exactly. Counting
        # distinct hashes is the cheap first question (no collision: no duplicate at all).
        hashes = typed.select(list(table.key)).hash_rows(seed=0)
        maybe = (typed.filter(hashes.is_duplicated()) if hashes.n_unique() < typed.height
                 else typed.clear())
        dup = (maybe.filter(pl.struct(list(table.key)).is_duplicated())
               .group_by(list(table.key), maintain_order=True)
               .agg(pl.col(ROW)))
        for rec in dup.iter_rows(named=True):
            rows = rec[ROW]
            key = ", ".join(f"{k}={rec[k]}" for k in table.key)
            for r in rows[1:]:
                out.add(Problem(sheet.file, sheet.sheet or table.id, r, None,
                                f"重复记录：{key} 已在第{rows[0]}行出现",
                                f"duplicate key {key}: already on row {rows[0]}"))
    return typed


def cross_check_mask(check: CrossCheck) -> pl.Expr:
    """Rows of a typed frame that break ``check`` (both values given)."""
    a, b = pl.col(check.column), pl.col(check.other) * check.factor
    broken = a > b if check.op == "lte" else a < b
    return (a.is_not_null() & b.is_not_null() & broken).fill_null(False)


def _check_cross(table: Table, typed: pl.DataFrame, out: _Collector, file: str,
                 sheet: str, where: list[str] | None = None) -> None:
    """The registry's rules between columns of one row, all rules in one pass. ``where``
    names key columns to show when the rows have no spreadsheet row number."""
    checks = [ch for ch in table.checks
              if ch.column in typed.columns and ch.other in typed.columns]
    if not checks or typed.height == 0:
        return
    masks = typed.select([cross_check_mask(ch).alias(f"m{i}") for i, ch in enumerate(checks)])
    hits = masks.select(pl.all().any()).row(0)
    labels = {c.id: c.label for c in table.columns}
    for i, (ch, hit) in enumerate(zip(checks, hits, strict=True)):
        if not hit:
            continue
        key_cols = where or []
        bad = typed.filter(masks[f"m{i}"]).head(PER_COLUMN_LIMIT)
        if masks[f"m{i}"].sum() > PER_COLUMN_LIMIT:
            out.truncated = True
        rule_zh, rule_en = ch.describe_zh(labels), ch.describe_en()
        for rec in bad.iter_rows(named=True):
            at = "，".join(f"{k}={rec[k]}" for k in key_cols)
            at_zh = f"（{at}）" if at else ""
            at_en = f" ({at})" if at else ""
            out.add(Problem(
                file, sheet, rec.get(ROW), f"{labels[ch.column]}({ch.column})",
                f"{labels[ch.column]}为{_fmt(rec[ch.column])}，{labels[ch.other]}为"
                f"{_fmt(rec[ch.other])}：{rule_zh}{at_zh}",
                f"{ch.column} is {_fmt(rec[ch.column])} and {ch.other} is "
                f"{_fmt(rec[ch.other])}: {rule_en}{at_en}"))


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_typed(ds: Dataset, source: str = "dataset") -> list[Problem]:
    """Bounds and cross-field rules on an already typed dataset: the last door before the
    database, for writers that do not come through ``validate_raw`` (generators, scripts)."""
    reg = registry()
    out = _Collector(limit=DEFAULT_PROBLEM_LIMIT, problems=[])
    for tid in ds:
        if not reg.has_table(tid):
            continue
        table = reg.table(tid)
        frame = ds.table(tid)
        key = [k for k in table.key if k in frame.columns]
        for col in table.columns:
            if col.type not in ("int", "float") or col.id not in frame.columns:
                continue
            v = pl.col(col.id).cast(pl.Float64)
            bad_mask = v.is_not_null() & (~v.is_finite() | (v < col.min if col.min is not None
                                                             else pl.lit(False))
                                          | (v > col.max if col.max is not None
                                             else pl.lit(False)))
            bad = frame.filter(bad_mask.fill_null(False)).head(PER_COLUMN_LIMIT)
            for rec in bad.iter_rows(named=True):
                at = ", ".join(f"{k}={rec[k]}" for k in key)
                out.add(Problem(
                    source, tid, None, f"{col.label}({col.id})",
                    f"数值“{_fmt(rec[col.id])}”超出允许范围（{col.describe_zh()}）（{at}）",
                    f"value '{_fmt(rec[col.id])}' is out of range ({_bounds_en(col)}) ({at})"))
        _check_cross(table, frame, out, source, tid, where=key)
    return out.finish()


def _check_references(typed: dict[str, pl.DataFrame], sheets: dict[str, RawSheet],
                      known: Dataset | None, out: _Collector,
                      unreadable: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    reg = registry()
    for tid, frame in typed.items():
        table = reg.table(tid)
        sheet = sheets[tid]
        for col, ref_table, ref_col in table.references(frame.columns):
            if ref_table in unreadable:
                continue
            pools: list[pl.Series] = []
            if ref_table in typed:
                pools.append(typed[ref_table][ref_col])
            if known is not None and ref_table in known:
                pools.append(known.table(ref_table)[ref_col])
            if not pools:
                if frame[col.id].is_not_null().any():
                    out.add(Problem(
                        sheet.file, sheet.sheet or tid, None, f"{col.label}({col.id})",
                        f"引用了表“{reg.table(ref_table).label}”({ref_table})，但该表不存在",
                        f"refers to table '{ref_table}', which is missing"))
                continue
            bad = unknown_references(frame, col.id, pools)
            ref_label = reg.table(ref_table).label
            what_zh = {"counties": "区县", "schools": "学校", "areas": "片区"}.get(ref_table,
                                                                                 ref_label)
            out.add_rows(
                sheet, f"{col.label}({col.id})",
                bad.select(pl.col(ROW), pl.col(col.id).alias("__value")),
                f"{what_zh}“{{value}}”不存在：请先在“{ref_label}”({ref_table})中登记",
                f"unknown {ref_table[:-1] if ref_table.endswith('s') else ref_table} "
                f"'{{value}}': it is not in table '{ref_table}'")


def validate_raw(raw: RawDataset, *, known: Dataset | None = None,
                 require_tables: Iterable[str] | None = None,
                 needs: TableNeeds | None = None,
                 limit: int = DEFAULT_PROBLEM_LIMIT,
                 keep_rows: bool = False) -> tuple[Dataset | None, list[Problem], bool]:
    """Type and check a raw dataset. Returns (dataset or None if errors, problems, truncated).

    With ``keep_rows`` every frame keeps its spreadsheet row numbers (column ``ROW``), for
    checks that come later and must still say where a problem is (the upload scope check).

    ``known`` is what the destination already holds (e.g. the database), so that a workbook
    with this year's figures may refer to schools registered earlier.
    ``needs`` is what one command reads: only its tables are checked and kept (a broken sheet
    the command never reads does not stop it), and a table it needs that is missing is a
    located error naming the command.
    """
    reg = registry()
    out = _Collector(limit=limit, problems=list(raw.problems))
    name = raw.source.rsplit("/", 1)[-1]
    if needs is not None:
        wanted = set(needs.tables())
        raw.sheets = {tid: sh for tid, sh in raw.sheets.items() if tid in wanted}
        raw.unreadable = {tid for tid in raw.unreadable if tid in wanted}
        if raw.sheets or not any(p.severity == "error" for p in raw.problems):
            present = set(raw.sheets) | set(raw.unreadable)
            cols = {tid: set(sh.frame.columns) for tid, sh in raw.sheets.items()}
            for m in needs.missing(present, cols):
                col = reg.table(m.table).column(m.column) if m.column else None
                out.add(Problem(name, m.table, 1 if col else None,
                                f"{col.label}({col.id})" if col else None, m.zh, m.en))
    else:
        needed = list(require_tables) if require_tables is not None else [
            t.id for t in reg.tables if not t.optional]
        if raw.sheets or not any(p.severity == "error" for p in raw.problems):
            for tid in needed:
                if tid not in raw.sheets and tid not in raw.unreadable:
                    t = reg.table(tid)
                    out.add(Problem(name, tid, None, None,
                                    f"缺少工作表“{tid}”（{t.label}）",
                                    f"sheet '{tid}' ({t.label_en}) is missing"))
    typed: dict[str, pl.DataFrame] = {}
    for tid, sheet in raw.sheets.items():
        typed[tid] = _check_sheet(sheet, out)
        # The text copy is no longer needed (messages need only file and sheet names);
        # freeing it as we go keeps a national import well under 2 GB.
        sheet.frame = sheet.frame.clear()
    _check_references(typed, raw.sheets, known, out, raw.unreadable)
    problems = out.finish()
    if any(p.severity == "error" for p in problems):
        return None, problems, out.truncated
    ds = Dataset({tid: frame if keep_rows else frame.drop(ROW) for tid, frame in typed.items()})
    return ds, problems, out.truncated


def read_dataset(path_or_spec: str, *, known: Dataset | None = None,
                 require_tables: Iterable[str] | None = None,
                 needs: TableNeeds | None = None,
                 limit: int = DEFAULT_PROBLEM_LIMIT,
                 limits: Limits | None = None) -> tuple[Dataset, list[Problem]]:
    """Read and validate a workbook or CSV folder within ``limits`` (by default the
    registry's); raise ValidationFailed listing every error."""
    from pathlib import Path

    # With ``needs``, only the files of the command's tables are read, and clean CSV files
    # have their numbers parsed while reading (the national evaluation's hot path).
    raw = read_raw(Path(path_or_spec), limits,
                   tables=needs.tables() if needs is not None else None, typed=True)
    ds, problems, truncated = validate_raw(raw, known=known, require_tables=require_tables,
                                           needs=needs, limit=limit)
    if ds is None:
        raise ValidationFailed(problems, truncated)
    return ds, [p for p in problems if p.severity != "error"]


def check_workbook(path: str, known: Dataset | None, required: Iterable[str] | None,
                   ) -> tuple[Dataset | None, list[Problem], bool, dict[str, str]]:
    """Read and check one uploaded file: (dataset or None, problems, truncated, sheet name per
    table). A plain function of picklable values, so it can run in a child process."""
    from pathlib import Path

    raw = read_raw(Path(path))
    ds, problems, truncated = validate_raw(raw, known=known, require_tables=required,
                                           keep_rows=True)
    return ds, problems, truncated, {tid: s.sheet or tid for tid, s in raw.sheets.items()}
