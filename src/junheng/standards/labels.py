"""One source for the words a reader sees in place of an id, in Chinese and English.

Indicators, items and rules take their labels from the standards' YAML (``standards/data``);
tables, columns and coded values (stage, school type, locale …) from the field registry
(``domain/data/format-v1.yaml``); the few words that belong to no file — the parts of the 2017
method and the verdicts — are written once here. Other packages add their own vocabularies
with :func:`register` (the investment planner registers its actions), so the web's message
catalogue and the reports ask one function, :func:`label`, and never keep a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Literal

from junheng.domain.fields import registry
from junheng.standards.loader import load_standard, standard_ids

Lang = Literal["zh", "en"]
# (Chinese, English); English may be missing, then the Chinese is shown.
Pair = tuple[str, str | None]

# The parts of the 2017 method (第五条–第八条, 一票否决), the city's targets and the 2020
# preschool method.
PARTS: dict[str, Pair] = {
    "resources": ("资源配置", "Resources"),
    "balance": ("校际均衡", "Balance between schools"),
    "government": ("政府保障程度", "Government guarantee"),
    "quality": ("教育质量", "Quality"),
    "recognition": ("社会认可度", "Social recognition"),
    "veto": ("一票否决", "Veto items"),
    "targets": ("市级目标", "City targets"),
    # The parts of the 2020 preschool method.
    "coverage": ("普及普惠水平", "Universal and inclusive access"),
    "care_quality": ("幼儿园保教质量保障", "Quality of care and education"),
}
STATUSES: dict[str, Pair] = {
    "passed": ("达标", "Passed"),
    "failed": ("未达标", "Not passed"),
    "not_reported": ("未报送", "Not reported"),
    "reported": ("已计算", "Computed"),
}
# The keys of a verdict's trace and of the measures items compute (the engine's own words).
MEASURES: dict[str, Pair] = {
    "value": ("实际值", "Value"),
    "threshold": ("标准值", "Threshold"),
    "comparison": ("比较方式", "Comparison"),
    "clause": ("条款", "Clause"),
    "source": ("依据文件", "Source"),
    "unverified": ("待核实", "Unverified"),
    "inputs": ("计算数据", "Inputs"),
    "formula": ("公式", "Formula"),
    "rule": ("规则", "Rule"),
    "art_area_m2": ("美术教室面积(m²)", "Art room area (m²)"),
    "music_area_m2": ("音乐教室面积(m²)", "Music room area (m²)"),
    "classes_per_room": ("每间对应班级数", "Classes per room"),
    "backbone_share": ("骨干教师占比", "Backbone share"),
    "rotation_share": ("交流轮岗比例", "Rotation share"),
    "share": ("比例", "Share"),
    "rural_tilt": ("向农村初中倾斜", "Tilted to rural schools"),
    "level": ("等级", "Level"),
    "school_diff_rate": ("校际差异率", "Between-school difference"),
    "students": ("学生数", "Students"),
    "scale": ("倍数", "Scale"),
    "pay_ratio": ("教师与公务员平均工资之比", "Teacher to civil-servant pay"),
    "normal_max": ("正常班额上限", "Normal class limit"),
    "large_max": ("偏大班额上限", "Large class limit"),
    "big_max": ("大班额上限", "Big class limit"),
    "schools": ("学校资源配置数据", "School resource data"),
    "composite_cv": ("综合差异系数", "Composite coefficient of variation"),
    # The county figures of the 2020 preschool method (standards.preschool).
    "preschool_children": ("在园幼儿数", "Children in kindergarten"),
    "public_children": ("公办园在园幼儿数", "Children in public kindergartens"),
    "inclusive_children": ("公办园和普惠性民办园在园幼儿数", "Children in inclusive kindergartens"),
    "preschool_classes": ("幼儿园班级数", "Kindergarten classes"),
    "preschool_teachers": ("幼儿园专任教师数", "Kindergarten teachers"),
    "preschool_certified_teachers": ("幼儿园持证专任教师数", "Certified kindergarten teachers"),
}
# How a rule compares (a full-width ＝: a bare "=" in a spreadsheet cell reads as a formula).
COMPARISONS: dict[str, Pair] = {"ge": ("≥", "≥"), "le": ("≤", "≤"), "eq": ("＝", "="),
                                "gt": (">", ">"), "lt": ("<", "<")}
# Where a vocabulary is known by another name (the web's message keys are short).
ALIASES = {"ind": "indicator", "trace": "measure"}

# The standards' indicator units (Chinese in their YAML) as English words: 人 counts teachers
# (per 100 pupils), 间 rooms, 台 computers or devices, 册 books. One table for the pages and
# the causes' sentences.
UNIT_WORDS_EN: Mapping[str, str] = {"人": "teachers", "间": "rooms", "元": "yuan", "台": "units",
                                    "册": "books", "m²": "m²", "平方米": "m²"}

_registered: dict[str, dict[str, Pair]] = {}


def register(kind: str, labels: Mapping[str, Pair | str]) -> None:
    """Add a vocabulary (e.g. ``register("action", {"add_classrooms": ("新增普通教室", "…")})``).
    Later registrations of the same id win, so a package owns its own words."""
    bucket = _registered.setdefault(ALIASES.get(kind, kind), {})
    for ident, pair in labels.items():
        bucket[ident] = (pair, None) if isinstance(pair, str) else pair


@cache
def _standards() -> dict[str, dict[str, Pair]]:
    """Indicators, items and rules of every shipped standard; the newest standard's words win
    where two define the same id."""
    out: dict[str, dict[str, Pair]] = {"indicator": {}, "item": {}, "param": {}, "unit": {},
                                       "resource": {}}
    for sid in sorted(standard_ids(), reverse=True):
        std = load_standard(sid)
        for ind in std.indicators:
            out["indicator"].setdefault(ind.id, (ind.label, ind.label_en))
            out["unit"].setdefault(ind.id, (ind.unit, ind.unit))
            # What a school lacks of the indicator's resource (its shortfall's words).
            out["resource"].setdefault(ind.id, (ind.resource_label, ind.resource_label_en))
        for item in std.items:
            out["item"].setdefault(item.id, (item.label, item.label_en))
            for check in item.checks:
                rule = check.rule
                out["param"].setdefault(rule.id, (rule.label, rule.label_en))
        for rid, rule in std.params.items():
            out["param"].setdefault(rid, (rule.label, rule.label_en))
    return out


@cache
def _fields() -> dict[str, dict[str, Pair]]:
    reg = registry()
    out: dict[str, dict[str, Pair]] = {"table": {}, "column": {}}
    for name, values in reg.enums.items():
        english = reg.enums_en.get(name, {})
        out[name] = {k: (v, english.get(k)) for k, v in values.items()}
    for table in reg.tables:
        out["table"][table.id] = (table.label, table.label_en)
        for col in table.columns:
            out["column"].setdefault(col.id, (col.label, col.label_en))
            out["column"][f"{table.id}.{col.id}"] = (col.label, col.label_en)
            if col.unit:
                out.setdefault("column_unit", {})[col.id] = (col.unit,
                                                             reg.units_en.get(col.unit, col.unit))
    return out


def vocabulary(kind: str) -> Mapping[str, Pair]:
    """Every (Chinese, English) pair of one kind."""
    kind = ALIASES.get(kind, kind)
    if kind in _registered:
        return _registered[kind]
    if kind == "part":
        return PARTS
    if kind == "status":
        return STATUSES
    if kind == "measure":
        return MEASURES
    if kind == "comparison":
        return COMPARISONS
    std = _standards()
    if kind in std:
        return std[kind]
    return _fields().get(kind, {})


def kinds() -> tuple[str, ...]:
    """Every vocabulary :func:`label` knows."""
    return tuple(sorted({"part", "status", "measure", "comparison", *_standards(), *_fields(), *_registered,
                         *ALIASES}))


def label(kind: str, ident: str, lang: str = "zh") -> str | None:
    """The reader's word for ``ident`` of ``kind`` (indicator, item, param, table, column,
    stage, school_type, locale, … part, status, action), or None when no source defines it."""
    pair = vocabulary(kind).get(ident)
    if pair is None:
        return None
    return (pair[1] or pair[0]) if lang == "en" else pair[0]


# The order in which a bare key (a trace's input, a rule's value key) is looked up.
_ANY_ORDER = ("measure", "indicator", "item", "param", "column", "stage", "school_type", "table", "part")


def any_label(ident: str, lang: str = "zh") -> str | None:
    """The word for a key whose kind the caller does not know (the inputs of a trace)."""
    for kind in _ANY_ORDER:
        text = label(kind, ident, lang)
        if text is not None:
            return text
    return None


def ids_label(ids: list[str] | tuple[str, ...], lang: str = "zh", sep: str = "、") -> str:
    """A list of ids as words: an item, an indicator, or ``stage.what`` (what the engine lists
    as not reported)."""
    words = []
    for ident in ids:
        stage, dot, what = ident.partition(".")
        if dot and label("stage", stage) is not None:
            words.append(f"{label('stage', stage, lang)}{any_label(what, lang) or what}")
        else:
            words.append(label("item", ident, lang) or any_label(ident, lang) or ident)
    return sep.join(words)


def unit(kind: str, ident: str, lang: str = "zh") -> str | None:
    """The unit of an indicator (``"indicator"``) or a column (``"column"``); in English a
    column's unit may be ``""`` (its label names what is counted)."""
    source = _standards()["unit"] if ALIASES.get(kind, kind) == "indicator" else \
        _fields().get("column_unit", {})
    pair = source.get(ident)
    if pair is None:
        return None
    return pair[1] if lang == "en" and pair[1] is not None else pair[0]
