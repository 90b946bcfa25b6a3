#!/usr/bin/env bash
# Installs what Roundkeeper needs on a Debian machine: the CJK font for label captions and
# the phone app's pages, Chromium for the phone app's browser tests and npm (system packages),
# a virtualenv with the project and its development tools (Playwright drives that Chromium;
# it never downloads a browser of its own), and the phone app's third-party browser code,
# pinned in server/web/vendor/package-lock.json (see THIRD_PARTY.md).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || apt_packages+=(fonts-wqy-microhei)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v npm >/dev/null || apt_packages+=(npm)

if [ ${#apt_packages[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing system packages: ${apt_packages[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[dev]"
    touch "$stamp"
fi

vendor=server/web/vendor
vendor_stamp=$vendor/node_modules/.installed
if [ ! -f "$vendor_stamp" ] || [ $vendor/package-lock.json -nt "$vendor_stamp" ]; then
    npm ci --prefix "$vendor" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    touch "$vendor_stamp"
fi
