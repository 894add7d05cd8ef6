#!/usr/bin/env bash
# Install, load the built-in demo data into the default SQLite database, and start the site.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
# The database is the installation's own (.venv/var/junheng.sqlite, or JUNHENG_DATABASE_URL):
# every command finds it wherever it is run from; `junheng --help` prints where it is.
mkdir -p var
.venv/bin/junheng demo --out var/demo.xlsx
.venv/bin/junheng import var/demo.xlsx
# The demo's applicants (synthetic children) into the admissions portal, where the staff pages
# read them; a second run loads nothing.
.venv/bin/junheng demo-families
if .venv/bin/junheng --help | grep -q " serve"; then
  exec .venv/bin/junheng serve --host 127.0.0.1 --port "${PORT:-8000}"
fi
echo "演示数据已导入；可运行 .venv/bin/junheng --help 查看命令 / demo loaded; see .venv/bin/junheng --help"
