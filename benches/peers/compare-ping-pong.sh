#!/usr/bin/env bash
# compare-ping-pong.sh — distsim's engine beside SimCore on the same message-heavy workload,
# at 1k, 10k, 100k and 1M processes.
#
# What is compared: P processes; process i's peers are i+1 ..= i+K (mod P). Each process
# plays I rounds: a ping to a peer drawn uniformly from its K, answered at once by a pong.
# One-way delay 1 ms + U[0, 0.1 ms), no bandwidth limit; all processes start at time 0, so P
# rounds are always in progress. 2 * P * I message events per run (20M by default), run by
#   * distsim  — `peer_ping_pong` (benches/src/bin, on distsim_benches::rounds_ping_pong):
#                sim-core's full network path (partition/loss checks, the sender's network
#                stream, per-node counters, the run digest),
#   * simcore  — the SimCore crate from crates.io (benches/peers/simcore-ping-pong), one
#                component per process, release + thin LTO.
# Each prints `<name> processes=P peers=K rounds=I events=E wall_s=S events_per_s=R
# peak_rss_mb=M`; wall time covers the run only (not building the processes), peak RSS the
# whole process (the kernel's VmHWM).
#
# Why: the same workload on the same machine in the same run, so the machine's speed and load
# cancel out. The two run in interleaved pairs (distsim, simcore, distsim, ...) and the table
# shows the median of REPEAT pairs; read the RATIOS, not the absolute rates.
#
# Environment (all optional):
#   SIZES="1000 10000 100000 1000000"   process counts
#   EVENTS=20000000           message events per run (rounds = EVENTS / (2 * P))
#   PEERS=10                  K below 1M processes; PEERS_1M=2 at 1M and above
#   REPEAT=3                  interleaved pairs per size (the table shows medians)
#   SEED=1
#   CARGO_LOCK=/tmp/cargo.lock  cargo runs under `flock $CARGO_LOCK` when flock exists
#
# Usage: benches/peers/compare-ping-pong.sh     (from anywhere; needs crates.io the first time)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

SIZES=${SIZES:-"1000 10000 100000 1000000"}
EVENTS=${EVENTS:-20000000}
PEERS=${PEERS:-10}
PEERS_1M=${PEERS_1M:-2}
REPEAT=${REPEAT:-3}
SEED=${SEED:-1}
CARGO_LOCK=${CARGO_LOCK-/tmp/cargo.lock}

PEERS_DIR=benches/peers
WORK=$PEERS_DIR/work
DISTSIM_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PEER_TARGET=$ROOT/$WORK/target

source "$ROOT/benches/peers/common.sh"

mkdir -p "$WORK"

echo "== (a) build distsim's peer_ping_pong" >&2
cargo_locked build --release -p distsim-benches --bin peer_ping_pong
DISTSIM_BIN=$DISTSIM_TARGET/release/peer_ping_pong

echo "== (b) build the simcore peer" >&2
CARGO_TARGET_DIR=$PEER_TARGET cargo_locked build --release \
    --manifest-path "$PEERS_DIR/simcore-ping-pong/Cargo.toml"
SIMCORE_BIN=$PEER_TARGET/release/simcore-ping-pong

ROWS=()
for P in $SIZES; do
    K=$PEERS
    if (( P >= 1000000 )); then K=$PEERS_1M; fi
    I=$(( EVENTS / (2 * P) ))
    if (( I < 1 )); then I=1; fi
    echo "== (c) P=$P K=$K I=$I: $REPEAT interleaved pairs" >&2
    D_RATES=() S_RATES=() D_RSS=() S_RSS=()
    for (( r = 0; r < REPEAT; r++ )); do
        out=$(run_one distsim events_per_s "$DISTSIM_BIN" --processes "$P" --peers "$K" --rounds "$I" --seed "$SEED")
        D_RATES+=("$(field distsim events_per_s <<<"$out")")
        D_RSS+=("$(field distsim peak_rss_mb <<<"$out")")
        out=$(run_one simcore events_per_s "$SIMCORE_BIN" --processes "$P" --peers "$K" --rounds "$I" --seed "$SEED")
        S_RATES+=("$(field simcore events_per_s <<<"$out")")
        S_RSS+=("$(field simcore peak_rss_mb <<<"$out")")
    done
    d=$(printf '%s\n' "${D_RATES[@]}" | median)
    s=$(printf '%s\n' "${S_RATES[@]}" | median)
    dm=$(printf '%s\n' "${D_RSS[@]}" | median)
    sm=$(printf '%s\n' "${S_RSS[@]}" | median)
    ROWS+=("$P $K $I $(( 2 * P * I )) $d $s $dm $sm")
done

echo
echo "Ping-pong rounds, 1 ms + U[0, 0.1 ms) one way, seed $SEED; medians of $REPEAT interleaved pairs"
printf '%9s %4s %7s %10s | %14s %14s %7s | %10s %10s %9s\n' \
    processes K rounds events distsim_ev/s simcore_ev/s speed distsim_MB simcore_MB rss_ratio
for row in "${ROWS[@]}"; do
    read -r P K I E d s dm sm <<<"$row"
    awk -v P="$P" -v K="$K" -v I="$I" -v E="$E" -v d="$d" -v s="$s" -v dm="$dm" -v sm="$sm" 'BEGIN {
        printf "%9d %4d %7d %10d | %14.0f %14.0f %6.2fx | %10.1f %10.1f %8.2fx\n",
            P, K, I, E, d, s, d / s, dm, sm, dm / sm
    }'
done
echo
echo "speed = distsim events/s over simcore's (higher is better); rss_ratio = distsim peak RSS over simcore's (lower is better)"
