#!/usr/bin/env bash
# Install uv when it is missing (from PyPI: the only registry these machines reach).
set -euo pipefail
if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then exit 0; fi
echo "installing uv" >&2
if ! python3 -m pip --version >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-pip
fi
python3 -m pip install --quiet uv 2>/dev/null \
  || python3 -m pip install --quiet --user uv 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv
