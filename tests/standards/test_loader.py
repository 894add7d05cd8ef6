"""The strict loader refuses what it does not understand and names the file and the key."""

from __future__ import annotations

import datetime as dt

import pytest

from junheng.standards.loader import StandardError, load_standard, load_standard_text, standard_ids

MINIMAL = """\
id: test-standard
label: 测试
kind: enacted
method: quality_2017
source: 教督〔2017〕6号
effective_from: 2017-04-26
stages: [primary]
scope: {school_types: [primary], ownership: [public]}
params:
  cv_limit:
    label: 差异系数
    comparison: le
    values:
      - {effective_from: 2017-04-26, value: {primary: 0.5}, source: 教督〔2017〕6号}
"""


def test_minimal_parses() -> None:
    std = load_standard_text(MINIMAL, "t.yaml")
    assert std.params["cv_limit"].at(dt.date(2020, 9, 1)).value == {"primary": 0.5}  # type: ignore[union-attr]
    assert std.params["cv_limit"].at(dt.date(2016, 9, 1)) is None


def test_unknown_key_is_named() -> None:
    text = MINIMAL.replace("      - {effective_from: 2017-04-26, value:",
                           "      - {efective_to: 2018-01-01, effective_from: 2017-04-26, value:")
    with pytest.raises(StandardError, match=r"t\.yaml: params\.cv_limit\.values\[0\]: unknown key.*efective_to"):
        load_standard_text(text, "t.yaml")


def test_unknown_top_level_key() -> None:
    with pytest.raises(StandardError, match=r"t\.yaml: \(top\): unknown key.*thresholds"):
        load_standard_text(MINIMAL + "thresholds: {}\n", "t.yaml")


def test_duplicate_key_is_an_error() -> None:
    text = MINIMAL.replace("kind: enacted\n", "kind: enacted\nkind: target\n")
    with pytest.raises(StandardError, match=r"t\.yaml:4: duplicate key 'kind'"):
        load_standard_text(text, "t.yaml")


def test_duplicate_key_in_nested_flow_mapping() -> None:
    text = MINIMAL.replace("value: {primary: 0.5}", "value: {primary: 0.5, primary: 0.6}")
    with pytest.raises(StandardError, match="duplicate key 'primary'"):
        load_standard_text(text, "t.yaml")


@pytest.mark.parametrize("bad", ["2017-02-30", "2017-4-26", "26/04/2017", "2017-13-01"])
def test_bad_date(bad: str) -> None:
    text = MINIMAL.replace("- {effective_from: 2017-04-26", f"- {{effective_from: {bad}")
    with pytest.raises(StandardError, match=r"params\.cv_limit\.values\[0\]\.effective_from: bad date"):
        load_standard_text(text, "t.yaml")


def test_value_without_source() -> None:
    text = MINIMAL.replace(", source: 教督〔2017〕6号}", "}")
    with pytest.raises(StandardError, match=r"t\.yaml: params\.cv_limit\.values\[0\]: value without a source"):
        load_standard_text(text, "t.yaml")


def test_empty_source_is_no_source() -> None:
    text = MINIMAL.replace(", source: 教督〔2017〕6号}", ", source: ' '}")
    with pytest.raises(StandardError, match="value without a source"):
        load_standard_text(text, "t.yaml")


def test_overlapping_periods() -> None:
    text = MINIMAL + "      - {effective_from: 2020-01-01, value: {primary: 0.4}, source: x}\n"
    with pytest.raises(StandardError, match="periods overlap"):
        load_standard_text(text, "t.yaml")


def test_consecutive_periods_are_fine() -> None:
    text = MINIMAL.replace(
        "value: {primary: 0.5}, source: 教督〔2017〕6号}",
        "effective_to: 2019-12-31, value: {primary: 0.5}, source: 教督〔2017〕6号}",
    ) + "      - {effective_from: 2020-01-01, value: {primary: 0.4}, source: 某文件}\n"
    std = load_standard_text(text, "t.yaml")
    rule = std.params["cv_limit"]
    assert rule.at(dt.date(2019, 12, 31)).value == {"primary": 0.5}  # type: ignore[union-attr]
    assert rule.at(dt.date(2020, 1, 1)).value == {"primary": 0.4}  # type: ignore[union-attr]


def test_unverified_needs_a_note() -> None:
    text = MINIMAL.replace("source: 教督〔2017〕6号}", "source: 教督〔2017〕6号, unverified: true}")
    with pytest.raises(StandardError, match="unverified value needs a note"):
        load_standard_text(text, "t.yaml")


def test_bundled_standards_load() -> None:
    assert set(standard_ids()) == {"quality-balance-2017", "basic-balance-2012", "zhangye-2024-targets",
                                   "preschool-2020"}
    q = load_standard("quality-balance-2017")
    assert [i.id for i in q.indicators] == [
        "degree_teachers_per_100", "backbone_teachers_per_100", "pe_art_teachers_per_100",
        "teaching_area_per_student", "sports_area_per_student", "equipment_value_per_student",
        "multimedia_rooms_per_100",
    ]
    assert sum(1 for i in q.items if i.part == "government") == 15
    assert sum(1 for i in q.items if i.part == "quality") == 9
    assert len(load_standard("basic-balance-2012").indicators) == 8
    z = load_standard("zhangye-2024-targets")
    assert z.kind == "target"
    assert z.params["city_quality_share"].at(dt.date(2035, 9, 1)).value == 1.0  # type: ignore[union-attr]


def test_unknown_param_is_refused() -> None:
    from junheng.domain.dataset import Dataset
    from junheng.standards.engine import evaluate

    with pytest.raises(ValueError, match="unknown parameter"):
        evaluate(Dataset(), "quality-balance-2017", 2024, params={"cv_limmit": 0.4})
