#!/usr/bin/env bash
# swim-scale.sh — how fast distsim simulates a 100,000-member SWIM group, and in how much
# memory.
#
# Runs scenarios/examples/scale/swim-100k.toml (100,000 members for 60 simulated seconds,
# 1 % loss, a crash process and a partition) REPEAT times (default 3) and prints the median
# wall time and peak RSS (GNU time), the events per second, and the run's finding line. The
# issue's aim: 5M events/s on a 2-core machine.
#
# Usage: benches/swim-scale.sh [REPEAT]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/peers/common.sh
REPEAT=${1:-3}
cargo build --release -q -p distsim-cli
B=target/release/distsim
F=scenarios/examples/scale/swim-100k.toml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq "$REPEAT"); do
  /usr/bin/time -f "%e %M" -o "$WORK/time-$i" "$B" run "$F" --out "$WORK/out" > "$WORK/stdout-$i"
done
wall=$(for i in $(seq "$REPEAT"); do cut -d' ' -f1 "$WORK/time-$i"; done | median)
rss=$(for i in $(seq "$REPEAT"); do cut -d' ' -f2 "$WORK/time-$i"; done | median)
python3 - "$wall" "$rss" "$WORK/out/results.json" <<'PY'
import json, sys
wall, rss, path = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
r = json.load(open(path))
print(f"swim-100k: {wall:.1f} s wall (median), {rss / 1024:.0f} MiB peak, "
      f"{r['events'] / wall / 1e6:.2f}M events/s ({r['events']:,} events)")
for line in r.get("findings", []):
    print(line)
PY
