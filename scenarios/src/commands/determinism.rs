//! `--check-determinism`: run the same scenario and seed twice and say where the runs part.
//!
//! The two runs go on two threads at once, each handing every processed event to a trace
//! sink that forwards compact records (time, sequence number, kind, node, sender) in batches
//! over a bounded channel; this thread compares the two streams record by record, so the first
//! differing event is named exactly without storing either run. When the events agree, the
//! runs' digests and their `results.json` are compared too (a node could record a different
//! metric without any event moving): the first differing line is named. A sweep is checked by
//! running its plan at one thread and at several and comparing every run's results.
//!
//! A scenario is only ever run twice here, in the same process, with the same inputs: any
//! difference is nondeterminism in the code (a `HashMap` iterated into the results, a wall
//! clock, a global counter), never in the scenario.

use std::num::NonZeroU64;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use sim_core::trace::{TraceRecord, TraceSink};
use sim_core::{NodeId, SimTime};

use crate::commands::sweep::{
    run_sweep_on, variant_scenario, SweepConfig, SweepOutcome, SweepProgress, SweepRun,
};
use crate::commands::{Report, Status};
use crate::run::{run_data, run_with, RunOptions};
use crate::{Registries, Scenario};

/// Records per batch sent between threads.
const BATCH: usize = 4096;
/// Batches in flight per run before its thread waits for the comparison.
const BATCHES_IN_FLIGHT: usize = 16;

/// One processed event, as the comparison sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// When it was processed.
    pub time: SimTime,
    /// Its scheduling sequence number.
    pub seq: u64,
    /// What kind of event (`deliver`, `timer`, `fault`, a drop cause, ...).
    pub kind: &'static str,
    /// The node it happened at.
    pub node: Option<NodeId>,
    /// The sender, for messages.
    pub from: Option<NodeId>,
}

impl std::fmt::Display for EventRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {} (seq {})", self.kind, self.time, self.seq)?;
        if let Some(node) = self.node {
            write!(f, " on node {}", node.0)?;
        }
        if let Some(from) = self.from {
            write!(f, " from node {}", from.0)?;
        }
        Ok(())
    }
}

/// What the two runs did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Determinism {
    /// Every event, the digest and `results.json` agree.
    Same {
        /// The runs' digest.
        digest: u64,
        /// Events processed by each.
        events: u64,
    },
    /// The runs part at event number `index` (0-based): what each processed there (`None`:
    /// that run had ended).
    EventsDiffer {
        /// The position of the first differing event.
        index: u64,
        /// The first run's event there.
        first: Option<EventRecord>,
        /// The second run's.
        second: Option<EventRecord>,
    },
    /// The events agree but the results do not (a metric recorded differently): the first
    /// differing line of `results.json`.
    ResultsDiffer {
        /// Its line number (1-based).
        line: usize,
        /// The first run's line.
        first: String,
        /// The second run's.
        second: String,
    },
}

impl Determinism {
    /// Whether the runs agree.
    pub fn is_same(&self) -> bool {
        matches!(self, Determinism::Same { .. })
    }

    /// One paragraph for people.
    pub fn describe(&self) -> String {
        let shown = |event: &Option<EventRecord>| match event {
            Some(event) => event.to_string(),
            None => "nothing (the run had ended)".to_string(),
        };
        match self {
            Determinism::Same { digest, events } => format!(
                "deterministic: two runs processed the same {events} events (digest {digest:016x}) and wrote the same results"
            ),
            Determinism::EventsDiffer {
                index,
                first,
                second,
            } => format!(
                "not deterministic: the runs part at event {index}: the first processed {}, the second {}",
                shown(first),
                shown(second)
            ),
            Determinism::ResultsDiffer {
                line,
                first,
                second,
            } => format!(
                "not deterministic: the runs processed the same events but results.json differs at line {line}: {:?} then {:?}",
                first.trim(),
                second.trim()
            ),
        }
    }
}

/// A trace sink forwarding compact records, in batches, until the comparison hangs up.
struct Forward {
    batch: Vec<EventRecord>,
    to: SyncSender<Vec<EventRecord>>,
    closed: bool,
}

impl Forward {
    fn flush(&mut self) {
        if self.closed || self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.closed = self.to.send(batch).is_err();
    }
}

impl TraceSink for Forward {
    fn record(&mut self, record: &TraceRecord<'_>) {
        if self.closed {
            return;
        }
        self.batch.push(EventRecord {
            time: record.time,
            seq: record.seq,
            kind: record.kind,
            node: record.node,
            from: record.from,
        });
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.flush();
    }
}

/// One run's end: its digest, events and `results.json` text.
struct Finished {
    digest: u64,
    events: u64,
    results: String,
}

fn one_run(
    scenario: &Scenario,
    seed: u64,
    paranoid_every: Option<NonZeroU64>,
    to: SyncSender<Vec<EventRecord>>,
    stop: &AtomicBool,
) -> Finished {
    let sink = Forward {
        batch: Vec::with_capacity(BATCH),
        to,
        closed: false,
    };
    let options = RunOptions {
        trace: Some(Box::new(sink)),
        paranoid_every,
    };
    let mut observer = |_: &sim_core::Progress| {
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break("the determinism check has seen enough".to_string())
        } else {
            ControlFlow::Continue(())
        }
    };
    let outcome = run_with(scenario, seed, options, &mut observer);
    let data = run_data(scenario, &outcome);
    let results = reports::build_results(&data)
        .and_then(|results| {
            let mut json = Vec::new();
            reports::write_results(&mut json, &results)?;
            Ok(String::from_utf8(json).expect("results.json is UTF-8"))
        })
        .unwrap_or_else(|e| format!("cannot build results: {e}"));
    Finished {
        digest: outcome.sim.digest(),
        events: outcome.sim.events_processed(),
        results,
    }
}

/// Pulls the next record of one run's stream, refilling from its channel.
struct Stream {
    from: Receiver<Vec<EventRecord>>,
    batch: std::vec::IntoIter<EventRecord>,
}

impl Stream {
    fn next(&mut self) -> Option<EventRecord> {
        loop {
            if let Some(record) = self.batch.next() {
                return Some(record);
            }
            self.batch = self.from.recv().ok()?.into_iter();
        }
    }
}

/// Runs `scenario` with `seed` twice at once and compares them (see the module doc).
pub fn check_run(
    scenario: &Scenario,
    seed: u64,
    paranoid_every: Option<NonZeroU64>,
) -> Determinism {
    let (to_first, from_first) = sync_channel(BATCHES_IN_FLIGHT);
    let (to_second, from_second) = sync_channel(BATCHES_IN_FLIGHT);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| one_run(scenario, seed, paranoid_every, to_first, &stop));
        let second = scope.spawn(|| one_run(scenario, seed, paranoid_every, to_second, &stop));
        let mut streams = [
            Stream {
                from: from_first,
                batch: Vec::new().into_iter(),
            },
            Stream {
                from: from_second,
                batch: Vec::new().into_iter(),
            },
        ];
        let mut index = 0u64;
        let mut parted = None;
        loop {
            let (a, b) = (streams[0].next(), streams[1].next());
            if a.is_none() && b.is_none() {
                break;
            }
            if a != b {
                parted = Some(Determinism::EventsDiffer {
                    index,
                    first: a,
                    second: b,
                });
                stop.store(true, Ordering::Relaxed);
                break;
            }
            index += 1;
        }
        // Hang up, so runs still sending stop waiting, then let them finish.
        drop(streams);
        let first = first.join().expect("a run panicked");
        let second = second.join().expect("a run panicked");
        if let Some(parted) = parted {
            return parted;
        }
        compare_results(&first, &second)
    })
}

fn compare_results(first: &Finished, second: &Finished) -> Determinism {
    assert_eq!(
        first.digest, second.digest,
        "runs with the same events have the same digest"
    );
    let lines = first.results.lines().zip(second.results.lines());
    for (number, (a, b)) in (1..).zip(lines) {
        if a != b {
            return Determinism::ResultsDiffer {
                line: number,
                first: a.to_string(),
                second: b.to_string(),
            };
        }
    }
    if first.results.lines().count() != second.results.lines().count() {
        let line = first
            .results
            .lines()
            .count()
            .min(second.results.lines().count())
            + 1;
        let at = |text: &str| text.lines().nth(line - 1).unwrap_or("").to_string();
        return Determinism::ResultsDiffer {
            line,
            first: at(&first.results),
            second: at(&second.results),
        };
    }
    Determinism::Same {
        digest: first.digest,
        events: first.events,
    }
}

/// Runs the sweep `config` describes at one worker thread and at `threads` (0: one per core,
/// at least two), each into its own directory under `config.out/determinism/`, and compares
/// every run's `results.json` and the summaries byte for byte. The first run that differs is
/// named with its variant and seed, and run twice more ([`check_run`]) to name the event
/// where it parts from itself.
pub fn check_sweep(config: &SweepConfig, registries: &Registries, threads: usize) -> Report {
    struct Silent;
    impl SweepProgress for Silent {
        fn start(&self, _: usize) {}
        fn done(&self, _: &SweepRun) {}
    }
    let many = if threads == 0 {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2)
    } else {
        threads
    };
    let dirs = [1, many].map(|n| config.out.join("determinism").join(format!("threads-{n}")));
    let mut outcomes = Vec::new();
    for (n, dir) in [1, many].into_iter().zip(&dirs) {
        let mut at = config.clone();
        at.out = dir.clone();
        at.resume = false;
        match run_sweep_on(n, &at, registries, &Silent) {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => return Report::invalid(format!("error: {error}")),
        }
    }
    let mut report = Report::new(Status::Done);
    let Some(summary) = outcomes[0].summary.as_ref() else {
        return Report::invalid(
            "error: --check-determinism needs the whole sweep, not a shard".to_string(),
        );
    };
    let runs: Vec<&reports::RunRef> = summary.variants.iter().flat_map(|v| &v.runs).collect();
    for (variant, run) in summary
        .variants
        .iter()
        .flat_map(|v| v.runs.iter().map(move |r| (v.index, r)))
    {
        let read =
            |dir: &std::path::Path| std::fs::read(dir.join(&run.results)).unwrap_or_default();
        if read(&dirs[0]) == read(&dirs[1]) {
            continue;
        }
        report.status = Status::Failed;
        report.stderr.push(format!(
            "error: not deterministic: variant {variant} replication {} (seed {}) wrote different results at 1 and {many} threads ({} and {})",
            run.replication,
            run.seed,
            dirs[0].join(&run.results).display(),
            dirs[1].join(&run.results).display()
        ));
        match variant_scenario(config, registries, variant) {
            Ok(scenario) => {
                let verdict = check_run(&scenario, run.seed, config.paranoid_every);
                report
                    .stderr
                    .push(format!("that run, twice: {}", verdict.describe()));
            }
            Err(error) => report.stderr.push(format!("error: {error}")),
        }
        return report;
    }
    if let Some(chosen) = outcomes[0].base_seed.and_then(|s| s.announcement()) {
        report.stderr.push(chosen);
    }
    let summary_json = |outcome: &SweepOutcome| {
        outcome
            .summary
            .as_ref()
            .map(|summary| reports::sweep_json(summary).unwrap_or_default())
    };
    if summary_json(&outcomes[0]) != summary_json(&outcomes[1]) {
        report.status = Status::Failed;
        report.stderr.push(format!(
            "error: not deterministic: every run wrote the same results, but the summaries (sweep.json) at 1 and {many} threads differ"
        ));
        return report;
    }
    report.stdout.push(format!(
        "deterministic: {} wrote identical results.json at 1 and {many} threads, and identical summaries; outputs in {}",
        match runs.len() {
            1 => "the 1 run".to_string(),
            n => format!("all {n} runs"),
        },
        config.out.join("determinism").display()
    ));
    report
}
