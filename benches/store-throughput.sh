#!/usr/bin/env bash
# store-throughput.sh — how fast distsim simulates a replicated store, and what the history
# and the consistency metrics cost.
#
# scenarios/examples/scale/quorum-throughput.toml (100 clients, 1M quorum operations per
# simulated second on a 3-replica store, N = 3, R = W = 2, client-side coordination),
# shortened to DURATION simulated seconds (default 3), run REPEAT times (default 3) with the
# consistency history on and off (`--set report.consistency=false`), interleaved so that
# the machine's drift hits both alike. Prints the median wall time and peak RSS (GNU time)
# of each, client operations per wall second, events per second, and the on/off ratio.
#
# Usage: benches/store-throughput.sh [DURATION_S] [REPEAT]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/peers/common.sh
DURATION=${1:-3}
REPEAT=${2:-3}
cargo build --release -q -p distsim-cli
B=target/release/distsim
F=scenarios/examples/scale/quorum-throughput.toml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq "$REPEAT"); do
  for c in true false; do
    /usr/bin/time -f "%e %M" -o "$WORK/time-$c-$i" "$B" run "$F" --quiet --out "$WORK/out-$c" \
      --set "simulation.duration=\"${DURATION}s\"" --set "report.consistency=$c"
  done
done
for c in true false; do
  wall=$(for i in $(seq "$REPEAT"); do cut -d' ' -f1 "$WORK/time-$c-$i"; done | median)
  rss=$(for i in $(seq "$REPEAT"); do cut -d' ' -f2 "$WORK/time-$c-$i"; done | median)
  python3 - "$c" "$wall" "$rss" "$WORK/out-$c/results.json" <<'PY'
import json, sys
c, wall, rss, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
ops = r["counters"]["client.requests"]
print(f"consistency={c:5}: {wall:.2f} s wall (median), {rss / 1024:.0f} MiB peak, "
      f"{ops / wall / 1e6:.2f}M client ops/s, {r['events'] / wall / 1e6:.2f}M events/s")
PY
done
on=$(for i in $(seq "$REPEAT"); do cut -d' ' -f1 "$WORK/time-true-$i"; done | median)
off=$(for i in $(seq "$REPEAT"); do cut -d' ' -f1 "$WORK/time-false-$i"; done | median)
python3 -c "print(f'history and consistency metrics: {float(\"$on\") / float(\"$off\"):.2f}x the wall time without')"
