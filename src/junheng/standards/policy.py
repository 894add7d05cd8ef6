"""The city's policy numbers, read from the standards' YAML rather than written into pages:
the share of counties to certify by each target year (市委办发〔2024〕2号, 2/3 by 2027, all by
2035), the class-size bands, and the school-size and class-size caps. The web, the reports and
the planners ask here; the figures change by editing ``standards/data/*.yaml``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from junheng.standards.loader import load_standard

TARGETS_STANDARD = "zhangye-2024-targets"
QUALITY_STANDARD = "quality-balance-2017"


@dataclass(frozen=True)
class ShareTarget:
    """By ``year``, at least ``share`` of the city's counties certified."""

    year: int
    share: float
    source: str
    clause: str | None

    def counties(self, total: int) -> int:
        """How many of ``total`` counties that is (a share is met from below, so round up)."""
        return int(-(-Fraction(self.share).limit_denominator(100) * total // 1))

    def fraction(self) -> Fraction:
        return Fraction(self.share).limit_denominator(12)


def share_targets(standard_id: str = TARGETS_STANDARD) -> tuple[ShareTarget, ...]:
    """Every dated share of counties the city aims at, earliest first."""
    rule = load_standard(standard_id).params["city_quality_share"]
    out = [ShareTarget(int(v.deadline or v.effective_from.year), float(v.value), v.source,
                       v.clause) for v in rule.values]
    return tuple(sorted(out, key=lambda t: t.year))


def first_target_year(standard_id: str = TARGETS_STANDARD) -> int:
    """The nearest target year of the city's measures (2027): a plan's default horizon."""
    return share_targets(standard_id)[0].year


def _check_value(standard_id: str, item_id: str, day: dt.date | None) -> Any:
    item = next(i for i in load_standard(standard_id).items if i.id == item_id)
    rule = item.checks[0].rule
    value = rule.at(day) if day else None
    return (value or rule.values[-1]).value


def school_size_caps(day: dt.date | None = None) -> dict[str, int]:
    """The most compulsory pupils a school may have, by school type (2000; 2500 for nine- and
    twelve-year schools: g04 of the 2017 method)."""
    return {k: int(v) for k, v in _check_value(QUALITY_STANDARD, "g04_school_size",
                                               day).items()}


def class_band_limits(day: dt.date | None = None,
                      standard_id: str = QUALITY_STANDARD) -> dict[str, int]:
    """normal_max, large_max, big_max of the class-size bands (45, 55, 65)."""
    rule = load_standard(standard_id).params["class_bands"]
    value = (rule.at(day) if day else None) or rule.values[-1]
    return {k: int(v) for k, v in value.value.items()}
