#!/usr/bin/env bash
# Installs everything Junheng needs on a fresh Debian machine, from the package registries only.
# Safe to run again: each step is skipped when already done.
#   scripts/setup.sh          runtime (venv + package, web assets, CJK font)
#   scripts/setup.sh --dev    also test tools (pytest, Playwright with Debian's chromium)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
dev=0; [ "${1:-}" = "--dev" ] && dev=1

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  # Only what is missing; apt-get update once, and only if something is missing.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "请安装 / please install: ${missing[*]}" >&2; return 1; }
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# WeasyPrint (PDF reports) needs Pango; the web app needs Node.js/npm once, to fetch its assets.
apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
command -v npm >/dev/null || apt_install nodejs npm
if [ $dev -eq 1 ]; then apt_install chromium; fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.junheng-installed
if [ $dev -eq 1 ]; then stamp=$stamp-dev; fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "安装 Python 依赖 / installing Python dependencies ..."
  .venv/bin/pip install -q --upgrade pip
  if [ $dev -eq 1 ]; then .venv/bin/pip install -q -e '.[dev]'; else .venv/bin/pip install -q -e .; fi
  touch "$stamp"
fi

if [ -x scripts/install-web-assets.sh ] || [ -f scripts/install-web-assets.sh ]; then
  bash scripts/install-web-assets.sh >/dev/null
fi
echo "安装完成 / installed: $here/.venv"
