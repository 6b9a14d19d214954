#!/usr/bin/env bash
# End-to-end throughput of `rscurate run` on the embedded broker: synthesis, scoring and curation of a whole
# manifest (default: the 775-image RSICD subset beside the checkout, about 6,000 candidates), in a Release build.
# Usage: tools/benchmarks/pipeline.sh [MANIFEST] [RUNS]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
manifest=${1:-$repo/../shared/data/rsicd/captions.jsonl}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet publish "$repo/tools/RsStreamCurate.Cli" -c Release -o "$work/bin" >/dev/null
echo "manifest: $manifest"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for run in $(seq 1 "$runs"); do
  "$work/bin/rscurate" run --manifest "$manifest" --out "$work/curated-$run" --metrics-port 0 \
    --summary-json "$work/summary-$run.json" >/dev/null
  python3 - "$work/summary-$run.json" "$run" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rate = s["candidates_in"] / s["seconds"]
print(f"run {sys.argv[2]}: {s['candidates_in']} candidates, {s['scored']} scored, {s['curated_out']} kept, "
      f"{len(s['windows'])} windows in {s['seconds']:.1f} s = {rate:.0f} candidates/s")
PY
done
