#!/usr/bin/env bash
# Run every test, against SQLite and PostgreSQL (JUNHENG_TEST_BACKENDS to choose).
# Installs what the tests need first; extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh --dev
export JUNHENG_TEST_BACKENDS=${JUNHENG_TEST_BACKENDS:-sqlite,postgresql}
exec .venv/bin/python -m pytest "$@"
