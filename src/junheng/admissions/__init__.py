"""Online admissions (阳光招生网上办): rules as data, the frozen list and its lottery, and the
allocation of places (deferred acceptance, then 调剂), as fixed by shared/spec/admissions.md.

Pure core: takes and returns data frames and typed objects; no web, database or Excel code.
"""
