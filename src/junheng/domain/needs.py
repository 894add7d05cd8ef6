"""What each command reads from DATA.

The exchange format's required tables are right for an evaluation, not for every command: a
clerk with enrolment by grade and births can forecast, a planner with schools, sections and
areas can draw zones. Each command declares its needs once, next to the command (a ``NEEDS``
value in its ``commands`` module); validation, the template (``junheng template --for``), the
command reference and the web's data page all read that one declaration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from junheng.domain.fields import registry


@dataclass(frozen=True)
class Missing:
    """One unmet need: a table (or one of several), or a column of a table."""

    table: str
    column: str | None
    zh: str
    en: str
    # The tables any one of which meets the need: (table,), or a one-of group.
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableNeeds:
    """The tables one command reads.

    ``required``: each must be given. ``one_of``: from each group at least one must be given
    (forecast: births or children by area for the entry grade). ``columns``: columns a
    required table must carry for this command although the format leaves them optional
    (zones: the sections' approved seats). ``optional``: read when present, skipped otherwise
    with a note in the result.
    """

    command: str
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (table, its needed columns)
    optional: tuple[str, ...] = ()
    title_zh: str = ""   # what the command is for, in the bureau's words (data page)
    title_en: str = ""

    def __post_init__(self) -> None:
        reg = registry()
        for tid in self.tables():
            if not reg.has_table(tid):
                raise ValueError(f"{self.command}: unknown table {tid!r}")
        for tid, cols in self.columns:
            known = reg.table(tid).column_ids
            for c in cols:
                if c not in known:
                    raise ValueError(f"{self.command}: unknown column {tid}.{c}")

    def union(self, other: TableNeeds, command: str | None = None) -> TableNeeds:
        """What two steps of one command read together (forecast --evaluate)."""
        required = tuple(dict.fromkeys((*self.required, *other.required)))
        optional = tuple(t for t in dict.fromkeys((*self.optional, *other.optional))
                         if t not in required)
        columns = tuple(dict([*other.columns, *self.columns]).items())
        return TableNeeds(command or self.command, required,
                          tuple(dict.fromkeys((*self.one_of, *other.one_of))), columns, optional,
                          self.title_zh, self.title_en)

    def tables(self) -> tuple[str, ...]:
        """Every table the command may read, required first, in a stable order."""
        seen: dict[str, None] = {}
        for tid in (*self.required, *(t for g in self.one_of for t in g), *self.optional):
            seen.setdefault(tid, None)
        return tuple(seen)

    def missing(self, present: Collection[str],
                columns: Mapping[str, Collection[str]] | None = None,
                in_database: bool = False) -> list[Missing]:
        """The needs that ``present`` (table ids given) does not meet. ``columns`` maps a
        present table to the columns it carries, when known. Messages speak of a workbook's
        sheets, or of a database's tables when ``in_database``."""
        reg = registry()
        sheet_zh, sheet_en = ("数据表", "table") if in_database else ("工作表", "sheet")
        out: list[Missing] = []
        for tid in self.required:
            if tid not in present:
                t = reg.table(tid)
                out.append(Missing(
                    tid, None,
                    f"缺少{sheet_zh}“{tid}”（{t.label}）：{self.command} 命令需要它",
                    f"{sheet_en} '{tid}' ({t.label_en}) is missing: the {self.command} command "
                    "needs it", (tid,)))
        for group in self.one_of:
            if not any(tid in present for tid in group):
                names_zh = "或".join(f"“{tid}”（{reg.table(tid).label}）" for tid in group)
                names_en = " or ".join(f"'{tid}' ({reg.table(tid).label_en})" for tid in group)
                out.append(Missing(
                    group[0], None,
                    f"缺少{sheet_zh}{names_zh}：{self.command} 命令至少需要其中一个",
                    f"{sheet_en} {names_en} is missing: the {self.command} command needs one of "
                    "them", group))
        if columns is not None:
            for tid, cols in self.columns:
                if tid not in present or tid not in columns:
                    continue
                for c in cols:
                    if c not in columns[tid]:
                        col = reg.table(tid).column(c)
                        out.append(Missing(
                            tid, c,
                            f"缺少列“{col.label}”（{c}）：{self.command} 命令需要它",
                            f"column '{c}' ({col.label_en or col.label}) is missing: the "
                            f"{self.command} command needs it", (tid,)))
        return out

    def summary_zh(self) -> str:
        """One line for docs and help: 必需 …；至少其一 …；可选 …"""
        parts = [f"必需 {', '.join(self.required)}"]
        for g in self.one_of:
            parts.append(f"至少其一 {' / '.join(g)}")
        for tid, cols in self.columns:
            parts.append(f"{tid} 须含列 {', '.join(cols)}")
        if self.optional:
            parts.append(f"可选 {', '.join(self.optional)}")
        return "；".join(parts)


def still_needed(stored: Collection[str]) -> list[str]:
    """The format's required tables that a database holding ``stored`` lacks: an import into
    it must bring those, and may leave out the ones it already holds (a clerk uploads this
    year's enrolment without the school list again)."""
    return [t.id for t in registry().tables if not t.optional and t.id not in stored]


def format_needs() -> TableNeeds:
    """The whole exchange format's requirement (its non-optional tables): what `validate` and
    `import` ask of a first, complete dataset."""
    reg = registry()
    return TableNeeds("import", tuple(t.id for t in reg.tables if not t.optional),
                      optional=tuple(t.id for t in reg.tables if t.optional))
