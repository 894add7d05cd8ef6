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
