#!/usr/bin/env bash
# sweep-speedup.sh — distsim sweep's parallel speed-up and its cost per run.
#
# 16 runs (quickstart.toml shortened to 10 simulated seconds; 2 client counts x 8
# replications), swept with --threads 1 and --threads 2 (sweep.json must be identical), then
# the same 16 runs (same seeds and settings, read back from the sweep's results) one by one
# with `distsim run`. Prints wall times, the 1 -> 2 thread speed-up, and sweep vs one-by-one.
# `distsim run` also renders plots and report.html for every run, which a sweep does once
# for the whole sweep, so one-by-one is the slower of the two. Read ratios, not absolute
# times: the machine is shared.
#
# Usage: benches/sweep-speedup.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p scenarios
B=target/release/distsim
F=scenarios/examples/quickstart.toml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ARGS=(--vary group.clients.count=10,20 --replications 8 --set 'simulation.duration="10s"' -q)
now() { date +%s.%N; }
t0=$(now); "$B" sweep "$F" "${ARGS[@]}" --threads 1 --out "$WORK/one-thread"
t1=$(now); "$B" sweep "$F" "${ARGS[@]}" --threads 2 --out "$WORK/two-threads"
t2=$(now)
cmp "$WORK/one-thread/sweep.json" "$WORK/two-threads/sweep.json"
echo "sweep.json identical at 1 and 2 threads"
t3=$(now)
for d in "$WORK"/one-thread/runs/*; do
  variant=$(basename "$d" | sed 's/^v0*\([0-9]*\)-.*/\1/')
  seed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seed'])" "$d/results.json")
  clients=$([ "${variant:-0}" = "" ] || [ "${variant:-0}" = "0" ] && echo 10 || echo 20)
  "$B" run "$F" --seed "$seed" --set "group.clients.count=$clients" \
    --set 'simulation.duration="10s"' --out "$WORK/single" --quiet
done
t4=$(now)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" <<'PY'
import sys
t0, t1, t2, t3, t4 = map(float, sys.argv[1:])
one, two, single = t1 - t0, t2 - t1, t4 - t3
print(f"16 runs: sweep --threads 1 {one:.2f} s, --threads 2 {two:.2f} s: speed-up {one / two:.2f}x")
print(f"one by one (16 x distsim run): {single:.2f} s; sweep --threads 1 / one-by-one = "
      f"{one / single:.3f} ({(one - single) / 16 * 1000:+.0f} ms per run)")
PY
