"""How a number is written into JSON, once: floats rounded to a fixed number of digits (so
outputs compare equal across platforms), NaN and infinity as null (JSON has neither)."""

from __future__ import annotations

import math
from typing import Any


def json_number(v: Any, digits: int = 6) -> Any:
    """``v`` ready for JSON: a finite float rounded to ``digits``, NaN/inf as None, anything
    else unchanged."""
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, digits)
    return v


def json_numbers(values: list[Any], digits: int = 6) -> list[Any]:
    """``json_number`` of every value of a list (a column read with ``to_list()``), without a
    function call per value: at national scale a column holds tens of thousands of figures."""
    finite = math.isfinite
    return [round(v, digits) if isinstance(v, float) and finite(v)
            else (None if isinstance(v, float) else v) for v in values]
