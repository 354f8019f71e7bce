#!/usr/bin/env bash
# scale.sh — how fast distsim simulates one of the large shipped scenarios, and in how much
# memory: the shared body of gossip-scale.sh and swim-scale.sh.
#
# Runs SCENARIO REPEAT times (default 3) and prints the median wall time and peak RSS (GNU
# time), the events per second, and the run's finding lines.
#
# Usage: benches/scale.sh SCENARIO [REPEAT]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/peers/common.sh
F=$1
REPEAT=${2:-3}
cargo build --release -q -p distsim-cli
B=target/release/distsim
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq "$REPEAT"); do
  /usr/bin/time -f "%e %M" -o "$WORK/time-$i" "$B" run "$F" --out "$WORK/out" > "$WORK/stdout-$i"
done
wall=$(for i in $(seq "$REPEAT"); do cut -d' ' -f1 "$WORK/time-$i"; done | median)
rss=$(for i in $(seq "$REPEAT"); do cut -d' ' -f2 "$WORK/time-$i"; done | median)
python3 - "$wall" "$rss" "$WORK/out/results.json" "$(basename "$F" .toml)" <<'PY'
import json, sys
wall, rss, path, name = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
r = json.load(open(path))
print(f"{name}: {wall:.1f} s wall (median), {rss / 1024:.0f} MiB peak, "
      f"{r['events'] / wall / 1e6:.2f}M events/s ({r['events']:,} events)")
for line in r.get("findings", []):
    print(line)
PY
