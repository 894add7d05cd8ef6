"""The docs page and the domain enums agree with the field registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junheng.domain import enums
from junheng.domain.fields import RegistryError, parse_registry, registry
from junheng.io.docs import render

ROOT = Path(__file__).resolve().parents[2]


def test_data_format_page_is_generated_from_the_registry() -> None:
    committed = (ROOT / "docs" / "data-format.md").read_text("utf-8").rstrip("\n")
    assert committed == render().rstrip("\n"), (
        "docs/data-format.md is stale: python -m junheng.io.docs > docs/data-format.md")


def test_every_column_is_documented() -> None:
    page = (ROOT / "docs" / "data-format.md").read_text("utf-8")
    for table in registry().tables:
        assert f"## {table.id} " in page
        for col in table.columns:
            assert f"`{col.id}`" in page and col.label in page


@pytest.mark.parametrize("enum_cls, registry_enum", [
    (enums.Stage, "stage"), (enums.SchoolType, "school_type"), (enums.Locale, "locale"),
    (enums.Ownership, "ownership"),
])
def test_domain_enums_match_the_registry(enum_cls: type, registry_enum: str) -> None:
    assert [e.value for e in enum_cls] == list(registry().enums[registry_enum])


def test_registry_loader_is_strict() -> None:
    doc = yaml.safe_load(
        (ROOT / "src/junheng/domain/data/format-v1.yaml").read_text("utf-8"))
    doc["tables"][0]["columns"][0]["lable"] = "typo"
    with pytest.raises(RegistryError, match="lable"):
        parse_registry(doc)
