#!/usr/bin/env bash
# compare-engine.sh — distsim's engine beside two peer simulators on the same M/M/1 queue.
#
# What is compared: one M/M/1 queue (Poisson arrivals at rate lambda, one FIFO server with
# exponential service at rate mu), N customers, one seed, run by
#   * distsim  — sim-core's `mm1` example (target/release/examples/mm1),
#   * simcore  — the SimCore crate from crates.io (benches/peers/simcore-mm1), a Rust
#                discrete-event framework of the same kind, built with release + thin LTO,
#   * SimPy    — SimPy 4.1.2 on CPython (benches/peers/simpy_mm1.py), the usual reference.
# Each prints `<name> customers=N wall_s=S customers_per_s=R mean_sojourn=M ...`, wall time
# measured around the simulation run only. The mean sojourn is a sanity check that all three
# simulate the same system: it should be close to 1/(mu-lambda) (10 for the defaults).
#
# Why: the same workload on the same machine in the same run, so the machines' speed and load
# cancel out; distsim and simcore run in interleaved pairs and the table shows medians. Read the RATIOS (distsim/simcore, distsim/simpy), not the absolute numbers, which
# depend on the machine and on what else it is doing (this one has 2 cores, shared).
#
# SimPy is ~100x slower, so by default it runs fewer customers (SIMPY_CUSTOMERS); the rate is
# per customer, and the run time is linear in the customer count, so the rates stay comparable.
#
# Environment (all optional):
#   CUSTOMERS=10000000        customers for distsim and simcore
#   SIMPY_CUSTOMERS=1000000   customers for SimPy
#   SEED=1                    seed for all three
#   REPEAT=3                  interleaved distsim/simcore pairs (the table shows medians);
#                             SimPy, ~100x slower, runs once
#   LAMBDA=1.0 MU=1.1         arrival and service rates
#   CARGO_LOCK=/tmp/cargo.lock  cargo runs under `flock $CARGO_LOCK` when flock exists, so it
#                             does not fight other builds on a shared machine; CARGO_LOCK= to skip
#   PYTHON=python3            interpreter used to create the venv
#
# Usage: benches/peers/compare-engine.sh     (from anywhere)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

CUSTOMERS=${CUSTOMERS:-10000000}
SIMPY_CUSTOMERS=${SIMPY_CUSTOMERS:-1000000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
LAMBDA=${LAMBDA:-1.0}
MU=${MU:-1.1}
PYTHON=${PYTHON:-python3}
CARGO_LOCK=${CARGO_LOCK-/tmp/cargo.lock}

PEERS=benches/peers
WORK=$PEERS/work
VENV=$WORK/venv
# The workspace's own target directory (honours a CARGO_TARGET_DIR already set by the caller).
DISTSIM_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PEER_TARGET=$ROOT/$WORK/target

source "$ROOT/benches/peers/common.sh"

mkdir -p "$WORK"

echo "== (a) build distsim's mm1 example" >&2
cargo_locked build --release -p sim-core --example mm1
DISTSIM_BIN=$DISTSIM_TARGET/release/examples/mm1

echo "== (b) build the simcore peer" >&2
CARGO_TARGET_DIR=$PEER_TARGET cargo_locked build --release \
    --manifest-path "$PEERS/simcore-mm1/Cargo.toml"
SIMCORE_BIN=$PEER_TARGET/release/simcore-mm1

echo "== (c) SimPy venv at $VENV" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check simpy==4.1.2

echo "== (d) run: lambda=$LAMBDA mu=$MU seed=$SEED; $REPEAT interleaved distsim/simcore pairs" >&2
D_RATES=() S_RATES=()
for (( r = 0; r < REPEAT; r++ )); do
    DISTSIM_OUT=$(run_one distsim customers_per_s "$DISTSIM_BIN" \
        --lambda "$LAMBDA" --mu "$MU" --customers "$CUSTOMERS" --seed "$SEED")
    D_RATES+=("$(field distsim customers_per_s <<<"$DISTSIM_OUT")")
    SIMCORE_OUT=$(run_one simcore customers_per_s "$SIMCORE_BIN" \
        --lambda "$LAMBDA" --mu "$MU" --customers "$CUSTOMERS" --seed "$SEED")
    S_RATES+=("$(field simcore customers_per_s <<<"$SIMCORE_OUT")")
done
if [[ "$SIMPY_CUSTOMERS" != "$CUSTOMERS" ]]; then
    echo "note: SimPy runs $SIMPY_CUSTOMERS customers (the others $CUSTOMERS); rates are" \
         "customers per second of wall time, so they are comparable. SIMPY_CUSTOMERS=N to change." >&2
fi
SIMPY_OUT=$(run_one simpy customers_per_s "$VENV/bin/python" "$PEERS/simpy_mm1.py" \
    --lambda "$LAMBDA" --mu "$MU" --customers "$SIMPY_CUSTOMERS" --seed "$SEED")

D_RATE=$(printf '%s\n' "${D_RATES[@]}" | median)
S_RATE=$(printf '%s\n' "${S_RATES[@]}" | median)
P_RATE=$(field simpy customers_per_s <<<"$SIMPY_OUT")
# The sojourn column is informational (the same in every repeat: same seed); a simulator that
# does not print it shows "-".
D_SOJ=$(field distsim mean_sojourn <<<"$DISTSIM_OUT" || echo -)
S_SOJ=$(field simcore mean_sojourn <<<"$SIMCORE_OUT" || echo -)
P_SOJ=$(field simpy mean_sojourn <<<"$SIMPY_OUT" || echo -)
D_N=$(field distsim customers <<<"$DISTSIM_OUT" || echo "$CUSTOMERS")
S_N=$(field simcore customers <<<"$SIMCORE_OUT" || echo "$CUSTOMERS")
P_N=$(field simpy customers <<<"$SIMPY_OUT" || echo "$SIMPY_CUSTOMERS")

echo
echo "M/M/1 lambda=$LAMBDA mu=$MU seed=$SEED (expected mean sojourn 1/(mu-lambda) =" \
     "$(awk -v l="$LAMBDA" -v m="$MU" 'BEGIN { if (m > l) printf "%.4g", 1 / (m - l); else print "unstable" }'))"
echo "customers_per_s: distsim and simcore medians of $REPEAT interleaved runs; SimPy one run"
printf '%-10s %12s %16s %14s\n' simulator customers customers_per_s mean_sojourn
printf '%-10s %12s %16s %14s\n' distsim "$D_N" "$D_RATE" "$D_SOJ"
printf '%-10s %12s %16s %14s\n' simcore "$S_N" "$S_RATE" "$S_SOJ"
printf '%-10s %12s %16s %14s\n' simpy "$P_N" "$P_RATE" "$P_SOJ"
echo
awk -v d="$D_RATE" -v s="$S_RATE" -v p="$P_RATE" 'BEGIN {
    printf "distsim/simcore = %.2fx\n", d / s
    printf "distsim/simpy   = %.1fx\n", d / p
}'
