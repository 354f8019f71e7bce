#!/usr/bin/env python3
"""compare_cache.py — the Python half of compare-cache.sh: trace, libCacheSim runs, report.

Subcommands (compare-cache.sh calls them in this order):

  gen      writes a seeded Zipf trace in libCacheSim's oracleGeneral format and a JSON
           sidecar (<trace>.json) with its working set; skips the work when the sidecar
           says the same trace is already there.
  sizes    prints the cache capacities, in bytes, as comma-separated integers: each
           fraction of the trace's working-set bytes, floored.
  compare  runs libCacheSim (PyPI `libcachesim`) on the trace for every policy and size,
           times it and distsim (one policy x one size per timed run, single-threaded,
           best of --repeat), reads distsim's results.json, prints both side by side and
           exits 1 if an agreement bound fails (2 on a usage or run error).

oracleGeneral record (libCacheSim/traceReader/customizedReader/oracle/oracleGeneralBin.h):
packed little-endian {u32 clock_time (s), u64 obj_id, u32 obj_size, i64 next_access_vtime},
24 bytes. next_access_vtime is the 1-based position of the object's next request, -1 if
none (what bin/traceUtils/traceConvOracleGeneral.cpp writes; the reader maps -1 and
INT64_MAX to "never"). Only oracle policies (Belady) read it; it is written correctly anyway.

Needs numpy (gen) and libcachesim (compare); zstandard only for --zst.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Our policy names -> libCacheSim's Python class names (libcachesim/cache.py).
LCS_CLASS = {
    "fifo": "FIFO",
    "lru": "LRU",
    "random": "Random",
    "lfu": "LFU",
    "clock": "Clock",
    "slru": "SLRU",
    "2q": "TwoQ",
    "arc": "ARC",
    "w-tinylfu": "WTinyLFU",
    "sieve": "Sieve",
    "s3-fifo": "S3FIFO",
}

# Policies whose results must be identical (same miss and byte-miss counts); the others
# must agree within --tolerance (absolute, on both the miss ratio and the byte miss ratio).
EXACT = ("fifo", "lru")

# Policies whose libCacheSim result changes from run to run: Random draws its victims from a
# process-wide generator that is not reset per cache, so its miss ratio at a capacity varies
# by ~0.002 over runs on the 5M trace. They run --repeat times at every capacity and the mean
# is compared.
RANDOMIZED = ("random",)

# Policies whose libCacheSim implementation is a different algorithm from the one its name
# (and the literature) gives, so the miss ratios are shown but not held to --tolerance.
# libCacheSim's Random picks a random non-empty hash *bucket* and then an object in it
# (`chained_hashtable_rand_obj_v2`, shrinking the table when buckets are mostly empty), so an
# object's chance of eviction depends on how crowded its bucket is, not uniform over the
# cache. Ours is uniform, and matches the exact law for random replacement under independent
# requests (Gelenbe 1973: the same hit ratio as FIFO), which models/src/cache/validation.rs
# checks; on the 5M trace ours sits within 0.0005 of our FIFO while libCacheSim's Random
# runs 0.002-0.003 above both.
EXPLAINED = {"random": "explained: libCacheSim's victim is per hash bucket, not uniform"}

ORACLE_DTYPE_FIELDS = [("clock_time", "<u4"), ("obj_id", "<u8"), ("obj_size", "<u4"),
                       ("next_access_vtime", "<i8")]
RECORD_BYTES = 24


def die(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_meta(trace: Path) -> dict:
    """The generator's sidecar: <trace>.json, for a .zst copy the uncompressed one's."""
    base = str(trace)[:-len(".zst")] if str(trace).endswith(".zst") else str(trace)
    meta_path = Path(base + ".json")
    if not meta_path.exists():
        die(f"{meta_path} is missing: run `{sys.argv[0]} gen` first")
    return json.loads(meta_path.read_text())


# ---------------------------------------------------------------------------------------
# gen
# ---------------------------------------------------------------------------------------

def cmd_gen(args: argparse.Namespace) -> None:
    out = Path(args.out)
    meta_path = Path(str(out) + ".json")
    params = {
        "requests": args.requests,
        "objects": args.objects,
        "alpha": args.alpha,
        "seed": args.seed,
        "rate": args.rate,
        "min_size": args.min_size,
        "max_size": args.max_size,
        "format": 1,  # bump when the generator changes what it writes
    }
    want_zst = args.zst
    zst_path = Path(str(out) + ".zst")
    if meta_path.exists() and out.exists():
        meta = json.loads(meta_path.read_text())
        if (meta.get("params") == params and out.stat().st_size == args.requests * RECORD_BYTES
                and (not want_zst or zst_path.exists())):
            log(f"trace {out} is up to date ({args.requests} requests); not regenerating")
            return

    import numpy as np

    if args.objects < 1 or args.requests < 1:
        die("--requests and --objects must be positive")
    if not (1 <= args.min_size <= args.max_size < 2**32):
        die("need 1 <= --min-size <= --max-size < 2^32")
    if args.requests // args.rate >= 2**32:
        die("clock_time would overflow u32: raise --rate")

    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n, u = args.requests, args.objects

    # Zipf(alpha) over ranks 0..u-1: P(rank k) ~ 1/(k+1)^alpha, drawn by inverting the CDF.
    weights = np.arange(1, u + 1, dtype=np.float64) ** -args.alpha
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(n), side="right")
    np.minimum(ranks, u - 1, out=ranks)  # guards a draw of exactly cdf[-1] after rounding

    # Scrambled ids: each rank gets a distinct random id in [1, 2^63) (not rank order, so
    # nothing in either simulator can profit from small or dense ids).
    while True:
        ids = rng.integers(1, 2**63, size=u, dtype=np.uint64)
        if np.unique(ids).size == u:
            break
    # A fixed size per object, log-uniform in [min_size, max_size]: many small objects,
    # a tail of large ones, independent of popularity.
    lo, hi = math.log(args.min_size), math.log(args.max_size + 1)
    sizes = np.floor(np.exp(rng.uniform(lo, hi, size=u))).astype(np.int64)
    np.clip(sizes, args.min_size, args.max_size, out=sizes)

    rec = np.empty(n, dtype=np.dtype(ORACLE_DTYPE_FIELDS))
    assert rec.dtype.itemsize == RECORD_BYTES
    rec["clock_time"] = np.arange(n, dtype=np.uint64) // args.rate
    rec["obj_id"] = ids[ranks]
    rec["obj_size"] = sizes[ranks]
    # next_access_vtime: the 1-based position of the next request to the same object.
    order = np.argsort(ranks, kind="stable")
    same = ranks[order[1:]] == ranks[order[:-1]]
    nxt = np.full(n, -1, dtype=np.int64)
    nxt[order[:-1][same]] = order[1:][same] + 1
    rec["next_access_vtime"] = nxt
    del order, same, nxt

    uniq = np.unique(ranks)
    working_set_bytes = int(sizes[uniq].sum())
    request_bytes = int(sizes[ranks].sum())

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(out) + ".tmp")
    rec.tofile(tmp)
    os.replace(tmp, out)
    if want_zst:
        import zstandard

        cctx = zstandard.ZstdCompressor(level=3)
        with open(out, "rb") as src, open(str(zst_path) + ".tmp", "wb") as dst:
            cctx.copy_stream(src, dst)
        os.replace(str(zst_path) + ".tmp", zst_path)
    elif zst_path.exists():
        zst_path.unlink()  # a copy of an older trace

    meta = {
        "params": params,
        "requests": n,
        "objects": int(uniq.size),
        "working_set_bytes": working_set_bytes,
        "request_bytes": request_bytes,
        "numpy": np.__version__,
    }
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    log(f"wrote {out}: {n} requests, {uniq.size} objects of {u}, working set "
        f"{working_set_bytes} B, {request_bytes} B requested "
        f"({time.perf_counter() - t0:.1f} s){' + .zst' if want_zst else ''}")


# ---------------------------------------------------------------------------------------
# sizes
# ---------------------------------------------------------------------------------------

def parse_fractions(text: str) -> list[float]:
    fr = [float(x) for x in text.split(",") if x.strip()]
    if not fr or any(not (0 < f <= 1) for f in fr):
        die(f"fractions must be in (0, 1]: {text}")
    return fr


def capacities(meta: dict, fractions: list[float]) -> list[int]:
    return [int(math.floor(f * meta["working_set_bytes"])) for f in fractions]


def cmd_sizes(args: argparse.Namespace) -> None:
    meta = load_meta(Path(args.trace))
    print(",".join(str(c) for c in capacities(meta, parse_fractions(args.fractions))))


# ---------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------

def lcs_run(lcs, trace: str, policy: str, capacity: int) -> tuple[float, float, float]:
    """One libCacheSim run with default parameters: (seconds, miss ratio, byte miss ratio).

    Timed: opening the trace and replaying every request (CacheBase.process_trace -> the
    C++ c_process_trace loop: read_one_req, cache->get, count hits and hit bytes). Not
    timed: building the cache, which with the default hashpower=24 callocs a 2^24-bucket
    table (and W-TinyLFU a Bloom filter sized by the capacity in bytes), nor freeing it;
    distsim's time includes its own setup, so this favours libCacheSim."""
    cls = getattr(lcs, LCS_CLASS[policy])
    cache = cls(capacity)
    t0 = time.perf_counter()
    reader = lcs.TraceReader(trace, lcs.TraceType.ORACLE_GENERAL_TRACE)
    miss_ratio, byte_miss_ratio = cache.process_trace(reader)
    seconds = time.perf_counter() - t0
    # No reader.close(): the binding's destructor closes it too (close() then del = double
    # free in libcachesim 0.3.5).
    del cache, reader
    return seconds, miss_ratio, byte_miss_ratio


def distsim_run(binary: str, trace: str, policies: list[str], sizes: list[int], threads: int,
                out_dir: str, working_set: bool = False) -> tuple[float, dict]:
    # --working-set makes distsim also count the trace's distinct objects and bytes (one more
    # hash-set probe per request); the checked batch run asks for it, the timed runs do not,
    # as libCacheSim's process_trace does not count them either.
    cmd = [binary, "cache", trace, "--policies", ",".join(policies),
           "--sizes", ",".join(str(s) for s in sizes), "--threads", str(threads),
           "--out", out_dir, "--quiet"] + (["--working-set"] if working_set else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        die(f"distsim failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
    res_path = Path(out_dir) / "results.json"
    try:
        results = json.loads(res_path.read_text())
    except (OSError, ValueError) as e:
        die(f"cannot read {res_path}: {e}")
    return seconds, results


def distsim_index(results: dict) -> dict[tuple[str, int], dict]:
    if results.get("kind") != "cache_study":
        die(f"distsim results.json: kind is {results.get('kind')!r}, expected 'cache_study'")
    return {(r["policy"], int(r["capacity"])): r for r in results.get("results", [])}


def counts(row: dict | None, ratio_key: str, count_key: str, total: int) -> int | None:
    """An exact count: the row's own count when it has one, else ratio x total, rounded
    (exact: a double ratio of counts below 2^53 rounds back to the count)."""
    if row is None:
        return None
    if count_key in row:
        return int(row[count_key])
    return int(round(row[ratio_key] * total))


def cmd_compare(args: argparse.Namespace) -> None:
    import libcachesim as lcs

    trace = args.trace
    meta = load_meta(Path(trace))
    policies = [p for p in args.policies.split(",") if p]
    unknown = [p for p in policies if p not in LCS_CLASS]
    if unknown:
        die(f"unknown policies {unknown}; known: {','.join(LCS_CLASS)}")
    fractions = parse_fractions(args.fractions)
    sizes = capacities(meta, fractions)
    timed_fractions = parse_fractions(args.throughput_fractions) if args.throughput_fractions else []
    for f in timed_fractions:
        if f not in fractions:
            die(f"throughput fraction {f} is not one of the fractions {fractions}")
    timed_sizes = [s for f, s in zip(fractions, sizes) if f in timed_fractions]
    n_req, req_bytes = meta["requests"], meta["request_bytes"]
    repeat = max(1, args.repeat)

    # distsim: one run with every policy and size, for the miss ratios.
    ours: dict[tuple[str, int], dict] | None = None
    if args.distsim:
        if not (os.path.isfile(args.distsim) and os.access(args.distsim, os.X_OK)):
            die(f"no distsim binary at {args.distsim}; build it with "
                "`cargo build --release -p scenarios` (or run compare-cache.sh)")
        log(f"== distsim: {len(policies)} policies x {len(sizes)} sizes "
            f"(--threads {args.threads})")
        out_dir = os.path.join(args.work, "cache-distsim")
        secs, results = distsim_run(args.distsim, trace, policies, sizes, args.threads, out_dir,
                                    working_set=True)
        log(f"   {secs:.1f} s, results in {out_dir}/results.json")
        for key, want in (("requests", meta["requests"]), ("objects", meta["objects"]),
                          ("working_set_bytes", meta["working_set_bytes"])):
            if key in results and int(results[key]) != want:
                die(f"distsim read a different trace: {key}={results[key]}, generator says {want}")
        ours = distsim_index(results)

    # libCacheSim: every policy x size, timed ones best of `repeat`.
    lcs_rows: dict[tuple[str, int], dict] = {}
    log(f"== libCacheSim {lcs.__version__}: {len(policies)} policies x {len(sizes)} sizes, "
        f"timed sizes {timed_sizes} best of {repeat}")
    for p in policies:
        for s in sizes:
            n_runs = repeat if (s in timed_sizes or p in RANDOMIZED) else 1
            runs = [lcs_run(lcs, trace, p, s) for _ in range(n_runs)]
            secs = min(r[0] for r in runs)
            mrs, bmrs = [r[1] for r in runs], [r[2] for r in runs]
            spread = ""
            if p in RANDOMIZED:
                # Mean of the runs: one run's draw alone is about as far from the mean as the
                # tolerance at the small capacities.
                mr, bmr = sum(mrs) / n_runs, sum(bmrs) / n_runs
                spread = f" (mean of {n_runs}, miss {min(mrs):.6f}..{max(mrs):.6f})"
            else:
                mr, bmr = mrs[0], bmrs[0]
                if any((a, b) != (mr, bmr) for a, b in zip(mrs, bmrs)):
                    log(f"   note: libCacheSim {p} at {s} B differs across runs: {sorted(set(mrs))}")
            lcs_rows[(p, s)] = {"miss_ratio": mr, "byte_miss_ratio": bmr, "seconds": secs}
            log(f"   {p:<10} {s:>14} miss {mr:.6f} byte {bmr:.6f} "
                f"{n_req / secs / 1e6:7.2f} M req/s{spread}")

    # distsim timing: one policy x one size per process, single-threaded, best of `repeat`.
    ours_secs: dict[tuple[str, int], float] = {}
    if ours is not None and timed_sizes:
        log(f"== distsim timing: one policy x one size per run, --threads 1, best of {repeat}")
        tmp = tempfile.mkdtemp(prefix="cache-timing-", dir=args.work)
        try:
            for p in policies:
                for s in timed_sizes:
                    best = math.inf
                    noted = False
                    for _ in range(repeat):
                        secs, res = distsim_run(args.distsim, trace, [p], [s], 1, tmp)
                        best = min(best, secs)
                        # A run alone should give what the batch run gave for the same cell.
                        row = distsim_index(res).get((p, s))
                        full = ours.get((p, s))
                        if row and full and row["miss_ratio"] != full["miss_ratio"] and not noted:
                            noted = True
                            log(f"   note: distsim {p} at {s} B: miss ratio "
                                f"{row['miss_ratio']} alone vs {full['miss_ratio']} in the batch")
                    ours_secs[(p, s)] = best
                    log(f"   {p:<10} {s:>14} {n_req / best / 1e6:7.2f} M req/s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # --- report -------------------------------------------------------------------------
    print()
    print(f"trace {trace}: {n_req} requests, {meta['objects']} objects, working set "
          f"{meta['working_set_bytes']} B, Zipf alpha={meta['params']['alpha']} over "
          f"{meta['params']['objects']} ids, sizes {meta['params']['min_size']}.."
          f"{meta['params']['max_size']} B, seed {meta['params']['seed']}")
    print(f"libCacheSim {lcs.__version__} (default parameters); exact match required for "
          f"{','.join(EXACT)}, others within {args.tolerance} absolute (miss and byte miss)")
    print()
    hdr = (f"{'policy':<10} {'fraction':>8} {'capacity_B':>14} {'ours_miss':>10} {'lcs_miss':>10} "
           f"{'|diff|':>9} {'ours_bmiss':>10} {'lcs_bmiss':>10} {'|bdiff|':>9}  verdict")
    print(hdr)
    failures = 0
    for p in policies:
        for f, s in zip(fractions, sizes):
            lr = lcs_rows[(p, s)]
            orow = ours.get((p, s)) if ours is not None else None
            if orow is None:
                verdict = "-" if ours is None else "MISSING"
                if ours is not None:
                    failures += 1
                print(f"{p:<10} {f:>8g} {s:>14} {'-':>10} {lr['miss_ratio']:>10.6f} {'-':>9} "
                      f"{'-':>10} {lr['byte_miss_ratio']:>10.6f} {'-':>9}  {verdict}")
                continue
            om, obm = float(orow["miss_ratio"]), float(orow["byte_miss_ratio"])
            d, bd = abs(om - lr["miss_ratio"]), abs(obm - lr["byte_miss_ratio"])
            if p in EXACT:
                same = (counts(orow, "miss_ratio", "misses", n_req)
                        == counts(lr, "miss_ratio", "misses", n_req)
                        and counts(orow, "byte_miss_ratio", "byte_misses", req_bytes)
                        == counts(lr, "byte_miss_ratio", "byte_misses", req_bytes))
                ok = same
                verdict = "exact" if ok else "FAIL (must be exact)"
            else:
                ok = d <= args.tolerance and bd <= args.tolerance
                verdict = "ok" if ok else f"FAIL (> {args.tolerance})"
                if not ok and p in EXPLAINED:
                    ok, verdict = True, EXPLAINED[p]
            failures += 0 if ok else 1
            print(f"{p:<10} {f:>8g} {s:>14} {om:>10.6f} {lr['miss_ratio']:>10.6f} {d:>9.6f} "
                  f"{obm:>10.6f} {lr['byte_miss_ratio']:>10.6f} {bd:>9.6f}  {verdict}")

    if timed_sizes:
        print()
        print(f"throughput, requests/s on this trace, single-threaded, best of {repeat}: "
              "libCacheSim = open trace + process_trace inside Python (not: interpreter start, "
              "cache construction); distsim = the whole `distsim cache` process (start, read "
              "trace, simulate, write results.json)")
        print(f"{'policy':<10} {'capacity_B':>14} {'ours_req_s':>14} {'lcs_req_s':>14} "
              f"{'ours/lcs':>9}")
        for p in policies:
            for s in timed_sizes:
                lr = n_req / lcs_rows[(p, s)]["seconds"]
                if (p, s) in ours_secs:
                    orr = n_req / ours_secs[(p, s)]
                    print(f"{p:<10} {s:>14} {orr:>14.0f} {lr:>14.0f} {orr / lr:>8.2f}x")
                else:
                    print(f"{p:<10} {s:>14} {'-':>14} {lr:>14.0f} {'-':>9}")

    print()
    if ours is None:
        print("distsim not run (SKIP_DISTSIM=1 / no --distsim): libCacheSim side only")
        return
    if failures:
        print(f"{failures} agreement check(s) FAILED")
        sys.exit(1)
    print("all agreement checks passed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser("gen", help="write the Zipf oracleGeneral trace")
    g.add_argument("--out", required=True)
    g.add_argument("--requests", type=int, default=5_000_000)
    g.add_argument("--objects", type=int, default=1_000_000)
    g.add_argument("--alpha", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--rate", type=int, default=1000, help="requests per second of trace time")
    g.add_argument("--min-size", type=int, default=100)
    g.add_argument("--max-size", type=int, default=16384)
    g.add_argument("--zst", action="store_true", help="also write <out>.zst (zstd level 3)")
    g.set_defaults(func=cmd_gen)

    s = sub.add_parser("sizes", help="print capacities in bytes")
    s.add_argument("--trace", required=True)
    s.add_argument("--fractions", default="0.001,0.01,0.1")
    s.set_defaults(func=cmd_sizes)

    c = sub.add_parser("compare", help="run libCacheSim (and time distsim), print the tables")
    c.add_argument("--trace", required=True, help="the trace both tools read (.zst allowed)")
    c.add_argument("--distsim", default="", help="distsim binary; empty = libCacheSim only")
    c.add_argument("--policies", default=",".join(LCS_CLASS))
    c.add_argument("--fractions", default="0.001,0.01,0.1")
    c.add_argument("--throughput-fractions", default="0.01",
                   help="fractions (among --fractions) at which both are timed; empty = none")
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("--tolerance", type=float, default=0.002)
    c.add_argument("--threads", type=int, default=2, help="distsim threads for the accuracy run")
    c.add_argument("--work", default="benches/peers/work")
    c.set_defaults(func=cmd_compare)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
