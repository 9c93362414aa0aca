#!/usr/bin/env bash
# Installs what the tests need beyond the app: Chromium for the browser tests (Debian
# package; Playwright cannot download browsers here), Debian's Danish hunspell dictionary
# for spelling suggestions, Debian's Danish thesaurus (mythes-da) for synonym expansion,
# the CPU build of torch pinned *before* sentence-transformers (an unpinned torch pulls a
# multi-GB CUDA build), and the test and sentence-transformers extras.
set -euo pipefail
venv=${1:-.venv}

missing=()
for package in chromium chromium-driver hunspell-da mythes-da; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

"$venv/bin/pip" install --quiet "torch==2.13.0"
"$venv/bin/pip" install --quiet -e ".[test,st]"
"$venv/bin/python" - <<'PY'
import torch
version = torch.__version__
assert version.startswith("2.13.0") and "+cpu" in version, (
    f"torch {version} is not the pinned CPU build 2.13.0+cpu: a CUDA build was installed;"
    " uninstall torch and re-run this script (the CPU wheel index must come first)"
)
PY
