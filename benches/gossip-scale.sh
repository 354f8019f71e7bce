#!/usr/bin/env bash
# gossip-scale.sh — how fast distsim simulates a million-member gossip group, and in how
# much memory.
#
# Runs scenarios/examples/scale/gossip-1m.toml (1,000,000 members, push-pull dissemination
# of one rumour, a crash process) REPEAT times (default 3) and prints the median wall time
# and peak RSS (GNU time), the events per second, and the run's finding line. The issue's
# budget: under 60 s wall and 2 GB peak on a 2-core machine.
#
# Usage: benches/gossip-scale.sh [REPEAT]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
exec benches/scale.sh scenarios/examples/scale/gossip-1m.toml "${1:-3}"
