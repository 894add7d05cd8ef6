"""Validation problems: located, bilingual, and collected rather than raised one by one.

A clerk must be able to act on every message without help, so each problem names the file,
sheet (table), row (as numbered in the spreadsheet the clerk sees) and column, says what was
found and what was expected, in Chinese first and English second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Enough to fix a whole file in one pass without flooding the screen.
DEFAULT_PROBLEM_LIMIT = 200


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message_zh: str
    message_en: str
    severity: str = "error"  # "error" blocks the import; "warning" does not

    def located(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表/sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"第{self.row}行/row {self.row}")
        if self.column:
            parts.append(f"列/column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        tag = "错误 error" if self.severity == "error" else "警告 warning"
        return f"[{tag}] {self.located()}: {self.message_zh} / {self.message_en}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class ValidationFailed(Exception):
    """Raised when input has errors; nothing has been written."""

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} 个错误 / errors")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        errors = sum(p.severity == "error" for p in self.problems)
        lines.append(f"共 {errors} 个错误，未写入任何数据 / {errors} errors, nothing was written")
        if self.truncated:
            lines.append("（问题过多，仅显示前若干条 / too many problems; only the first are shown）")
        return "\n".join(lines)
