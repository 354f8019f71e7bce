//! `distsim cache`: a miss-ratio study outside the event loop — a trace replayed through many
//! cache policies and sizes at once, into the plain [`CacheStudyData`] that `reports` writes.
//!
//! The trace is streamed, never loaded whole: records are read in chunks of
//! [`CHUNK_RECORDS`], and each chunk is fed to every (policy, size) cache, the caches in
//! parallel (rayon) and each cache's requests in trace order. A cache's result depends only on
//! its own request sequence, so the output is identical at any thread count. Sizes given as a
//! fraction of the working set (`1%`, `0.05`) need the working set first, which costs one
//! extra pass over the trace (as libCacheSim's `cachesim` does).
//!
//! A trace that turns out corrupt or truncated part-way stops the replay cleanly: the caches
//! keep what they saw, and the study is marked partial with the error and its place.

use std::collections::HashSet;
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use models::cache::{
    CachePolicy, CacheRequest, CacheSpec, CacheStats, Capacity, KeyHasher, ParsePolicy, SizeUnit,
};
use models::workload::trace::{
    trace_format_of, Compression, TraceConfig, TraceError, TraceFormat, TraceReader, ZeroSize,
};
use rayon::prelude::*;
use reports::{CacheStudyData, CacheStudyRow};
use sim_core::registry::{ArgMap, Registry};
use sim_core::rng::{StreamKind, StreamLabel};
use sim_core::SimTime;

use crate::commands::{Report, Status};
use crate::format::csv_spec::parse_csv_spec;
use crate::format::diag::suggest;
use crate::format::units::parse_size_bytes;
use crate::VERSION;

/// Records read before the caches process them: 64k records (1.5 MiB of requests) keep every
/// thread busy for a while between synchronisations, and stay small next to any cache.
pub const CHUNK_RECORDS: usize = 65_536;

/// A study's inputs, as the command line gives them.
#[derive(Clone, Debug)]
pub struct CacheStudyConfig {
    /// The trace file.
    pub trace: PathBuf,
    /// Policy names, in output order.
    pub policies: Vec<String>,
    /// Sizes: a fraction of the working set (`1%`, `0.05`), a size with a unit (`64MiB`), or a
    /// plain count (bytes; objects with `ignore_obj_size`).
    pub sizes: Vec<String>,
    /// Count every object as size 1: capacities are object counts.
    pub ignore_obj_size: bool,
    /// How to read a CSV trace (`--csv`), when the trace is CSV.
    pub csv: Option<String>,
    /// Seed of the random policy's draws (one stream per policy and size).
    pub seed: u64,
    /// Count the trace's distinct objects and their bytes even when no size needs them (one
    /// hash-set probe per request, about as much as a cache costs).
    pub working_set: bool,
}

/// Why a study could not run: a message for the user, and whether it is invalid input (exit
/// 2) rather than a trace that failed before any record (also 2) — every error here is input.
#[derive(Debug, PartialEq, Eq)]
pub struct StudyError(pub String);

impl std::fmt::Display for StudyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A size as given: a fraction of the working set, or an absolute capacity.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SizeSpec {
    Fraction(f64),
    Absolute(u64),
}

/// Parses one `--sizes` entry.
fn parse_size(text: &str, ignore_obj_size: bool) -> Result<SizeSpec, StudyError> {
    let text = text.trim();
    let bad = |why: &str| {
        StudyError(format!(
            "invalid size {text:?}: {why}; give a fraction of the working set (\"1%\", \
             \"0.05\"), a size with a unit (\"64MiB\") or a whole number of {}",
            if ignore_obj_size { "objects" } else { "bytes" }
        ))
    };
    let fraction = if let Some(percent) = text.strip_suffix('%') {
        let value: f64 = percent.trim().parse().map_err(|_| bad("not a number"))?;
        Some(value / 100.0)
    } else if text.contains('.') && text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        Some(text.parse::<f64>().map_err(|_| bad("not a number"))?)
    } else {
        None
    };
    if let Some(fraction) = fraction {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(bad("a fraction must be in (0, 100%]"));
        }
        return Ok(SizeSpec::Fraction(fraction));
    }
    let amount = match text.parse::<u64>() {
        Ok(amount) => amount,
        Err(_) if ignore_obj_size => return Err(bad("object counts have no unit")),
        Err(_) => parse_size_bytes(text).map_err(|e| StudyError(e.message))?,
    };
    if amount == 0 {
        return Err(bad("a cache needs room for something"));
    }
    Ok(SizeSpec::Absolute(amount))
}

/// How to read `path`: the format from its name, CSV options from `csv`. Size-0 requests are
/// skipped, as libCacheSim's simulator does.
fn trace_config(path: &Path, csv: Option<&str>) -> Result<TraceConfig, StudyError> {
    let csv_config = parse_csv_spec(csv.unwrap_or("")).map_err(StudyError)?;
    let (format, compression) =
        trace_format_of(path, csv_config).map_err(|e| StudyError(e.to_string()))?;
    if csv.is_some() && !matches!(format, TraceFormat::Csv(_)) {
        return Err(StudyError(format!(
            "--csv applies to CSV traces, and {} is not one (its name does not end in .csv)",
            path.display()
        )));
    }
    Ok(TraceConfig {
        format,
        compression,
        zero_size: ZeroSize::Skip,
    })
}

fn format_name(config: &TraceConfig) -> String {
    let base = match config.format {
        TraceFormat::OracleGeneral => "oracleGeneral",
        TraceFormat::Csv(_) => "csv",
    };
    match config.compression {
        Compression::None => base.to_string(),
        Compression::Zstd => format!("{base}.zst"),
    }
}

fn open(path: &Path, config: &TraceConfig) -> Result<TraceReader<BufReader<File>>, StudyError> {
    let file = File::open(path)
        .map_err(|e| StudyError(format!("cannot open trace {}: {e}", path.display())))?;
    TraceReader::new(BufReader::new(file), config.clone())
        .map_err(|e| StudyError(format!("{}: {e}", path.display())))
}

/// What one pass over the trace saw.
#[derive(Default)]
struct WorkingSet {
    requests: u64,
    objects: u64,
    bytes: u64,
    /// The distinct keys (looked up, never iterated), with the caches' fixed fast hash: this
    /// set is touched once per request, so SipHash would cost as much as the caches.
    seen: HashSet<u64, BuildHasherDefault<KeyHasher>>,
}

impl WorkingSet {
    /// Counts one request's object (the caller counts the request).
    #[inline]
    fn record(&mut self, key: u64, size_bytes: u32) {
        if self.seen.insert(key) {
            self.objects += 1;
            self.bytes += u64::from(size_bytes);
        }
    }
}

/// A cache, its counts, and the row it becomes.
struct Lane {
    policy: String,
    size: String,
    capacity: u64,
    cache: Box<dyn CachePolicy>,
    stats: CacheStats,
}

/// Runs the study `config` describes. Invalid input (an unknown policy, a bad size, an
/// unreadable trace) is an error; a trace that fails part-way gives a partial study.
pub fn run_cache_study(
    config: &CacheStudyConfig,
    policies: &Registry<ParsePolicy>,
) -> Result<CacheStudyData, StudyError> {
    if config.policies.is_empty() || config.sizes.is_empty() {
        return Err(StudyError("give at least one policy and one size".into()));
    }
    let specs = config
        .policies
        .iter()
        .map(|name| policy_spec(name, policies))
        .collect::<Result<Vec<_>, _>>()?;
    let sizes = config
        .sizes
        .iter()
        .map(|text| parse_size(text, config.ignore_obj_size).map(|s| (text.clone(), s)))
        .collect::<Result<Vec<_>, _>>()?;
    let trace_config = trace_config(&config.trace, config.csv.as_deref())?;
    let unit = if config.ignore_obj_size {
        SizeUnit::Objects
    } else {
        SizeUnit::Bytes
    };
    // The working set, first, when a size is a fraction of it.
    let working_set = if sizes
        .iter()
        .any(|(_, s)| matches!(s, SizeSpec::Fraction(_)))
    {
        let (seen, error) = measure(&config.trace, &trace_config)?;
        if let Some(error) = error {
            return Err(StudyError(format!(
                "{}: {error} (while measuring the working set)",
                config.trace.display()
            )));
        }
        Some(seen)
    } else {
        None
    };
    let mut lanes = Vec::new();
    for (spec, name) in specs.iter().zip(&config.policies) {
        let mut resolved: Vec<(String, u64)> = sizes
            .iter()
            .map(|(text, size)| (text.clone(), capacity_of(*size, working_set.as_ref(), unit)))
            .collect();
        resolved.sort_by_key(|(_, capacity)| *capacity);
        for (size, capacity) in resolved {
            let capacity_checked = Capacity::new(capacity, unit)
                .map_err(|e| StudyError(format!("size {size:?}: {e}")))?;
            // The stream depends on the policy and capacity only, so a cache's result does
            // not change with what else the study runs.
            let label = StreamLabel::new(StreamKind::Model, lane_stream(name, capacity));
            let cache = spec
                .build(capacity_checked, sim_core::rng::stream(config.seed, label))
                .map_err(|e| StudyError(format!("policy {name:?} at size {size:?}: {e}")))?;
            lanes.push(Lane {
                policy: name.clone(),
                size,
                capacity,
                cache,
                stats: CacheStats::default(),
            });
        }
    }
    let track = working_set.is_none() && config.working_set;
    let replay_config = ReplayConfig {
        ignore_obj_size: config.ignore_obj_size,
        track,
    };
    let (seen, partial) = replay(&config.trace, &trace_config, &mut lanes, replay_config)?;
    let requests = seen.requests;
    // A measuring pass saw the whole trace, which the replay did too unless it stopped early.
    let measured = match working_set {
        Some(all) if partial.is_none() => Some(all),
        _ => track.then_some(seen),
    };
    Ok(CacheStudyData {
        source: config.trace.display().to_string(),
        format: format_name(&trace_config),
        requests,
        objects: measured.as_ref().map(|m| m.objects),
        working_set_bytes: measured.as_ref().map(|m| m.bytes),
        ignore_obj_size: config.ignore_obj_size,
        partial: partial.map(|e| format!("{}: {e}", config.trace.display())),
        rows: lanes.into_iter().map(row_of).collect(),
        seed: config.seed,
        distsim_version: VERSION.to_string(),
    })
}

/// Warnings for sizes that hold the whole catalogue (when it was measured): every object fits,
/// so every policy gives the same, compulsory-misses-only result and the comparison says
/// nothing.
pub fn catalogue_warnings(study: &CacheStudyData) -> Vec<String> {
    let whole = if study.ignore_obj_size {
        study.objects
    } else {
        study.working_set_bytes
    };
    let Some(whole) = whole else {
        return Vec::new();
    };
    let mut sizes: Vec<(&str, u64)> = study
        .rows
        .iter()
        .filter(|row| row.capacity >= whole)
        .map(|row| (row.size.as_str(), row.capacity))
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
        .into_iter()
        .map(|(size, capacity)| {
            format!(
                "size {size:?} ({capacity} {}) holds the whole catalogue ({whole}): every policy \
                 only misses each object's first request there",
                study.capacity_unit()
            )
        })
        .collect()
}

/// A stream index for a (policy, capacity) lane: FNV-1a of `name/capacity`, cut to the 56
/// bits a stream index has.
fn lane_stream(name: &str, capacity: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{name}/{capacity}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash & ((1 << 56) - 1)
}

/// The policy `name` of `policies` with its default parameters.
fn policy_spec(name: &str, policies: &Registry<ParsePolicy>) -> Result<CacheSpec, StudyError> {
    let row = policies.find(name.trim()).ok_or_else(|| {
        StudyError(format!(
            "unknown cache policy {name:?}; {}",
            suggest(name, policies.names())
        ))
    })?;
    (row.value)(&mut ArgMap::new()).map_err(|e| StudyError(format!("cache policy {name:?}: {e}")))
}

/// Runs the study on `threads` worker threads (0: one per core; the results do not depend on
/// it), writes its outputs into `out_dir`, and says what happened.
pub fn execute(
    config: &CacheStudyConfig,
    policies: &Registry<ParsePolicy>,
    threads: usize,
    out_dir: &Path,
    quiet: bool,
) -> Report {
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool,
        Err(error) => {
            let mut report = Report::new(Status::Failed);
            report
                .stderr
                .push(format!("error: cannot start worker threads: {error}"));
            return report;
        }
    };
    let study = match pool.install(|| run_cache_study(config, policies)) {
        Ok(study) => study,
        Err(error) => return Report::invalid(format!("error: {error}")),
    };
    let mut report = Report::new(Status::Done);
    for warning in catalogue_warnings(&study) {
        report.stderr.push(format!("warning: {warning}"));
    }
    if let Err(error) = reports::write_cache_study(out_dir, &study) {
        report.stderr.push(format!("error: {error}"));
        report.status = Status::Failed;
        return report;
    }
    if !quiet {
        report.stdout.push(reports::cache_table(&study));
        report
            .stdout
            .push(format!("results in {}", out_dir.display()));
    }
    if let Some(reason) = &study.partial {
        report.stderr.push(format!(
            "error: the trace stopped early, results cover the {} requests before it: {reason}",
            study.requests
        ));
        report.status = Status::Failed;
    }
    report
}

/// A size's capacity: a fraction of the working set (at least 1), or the amount given.
fn capacity_of(size: SizeSpec, working_set: Option<&WorkingSet>, unit: SizeUnit) -> u64 {
    match size {
        SizeSpec::Absolute(amount) => amount,
        SizeSpec::Fraction(fraction) => {
            let seen = working_set.expect("measured when a size is a fraction");
            let whole = match unit {
                SizeUnit::Bytes => seen.bytes,
                SizeUnit::Objects => seen.objects,
            };
            // Rounded down, as libCacheSim's cachesim does (`(uint64_t)(wss * fraction)`).
            ((whole as f64 * fraction) as u64).max(1)
        }
    }
}

fn row_of(lane: Lane) -> CacheStudyRow {
    let stats = lane.stats;
    CacheStudyRow {
        policy: lane.policy,
        size: lane.size,
        capacity: lane.capacity,
        requests: stats.n_requests,
        misses: stats.n_requests - stats.n_hits,
        bytes_requested: stats.bytes_requested,
        bytes_missed: stats.bytes_requested - stats.bytes_hit,
    }
}

/// One pass counting requests, distinct objects and their bytes; returns the error that
/// stopped it early, if one did.
fn measure(
    path: &Path,
    config: &TraceConfig,
) -> Result<(WorkingSet, Option<TraceError>), StudyError> {
    let mut reader = open(path, config)?;
    let mut seen = WorkingSet::default();
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                seen.requests += 1;
                seen.record(record.key.0, record.size_bytes);
            }
            Ok(None) => return Ok((seen, None)),
            Err(error) => return Ok((seen, Some(error))),
        }
    }
}

/// How [`replay`] treats records.
#[derive(Clone, Copy)]
struct ReplayConfig {
    /// Every object counts as size 1.
    ignore_obj_size: bool,
    /// Count distinct objects and bytes on the way.
    track: bool,
}

/// Feeds the trace to every lane, chunk by chunk; counts the working set on the way if asked.
fn replay(
    path: &Path,
    config: &TraceConfig,
    lanes: &mut [Lane],
    replay_config: ReplayConfig,
) -> Result<(WorkingSet, Option<TraceError>), StudyError> {
    let ReplayConfig {
        ignore_obj_size,
        track,
    } = replay_config;
    let mut reader = open(path, config)?;
    let mut seen = WorkingSet::default();
    let mut chunk: Vec<CacheRequest> = Vec::with_capacity(CHUNK_RECORDS);
    let mut stopped = None;
    loop {
        chunk.clear();
        while chunk.len() < CHUNK_RECORDS {
            match reader.next_record() {
                Ok(Some(record)) => {
                    seen.requests += 1;
                    if track {
                        seen.record(record.key.0, record.size_bytes);
                    }
                    let size = if ignore_obj_size {
                        1
                    } else {
                        record.size_bytes
                    };
                    let request = CacheRequest::new(record.key, size).at(SimTime(record.time_ns));
                    chunk.push(request);
                }
                Ok(None) => break,
                Err(error) => {
                    stopped = Some(error);
                    break;
                }
            }
        }
        if chunk.is_empty() {
            break;
        }
        lanes.par_iter_mut().for_each(|lane| {
            for request in &chunk {
                let outcome = lane.cache.request(request);
                lane.stats.record(request, outcome);
            }
        });
        if stopped.is_some() || chunk.len() < CHUNK_RECORDS {
            break;
        }
    }
    Ok((seen, stopped))
}
