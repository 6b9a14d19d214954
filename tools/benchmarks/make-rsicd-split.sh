#!/usr/bin/env bash
# Writes the two manifests of `rscurate experiment` from an RSICD-style captions.jsonl:
# OUT/pool.jsonl with the train and val images of the official split, OUT/heldout.jsonl with the test images.
# Image paths stay relative to the data folder, so pass --image-root DATA_DIR to the experiment.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 CAPTIONS_JSONL OUT_DIR" >&2
  exit 2
fi

captions=$1
out=$2
mkdir -p "$out"
jq -c 'select(.rsicd_official_split == "train" or .rsicd_official_split == "val")' "$captions" > "$out/pool.jsonl"
jq -c 'select(.rsicd_official_split == "test")' "$captions" > "$out/heldout.jsonl"
echo "$(wc -l < "$out/pool.jsonl") pool images, $(wc -l < "$out/heldout.jsonl") held-out images in $out"
