"""Pure domain vocabulary: the field registry, enums and the in-memory dataset.

Nothing here imports web, database or Excel code.
"""
