"""The message catalogue: ``zh.yaml`` (default) and ``en.yaml``, keys shared.

The catalogue holds the site's own words only. Keys whose prefix names a vocabulary of
:mod:`junheng.standards.labels` (``ind.``, ``item.``, ``stage.``, ``school_type.``, ``part.``,
``status.``, ``trace.``, ``table.``, ``column.``, ``action.`` …) are answered from the standards'
YAML and the field registry, so the pages can never drift from the rules they show.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from junheng.domain.yaml_text import load_yaml
from junheng.standards import labels

LANGUAGES = ("zh", "en")
_BRACKETED_ID = re.compile(r"\s*[(（]\s*([a-z][a-z0-9]*(?:_[a-z0-9]+)*)\s*[)）]")
_BARE_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# A validation problem's column cell: the column's Chinese label and its id, "在校生数(students)".
_COLUMN_CELL = re.compile(r"^(.*)\(([a-z][a-z0-9_]*)\)$")
_DIR = Path(__file__).parent


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    with open(_DIR / f"{lang}.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = load_yaml(fh)
    return {str(k): str(v) for k, v in data.items()}


@lru_cache
def _source_kinds() -> frozenset[str]:
    return frozenset(labels.kinds())


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "zh"
        self._primary = catalogue(self.lang)
        self._fallback = catalogue("zh")

    def _source(self, key: str) -> str | None:
        prefix, _, ident = key.partition(".")
        if ident and prefix in _source_kinds():
            return labels.label(prefix, ident, self.lang)
        return None

    def __call__(self, key: str, **kwargs: Any) -> str:
        text = self._source(key) or self._primary.get(key) or self._fallback.get(key) or key
        return text.format(**kwargs) if kwargs else text

    def label(self, prefix: str, ident: str | None, default: str | None = None) -> str:
        """The label of an indicator, item, stage or role id; else ``default``; else the id."""
        if ident is None:
            return ""
        key = f"{prefix}.{ident}"
        return (self._source(key) or self._primary.get(key) or default
                or self._fallback.get(key) or ident)

    def key(self, ident: object) -> str:
        """The word for a key whose kind is not known (a trace's inputs, a rule's value)."""
        text = str(ident)
        return labels.any_label(text, self.lang) or text

    def plain(self, message: object) -> str:
        """A message from another package in the reader's words: of a bilingual
        "中文 / English" message the reader's half, and no table or column id — one in
        brackets is dropped (the words before it say the same), a bare one becomes its label."""
        text = str(message)
        if " / " in text:
            zh, _, en = text.partition(" / ")
            text = en if self.lang == "en" else zh
        text = _BRACKETED_ID.sub(lambda m: "" if labels.any_label(m.group(1)) else m.group(0),
                                 text)
        return _BARE_ID.sub(lambda m: labels.any_label(m.group(0), self.lang) or m.group(0),
                            text)

    def column_cell(self, text: str | None, table: str | None = None) -> str:
        """A validation problem's column, "在校生数(students)", in the reader's words: in
        English the registry's English label with the id the workbook's header row shows."""
        if not text or self.lang != "en":
            return text or ""
        m = _COLUMN_CELL.match(text)
        if m is None:
            return text
        ident = m.group(2)
        word = ((labels.label("column", f"{table}.{ident}", "en") if table else None)
                or labels.label("column", ident, "en") or m.group(1))
        return f"{word} ({ident})"

    def unit(self, kind: str, ident: str | None) -> str:
        return (labels.unit(kind, ident, self.lang) or "") if ident else ""
