#!/usr/bin/env bash
# Fails when `npm run gen` would change what is committed under generated/
# or examples/*/generated/: generated code is never edited by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/gen-proto.sh
paths=(generated examples/*/generated)
if [ -n "$(git status --porcelain -- "${paths[@]}")" ]; then
  echo "generated code differs from what npm run gen writes:" >&2
  git status --short -- "${paths[@]}" >&2
  git --no-pager diff --stat -- "${paths[@]}" >&2
  exit 1
fi
echo "generated code is up to date"
