#!/usr/bin/env bash
# Type-checks the package as it is installed: ingest/, search/, api/ and web/ are the
# subpackages vidensbank.ingest, … (pyproject's package-dir), which mypy cannot map from
# the source tree, so it checks a tree of links laid out like the installed package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "${1:-$root/.venv}" && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/vidensbank"
for entry in "$root"/vidensbank/*; do ln -s "$entry" "$tree/vidensbank/"; done
for sub in ingest search api web; do ln -s "$root/$sub" "$tree/vidensbank/$sub"; done
cd "$tree"
"$venv/bin/mypy" --config-file "$root/pyproject.toml" --python-executable "$venv/bin/python" \
    --cache-dir "$root/.mypy_cache" -p vidensbank
