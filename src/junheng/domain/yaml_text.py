"""Reading YAML (rules, registers, costs, translations) with libyaml's parser.

PyYAML's pure-Python parser took 0.6 s to read the standards alone, on every command start;
libyaml (bundled in PyYAML's wheels) reads the same text about ten times faster, with the same
safe constructors. Where PyYAML was built without libyaml the pure-Python one is used."""

from __future__ import annotations

from typing import IO, Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str | IO[str]) -> Any:
    """``yaml.safe_load`` through libyaml."""
    return yaml.load(text, Loader=SafeLoader)
