"""Finance guarantees (两个只增不减, pay parity, public funds norms, funds follow students).

Pure core: takes a ``Dataset`` and the rules in ``data/finance-guarantees.yaml`` and returns a
typed result; the CLI, reports and web pages render it.
"""
