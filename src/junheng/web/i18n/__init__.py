"""The message catalogue: ``zh.yaml`` (default) and ``en.yaml``, keys shared."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    with open(_DIR / f"{lang}.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return {str(k): str(v) for k, v in data.items()}


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "zh"
        self._primary = catalogue(self.lang)
        self._fallback = catalogue("zh")

    def __call__(self, key: str, **kwargs: Any) -> str:
        text = self._primary.get(key) or self._fallback.get(key) or key
        return text.format(**kwargs) if kwargs else text

    def label(self, prefix: str, ident: str | None, default: str | None = None) -> str:
        """The label of an indicator, item, stage or role id; else ``default``; else the id."""
        if ident is None:
            return ""
        key = f"{prefix}.{ident}"
        return self._primary.get(key) or default or self._fallback.get(key) or ident
