"""Supervision (督导) of the 30 measures of the Zhangye 2024 policy: the register as data and
each measure's status per county, computed from the platform's own results where it can."""
