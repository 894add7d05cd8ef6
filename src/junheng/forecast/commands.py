"""CLI: ``junheng forecast DATA`` — projection, backtest, or a standards check of a future year."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from junheng.cli import CliError, load_data
from junheng.domain.dataset import Dataset
from junheng.domain.needs import TableNeeds
from junheng.forecast.options import LEVELS, METHODS, RECONCILE, ForecastError, ForecastOptions


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "forecast",
        help="分年级在校生预测、回测 / enrollment projection by grade, backtest",
        description="按学校、区县、市州预测未来 1–10 年分年级在校生，或回测预测方法 / "
                    "project pupils by grade for schools, counties and the city, or backtest",
    )
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--horizon", type=int, default=5, help="预测年数 1–10 / years ahead (default 5)")
    p.add_argument("--level", choices=[*LEVELS, "all"], default="all",
                   help="输出层级 / level to output (default: all)")
    p.add_argument("--method", choices=METHODS, default="ensemble",
                   help="预测方法: ensemble 为队列递推多变体与持续法的组合(区县)，gpr-* 为单一的"
                        "升级比率平均方法 / ensemble blends cohort-survival variants with "
                        "persistence (counties); gpr-* average the yearly ratios one way "
                        "(default ensemble)")
    p.add_argument("--window", type=int, default=5,
                   help="平均的年数(ensemble 时为学校的) / years averaged (schools' under "
                        "ensemble; default 5)")
    p.add_argument("--alpha", type=float, default=0.5,
                   help="gpr-ewm 的平滑系数 / smoothing weight of gpr-ewm (default 0.5)")
    p.add_argument("--shrink", default="auto",
                   help="小规模学校比率收缩强度: auto、none 或人数 k / shrinkage of small schools' "
                        "ratios: auto, none or a prior size k (default auto)")
    p.add_argument("--clip", default="0.5,2.0",
                   help="升级比率截断区间 / clip band of progression ratios (default 0.5,2.0)")
    p.add_argument("--reconcile", choices=RECONCILE, default="top-down",
                   help="学校与区县的协调方式 / how schools and counties are made to agree")
    p.add_argument("--level-pct", type=float, default=80.0,
                   help="预测区间置信水平(%%) / prediction interval level in %% (default 80)")
    p.add_argument("--format", choices=["csv", "json", "xlsx"], default="csv",
                   help="输出格式 / output format")
    p.add_argument("--out", type=Path, help="输出文件；省略则打印 / output file (default stdout)")
    p.add_argument("--backtest", action="store_true",
                   help="回测并与两个基准方法比较 / backtest against two baselines (JSON)")
    p.add_argument("--evaluate", metavar="STANDARD",
                   help="用预测的在校生评估第 N 年是否达标 / evaluate the projected year N against "
                        "a standard (e.g. quality-balance-2017)")
    p.set_defaults(func=_run)


# Entry grades come from births (× capture ratio) or children counted by area where given,
# else from the entry grade's own recent level: enrolment by grade alone is enough.
NEEDS = TableNeeds(
    "forecast", required=("counties", "schools", "grade_enrollment"),
    optional=("births", "area_children", "areas"),
    title_zh="招生预测", title_en="Enrolment forecast")


def needs_for(args: argparse.Namespace) -> TableNeeds:
    """A forecast that is then evaluated also reads what the evaluation reads."""
    if getattr(args, "evaluate", None):
        from junheng.standards.commands import NEEDS as EVALUATE

        return NEEDS.union(EVALUATE)
    return NEEDS


def options_from(args: argparse.Namespace) -> ForecastOptions:
    try:
        low, high = (float(x) for x in str(args.clip).split(","))
    except ValueError:
        raise CliError(f"--clip 应为 下限,上限，如 0.5,2.0 / --clip must be LOW,HIGH, got "
                       f"{args.clip!r}") from None
    shrink = str(args.shrink)
    try:
        k = None if shrink in ("auto", "none") else float(shrink)
    except ValueError:
        raise CliError(f"--shrink 应为 auto、none 或数字 / --shrink must be auto, none or a "
                       f"number, got {shrink!r}") from None
    try:
        return ForecastOptions(
            method=args.method, window=args.window, alpha=args.alpha, shrink_k=k,
            is_shrink=shrink != "none", clip_low=low, clip_high=high, reconcile=args.reconcile,
            level_pct=args.level_pct,
        )
    except ForecastError as exc:
        raise CliError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    opts = options_from(args)
    return run_on(load_data(args.data, needs_for(args)), args, opts)


def run_on(ds: Dataset, args: argparse.Namespace, opts: ForecastOptions) -> int:
    """Everything after loading, so tests can pass an in-memory Dataset."""
    from junheng.forecast import forecast, project_dataset, run_backtest

    try:
        if args.backtest:
            if args.format != "json":
                raise CliError("回测结果只输出 JSON，请加 --format json / the backtest is written "
                               "as JSON only: add --format json")
            _emit_json(run_backtest(ds, args.horizon, opts), args.out)
            return 0
        if args.evaluate:
            return _evaluate(ds, args, opts, project_dataset)
        levels = tuple(LEVELS) if args.level == "all" else (args.level,)
        result = forecast(ds, args.horizon, opts, levels)
    except ForecastError as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        _emit_json(result.to_json(), args.out)
    elif args.format == "csv":
        _emit_text(_csv(result.rows), args.out)
    else:
        if args.out is None:
            raise CliError("xlsx 格式须指定 --out 文件 / --format xlsx needs --out FILE")
        _write_xlsx(result.rows, result.metadata, args.out)
    if args.out is not None:
        print(f"已写出预测 {result.rows.height} 行 / forecast written: {args.out}",
              file=sys.stderr)
    return 0


def _evaluate(ds: Dataset, args: argparse.Namespace, opts: ForecastOptions, project: Any) -> int:
    import polars as pl

    from junheng.standards.engine import evaluate

    last = int(ds.table("grade_enrollment").select(pl.col("year").max()).item())
    year = last + args.horizon
    future = project(ds, year, **{k: v for k, v in opts.to_json().items()})
    try:
        evaluation = evaluate(future, args.evaluate, year)
    except (KeyError, FileNotFoundError, ValueError) as exc:
        raise CliError(f"无法按标准 {args.evaluate} 评估 {year} 年 / cannot evaluate {year} "
                       f"against {args.evaluate}: {exc}") from None
    out = evaluation.to_json()
    out["forecast"] = {"origin_year": last, "year": year, "options": opts.to_json(),
                       "note": "在校生为预测值，办学条件与教师沿用最近一年 / pupils projected; "
                               "facilities and teachers as last reported"}
    _emit_json(out, args.out)
    return 0


def _csv(rows: Any) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(rows.columns)
    w.writerows(rows.iter_rows())
    return buf.getvalue()


def _emit_text(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _emit_json(obj: dict[str, Any], out: Path | None) -> None:
    _emit_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", out)


def _write_xlsx(rows: Any, metadata: dict[str, Any], out: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out))
    ws = wb.add_worksheet("forecast")
    labels = ["学年 year", "层级 level", "单位代码 unit_id", "年级 grade", "预测人数 students",
              "下限 lower", "上限 upper"]
    ws.write_row(0, 0, labels)
    for i, row in enumerate(rows.iter_rows(), start=1):
        ws.write_row(i, 0, row)
    meta = wb.add_worksheet("metadata")
    for i, (k, v) in enumerate(metadata.items()):
        meta.write(i, 0, k)
        meta.write(i, 1, v if isinstance(v, (int, float, str)) else
                   json.dumps(v, ensure_ascii=False, default=str))
    wb.close()
