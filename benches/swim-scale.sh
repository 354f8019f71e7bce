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
exec benches/scale.sh scenarios/examples/scale/swim-100k.toml "${1:-3}"
