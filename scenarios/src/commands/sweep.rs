//! `distsim sweep` and `distsim merge`: a scenario run as a grid (or zipped lists) of
//! variants, each with several seeds, in parallel, summarised per variant with confidence
//! intervals.
//!
//! **Plan.** `[sweep]` (`sections::sweep_plan`), extended by `--vary path=v1,v2,...` and
//! `--replications R`. Each variant is the scenario with those `--set` overrides applied,
//! validated like any scenario.
//!
//! **Runs.** The run list is variant-major: run `i` is variant `i / R`, replication `i % R`,
//! with seed [`replication_seed`]`(base, variant, replication)`, so a run's seed never depends
//! on how the list is split or scheduled. Runs execute in parallel with rayon, one whole
//! simulation per task; each writes `runs/v<variant>-r<replication>/results.json` (atomically,
//! so a file that exists is complete). A run that fails (its variant does not validate, or a
//! guard stops it — then its partial results still count) is reported with its variant and
//! seed and does not stop the others; the sweep then exits non-zero.
//!
//! **Shards, merge, resume.** `--shard K/N` runs only the runs whose index is `K-1 mod N`
//! (a stable assignment) and writes them with the plan (`sweep-plan.json`); `distsim merge`
//! copies the runs of several shard directories into one and summarises them. The summary is
//! always computed from the `results.json` files on disk, so a merged sweep and a one-machine
//! sweep give the same bytes. `--resume` skips runs whose `results.json` exists, parses, and
//! names the right seed and scenario; anything else is run again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use reports::{
    read_results, run_directions, run_metrics, summarize_variant, RunFailure, RunRef, SweepData,
    VariantData, SWEEP_KIND, SWEEP_SCHEMA_VERSION,
};
use serde::{Deserialize, Serialize};

use crate::commands::guard::{ChosenSeed, SeedChoice, WallGuard};
use crate::commands::{Report, Status};
use crate::run::{run_data, run_with, RunOptions};
use crate::sections::sweep_plan::{parse_vary, replication_seed, SweepPlan};
use crate::{load_text_with, Registries, Scenario, VERSION};

/// Percentiles every sweep run records besides the scenario's, so the comparative report can
/// draw each variant's latency spectrum.
pub const SPECTRUM_PERCENTILES: [f64; 7] = [25.0, 75.0, 95.0, 99.5, 99.95, 99.99, 99.999];

/// One run of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRun {
    /// Position in the run list.
    pub index: u64,
    /// Its variant.
    pub variant: u32,
    /// Its replication.
    pub replication: u32,
    /// Its seed.
    pub seed: u64,
}

impl SweepRun {
    /// Its directory, relative to the sweep's: `runs/v0003-r01`.
    pub fn dir(&self) -> String {
        format!("runs/v{:04}-r{:02}", self.variant, self.replication)
    }
}

/// The variant-major run list.
pub fn run_list(n_variants: usize, replications: u32, base_seed: u64) -> Vec<SweepRun> {
    (0..n_variants as u64)
        .flat_map(|variant| {
            (0..replications).map(move |replication| SweepRun {
                index: variant * u64::from(replications) + u64::from(replication),
                variant: variant as u32,
                replication,
                seed: replication_seed(base_seed, variant, replication),
            })
        })
        .collect()
}

/// `--shard K/N`: the K-th (from 1) of N slices of the run list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1..=n.
    pub k: u32,
    /// How many slices.
    pub n: u32,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("invalid --shard {text:?}: expected K/N with 1 <= K <= N, e.g. 2/8");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether run `index` belongs to this slice.
    pub fn has(self, index: u64) -> bool {
        index % u64::from(self.n) == u64::from(self.k - 1)
    }
}

/// What a sweep directory records about its plan, so shards can be merged and a sweep resumed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always `sweep_plan`.
    pub kind: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// The scenario's name.
    pub scenario: String,
    /// FNV-1a of the scenario text (before overrides).
    pub scenario_hash: String,
    /// `--set` overrides applied to every variant.
    pub overrides: Vec<String>,
    /// The base seed.
    pub base_seed: u64,
    /// The plan.
    pub plan: SweepPlan,
    /// The shard this directory holds, if any.
    pub shard: Option<Shard>,
    /// The distsim version.
    pub distsim_version: String,
    /// The histogram the comparative report overlays (the scenario's `[report]
    /// timeline_metric`, else `latency.all`), so `distsim merge` draws what the sweep would.
    #[serde(default = "default_primary")]
    pub primary: String,
}

/// The primary histogram of a plan written before plans recorded it.
fn default_primary() -> String {
    "latency.all".into()
}

/// A sweep's inputs.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The scenario file.
    pub file: PathBuf,
    /// `--set` overrides for every variant.
    pub overrides: Vec<String>,
    /// `--vary path=v1,v2,...` axes, added to (or replacing) the file's.
    pub vary: Vec<String>,
    /// `--replications`, overriding the file's.
    pub replications: Option<u32>,
    /// `--seed`: a number, `random`, or (absent) the scenario's.
    pub seed: SeedChoice,
    /// Check every invariant after this many events in every run (`--paranoid`).
    pub paranoid_every: Option<std::num::NonZeroU64>,
    /// Output directory.
    pub out: PathBuf,
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// `--resume`.
    pub resume: bool,
}

/// Why a sweep could not start (invalid input, exit 2).
#[derive(Debug)]
pub struct SweepError(pub String);

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a sweep did.
#[derive(Debug)]
pub struct SweepOutcome {
    /// The base seed the runs' seeds derive from, and whether it was picked at random (the
    /// caller prints it then); `None` for a merge.
    pub base_seed: Option<ChosenSeed>,
    /// The summary, when this directory holds every run (not a shard).
    pub summary: Option<SweepData>,
    /// Runs executed now.
    pub ran: usize,
    /// Runs skipped because complete results existed (`--resume`).
    pub skipped: usize,
    /// Runs that failed, with variant and seed.
    pub failures: Vec<RunFailure>,
    /// The histogram the report compares (see [`PlanFile::primary`]).
    pub primary: String,
    /// The plan's `[sweep] sort_by`, if any.
    pub sort_by: Option<String>,
}

/// The plan: the scenario's `[sweep]`, with `--vary` axes (replacing an axis of the same path,
/// else appended) and `--replications`.
fn plan_for(scenario: &Scenario, config: &SweepConfig) -> Result<SweepPlan, SweepError> {
    let mut plan = scenario.sweep.clone();
    for given in &config.vary {
        let axis = parse_vary(given).map_err(SweepError)?;
        match plan.axes.iter_mut().find(|a| a.path == axis.path) {
            Some(existing) => *existing = axis,
            None => plan.axes.push(axis),
        }
    }
    if let Some(r) = config.replications {
        plan.replications = r;
    }
    plan.check().map_err(SweepError)?;
    Ok(plan)
}

/// Hears how a sweep is going (a progress bar).
pub trait SweepProgress: Sync {
    /// The sweep is about to execute `total` runs.
    fn start(&self, total: usize);
    /// One run finished (in any order).
    fn done(&self, run: &SweepRun);
}

/// Runs (its share of) a sweep and, when the directory then holds every run, summarises it.
pub fn run_sweep(
    config: &SweepConfig,
    registries: &Registries,
    progress: &dyn SweepProgress,
) -> Result<SweepOutcome, SweepError> {
    let text = fs::read_to_string(&config.file)
        .map_err(|e| SweepError(format!("cannot read {}: {e}", config.file.display())))?;
    let file_name = config.file.display().to_string();
    let base = load_text_with(&file_name, &text, &config.overrides, registries)
        .map_err(|e| SweepError(e.to_string()))?;
    let plan = plan_for(&base, config)?;
    let chosen = config.seed.resolve(base.seed).map_err(|_| {
        SweepError(format!(
            "{file_name}: no seed; give [simulation] seed = N or --seed N (or --seed random)"
        ))
    })?;
    let base_seed = chosen.seed;
    let settings = plan.variants();
    // Each variant as a scenario, or why it is invalid.
    let variants: Vec<Result<Scenario, String>> = settings
        .iter()
        .map(|set| {
            let overrides: Vec<String> = config
                .overrides
                .iter()
                .cloned()
                .chain(set.iter().map(|(p, v)| format!("{p}={v}")))
                .collect();
            load_text_with(&file_name, &text, &overrides, registries).map_err(|e| e.to_string())
        })
        .collect();
    if let Some(Err(first)) = variants
        .first()
        .filter(|_| variants.iter().all(Result::is_err))
    {
        return Err(SweepError(format!(
            "no variant of the sweep is valid; the first:\n{first}"
        )));
    }
    let plan_file = PlanFile {
        kind: "sweep_plan".into(),
        scenario_file: file_name.clone(),
        scenario: base.name.clone(),
        scenario_hash: crate::scenario::fnv1a_hex(&text),
        overrides: config.overrides.clone(),
        base_seed,
        plan: plan.clone(),
        shard: config.shard,
        distsim_version: VERSION.into(),
        primary: base
            .report
            .timeline_metric
            .clone()
            .unwrap_or_else(default_primary),
    };
    write_plan(&config.out, &plan_file, config.resume)?;
    let all_runs = run_list(settings.len(), plan.replications, base_seed);
    let mine: Vec<SweepRun> = all_runs
        .iter()
        .copied()
        .filter(|r| config.shard.is_none_or(|s| s.has(r.index)))
        .collect();
    let todo: Vec<SweepRun> = mine
        .iter()
        .copied()
        .filter(|r| {
            let done = config.resume
                && variants[r.variant as usize]
                    .as_ref()
                    .is_ok_and(|s| complete(&config.out, r, s));
            !done
        })
        .collect();
    progress.start(todo.len());
    let results: Vec<Result<(), RunFailure>> = todo
        .par_iter()
        .map(|r| {
            let outcome = execute(
                &config.out,
                r,
                &variants[r.variant as usize],
                config.paranoid_every,
            );
            progress.done(r);
            outcome
        })
        .collect();
    let mut failures: Vec<RunFailure> = results.into_iter().filter_map(Result::err).collect();
    let skipped = mine.len() - todo.len();
    let summary = if config.shard.is_none() {
        let (summary, all_failures) = summarize(&config.out, &plan_file, &settings, &failures)?;
        failures = all_failures;
        Some(summary)
    } else {
        None
    };
    Ok(SweepOutcome {
        base_seed: Some(chosen),
        summary,
        ran: todo.len(),
        skipped,
        failures,
        primary: plan_file.primary,
        sort_by: plan_file.plan.sort_by,
    })
}

/// [`run_sweep`] on a pool of `threads` worker threads (0: one per core); the results do not
/// depend on the count.
pub fn run_sweep_on(
    threads: usize,
    config: &SweepConfig,
    registries: &Registries,
    progress: &dyn SweepProgress,
) -> Result<SweepOutcome, SweepError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SweepError(format!("cannot start worker threads: {e}")))?;
    pool.install(|| run_sweep(config, registries, progress))
}

/// Variant `variant` of the sweep `config` describes, as a scenario.
pub fn variant_scenario(
    config: &SweepConfig,
    registries: &Registries,
    variant: u32,
) -> Result<Scenario, String> {
    let text = fs::read_to_string(&config.file)
        .map_err(|e| format!("cannot read {}: {e}", config.file.display()))?;
    let file_name = config.file.display().to_string();
    let base = load_text_with(&file_name, &text, &config.overrides, registries)
        .map_err(|e| e.to_string())?;
    let plan = plan_for(&base, config).map_err(|e| e.0)?;
    let settings = plan
        .variants()
        .into_iter()
        .nth(variant as usize)
        .ok_or_else(|| format!("the sweep has no variant {variant}"))?;
    let overrides: Vec<String> = config
        .overrides
        .iter()
        .cloned()
        .chain(settings.iter().map(|(p, v)| format!("{p}={v}")))
        .collect();
    load_text_with(&file_name, &text, &overrides, registries).map_err(|e| e.to_string())
}

/// Writes `sweep-plan.json`; with `resume`, an existing plan must be the same plan.
fn write_plan(dir: &Path, plan: &PlanFile, resume: bool) -> Result<(), SweepError> {
    let path = dir.join("sweep-plan.json");
    if resume {
        if let Ok(text) = fs::read_to_string(&path) {
            let old: PlanFile = serde_json::from_str(&text).map_err(|e| {
                SweepError(format!(
                    "cannot resume: {} is not a sweep plan: {e}",
                    path.display()
                ))
            })?;
            if old != *plan {
                return Err(SweepError(format!(
                    "cannot resume: {} holds a different sweep (another scenario, seed, plan, \
                     shard or version); use another --out",
                    path.display()
                )));
            }
        }
    }
    let json = serde_json::to_vec_pretty(plan).expect("a plan serializes");
    fs::create_dir_all(dir)
        .and_then(|()| fs::write(&path, json))
        .map_err(|e| SweepError(format!("cannot write {}: {e}", path.display())))
}

/// Whether run `r` already has complete results for `scenario`: a `results.json` that parses
/// and names its seed and the variant's scenario hash.
fn complete(dir: &Path, r: &SweepRun, scenario: &Scenario) -> bool {
    let path = dir.join(r.dir()).join("results.json");
    let Ok(file) = fs::File::open(&path) else {
        return false;
    };
    match read_results(file) {
        Ok(results) => results.seed == r.seed && results.scenario_hash == scenario.hash,
        Err(_) => false,
    }
}

/// Runs one replication (under its scenario's `max_wall_time` guard: a run it stops still
/// writes its partial results, marked partial) and writes its `results.json`.
fn execute(
    dir: &Path,
    r: &SweepRun,
    scenario: &Result<Scenario, String>,
    paranoid_every: Option<std::num::NonZeroU64>,
) -> Result<(), RunFailure> {
    let fail = |reason: String| RunFailure {
        variant: r.variant,
        replication: r.replication,
        seed: r.seed,
        reason,
    };
    let scenario = scenario
        .as_ref()
        .map_err(|e| fail(format!("invalid variant: {e}")))?;
    let guard = WallGuard::start(scenario.max_wall_time);
    let mut quiet = |_: &sim_core::Progress| {};
    let options = RunOptions {
        trace: None,
        paranoid_every,
    };
    let outcome = run_with(scenario, r.seed, options, &mut guard.observer(&mut quiet));
    let mut data = run_data(scenario, &outcome);
    for p in SPECTRUM_PERCENTILES {
        if !data.percentiles.contains(&p) {
            data.percentiles.push(p);
        }
    }
    let results = reports::build_results(&data).map_err(|e| fail(e.to_string()))?;
    let mut json = Vec::new();
    reports::write_results(&mut json, &results).map_err(|e| fail(e.to_string()))?;
    let run_dir = dir.join(r.dir());
    write_atomic(&run_dir, "results.json", &json).map_err(fail)?;
    Ok(())
}

/// Writes `name` in `dir` (created if missing) through a temporary file and a rename, so it
/// exists only complete.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    reports::create_dir(dir)
        .and_then(|()| reports::write_atomic(dir, name, bytes))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Summarises every run of `dir` from its `results.json` files; runs without one are failures,
/// with the reason from `known` when the run failed just now.
fn summarize(
    dir: &Path,
    plan_file: &PlanFile,
    settings: &[Vec<(String, String)>],
    known: &[RunFailure],
) -> Result<(SweepData, Vec<RunFailure>), SweepError> {
    let plan = &plan_file.plan;
    let runs = run_list(settings.len(), plan.replications, plan_file.base_seed);
    let mut failures = Vec::new();
    // Per variant: its runs with results, and each one's metrics.
    type Collected = (Vec<RunRef>, Vec<BTreeMap<String, f64>>);
    let mut per_variant: Vec<Collected> = vec![(Vec::new(), Vec::new()); settings.len()];
    // Meanings as the runs' results declare them (the first run that has a metric wins).
    let mut directions = BTreeMap::new();
    let mut derived = std::collections::BTreeSet::new();
    for r in &runs {
        let rel = format!("{}/results.json", r.dir());
        let parsed = fs::File::open(dir.join(&rel))
            .map_err(|e| e.to_string())
            .and_then(|f| read_results(f).map_err(|e| e.to_string()));
        match parsed {
            Ok(results) if results.seed == r.seed => {
                let (refs, metrics) = &mut per_variant[r.variant as usize];
                refs.push(RunRef {
                    replication: r.replication,
                    seed: r.seed,
                    results: rel,
                    partial: results.partial.clone(),
                });
                metrics.push(run_metrics(&results));
                for (name, direction) in run_directions(&results) {
                    directions.entry(name).or_insert(direction);
                }
                derived.extend(results.derived.keys().cloned());
            }
            Ok(_) => failures.push(missing(r, "its results.json holds another seed")),
            Err(e) => {
                let failed = known
                    .iter()
                    .find(|f| (f.variant, f.replication) == (r.variant, r.replication));
                failures.push(match failed {
                    Some(failure) => failure.clone(),
                    None => missing(r, &format!("no results: {e}")),
                });
            }
        }
    }
    let variants = settings
        .iter()
        .zip(per_variant)
        .enumerate()
        .map(|(index, (set, (runs, metrics)))| VariantData {
            index: index as u32,
            settings: set.clone(),
            label: label(set),
            runs,
            metrics: summarize_variant(&metrics),
        })
        .collect();
    let summary = SweepData {
        kind: SWEEP_KIND.into(),
        schema_version: SWEEP_SCHEMA_VERSION,
        scenario: plan_file.scenario.clone(),
        scenario_file: plan_file.scenario_file.clone(),
        scenario_hash: plan_file.scenario_hash.clone(),
        base_seed: plan_file.base_seed,
        replications: plan.replications,
        mode: plan.mode.name().into(),
        axes: plan.axes.clone(),
        variants,
        failures: failures.clone(),
        distsim_version: plan_file.distsim_version.clone(),
        directions,
        derived: derived.into_iter().collect(),
    };
    Ok((summary, failures))
}

fn missing(r: &SweepRun, reason: &str) -> RunFailure {
    RunFailure {
        variant: r.variant,
        replication: r.replication,
        seed: r.seed,
        reason: reason.to_string(),
    }
}

/// A variant's label: its values, `, `-separated (`base` with no axes).
fn label(settings: &[(String, String)]) -> String {
    if settings.is_empty() {
        return "base".into();
    }
    settings
        .iter()
        .map(|(_, v)| v.trim_matches('"').to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `distsim merge`: copies every run of the shard directories `inputs` into `out` and
/// summarises it. The shards must hold the same sweep (scenario, seed, plan, version).
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<SweepOutcome, SweepError> {
    let mut plans = Vec::new();
    for dir in inputs {
        let path = dir.join("sweep-plan.json");
        let text = fs::read_to_string(&path)
            .map_err(|e| SweepError(format!("cannot read {}: {e}", path.display())))?;
        let plan: PlanFile = serde_json::from_str(&text)
            .map_err(|e| SweepError(format!("{} is not a sweep plan: {e}", path.display())))?;
        plans.push(plan);
    }
    let first = plans
        .first()
        .cloned()
        .ok_or_else(|| SweepError("give at least one sweep directory".into()))?;
    let same = |p: &PlanFile| {
        PlanFile {
            shard: None,
            ..p.clone()
        } == PlanFile {
            shard: None,
            ..first.clone()
        }
    };
    if let Some((dir, _)) = inputs.iter().zip(&plans).find(|(_, p)| !same(p)) {
        return Err(SweepError(format!(
            "{} holds a different sweep than {} (scenario, seed, plan or version differ)",
            dir.display(),
            inputs[0].display()
        )));
    }
    let settings = first.plan.variants();
    let runs = run_list(settings.len(), first.plan.replications, first.base_seed);
    for r in &runs {
        let rel = format!("{}/results.json", r.dir());
        if let Some(src) = inputs.iter().map(|d| d.join(&rel)).find(|p| p.is_file()) {
            let bytes = fs::read(&src)
                .map_err(|e| SweepError(format!("cannot read {}: {e}", src.display())))?;
            write_atomic(&out.join(r.dir()), "results.json", &bytes).map_err(SweepError)?;
        }
    }
    let merged = PlanFile {
        shard: None,
        ..first
    };
    write_plan(out, &merged, false)?;
    let (summary, failures) = summarize(out, &merged, &settings, &[])?;
    Ok(SweepOutcome {
        base_seed: None,
        summary: Some(summary),
        ran: 0,
        skipped: runs.len() - failures.len(),
        failures,
        primary: merged.primary,
        sort_by: merged.plan.sort_by,
    })
}

/// Writes a sweep's summary and comparative report into `out`, and says what happened: the
/// table sorted by `sort_by` (else the plan's `[sweep] sort_by`, else `<primary>.p99`; best
/// first by the metric's direction), the runs done, every failed run with its variant and
/// seed. Status: 2 invalid input, 1 a failed run or an unwritable output, else done.
pub fn report(
    outcome: Result<SweepOutcome, SweepError>,
    out: &Path,
    sort_by: Option<String>,
    quiet: bool,
) -> Report {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => return Report::invalid(format!("error: {error}")),
    };
    let primary = outcome.primary.as_str();
    let sort = sort_by
        .or_else(|| outcome.sort_by.clone())
        .unwrap_or_else(|| format!("{primary}.p99"));
    let mut report = Report::new(Status::Done);
    if let Some(announce) = outcome.base_seed.and_then(|seed| seed.announcement()) {
        report.stderr.push(announce);
    }
    if let Some(summary) = &outcome.summary {
        let written = reports::write_sweep_summary(out, summary)
            .and_then(|_| reports::write_sweep_report(out, summary, primary, Some(&sort)));
        if let Err(error) = written {
            report.stderr.push(format!("error: {error}"));
            report.status = Status::Failed;
            return report;
        }
        if !quiet {
            report.stdout.push(reports::sweep_table(summary, &sort));
        }
    }
    if !quiet {
        report.stdout.push(format!(
            "{} runs now, {} already complete; results in {}",
            outcome.ran,
            outcome.skipped,
            out.display()
        ));
    }
    for failure in &outcome.failures {
        report.stderr.push(format!(
            "error: run of variant {} replication {} (seed {}) failed: {}",
            failure.variant, failure.replication, failure.seed, failure.reason
        ));
    }
    if !outcome.failures.is_empty() {
        report.status = Status::Failed;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: shard specs parse only as K/N with 1 <= K <= N, and the shards partition the runs.
    #[test]
    fn shards_partition_the_run_list() {
        for bad in ["3/2", "0/2", "1/0", "2", "a/b", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for index in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.has(index)).count(), 1);
        }
    }

    // Goal: a run's seed depends only on (base, variant, replication): the same every time,
    // different across runs, and the run list is variant-major.
    #[test]
    fn seeds_are_stable_and_distinct() {
        let runs = run_list(3, 4, 42);
        assert_eq!(runs.len(), 12);
        assert_eq!(
            (runs[5].variant, runs[5].replication, runs[5].index),
            (1, 1, 5)
        );
        assert_eq!(runs[5].seed, replication_seed(42, 1, 1));
        assert_eq!(replication_seed(42, 1, 1), replication_seed(42, 1, 1));
        let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 12);
        assert_ne!(replication_seed(43, 1, 1), replication_seed(42, 1, 1));
    }
}
