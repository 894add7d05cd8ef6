"""Start the web app in a uvicorn subprocess on a free loopback port, on a database that
already holds data; used by the browser tests and the benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db_url: str, *, workers: int = 1, log: Path | None = None,
          env: dict[str, str] | None = None, cli: bool = False) -> Iterator[str]:
    """Yield the base URL of a running server; stop it afterwards. ``cli``: start it the way
    an operator does, with ``junheng serve``, instead of uvicorn directly."""
    port = free_port()
    full_env = {**os.environ, "JUNHENG_DATABASE_URL": db_url,
                "JUNHENG_SECRET_KEY": "e2e-" + str(port), **(env or {})}
    cmd = [sys.executable, "-m", "uvicorn", "junheng.web.app:app_from_env", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-proxy-headers"]
    if cli:
        cmd = [sys.executable, "-m", "junheng.cli", "serve", "--db", db_url, "--host",
               "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 — closed below
    proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]
