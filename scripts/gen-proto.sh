#!/usr/bin/env bash
# Regenerates every ts-proto output from the .proto files, offline.
# generated/ (core protocol) and examples/*/generated/ (each example plugin's
# own package) are written only by this script: `npm run gen`.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=./node_modules/.bin/buf
"$buf" lint proto
"$buf" generate proto --template proto/buf.gen.yaml
for ex in examples/*/; do
  if [ -f "$ex/proto/buf.yaml" ]; then
    "$buf" lint "$ex/proto"
    "$buf" generate "$ex/proto" --template "$ex/buf.gen.yaml"
  fi
done
