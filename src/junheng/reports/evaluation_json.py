"""The evaluation as JSON, fast enough for a national dataset.

The document is the one ``Evaluation.to_json()`` describes (docs/standards.md). Written here:

- compact by default, by orjson (a compiled encoder), in pieces: the county verdicts through
  orjson, the schools straight from ``Evaluation.school_table()`` by Polars (no Python object
  per school), so that 200,000 schools cost seconds, not minutes;
- traces only on request (``traces=True``): a school's are the same rule citation repeated for
  every school, a county's the CV inputs and each item check with its list of offending
  schools; together they are most of the document's size (and of its time) at scale. Without
  them the county items are read straight from the engine's frames. The rules section, which
  cites every rule once, is always there;
- indented on request (``indent``), through the standard library (readable, slower).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import IO, Any

import orjson
import polars as pl

from junheng.standards.engine import Evaluation

_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(value: Any) -> Any:
    return str(value)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese unescaped, NaN as null, dates ISO)."""
    return orjson.dumps(value, default=_default, option=_ORJSON)


def write_evaluation_json(ev: Evaluation, out: Path | None, *, include_schools: bool = True,
                          traces: bool = False, indent: int | None = None) -> None:
    """Write ``ev`` as JSON to ``out`` (stdout when None)."""
    if indent is not None:
        doc = ev.to_json(include_schools=include_schools, traces=traces)
        text = json.dumps(doc, ensure_ascii=False, indent=indent, default=str) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        return
    if out is None:
        buf = io.BytesIO()
        _write_compact(ev, buf, include_schools, traces)
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.buffer.flush()
        return
    with out.open("wb") as fh:
        _write_compact(ev, fh, include_schools, traces)


def _write_compact(ev: Evaluation, fh: IO[bytes], include_schools: bool, traces: bool) -> None:
    head = ev.to_json(include_schools=False, traces=traces)
    tail = {k: head.pop(k) for k in ("rules", "notes")}
    fh.write(dumps(head)[:-1])  # the open document, without its closing brace
    if include_schools:
        fh.write(b',"schools":')
        if traces:
            fh.write(dumps([s.to_json() for s in ev.school_results()]))
        else:
            write_schools_json(ev, fh)
        fh.write(b',"excluded":')
        fh.write(dumps(ev.excluded.to_dicts()))
    for k, v in tail.items():
        fh.write(b"," + dumps(k) + b":" + dumps(v))
    fh.write(b"}\n")


def write_schools_json(ev: Evaluation, fh: IO[bytes], chunk: int = 50_000) -> None:
    """The ``schools`` array (records without traces), encoded by Polars in slices, so that
    memory holds one slice of text at a time. Each record is encoded by an expression
    (``struct.json_encode``, the same bytes as ``DataFrame.write_json``), which Polars runs
    on all cores."""
    frame = ev.school_table()
    fh.write(b"[")
    for off in range(0, frame.height, chunk):
        # Bytes straight from Polars: a Python str of Chinese text would be four bytes a
        # character, then copied again to encode it.
        data = frame.slice(off, chunk).select(
            pl.struct(pl.all()).struct.json_encode().str.join(",").cast(pl.Binary)).item()
        if off:
            fh.write(b",")
        fh.write(data)
    fh.write(b"]")
