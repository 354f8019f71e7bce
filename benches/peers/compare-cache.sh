#!/usr/bin/env bash
# compare-cache.sh — distsim's cache simulator beside libCacheSim on the same trace.
#
# What is compared: one synthetic trace in libCacheSim's oracleGeneral format (REQUESTS
# requests, Zipf(ALPHA) over OBJECTS objects with scrambled 64-bit ids, each object a fixed
# size drawn log-uniformly in MIN_SIZE..MAX_SIZE bytes, RATE requests per second), replayed by
#   * distsim      — `distsim cache TRACE --policies P --sizes S --threads T --out DIR --quiet`
#                    (target/release/distsim, package `distsim-cli`), which writes DIR/results.json,
#   * libCacheSim  — the official Python package (PyPI `libcachesim`, pinned below), each
#                    policy's class with its default parameters, `cache.process_trace(reader)`,
# for the same policies at the same absolute capacities: FRACTIONS of the trace's working set
# in bytes (sum of the sizes of its distinct objects), floored to integers, computed once and
# passed to both as bytes. Printed per (policy, capacity): both miss ratios and byte miss
# ratios and their differences. FIFO and LRU must match exactly (equal miss and byte-miss
# counts); the others within TOLERANCE absolute, on both ratios. The script exits 1 if any
# check fails.
#
# Then requests/s of both on the same trace, single-threaded, one policy x one capacity per
# timed run, best of REPEAT, at THROUGHPUT_FRACTIONS: libCacheSim's time is opening the trace +
# process_trace inside Python (no interpreter start, no cache construction); distsim's is the
# whole `distsim cache ... --threads 1` process (start-up, reading the trace, building the
# cache, simulating, writing results.json). Both read the same file from the page cache. The
# asymmetry favours libCacheSim. Read the ratio; the absolute numbers depend on the machine
# and its load (this one has 2 cores, shared).
#
# Policies (ours -> libCacheSim class): fifo FIFO, lru LRU, random Random, lfu LFU, clock Clock,
# slru SLRU, 2q TwoQ, arc ARC, w-tinylfu WTinyLFU, sieve Sieve, s3-fifo S3FIFO.
# libCacheSim's Random is seeded from the clock, so it differs run to run by a little.
#
# Environment (all optional):
#   REQUESTS=5000000 OBJECTS=1000000   trace length and Zipf population (REQUESTS=500000
#                             OBJECTS=100000 for a quick try)
#   ALPHA=1.0 SEED=1 RATE=1000         Zipf exponent, generator seed, requests per trace second
#   MIN_SIZE=100 MAX_SIZE=16384        object sizes in bytes
#   FRACTIONS=0.001,0.01,0.1           capacities as fractions of the working-set bytes
#   POLICIES=fifo,lru,random,lfu,clock,slru,2q,arc,w-tinylfu,sieve,s3-fifo
#   TOLERANCE=0.002                    bound for the policies other than fifo and lru
#   REPEAT=3                           timed runs per (policy, capacity), best kept
#   THROUGHPUT_FRACTIONS=0.01          fractions (among FRACTIONS) timed; empty = no timing
#   THREADS=2                          distsim threads for the (untimed) miss-ratio run
#   ZST=0                              1: also write TRACE.zst and have both tools read it
#   SKIP_DISTSIM=0                     1: libCacheSim side only (no cargo, no checks)
#   DISTSIM=                           a distsim binary to use as is (skips the cargo build)
#   CARGO_LOCK=/tmp/cargo.lock         cargo runs under `flock $CARGO_LOCK` when flock exists,
#                                      so it does not fight other builds; CARGO_LOCK= to skip
#   PYTHON=python3                     interpreter used to create the venv
#
# The trace is written to benches/peers/work/zipf.oracleGeneral (git-ignored, ~24 B per
# request: 120 MB for 5M) with a JSON sidecar; it is regenerated only when a knob changes.
#
# Usage: benches/peers/compare-cache.sh     (from anywhere)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

REQUESTS=${REQUESTS:-5000000}
OBJECTS=${OBJECTS:-1000000}
ALPHA=${ALPHA:-1.0}
SEED=${SEED:-1}
RATE=${RATE:-1000}
MIN_SIZE=${MIN_SIZE:-100}
MAX_SIZE=${MAX_SIZE:-16384}
FRACTIONS=${FRACTIONS:-0.001,0.01,0.1}
POLICIES=${POLICIES:-fifo,lru,random,lfu,clock,slru,2q,arc,w-tinylfu,sieve,s3-fifo}
TOLERANCE=${TOLERANCE:-0.002}
REPEAT=${REPEAT:-3}
THROUGHPUT_FRACTIONS=${THROUGHPUT_FRACTIONS-0.01}
THREADS=${THREADS:-2}
ZST=${ZST:-0}
SKIP_DISTSIM=${SKIP_DISTSIM:-0}
PYTHON=${PYTHON:-python3}
CARGO_LOCK=${CARGO_LOCK-/tmp/cargo.lock}

# Pinned: libcachesim 0.3.5 ships a manylinux_2_34 x86_64 wheel for CPython 3.11 (the C
# library, libzstd and its other native libraries bundled), so nothing is compiled here.
LIBCACHESIM_VERSION=0.3.5
NUMPY_VERSION=2.4.6
ZSTANDARD_VERSION=0.25.0

PEERS=benches/peers
WORK=$PEERS/work
VENV=$WORK/venv-cache
TRACE=$WORK/zipf.oracleGeneral
# The workspace's own target directory (honours a CARGO_TARGET_DIR already set by the caller).
DISTSIM_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DISTSIM_BIN=${DISTSIM:-$DISTSIM_TARGET/release/distsim}

cargo_locked() {
    if [[ -n "$CARGO_LOCK" ]] && command -v flock >/dev/null 2>&1; then
        flock "$CARGO_LOCK" cargo "$@"
    else
        cargo "$@"
    fi
}

mkdir -p "$WORK"

echo "== (a) libCacheSim venv at $VENV" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
PACKAGES=("libcachesim==$LIBCACHESIM_VERSION" "numpy==$NUMPY_VERSION")
if [[ "$ZST" == 1 ]]; then
    PACKAGES+=("zstandard==$ZSTANDARD_VERSION")
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
PY=("$VENV/bin/python" "$PEERS/compare_cache.py")

if [[ "$SKIP_DISTSIM" == 1 ]]; then
    echo "== (b) SKIP_DISTSIM=1: not building distsim" >&2
    DISTSIM_ARG=""
elif [[ -n "${DISTSIM:-}" ]]; then
    echo "== (b) DISTSIM=$DISTSIM_BIN: using it as is, not building" >&2
    if [[ ! -x "$DISTSIM_BIN" ]]; then
        echo "error: DISTSIM=$DISTSIM_BIN is not an executable file" >&2
        exit 2
    fi
    DISTSIM_ARG=$DISTSIM_BIN
else
    echo "== (b) build distsim (release, package distsim-cli)" >&2
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: cargo not found; install Rust, or SKIP_DISTSIM=1 for the libCacheSim side" >&2
        exit 2
    fi
    cargo_locked build --release -p distsim-cli
    if [[ ! -x "$DISTSIM_BIN" ]]; then
        echo "error: no $DISTSIM_BIN after the build; build it with" \
             "\`cargo build --release -p distsim-cli\` (CARGO_TARGET_DIR=$DISTSIM_TARGET)" >&2
        exit 2
    fi
    DISTSIM_ARG=$DISTSIM_BIN
fi

echo "== (c) trace $TRACE: $REQUESTS requests, Zipf alpha=$ALPHA over $OBJECTS objects, seed $SEED" >&2
GEN_ARGS=(--out "$TRACE" --requests "$REQUESTS" --objects "$OBJECTS" --alpha "$ALPHA"
          --seed "$SEED" --rate "$RATE" --min-size "$MIN_SIZE" --max-size "$MAX_SIZE")
RUN_TRACE=$TRACE
if [[ "$ZST" == 1 ]]; then
    GEN_ARGS+=(--zst)
    RUN_TRACE=$TRACE.zst
fi
"${PY[@]}" gen "${GEN_ARGS[@]}"
SIZES=$("${PY[@]}" sizes --trace "$TRACE" --fractions "$FRACTIONS")
echo "   capacities (bytes) for fractions $FRACTIONS of the working set: $SIZES" >&2

echo "== (d) run both on $RUN_TRACE" >&2
"${PY[@]}" compare --trace "$RUN_TRACE" --distsim "$DISTSIM_ARG" --policies "$POLICIES" \
    --fractions "$FRACTIONS" --throughput-fractions "$THROUGHPUT_FRACTIONS" \
    --repeat "$REPEAT" --tolerance "$TOLERANCE" --threads "$THREADS" --work "$WORK"
