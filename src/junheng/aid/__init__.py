"""Student aid (应助尽助): match the school roll with other departments' lists, decide who
qualifies for which program (rules in ``data/student-aid.yaml``), and find who qualifies but
has no award. Pure core: frames in, typed results out; no web or database imports.
"""
