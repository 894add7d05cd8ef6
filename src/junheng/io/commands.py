"""CLI: template, validate, import, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from junheng.cli import CliError
from junheng.domain.needs import TableNeeds
from junheng.io.problems import ValidationFailed


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("template", help="写出空白数据模板 / write an empty data workbook")
    p.add_argument("out", type=Path, help="输出 .xlsx 文件 / output .xlsx file")
    p.add_argument("--for", dest="for_command", metavar="COMMAND",
                   help="只含该命令读取的工作表 (如 forecast) / only the sheets COMMAND reads")
    p.set_defaults(func=_template)

    p = sub.add_parser("validate", help="检查数据文件，不写入 / check a dataset, write nothing")
    p.add_argument("path", help="工作簿或CSV文件夹 / workbook or CSV folder")
    p.add_argument("--db", help="同时对照该数据库中已有的学校和区县 / also check references "
                   "against this database")
    p.add_argument("--for", dest="for_command", metavar="COMMAND",
                   help="按该命令的需要检查 (只查它读取的表) / check only what COMMAND reads")
    p.set_defaults(func=_validate)

    p = sub.add_parser("import", help="检查后整体导入数据库 / validate, then load all-or-nothing")
    p.add_argument("path", help="工作簿或CSV文件夹 / workbook or CSV folder")
    p.add_argument("--db", help="数据库URL / database URL (default: JUNHENG_DATABASE_URL or "
                   "the installation's database shown by junheng --help)")
    p.set_defaults(func=_import)

    p = sub.add_parser("export", help="从数据库导出数据 / write the dataset back out")
    p.add_argument("--db", help="数据库URL / database URL")
    p.add_argument("--year", type=int, help="学年；省略则导出全部年份 / school year (default: all)")
    p.add_argument("--out", type=Path, required=True, help=".xlsx 或文件夹 / .xlsx or folder")
    p.add_argument("--headers", choices=["id", "label", "both"], default="id",
                   help="表头：列代码、中文列名或两行都写 / header row(s)")
    p.add_argument("--include-personal", action="store_true",
                   help="导出未脱敏的个人信息（身份证号等），仅限有权限的操作员 / export personal "
                   "data unmasked (authorised operators only)")
    p.set_defaults(func=_export)


def _needs_of(command: str | None) -> TableNeeds | None:
    if command is None:
        return None
    from junheng.cli import command_needs

    known = command_needs()
    if command not in known:
        raise CliError(f"没有命令“{command}”的数据需求，可选：{', '.join(known)} / no data needs "
                       f"declared for '{command}'; choose one of: {', '.join(known)}")
    return known[command]


def _template(args: argparse.Namespace) -> int:
    from junheng.io.template import write_template

    if args.out.suffix.lower() != ".xlsx":
        raise CliError("模板必须是 .xlsx 文件 / the template must be an .xlsx file")
    write_template(args.out, _needs_of(args.for_command))
    print(f"已写出模板 / template written: {args.out}")
    return 0


def _print_warnings(problems: list) -> None:  # type: ignore[type-arg]
    for p in problems:
        print(str(p), file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    from junheng.io.validate import read_dataset

    known = None
    if args.db:
        from junheng.io import db

        known = db.known_keys(db.make_engine(args.db))
    try:
        ds, warnings = read_dataset(args.path, known=known, needs=_needs_of(args.for_command))
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    _print_warnings(warnings)
    counts = ", ".join(f"{t} {ds.table(t).height}" for t in ds)
    print(f"检查通过 / valid: {counts}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from junheng.io import db
    from junheng.io.validate import read_dataset

    engine = db.make_engine(args.db)
    db.migrate(engine)
    try:
        from junheng.domain.needs import still_needed

        ds, warnings = read_dataset(args.path, known=db.known_keys(engine),
                                    require_tables=still_needed(db.stored_tables(engine)))
        _print_warnings(warnings)
        summary = db.import_dataset(engine, ds, source=Path(args.path).name)
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    total = sum(summary.rows.values())
    print(f"已导入 {total} 行（{summary.seconds:.1f} 秒）/ imported {total} rows "
          f"in {summary.seconds:.1f} s")
    for tid, n in summary.rows.items():
        rep = summary.replaced.get(tid, 0)
        extra = f"，替换 {rep} 行 / replaced {rep}" if rep else ""
        print(f"  {tid}: {n}{extra}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from junheng.io import db
    from junheng.io.writers import write_dataset

    engine = db.make_engine(args.db)
    if db.current_revision(engine) is None:
        raise CliError("数据库为空或未初始化：请先导入数据 / the database is empty or not "
                       "initialised: import data first")
    ds = db.load_dataset(engine, args.year)
    from junheng.domain.masking import mask_dataset, personal_columns

    personal = personal_columns(ds)
    if personal and not args.include_personal:
        ds = mask_dataset(ds)
        print("个人信息已脱敏 / personal data masked: " + ", ".join(personal), file=sys.stderr)
    elif personal:
        print("警告：导出文件含未脱敏的个人信息，请妥善保管 / warning: the export holds unmasked "
              "personal data: " + ", ".join(personal), file=sys.stderr)
    write_dataset(ds, args.out, headers=args.headers)
    rows = sum(ds.table(t).height for t in ds)
    print(f"已导出 {rows} 行到 {args.out} / exported {rows} rows to {args.out}")
    return 0
