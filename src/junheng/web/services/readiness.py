"""Which functions the stored data can serve: each command's declared needs (``NEEDS`` next to
the command) against the tables the database holds, for the data page."""

from __future__ import annotations

from dataclasses import dataclass

from junheng.domain.fields import registry
from junheng.domain.needs import TableNeeds
from junheng.web.services.data import DataService


@dataclass(frozen=True)
class Readiness:
    command: str
    title: str
    ready: bool
    missing: tuple[str, ...]   # labels of the tables (or groups) still to be uploaded
    tables: tuple[str, ...]    # labels of every table the function reads


def all_needs() -> dict[str, TableNeeds]:
    from junheng.cli import command_needs

    return command_needs()


def needs_of(command: str) -> TableNeeds | None:
    return all_needs().get(command)


def readiness(data: DataService, lang: str) -> list[Readiness]:
    ds = data.dataset()
    present = {t for t in ds if ds.table(t).height}
    reg = registry()

    def label(tid: str) -> str:
        t = reg.table(tid)
        return t.label if lang == "zh" else t.label_en

    out = []
    for n in all_needs().values():
        # The command's own rule decides what is missing; the page only words it.
        missing = [(" 或 " if lang == "zh" else " or ").join(label(t) for t in m.tables)
                   for m in n.missing(present)]
        out.append(Readiness(n.command, n.title_zh if lang == "zh" else n.title_en,
                             not missing, tuple(missing), tuple(label(t) for t in n.tables())))
    return out
