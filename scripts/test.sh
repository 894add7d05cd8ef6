#!/usr/bin/env bash
# Run every test, against SQLite and PostgreSQL (JUNHENG_TEST_BACKENDS to choose).
# Installs what the tests need first; extra arguments go to pytest (e.g. -x, -k NAME).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh --dev
export JUNHENG_TEST_BACKENDS=${JUNHENG_TEST_BACKENDS:-sqlite,postgresql}
# One pytest worker per core (pytest-xdist); JUNHENG_TEST_WORKERS=0 runs in one process.
# Every test makes its own database and port, so workers never share state.
exec .venv/bin/python -m pytest -n "${JUNHENG_TEST_WORKERS:-auto}" --dist worksteal "$@"
