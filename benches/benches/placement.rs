//! Placement lookup throughput under criterion: `owner(key)` for every scheme in
//! `models::placement::SCHEMES` at 10, 100 and 1000 nodes, in keys per second, plus each
//! scheme's memory (`memory_bytes`), printed once per case to stderr.
//!
//! ```text
//! flock /tmp/cargo.lock cargo bench -p distsim-benches --bench placement
//! flock /tmp/cargo.lock cargo bench -p distsim-benches --bench placement -- lookup/ring
//! ```
//!
//! Each timed iteration looks up the same 10 000 keys (hashed ids, so range and directory
//! schemes see keys spread over the whole key space). Parameters: ring and bounded ring 100
//! vnodes per node, bounded ring ε = 0.25 with the 10 000 keys assigned first (its lookups of
//! recorded keys are map lookups), Maglev M = 65 537, range and directory with one range per
//! node. Compare numbers only between runs on the same machine.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use models::placement::hash::key_hash;
use models::placement::{DirectoryEntry, Member, PlacementSpec, SCHEMES};
use models::workload::KeyId;
use sim_core::{NodeId, ZoneId};

/// Keys looked up per timed iteration.
const N_KEYS: u64 = 10_000;
/// Node counts measured.
const SIZES: [u32; 3] = [10, 100, 1000];

/// The spec benchmarked for `name` at `n` nodes.
fn spec(name: &str, n: u32) -> PlacementSpec {
    let width = u64::MAX / u64::from(n);
    match name {
        "range" => PlacementSpec::range((1..u64::from(n)).map(|i| i * width).collect()),
        "directory" => PlacementSpec::directory(
            (0..n)
                .map(|i| DirectoryEntry {
                    start: u64::from(i) * width,
                    end: u64::from(i + 1) * width,
                    node: NodeId(i),
                })
                .collect(),
            Some(NodeId(0)),
        ),
        other => PlacementSpec::example(other).expect("a registered scheme"),
    }
}

fn lookup(c: &mut Criterion) {
    let keys: Vec<KeyId> = (0..N_KEYS).map(|i| KeyId(key_hash(i, 99))).collect();
    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(N_KEYS));
    // Every scheme a scenario can name, and the directory (built in code only).
    let names = SCHEMES.iter().map(|row| row.name).chain(["directory"]);
    for name in names {
        for n in SIZES {
            let members: Vec<Member> = (0..n)
                .map(|id| Member::new(NodeId(id), 1.0, ZoneId(0)))
                .collect();
            let mut scheme = spec(name, n).build(&members).expect("valid parameters");
            for &key in &keys {
                scheme.assign(key);
            }
            eprintln!("memory {name}/{n}: {} bytes", scheme.memory_bytes());
            group.bench_function(BenchmarkId::new(name, n), |bencher| {
                bencher.iter(|| {
                    for &key in &keys {
                        black_box(scheme.owner(black_box(key)));
                    }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
