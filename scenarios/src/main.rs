//! `distsim`: run, validate and list scenarios, and study placement schemes and cache policies
//! without traffic.
//!
//! Exit codes: 0 success, 1 a run that failed or stopped early (its partial results are still
//! written, marked partial) or a `distsim check` that failed (an assertion or a regression), 2
//! invalid input (a bad scenario, path, flag, `--set` value or baseline).

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenarios::cache_study::{run_cache_study, CacheStudyConfig};
use scenarios::diag::Severity;
use scenarios::placement_study::{run_study, StudyConfig};
use scenarios::run::{reproduce_command, run_data, Outcome};
use scenarios::schema::PlacementTable;
use scenarios::{load, Scenario, ScenarioError};
use sim_core::trace::{JsonLinesTrace, TraceRecord, TraceSink};
use sim_core::Progress;

/// A deterministic discrete-event simulator of distributed systems.
#[derive(Parser)]
#[command(name = "distsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write its results, plots and report.
    Run(RunArgs),
    /// Run a scenario and judge it for CI: its [[check]] assertions and, with --baseline, every
    /// metric against a stored baseline. Exit 0 pass, 1 a failed check or regression, 2
    /// invalid input.
    Check(CheckArgs),
    /// Check a scenario without running it.
    Validate {
        /// The scenario file.
        file: PathBuf,
        /// Override a scenario value: `path=value` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// List roles, distributions, arrival processes, key distributions and fault kinds.
    List,
    /// Study a placement scheme without traffic: per-node key and request shares, and the
    /// keys moved when a node joins or leaves.
    Placement(PlacementArgs),
    /// Replay a request trace through cache policies and sizes (no event loop): miss and byte
    /// miss ratios, a miss-ratio-curve plot and results.json.
    Cache(CacheArgs),
    /// Run a scenario's variants (`[sweep]` or --vary), each with several seeds, in parallel;
    /// summarise them with confidence intervals (sweep.json, sweep.csv, sweep.html).
    Sweep(SweepArgs),
    /// Combine the directories of a sharded sweep (`--shard K/N`) into one summary.
    Merge {
        /// The shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory (receives every run and the summary).
        #[arg(long)]
        out: PathBuf,
        /// Print only errors.
        #[arg(long, short)]
        quiet: bool,
    },
}

/// `distsim sweep` flags.
#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file.
    file: PathBuf,
    /// Vary a field: `path=v1,v2,...` (TOML values, as --set takes them; repeatable). Adds to
    /// the file's `[sweep]` axes, replacing one of the same path.
    #[arg(long, value_name = "PATH=V1,V2,...")]
    vary: Vec<String>,
    /// Runs per variant, each with its own seed [default: the file's, or 1].
    #[arg(long)]
    replications: Option<u32>,
    /// Base seed the runs' seeds derive from [default: the scenario's].
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario value for every variant: `path=value` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Run only the K-th of N slices of the run list (1 <= K <= N); merge with `distsim merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Skip runs whose complete results already exist in the output directory.
    #[arg(long)]
    resume: bool,
    /// The metric the terminal table sorts by [default: the file's, or <timeline metric>.p99].
    #[arg(long)]
    sort_by: Option<String>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output directory [default: out/<scenario name>-sweep].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short)]
    quiet: bool,
}

/// `distsim run` flags.
#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file.
    file: PathBuf,
    /// Output directory [default: out/<scenario name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed: a number, or `random` to pick one (it is printed) [default: the scenario's].
    #[arg(long)]
    seed: Option<String>,
    /// Override a scenario value: `path=value`, e.g. `group.servers.count=8` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Print only errors.
    #[arg(long, short)]
    quiet: bool,
    /// Write a JSON Lines trace of every processed event to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Also write this run's metrics as a baseline for `distsim check --baseline`.
    #[arg(long, value_name = "BASELINE.json")]
    save_baseline: Option<PathBuf>,
}

/// `distsim check` flags.
#[derive(clap::Args)]
struct CheckArgs {
    /// The scenario file.
    file: PathBuf,
    /// Output directory for the runs' outputs, check.md and check.junit.xml [default:
    /// out/<scenario name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed (of the first replication): a number or `random` [default: the scenario's].
    #[arg(long)]
    seed: Option<String>,
    /// Override a scenario value: `path=value` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Compare every metric with this baseline (written by --save-baseline).
    #[arg(long, value_name = "BASELINE.json")]
    baseline: Option<PathBuf>,
    /// How far a metric may move the bad way before it counts as a regression: a percentage
    /// of its baseline value [default: 5%].
    #[arg(long)]
    tolerance: Option<String>,
    /// Also write a baseline of these runs (all replications) to this file.
    #[arg(long, value_name = "BASELINE.json")]
    save_baseline: Option<PathBuf>,
    /// Print only errors and the one-line verdict.
    #[arg(long, short)]
    quiet: bool,
}

/// `distsim cache` flags.
#[derive(clap::Args)]
struct CacheArgs {
    /// The trace: `.oracleGeneral` (libCacheSim's binary format), `.csv`, either with `.zst`.
    trace: PathBuf,
    /// Policies, comma-separated (`distsim list` shows them).
    #[arg(long, value_delimiter = ',', default_value = "lru,fifo,sieve,s3-fifo")]
    policies: Vec<String>,
    /// Cache sizes, comma-separated: a fraction of the working set (`1%`, `0.05`), a size
    /// with a unit (`64MiB`), or a whole number of bytes (objects with --ignore-obj-size).
    #[arg(long, value_delimiter = ',', default_value = "0.1%,1%,10%")]
    sizes: Vec<String>,
    /// Count every object as size 1: sizes are object counts.
    #[arg(long)]
    ignore_obj_size: bool,
    /// How to read a CSV trace: `key=2,size=3,time=1,op=4,header,delimiter=tab,
    /// time_unit=ms,text_keys,size_default=N` (columns by 1-based index, or by name with
    /// `header`) [default: key=1].
    #[arg(long)]
    csv: Option<String>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the `random` policy's draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Count the trace's distinct objects and bytes even when every size is absolute (sizes
    /// given as a fraction of the working set always measure it).
    #[arg(long)]
    working_set: bool,
    /// Output directory [default: out/cache-<trace file name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short)]
    quiet: bool,
}

/// `distsim placement` flags.
#[derive(clap::Args)]
struct PlacementArgs {
    /// The scheme: modulo, range, ring, rendezvous, jump, maglev or bounded_ring.
    #[arg(long)]
    scheme: String,
    /// `ring` and `bounded_ring`: virtual nodes per node [default: 160].
    #[arg(long)]
    vnodes: Option<u32>,
    /// `maglev`: lookup table size, a prime [default: 65537].
    #[arg(long)]
    table_size: Option<u64>,
    /// `bounded_ring`: load slack above the mean, > 0 [default: 0.25].
    #[arg(long)]
    epsilon: Option<f64>,
    /// Nodes before the join and the leave.
    #[arg(long)]
    nodes: u32,
    /// Keys placed (0..keys), at most 10^7.
    #[arg(long, default_value_t = 1_000_000)]
    keys: u64,
    /// Draw requests over the keys from a Zipf distribution with this exponent (needs
    /// --requests) [default: every key requested once].
    #[arg(long, requires = "requests")]
    zipf: Option<f64>,
    /// Requests to draw with --zipf, at most 10^9.
    #[arg(long, requires = "zipf")]
    requests: Option<u64>,
    /// Hash and request seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory [default: out/placement-<scheme>-<nodes>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Exit code for invalid input.
const EXIT_INVALID: u8 = 2;
/// Exit code for a run that failed or stopped early.
const EXIT_RUN_FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_INVALID)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Check(args) => check_command(args),
        Command::Validate { file, set } => validate_command(&file, &set),
        Command::List => {
            print!("{}", list_text());
            ExitCode::SUCCESS
        }
        Command::Placement(args) => placement_command(args),
        Command::Cache(args) => cache_command(args),
        Command::Sweep(args) => sweep_command(args),
        Command::Merge { dirs, out, quiet } => {
            let outcome = scenarios::sweep::merge(&dirs, &out);
            finish_sweep(outcome, &out, None, None, quiet)
        }
    }
}

/// The sweep's progress bar (after one second, unless quiet).
struct SweepBar(ProgressBar);

impl scenarios::sweep::SweepProgress for SweepBar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn done(&self, _: &scenarios::sweep::SweepRun) {
        self.0.inc(1);
    }
}

fn sweep_command(args: SweepArgs) -> ExitCode {
    let shard = match args.shard.as_deref().map(scenarios::sweep::Shard::parse) {
        None => None,
        Some(Ok(shard)) => Some(shard),
        Some(Err(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    // The scenario once, for its name and report settings (each variant is validated again).
    let scenario = match load_or_report(&args.file, &args.set) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", scenario.name)));
    let config = scenarios::sweep::SweepConfig {
        file: args.file.clone(),
        overrides: args.set.clone(),
        vary: args.vary.clone(),
        replications: args.replications,
        seed: args.seed,
        out: out.clone(),
        shard,
        resume: args.resume,
    };
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    if !args.quiet {
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} elapsed")
                .expect("valid template"),
        );
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    let progress = SweepBar(bar);
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: cannot start worker threads: {error}");
            return ExitCode::from(EXIT_RUN_FAILED);
        }
    };
    let outcome = pool.install(|| scenarios::sweep::run_sweep(&config, &progress));
    progress.0.finish_and_clear();
    let primary = scenario
        .report
        .timeline_metric
        .clone()
        .unwrap_or_else(|| "latency.all".to_string());
    let sort = args
        .sort_by
        .or(scenario.sweep.sort_by.clone())
        .unwrap_or_else(|| format!("{primary}.p99"));
    finish_sweep(outcome, &out, Some(&primary), Some(&sort), args.quiet)
}

/// Writes a sweep's summary and report, prints the table and the failures, and picks the
/// exit code: 2 invalid input, 1 a failed run or an unwritable output, else 0.
fn finish_sweep(
    outcome: Result<scenarios::sweep::SweepOutcome, scenarios::sweep::SweepError>,
    out: &Path,
    primary: Option<&str>,
    sort: Option<&str>,
    quiet: bool,
) -> ExitCode {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if let Some(summary) = &outcome.summary {
        let primary = primary.unwrap_or("latency.all");
        let written = reports::write_sweep_summary(out, summary)
            .and_then(|_| reports::write_sweep_report(out, summary, primary));
        if let Err(error) = written {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_RUN_FAILED);
        }
        if !quiet {
            let default_sort = format!("{primary}.p99");
            print!(
                "{}",
                reports::sweep_table(summary, sort.unwrap_or(&default_sort))
            );
        }
    }
    if !quiet {
        println!(
            "{} runs now, {} already complete; results in {}",
            outcome.ran,
            outcome.skipped,
            out.display()
        );
    }
    for failure in &outcome.failures {
        eprintln!(
            "error: run of variant {} replication {} (seed {}) failed: {}",
            failure.variant, failure.replication, failure.seed, failure.reason
        );
    }
    if outcome.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_RUN_FAILED)
    }
}

fn cache_command(args: CacheArgs) -> ExitCode {
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let name = args
            .trace
            .file_name()
            .map_or("trace".into(), |n| n.to_string_lossy());
        Path::new("out").join(format!("cache-{name}"))
    });
    let config = CacheStudyConfig {
        trace: args.trace,
        policies: args.policies,
        sizes: args.sizes,
        ignore_obj_size: args.ignore_obj_size,
        csv: args.csv,
        seed: args.seed,
        working_set: args.working_set,
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: cannot start worker threads: {error}");
            return ExitCode::from(EXIT_RUN_FAILED);
        }
    };
    let study = match pool.install(|| run_cache_study(&config)) {
        Ok(study) => study,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    for warning in scenarios::cache_study::catalogue_warnings(&study) {
        eprintln!("warning: {warning}");
    }
    if let Err(error) = reports::write_cache_study(&out_dir, &study) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    if !args.quiet {
        print!("{}", reports::cache_table(&study));
        println!("results in {}", out_dir.display());
    }
    match &study.partial {
        Some(reason) => {
            eprintln!(
                "error: the trace stopped early, results cover the {} requests before it: {reason}",
                study.requests
            );
            ExitCode::from(EXIT_RUN_FAILED)
        }
        None => ExitCode::SUCCESS,
    }
}

fn placement_command(args: PlacementArgs) -> ExitCode {
    let out_dir = args.out.unwrap_or_else(|| {
        Path::new("out").join(format!("placement-{}-{}", args.scheme, args.nodes))
    });
    let config = StudyConfig {
        table: PlacementTable {
            scheme: args.scheme,
            vnodes: args.vnodes,
            table_size: args.table_size,
            epsilon: args.epsilon,
            splits: None,
            initial_members: None,
        },
        n_nodes: args.nodes,
        n_keys: args.keys,
        zipf: args.zipf.zip(args.requests),
        seed: args.seed,
    };
    let study = match run_study(&config) {
        Ok(study) => study,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if let Err(error) = reports::write_placement_study(&out_dir, &study) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    if !args.quiet {
        print!("{}", reports::placement_table(&study));
        println!("results in {}", out_dir.display());
    }
    ExitCode::SUCCESS
}

fn load_or_report(file: &Path, set: &[String]) -> Result<Scenario, ExitCode> {
    load(file, set).map_err(|error: ScenarioError| {
        eprintln!("{error}");
        ExitCode::from(EXIT_INVALID)
    })
}

fn print_warnings(scenario: &Scenario) {
    for warning in scenario
        .warnings
        .iter()
        .filter(|w| w.severity == Severity::Warning)
    {
        eprintln!("{warning}\n");
    }
}

fn validate_command(file: &Path, set: &[String]) -> ExitCode {
    let scenario = match load_or_report(file, set) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    print_warnings(&scenario);
    // Engine faults, random processes and placement changes (a `fail` counts as its crash
    // and its leave).
    let faults = scenario.faults.len() + scenario.processes.len() + scenario.membership.len();
    println!(
        "{}: valid — {} groups, {} nodes, {} faults, {} checks, {} warnings",
        file.display(),
        scenario.groups.len(),
        scenario.n_nodes(),
        faults,
        scenario.checks.len(),
        scenario.warnings.len()
    );
    ExitCode::SUCCESS
}

/// The seed to run with: `--seed` (a number or `random`), else the scenario's.
fn choose_seed(flag: Option<&str>, scenario: &Scenario) -> Result<(u64, bool), String> {
    match flag {
        Some("random") => {
            use std::hash::{BuildHasher, Hasher};
            // The OS-seeded hasher is std's only entropy source; this is the edge, not the
            // simulation, and the chosen seed is printed so the run can be reproduced.
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(0x5eed);
            // At most i64::MAX, so the seed can be written back into the file as `seed = N`
            // (TOML integers are signed 64-bit).
            Ok((hasher.finish() >> 1, true))
        }
        Some(text) => text
            .parse()
            .map(|seed| (seed, false))
            .map_err(|_| format!("--seed takes a whole number >= 0 or `random`, got {text:?}")),
        None => scenario.seed.map(|seed| (seed, false)).ok_or_else(|| {
            "no seed: add `seed = N` to [simulation], or pass --seed N (or --seed random)"
                .to_string()
        }),
    }
}

/// A trace sink whose writer can be recovered after the run to flush it and see errors.
#[derive(Clone)]
struct SharedTrace(Rc<RefCell<JsonLinesTrace<BufWriter<File>>>>);

impl TraceSink for SharedTrace {
    fn record(&mut self, record: &TraceRecord<'_>) {
        self.0.borrow_mut().record(record);
    }
}

fn run_command(args: RunArgs) -> ExitCode {
    let RunArgs {
        file,
        out,
        seed,
        set,
        quiet,
        trace: trace_path,
        save_baseline,
    } = args;
    let scenario = match load_or_report(&file, &set) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    if !quiet {
        print_warnings(&scenario);
    }
    let seed = match seed_or_report(seed.as_deref(), &scenario, quiet) {
        Ok(seed) => seed,
        Err(code) => return code,
    };
    let trace = match &trace_path {
        None => None,
        Some(path) => match File::create(path) {
            Ok(f) => Some(SharedTrace(Rc::new(RefCell::new(JsonLinesTrace::new(
                BufWriter::new(f),
            ))))),
            Err(e) => {
                eprintln!("error: cannot create trace file {}: {e}", path.display());
                return ExitCode::from(EXIT_INVALID);
            }
        },
    };
    let out_dir = out.unwrap_or_else(|| Path::new("out").join(&scenario.name));

    let (outcome, wall) = run_with_progress(&scenario, seed, quiet, trace.clone());
    if let (Some(trace), Some(path)) = (trace, &trace_path) {
        if let Err(message) = finish_trace(trace) {
            eprintln!("error: writing the trace {}: {message}", path.display());
        }
    }
    let data = run_data(&scenario, &outcome);
    let written = match reports::write_run(&out_dir, &data) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_RUN_FAILED);
        }
    };
    if !quiet {
        println!("{}", reports::percentile_table(&data));
        println!(
            "{} events in {:.2}s wall ({:.2}M events/s), seed {seed}; results in {}",
            outcome.sim.events_processed(),
            wall.as_secs_f64(),
            outcome.sim.events_processed() as f64 / wall.as_secs_f64().max(1e-9) / 1e6,
            written
                .report_html
                .parent()
                .unwrap_or(Path::new("."))
                .display()
        );
    }
    if let Some(reason) = &outcome.partial {
        eprintln!("error: the results are partial: {reason}");
        eprintln!(
            "partial results (marked partial) are in {}",
            out_dir.display()
        );
        eprintln!(
            "reproduce with: {}",
            reproduce_command(&file.display().to_string(), seed, &set)
        );
        if save_baseline.is_some() {
            eprintln!("error: no baseline written: a partial run is no baseline");
        }
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    if let Some(path) = save_baseline {
        let saved = reports::build_results(&data).and_then(|results| {
            reports::save_baseline(&path, &reports::build_baseline(&[results]))
        });
        match saved {
            Ok(_) if !quiet => println!("baseline written to {}", path.display()),
            Ok(_) => {}
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(EXIT_RUN_FAILED);
            }
        }
    }
    ExitCode::SUCCESS
}

/// The seed to run with, printing it when it was picked at random; exit code 2 when the flag
/// is malformed or there is no seed.
fn seed_or_report(flag: Option<&str>, scenario: &Scenario, quiet: bool) -> Result<u64, ExitCode> {
    let (seed, random) = choose_seed(flag, scenario).map_err(|message| {
        eprintln!("error: {message}");
        ExitCode::from(EXIT_INVALID)
    })?;
    if random && !quiet {
        eprintln!("seed: {seed} (random; reproduce with --seed {seed})");
    }
    Ok(seed)
}

/// Runs `scenario` with `seed`: a progress bar on stderr after one second (unless quiet),
/// the `max_wall_time` guard, and the optional trace. Returns the outcome and the wall time.
fn run_with_progress(
    scenario: &Scenario,
    seed: u64,
    quiet: bool,
    trace: Option<SharedTrace>,
) -> (Outcome, Duration) {
    let started = Instant::now();
    let progress = ProgressBar::with_draw_target(
        Some(scenario.duration.as_nanos() / 1_000_000),
        ProgressDrawTarget::hidden(),
    );
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] sim {msg} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let wall_limit = scenario
        .max_wall_time
        .map(|d| Duration::from_nanos(d.as_nanos()));
    let mut observer = |p: &Progress| -> ControlFlow<String> {
        let elapsed = started.elapsed();
        if let Some(limit) = wall_limit {
            if elapsed > limit {
                return ControlFlow::Break(format!(
                    "the max_wall_time guard ({:.0?}) was reached",
                    limit
                ));
            }
        }
        if !quiet && progress.is_hidden() && elapsed > Duration::from_secs(1) {
            progress.set_draw_target(ProgressDrawTarget::stderr());
        }
        progress.set_position(p.now.as_nanos() / 1_000_000);
        let rate = p.events as f64 / elapsed.as_secs_f64().max(1e-9);
        progress.set_message(format!(
            "{:.1}s  {:.2}M events/s",
            p.now.as_secs_f64(),
            rate / 1e6
        ));
        ControlFlow::Continue(())
    };
    let outcome = scenarios::run::run_traced(
        scenario,
        seed,
        trace.map(|t| Box::new(t) as Box<dyn TraceSink>),
        &mut observer,
    );
    progress.finish_and_clear();
    (outcome, started.elapsed())
}

/// `distsim check`: load, read the baseline, run every replication (writing each run's
/// outputs), judge, print and write the verdict, and optionally save a new baseline.
fn check_command(args: CheckArgs) -> ExitCode {
    let CheckInputs {
        scenario,
        tolerance_percent,
        baseline,
        seed,
    } = match check_inputs(&args) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&scenario.name));
    let results = match check_runs(&scenario, seed, &out_dir, args.quiet) {
        Ok(results) => results,
        Err(code) => return code,
    };
    let baseline_file = args.baseline.as_ref().map(|p| p.display().to_string());
    let command = scenarios::check::check_command(
        &args.file.display().to_string(),
        seed,
        &args.set,
        baseline_file.as_deref(),
        args.tolerance.as_deref(),
    );
    let baseline_input = baseline_file.as_deref().zip(baseline.as_ref());
    let report = match scenarios::check::evaluate(
        &scenario,
        &results,
        baseline_input,
        tolerance_percent,
        &command,
    ) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if args.quiet {
        if !report.passed() {
            eprintln!("{}", report.summary());
        }
    } else {
        print!("{}", reports::check_table(&report));
    }
    if let Err(error) = reports::write_check(&out_dir, &report) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    if let Some(path) = &args.save_baseline {
        if let Err(code) = save_check_baseline(path, &results, args.quiet) {
            return code;
        }
    }
    if !args.quiet {
        println!("check.md and check.junit.xml in {}", out_dir.display());
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_RUN_FAILED)
    }
}

/// What `distsim check` validates before running anything.
struct CheckInputs {
    scenario: Scenario,
    tolerance_percent: f64,
    /// Read before running, so a wrong baseline costs nothing.
    baseline: Option<reports::Baseline>,
    seed: u64,
}

/// A check's validated inputs; exit code 2 when one is invalid.
fn check_inputs(args: &CheckArgs) -> Result<CheckInputs, ExitCode> {
    let scenario = load_or_report(&args.file, &args.set)?;
    if !args.quiet {
        print_warnings(&scenario);
    }
    let tolerance_text = args
        .tolerance
        .as_deref()
        .unwrap_or(scenarios::check::TOLERANCE_DEFAULT);
    let tolerance_percent =
        scenarios::check::parse_tolerance(tolerance_text).map_err(|message| {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_INVALID)
        })?;
    let baseline = match &args.baseline {
        None => None,
        Some(path) => Some(
            scenarios::check::load_baseline(path, &scenario).map_err(|error| {
                eprintln!("{error}");
                ExitCode::from(EXIT_INVALID)
            })?,
        ),
    };
    let seed = seed_or_report(args.seed.as_deref(), &scenario, args.quiet)?;
    Ok(CheckInputs {
        scenario,
        tolerance_percent,
        baseline,
        seed,
    })
}

/// Writes a baseline of a check's runs (never of a run that stopped early); exit code 1 when
/// it cannot.
fn save_check_baseline(
    path: &Path,
    results: &[reports::ResultsFile],
    quiet: bool,
) -> Result<(), ExitCode> {
    if results.iter().any(|r| r.partial.is_some()) {
        eprintln!(
            "error: no baseline written: a run stopped early, and a partial run is no baseline"
        );
        return Err(ExitCode::from(EXIT_RUN_FAILED));
    }
    match reports::save_baseline(path, &reports::build_baseline(results)) {
        Ok(_) => {
            if !quiet {
                println!("baseline written to {}", path.display());
            }
            Ok(())
        }
        Err(error) => {
            eprintln!("error: {error}");
            Err(ExitCode::from(EXIT_RUN_FAILED))
        }
    }
}

/// Runs every replication of a check, writing each run's outputs (into `out_dir` for one run,
/// `out_dir/replication-<r>` for several), and returns their results in replication order.
fn check_runs(
    scenario: &Scenario,
    seed: u64,
    out_dir: &Path,
    quiet: bool,
) -> Result<Vec<reports::ResultsFile>, ExitCode> {
    let seeds = scenarios::check::replication_seeds(scenario, seed);
    let mut all = Vec::with_capacity(seeds.len());
    for (index, &seed) in seeds.iter().enumerate() {
        let dir = if seeds.len() == 1 {
            out_dir.to_path_buf()
        } else {
            out_dir.join(format!("replication-{index}"))
        };
        let (outcome, wall) = run_with_progress(scenario, seed, quiet, None);
        let data = run_data(scenario, &outcome);
        let results = reports::write_run(&dir, &data).and_then(|_| reports::build_results(&data));
        match results {
            Ok(results) => all.push(results),
            Err(error) => {
                eprintln!("error: {error}");
                return Err(ExitCode::from(EXIT_RUN_FAILED));
            }
        }
        if !quiet {
            println!(
                "run {}/{}: seed {seed}, {} events in {:.2}s wall; outputs in {}",
                index + 1,
                seeds.len(),
                outcome.sim.events_processed(),
                wall.as_secs_f64(),
                dir.display()
            );
        }
    }
    Ok(all)
}

fn finish_trace(trace: SharedTrace) -> Result<(), String> {
    let cell = Rc::try_unwrap(trace.0).map_err(|_| "the trace is still in use".to_string())?;
    let mut writer = cell.into_inner().finish().map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())
}

/// The text of `distsim list`.
fn list_text() -> String {
    let mut text = String::new();
    let mut section = |title: &str, rows: &mut dyn Iterator<Item = (String, String)>| {
        text.push_str(title);
        text.push('\n');
        for (name, description) in rows {
            text.push_str(&format!("  {name:<16} {description}\n"));
        }
        text.push('\n');
    };
    section(
        "roles:",
        &mut scenarios::roles::registry()
            .into_iter()
            .map(|r| (r.name.to_string(), r.description.to_string())),
    );
    let pairs = |rows: &[(&str, &str)]| {
        rows.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    section(
        "distributions (dist = ...):",
        &mut pairs(sim_core::dist::DISTRIBUTION_KINDS).into_iter(),
    );
    section(
        "arrivals (workload.arrivals = ...):",
        &mut pairs(models::workload::ARRIVAL_KINDS).into_iter(),
    );
    section(
        "key distributions (workload.keys.dist = ...):",
        &mut pairs(models::workload::KEY_KINDS).into_iter(),
    );
    section(
        "balancer policies (balancer policy = ...):",
        &mut pairs(models::balancing::BALANCERS).into_iter(),
    );
    section(
        "placement schemes (group placement = { scheme = ... }):",
        &mut pairs(models::placement::SCHEMES)
            .into_iter()
            .filter(|(name, _)| name != "directory"),
    );
    section(
        "cache policies (distsim cache --policies ...):",
        &mut pairs(models::cache::POLICIES).into_iter(),
    );
    section(
        "routing (client routing = ...):",
        &mut pairs(models::roles::client::ROUTINGS).into_iter(),
    );
    section(
        "fault kinds ([[fault]] keys):",
        &mut pairs(&scenarios::schema::FAULT_KIND_DESCRIPTIONS).into_iter(),
    );
    section(
        "random faults ([[fault_process]] tables):",
        &mut pairs(&[(
            "fault_process",
            "random crashes and repairs per node (exponential `mtbf` / `mttr`)",
        )])
        .into_iter(),
    );
    text
}
