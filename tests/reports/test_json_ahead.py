"""The school records of the evaluation JSON are encoded on a worker thread a few slices ahead
of the writer: same bytes, the worker's error raised in the writer, and no worker left
waiting when the writer gives up."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from junheng.reports.evaluation_json import _Ahead, _write_array


def _slices(n: int, fail_at: int | None = None) -> Iterator[bytes]:
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"slice {i} failed")
        yield f'{{"n":{i}}}'.encode()


class _Sink:
    def __init__(self) -> None:
        self.data = b""

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)


def test_slices_arrive_in_order_as_one_array() -> None:
    sink = _Sink()
    ahead = _Ahead(_slices(10), depth=3)
    _write_array(ahead, sink)  # type: ignore[arg-type]
    ahead.stop()
    assert sink.data == b"[" + b",".join(f'{{"n":{i}}}'.encode() for i in range(10)) + b"]"


def test_an_error_in_the_worker_is_raised_in_the_writer() -> None:
    ahead = _Ahead(_slices(10, fail_at=4), depth=2)
    got = []
    with pytest.raises(ValueError, match="slice 4 failed"):
        for item in ahead:
            got.append(item)
    ahead.stop()
    assert len(got) == 4


def test_a_writer_that_gives_up_ends_the_worker() -> None:
    before = threading.active_count()
    ahead = _Ahead(_slices(1000), depth=2)  # the worker fills its two places and waits
    ahead.stop()  # never read: the worker must not wait forever
    assert threading.active_count() == before
