//! `distsim sweep` and `distsim merge`: a scenario run as a grid (or zipped lists) of
//! variants, each with several seeds, in parallel, summarised per variant with confidence
//! intervals.
//!
//! **Plan.** `[sweep]` (or `--vary path=v1,v2,...` and `--replications R`) names dotted paths
//! (as `--set` takes them) and their values. `grid` makes every combination, the last axis
//! varying fastest; `zip` takes the i-th value of every axis together. Each variant is the
//! scenario with those `--set` overrides applied, validated like any scenario.
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
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use reports::{
    read_results, run_metrics, summarize_variant, RunFailure, RunRef, SweepAxis, SweepData,
    VariantData, SWEEP_KIND, SWEEP_SCHEMA_VERSION,
};
use serde::{Deserialize, Serialize};
use sim_core::rng::derive_seed;

use crate::run::{run, run_data, VERSION};
use crate::{load_text, Scenario};

/// Most replications per variant: 10 000 (the interval shrinks as 1/√R; beyond this a sweep is
/// better spent on longer runs).
pub const REPLICATIONS_MAX: u32 = 10_000;
/// Most variants one sweep may have: 2^20 (a variant index must fit in 32 bits of the seed
/// derivation, and a million variants is far beyond any report).
pub const VARIANTS_MAX: usize = 1 << 20;
/// Percentiles every sweep run records besides the scenario's, so the comparative report can
/// draw each variant's latency spectrum.
pub const SPECTRUM_PERCENTILES: [f64; 7] = [25.0, 75.0, 95.0, 99.5, 99.95, 99.99, 99.999];

/// How axes combine into variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepMode {
    /// Every combination; the last axis varies fastest.
    Grid,
    /// The i-th value of every axis together (all axes equally long).
    Zip,
}

impl SweepMode {
    /// `grid` or `zip`.
    pub fn name(self) -> &'static str {
        match self {
            SweepMode::Grid => "grid",
            SweepMode::Zip => "zip",
        }
    }
}

/// A validated sweep plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// Runs per variant, 1..=[`REPLICATIONS_MAX`].
    pub replications: u32,
    /// How axes combine.
    pub mode: SweepMode,
    /// The varied fields (values are TOML literals).
    pub axes: Vec<SweepAxis>,
    /// The metric the terminal table sorts by, if given.
    pub sort_by: Option<String>,
}

impl Default for SweepPlan {
    /// One variant (the scenario as written), one replication.
    fn default() -> Self {
        SweepPlan {
            replications: 1,
            mode: SweepMode::Grid,
            axes: Vec::new(),
            sort_by: None,
        }
    }
}

impl SweepPlan {
    /// Checks the plan's shape: values non-empty, paths distinct, zip axes equally long, the
    /// variant count within [`VARIANTS_MAX`].
    pub fn check(&self) -> Result<(), String> {
        if !(1..=REPLICATIONS_MAX).contains(&self.replications) {
            return Err(format!(
                "replications must be from 1 to {REPLICATIONS_MAX}, got {}",
                self.replications
            ));
        }
        for (i, axis) in self.axes.iter().enumerate() {
            if axis.path.trim().is_empty() {
                return Err("a varied path is empty".into());
            }
            if axis.values.is_empty() {
                return Err(format!("`{}` has no values", axis.path));
            }
            if self.axes[..i].iter().any(|a| a.path == axis.path) {
                return Err(format!("`{}` is varied twice", axis.path));
            }
        }
        if self.mode == SweepMode::Zip {
            if let Some(first) = self.axes.first() {
                for axis in &self.axes[1..] {
                    if axis.values.len() != first.values.len() {
                        return Err(format!(
                            "mode = \"zip\" needs equally long value lists: `{}` has {}, `{}` has {}",
                            first.path,
                            first.values.len(),
                            axis.path,
                            axis.values.len()
                        ));
                    }
                }
            }
        }
        let n = self.n_variants();
        if n > VARIANTS_MAX {
            return Err(format!(
                "the sweep has {n} variants, at most {VARIANTS_MAX} are allowed"
            ));
        }
        Ok(())
    }

    /// Number of variants.
    pub fn n_variants(&self) -> usize {
        match (self.mode, self.axes.first()) {
            (_, None) => 1,
            (SweepMode::Zip, Some(first)) => first.values.len(),
            (SweepMode::Grid, Some(_)) => self
                .axes
                .iter()
                .map(|a| a.values.len())
                .fold(1usize, |n, k| n.saturating_mul(k)),
        }
    }

    /// Each variant's `(path, value)` settings, in variant order.
    pub fn variants(&self) -> Vec<Vec<(String, String)>> {
        let n = self.n_variants();
        (0..n)
            .map(|v| match self.mode {
                SweepMode::Zip => self
                    .axes
                    .iter()
                    .map(|a| (a.path.clone(), a.values[v].clone()))
                    .collect(),
                SweepMode::Grid => {
                    // Mixed radix, the last axis fastest.
                    let mut rest = v;
                    let mut settings: Vec<(String, String)> = self
                        .axes
                        .iter()
                        .rev()
                        .map(|a| {
                            let k = rest % a.values.len();
                            rest /= a.values.len();
                            (a.path.clone(), a.values[k].clone())
                        })
                        .collect();
                    settings.reverse();
                    settings
                }
            })
            .collect()
    }
}

/// The seed of replication `replication` of variant `variant`: a fixed function of the base
/// seed and the two indices (never of scheduling, sharding or thread count).
pub fn replication_seed(base: u64, variant: u64, replication: u32) -> u64 {
    assert!(variant < 1 << 32, "variant index fits 32 bits");
    derive_seed(base, (variant << 32) | u64::from(replication))
}

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
    /// `--seed`, overriding the scenario's.
    pub seed: Option<u64>,
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
    /// The summary, when this directory holds every run (not a shard).
    pub summary: Option<SweepData>,
    /// Runs executed now.
    pub ran: usize,
    /// Runs skipped because complete results existed (`--resume`).
    pub skipped: usize,
    /// Runs that failed, with variant and seed.
    pub failures: Vec<RunFailure>,
}

/// Splits `path=v1,v2,...` at top-level commas (not inside quotes, brackets or braces).
pub fn parse_vary(given: &str) -> Result<SweepAxis, String> {
    let (path, values) = given
        .split_once('=')
        .ok_or_else(|| format!("invalid --vary {given:?}: expected path=v1,v2,..."))?;
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in values.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(values[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(values[start..].trim().to_string());
    if parts.iter().any(String::is_empty) {
        return Err(format!("invalid --vary {given:?}: an empty value"));
    }
    Ok(SweepAxis {
        path: path.trim().to_string(),
        values: parts,
    })
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
    progress: &dyn SweepProgress,
) -> Result<SweepOutcome, SweepError> {
    let text = fs::read_to_string(&config.file)
        .map_err(|e| SweepError(format!("cannot read {}: {e}", config.file.display())))?;
    let file_name = config.file.display().to_string();
    let base =
        load_text(&file_name, &text, &config.overrides).map_err(|e| SweepError(e.to_string()))?;
    let plan = plan_for(&base, config)?;
    let base_seed = config.seed.or(base.seed).ok_or_else(|| {
        SweepError(format!(
            "{file_name}: no seed; give [simulation] seed = N or --seed N"
        ))
    })?;
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
            load_text(&file_name, &text, &overrides).map_err(|e| e.to_string())
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
        scenario_hash: crate::build::fnv1a_hex(&text),
        overrides: config.overrides.clone(),
        base_seed,
        plan: plan.clone(),
        shard: config.shard,
        distsim_version: VERSION.into(),
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
            let outcome = execute(&config.out, r, &variants[r.variant as usize]);
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
        summary,
        ran: todo.len(),
        skipped,
        failures,
    })
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

/// Runs one replication and writes its `results.json`.
fn execute(
    dir: &Path,
    r: &SweepRun,
    scenario: &Result<Scenario, String>,
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
    let outcome = run(scenario, r.seed, &mut |_| ControlFlow::Continue(()));
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
        summary: Some(summary),
        ran: 0,
        skipped: runs.len() - failures.len(),
        failures,
    })
}

/// A TOML value as the literal `--set` takes: strings quoted and escaped, floats keeping their
/// point, arrays and tables inline.
fn toml_literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => toml_edit::Value::from(s.as_str()).to_string(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => toml_edit::Value::from(*f).to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_literal).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(table) => {
            let entries: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_edit::Key::new(k.as_str()), toml_literal(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// The `[sweep]` section as a plan (no section: one variant, one replication).
pub(crate) fn plan_from_file(
    source: &crate::diag::Source,
    section: Option<&toml::Spanned<crate::schema::SweepSection>>,
) -> Result<SweepPlan, crate::diag::Diagnostic> {
    use crate::diag::Diagnostic;
    let Some(section) = section else {
        return Ok(SweepPlan::default());
    };
    let sweep = section.get_ref();
    let replications = match &sweep.replications {
        None => 1,
        Some(r) => match u32::try_from(*r.get_ref()) {
            Ok(n) if (1..=REPLICATIONS_MAX).contains(&n) => n,
            _ => {
                return Err(Diagnostic::error(
                    source,
                    r.span(),
                    format!(
                        "replications must be from 1 to {REPLICATIONS_MAX}, got {}",
                        r.get_ref()
                    ),
                ))
            }
        },
    };
    let mode = match sweep
        .mode
        .as_ref()
        .map(|m| (m.get_ref().as_str(), m.span()))
    {
        None | Some(("grid", _)) => SweepMode::Grid,
        Some(("zip", _)) => SweepMode::Zip,
        Some((other, span)) => {
            return Err(
                Diagnostic::error(source, span, format!("unknown sweep mode {other:?}"))
                    .with_help(crate::diag::suggest(other, ["grid", "zip"])),
            )
        }
    };
    let axes = sweep
        .vary
        .iter()
        .map(|v| SweepAxis {
            path: v.get_ref().path.get_ref().trim().to_string(),
            values: v
                .get_ref()
                .values
                .get_ref()
                .iter()
                .map(toml_literal)
                .collect(),
        })
        .collect();
    let plan = SweepPlan {
        replications,
        mode,
        axes,
        sort_by: sweep.sort_by.as_ref().map(|s| s.get_ref().clone()),
    };
    plan.check()
        .map_err(|message| Diagnostic::error(source, section.span(), message))?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(path: &str, values: &[&str]) -> SweepAxis {
        SweepAxis {
            path: path.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    // Goal: grid expansion is every combination with the last axis fastest; zip pairs values;
    // zip with unequal lengths, empty values and repeated paths are refused.
    #[test]
    fn grid_and_zip_expansion() {
        let mut plan = SweepPlan {
            axes: vec![axis("a", &["1", "2"]), axis("b", &["x", "y", "z"])],
            ..SweepPlan::default()
        };
        let grid: Vec<String> = plan
            .variants()
            .iter()
            .map(|s| {
                s.iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("")
            })
            .collect();
        assert_eq!(grid, ["1x", "1y", "1z", "2x", "2y", "2z"]);
        plan.mode = SweepMode::Zip;
        assert!(plan.check().unwrap_err().contains("equally long"));
        plan.axes[1].values.pop();
        assert_eq!(plan.n_variants(), 2);
        assert_eq!(
            plan.variants()[1],
            [("a".into(), "2".into()), ("b".into(), "y".into())]
        );
        plan.axes[1] = axis("a", &["3", "4"]);
        assert!(plan.check().unwrap_err().contains("varied twice"));
        plan.axes[1] = axis("b", &[]);
        assert!(plan.check().unwrap_err().contains("no values"));
        assert_eq!(SweepPlan::default().variants(), vec![Vec::new()]);
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

    // Goal: --vary splits values at top-level commas only.
    #[test]
    fn vary_splits_at_top_level_commas() {
        let a = parse_vary("group.c.policy=lru,\"s3-fifo\"").unwrap();
        assert_eq!(a.values, ["lru", "\"s3-fifo\""]);
        let b = parse_vary("group.c.service={ workers = 1, time = \"1ms\" },[1, 2]").unwrap();
        assert_eq!(b.values, ["{ workers = 1, time = \"1ms\" }", "[1, 2]"]);
        assert!(parse_vary("nopath").is_err());
        assert!(parse_vary("a=1,,2").is_err());
    }
}
