//! The `distsim` command line: flags (clap), progress bars (indicatif) and exit codes, and
//! nothing else. Every command is library code in `scenarios::commands`; this crate parses
//! its flags, hands them over, prints what comes back, and maps the outcome to an exit code.
//!
//! [`main_with`] is the whole program for a given set of registries, so a user's own crate
//! gets a complete `distsim` whose scenario files use its own rows:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     let mut registries = scenarios::Registries::builtin();
//!     // registries.roles.add(my_crate::ROLE).expect("a new role name");
//!     distsim_cli::main_with(registries)
//! }
//! ```
//!
//! Exit codes: 0 success, 1 a run that failed or stopped early (its partial results are still
//! written, marked partial), a `distsim check` that failed (an assertion or a regression) or a
//! determinism check that found a difference, 2 invalid input (a bad scenario, path, flag,
//! `--set` value or baseline).

use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenarios::commands::guard::SeedChoice;
use scenarios::commands::{self, Report, Status};
use scenarios::{Registries, Scenario};
use sim_core::registry::ArgValue;
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
    /// List every pluggable kind: roles, distributions, arrival processes, key distributions,
    /// balancer policies, placement schemes, cache policies, fault kinds, plots, metric tables.
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
    /// Filter an event trace (`distsim run --trace FILE`) by node, request and time; the
    /// kept records go to standard output, unchanged.
    Trace {
        /// The trace file (JSON Lines).
        file: PathBuf,
        /// Keep records at, from or to this node (`cache[2]`), and faults acting on it.
        #[arg(long)]
        node: Option<String>,
        /// Keep the request and response with this request id (ids count per client: add
        /// --node to follow one client's).
        #[arg(long)]
        request: Option<u64>,
        /// Keep records at or after this simulated time (`1.5s`, `200ms`).
        #[arg(long)]
        from: Option<String>,
        /// Keep records at or before this simulated time.
        #[arg(long)]
        to: Option<String>,
        /// Instead of printing the records, write a message-sequence diagram of them to this
        /// HTML file (at most 2,000 messages: narrow the window first).
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Combine the directories of a sharded sweep (`--shard K/N`) into one summary.
    Merge {
        /// The shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory (receives every run and the summary).
        #[arg(long)]
        out: PathBuf,
        /// Sort the table by this metric (default: the sweep's `[sweep] sort_by`, else the
        /// p99 of its primary histogram).
        #[arg(long)]
        sort_by: Option<String>,
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
    /// Base seed the runs' seeds derive from: a number, or `random` to pick one (it is
    /// printed) [default: the scenario's].
    #[arg(long)]
    seed: Option<String>,
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
    /// Run the sweep at one thread and at --threads and fail (exit 1) naming the first run
    /// whose results differ, and the first event where that run parts from itself.
    #[arg(long)]
    check_determinism: bool,
    /// Check every invariant after every N events in every run [default N: 1000]; slow.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1000")]
    paranoid: Option<NonZeroU64>,
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
    /// Run the scenario twice at once and fail (exit 1) naming the first event where the
    /// runs part, or the first line where their results differ; writes no outputs.
    #[arg(long)]
    check_determinism: bool,
    /// Check every invariant of the engine and the models (cache policies' lists, service
    /// queues, fault windows) after every N events [default N: 1000]; slow.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1000")]
    paranoid: Option<NonZeroU64>,
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
    /// Check every invariant after every N events [default N: 1000]; slow.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1000")]
    paranoid: Option<NonZeroU64>,
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

/// The whole `distsim` program, resolving every name in scenario files through `registries`.
pub fn main_with(registries: Registries) -> ExitCode {
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
        Command::Run(args) => run_command(args, &registries),
        Command::Check(args) => check_command(args, &registries),
        Command::Validate { file, set } => validate_command(&file, &set, &registries),
        Command::List => {
            let mut report = Report::new(Status::Done);
            report.stdout.push(commands::list::list_text(&registries));
            finish(report)
        }
        Command::Placement(args) => placement_command(args, &registries),
        Command::Cache(args) => cache_command(args, &registries),
        Command::Sweep(args) => sweep_command(args, &registries),
        Command::Trace {
            file,
            node,
            request,
            from,
            to,
            html,
        } => trace_command(&file, node, request, from, to, html.as_deref()),
        Command::Merge {
            dirs,
            out,
            sort_by,
            quiet,
        } => {
            let outcome = commands::sweep::merge(&dirs, &out);
            finish(commands::sweep::report(outcome, &out, sort_by, quiet))
        }
    }
}

/// Prints a command's report (standard output, then standard error) and maps its status to
/// the exit code.
///
/// Standard output may be a pipe whose reader stopped (`distsim check ... | head`): the rest of
/// the output is then dropped quietly and the exit code is the command's own (its files are
/// written). Any other failure to write it (`> /dev/full`) is an error on standard error and
/// exit code 1, never a panic.
fn finish(report: Report) -> ExitCode {
    let mut code = match report.status {
        Status::Done => ExitCode::SUCCESS,
        Status::Failed => ExitCode::from(EXIT_RUN_FAILED),
        Status::Invalid => ExitCode::from(EXIT_INVALID),
    };
    for line in &report.stdout {
        match print_line(line, false) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(error) => {
                let _ = print_line(
                    &format!("error: cannot write to standard output: {error}"),
                    true,
                );
                code = ExitCode::from(EXIT_RUN_FAILED);
                break;
            }
        }
    }
    for line in &report.stderr {
        // Nowhere left to report a failure to write standard error.
        let _ = print_line(line, true);
    }
    code
}

/// One printed block: a newline after it unless it ends in one; flushed, so a failure shows
/// here rather than at exit.
fn print_line(text: &str, error: bool) -> std::io::Result<()> {
    use std::io::Write;
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    if error {
        let mut err = std::io::stderr().lock();
        write!(err, "{text}{newline}")?;
        err.flush()
    } else {
        let mut out = std::io::stdout().lock();
        write!(out, "{text}{newline}")?;
        out.flush()
    }
}

/// Prints to standard error, ignoring a failure (there is nowhere left to report it).
fn note(text: &str) {
    let _ = print_line(text, true);
}

/// Loads a scenario with the registries; exit code 2 (after printing why) when it is invalid.
fn load(file: &Path, set: &[String], registries: &Registries) -> Result<Scenario, ExitCode> {
    scenarios::load_with(file, set, registries).map_err(|error| {
        note(&error.to_string());
        ExitCode::from(EXIT_INVALID)
    })
}

fn print_warnings(scenario: &Scenario) {
    for warning in commands::warnings_text(scenario) {
        note(&warning);
    }
}

/// The seed to run with, printing it when it was picked at random; exit code 2 when the flag
/// is malformed or there is no seed.
fn seed(flag: Option<&str>, scenario: &Scenario, quiet: bool) -> Result<u64, ExitCode> {
    let chosen = SeedChoice::parse(flag)
        .and_then(|choice| choice.resolve(scenario.seed))
        .map_err(|message| {
            note(&format!("error: {message}"));
            ExitCode::from(EXIT_INVALID)
        })?;
    if let (Some(announce), false) = (chosen.announcement(), quiet) {
        note(&announce);
    }
    Ok(chosen.seed)
}

/// A progress bar on standard error for one run: shown once the run has taken a second,
/// unless quiet; `tick` feeds it.
struct RunBar {
    bar: ProgressBar,
    started: Instant,
    quiet: bool,
}

impl RunBar {
    fn new(scenario: &Scenario, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(scenario.duration.as_nanos() / 1_000_000),
            ProgressDrawTarget::hidden(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] sim {msg} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        RunBar {
            bar,
            started: Instant::now(),
            quiet,
        }
    }

    fn tick(&self, p: &Progress) {
        let elapsed = self.started.elapsed();
        if !self.quiet && self.bar.is_hidden() && elapsed > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(p.now.as_nanos() / 1_000_000);
        let rate = p.events as f64 / elapsed.as_secs_f64().max(1e-9);
        self.bar.set_message(format!(
            "{:.1}s  {:.2}M events/s",
            p.now.as_secs_f64(),
            rate / 1e6
        ));
    }
}

fn run_command(args: RunArgs, registries: &Registries) -> ExitCode {
    let scenario = match load(&args.file, &args.set, registries) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    if !args.quiet {
        print_warnings(&scenario);
    }
    let seed = match seed(args.seed.as_deref(), &scenario, args.quiet) {
        Ok(seed) => seed,
        Err(code) => return code,
    };
    if args.check_determinism {
        let verdict = commands::determinism::check_run(&scenario, seed, args.paranoid);
        let mut report = Report::new(if verdict.is_same() {
            Status::Done
        } else {
            Status::Failed
        });
        let line = verdict.describe();
        if verdict.is_same() {
            report.stdout.push(line);
        } else {
            report.stderr.push(format!("error: {line}"));
            report.stderr.push(format!(
                "reproduce with: {} --check-determinism",
                scenarios::run::reproduce_command(&scenario.file, seed, &scenario.overrides)
            ));
        }
        return finish(report);
    }
    let request = commands::run::RunRequest {
        scenario: &scenario,
        seed,
        out_dir: args
            .out
            .unwrap_or_else(|| Path::new("out").join(&scenario.name)),
        trace: args.trace,
        save_baseline: args.save_baseline,
        paranoid_every: args.paranoid,
    };
    let bar = RunBar::new(&scenario, args.quiet);
    let mut report = commands::run::execute(&request, &mut |p| bar.tick(p));
    bar.bar.finish_and_clear();
    if args.quiet {
        report.stdout.clear();
    }
    finish(report)
}

fn check_command(args: CheckArgs, registries: &Registries) -> ExitCode {
    let scenario = match load(&args.file, &args.set, registries) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    if !args.quiet {
        print_warnings(&scenario);
    }
    let tolerance_text = args
        .tolerance
        .as_deref()
        .unwrap_or(commands::check::TOLERANCE_DEFAULT);
    let tolerance_percent = match commands::check::parse_tolerance(tolerance_text) {
        Ok(percent) => percent,
        Err(message) => return finish(Report::invalid(format!("error: {message}"))),
    };
    let baseline = match &args.baseline {
        None => None,
        Some(path) => match commands::check::load_baseline(path, &scenario) {
            Ok(baseline) => Some((path.display().to_string(), baseline)),
            Err(error) => return finish(Report::invalid(error.to_string())),
        },
    };
    let seed = match seed(args.seed.as_deref(), &scenario, args.quiet) {
        Ok(seed) => seed,
        Err(code) => return code,
    };
    let request = commands::check::CheckRequest {
        scenario: &scenario,
        seed,
        file: args.file.display().to_string(),
        set: args.set.clone(),
        baseline,
        tolerance: (args.tolerance.clone(), tolerance_percent),
        out_dir: args
            .out
            .clone()
            .unwrap_or_else(|| Path::new("out").join(&scenario.name)),
        save_baseline: args.save_baseline.clone(),
        paranoid_every: args.paranoid,
        quiet: args.quiet,
    };
    let bar = RunBar::new(&scenario, args.quiet);
    let report = commands::check::execute(&request, &mut |p| bar.tick(p));
    bar.bar.finish_and_clear();
    finish(report)
}

fn trace_command(
    file: &Path,
    node: Option<String>,
    request: Option<u64>,
    from: Option<String>,
    to: Option<String>,
    html: Option<&Path>,
) -> ExitCode {
    let time = |flag: &str, text: Option<String>| -> Result<Option<sim_core::SimTime>, Report> {
        match text {
            None => Ok(None),
            Some(text) => scenarios::format::units::parse_duration(&text)
                .map(|d| Some(sim_core::SimTime::ZERO + d))
                .map_err(|e| Report::invalid(format!("error: --{flag} {text:?}: {}", e.message))),
        }
    };
    let filter = match (time("from", from), time("to", to)) {
        (Ok(from), Ok(to)) => commands::trace::TraceFilter {
            node,
            request,
            from,
            to,
        },
        (Err(report), _) | (_, Err(report)) => return finish(report),
    };
    // What to say when done, or why it failed.
    let done: Result<String, commands::trace::TraceError> = match html {
        Some(html) => commands::trace::trace_html(file, &filter, html).map(|summary| {
            format!(
                "{} of {} records drawn in {}",
                summary.kept,
                summary.read,
                html.display()
            )
        }),
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let result = commands::trace::filter_trace(file, &filter, &mut out);
            // A reader that went away (`| head`) is not an error; anything else is.
            let flushed = std::io::Write::flush(&mut out)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::BrokenPipe => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| {
                    commands::trace::TraceError::Write(format!(
                        "cannot write to standard output: {e}"
                    ))
                });
            result.and_then(|summary| {
                flushed?;
                Ok(format!("{} of {} records kept", summary.kept, summary.read))
            })
        }
    };
    match done {
        Ok(message) => {
            note(&message);
            ExitCode::SUCCESS
        }
        Err(commands::trace::TraceError::Write(message)) => {
            note(&format!("error: {message}"));
            ExitCode::from(EXIT_RUN_FAILED)
        }
        Err(error) => {
            note(&format!("error: {}: {error}", file.display()));
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn validate_command(file: &Path, set: &[String], registries: &Registries) -> ExitCode {
    let scenario = match load(file, set, registries) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    print_warnings(&scenario);
    let mut report = Report::new(Status::Done);
    report.stdout.push(commands::validate_summary(
        &file.display().to_string(),
        &scenario,
    ));
    finish(report)
}

/// The sweep's progress bar (after one second, unless quiet).
struct SweepBar(ProgressBar);

impl commands::sweep::SweepProgress for SweepBar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn done(&self, _: &commands::sweep::SweepRun) {
        self.0.inc(1);
    }
}

fn sweep_command(args: SweepArgs, registries: &Registries) -> ExitCode {
    let shard = match args.shard.as_deref().map(commands::sweep::Shard::parse) {
        None => None,
        Some(Ok(shard)) => Some(shard),
        Some(Err(message)) => return finish(Report::invalid(format!("error: {message}"))),
    };
    let seed = match SeedChoice::parse(args.seed.as_deref()) {
        Ok(seed) => seed,
        Err(message) => return finish(Report::invalid(format!("error: {message}"))),
    };
    // The scenario once, for its name and report settings (each variant is validated again).
    let scenario = match load(&args.file, &args.set, registries) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", scenario.name)));
    let config = commands::sweep::SweepConfig {
        file: args.file.clone(),
        overrides: args.set.clone(),
        vary: args.vary.clone(),
        replications: args.replications,
        seed,
        paranoid_every: args.paranoid,
        out: out.clone(),
        shard,
        resume: args.resume,
    };
    let threads = args.threads.unwrap_or(0);
    if args.check_determinism {
        let verdict = commands::determinism::check_sweep(&config, registries, threads);
        return finish(verdict);
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    if !args.quiet {
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} elapsed")
                .expect("valid template"),
        );
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    let progress = SweepBar(bar);
    let outcome = commands::sweep::run_sweep_on(threads, &config, registries, &progress);
    progress.0.finish_and_clear();
    finish(commands::sweep::report(
        outcome,
        &out,
        args.sort_by,
        args.quiet,
    ))
}

fn cache_command(args: CacheArgs, registries: &Registries) -> ExitCode {
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let name = args
            .trace
            .file_name()
            .map_or("trace".into(), |n| n.to_string_lossy());
        Path::new("out").join(format!("cache-{name}"))
    });
    let config = commands::cache::CacheStudyConfig {
        trace: args.trace,
        policies: args.policies,
        sizes: args.sizes,
        ignore_obj_size: args.ignore_obj_size,
        csv: args.csv,
        seed: args.seed,
        working_set: args.working_set,
    };
    let policies = &registries.vocabulary.cache_policies;
    let threads = args.threads.unwrap_or(0);
    finish(commands::cache::execute(
        &config, policies, threads, &out_dir, args.quiet,
    ))
}

fn placement_command(args: PlacementArgs, registries: &Registries) -> ExitCode {
    let out_dir = args.out.unwrap_or_else(|| {
        Path::new("out").join(format!("placement-{}-{}", args.scheme, args.nodes))
    });
    let mut params = Vec::new();
    if let Some(vnodes) = args.vnodes {
        params.push(("vnodes".to_string(), ArgValue::Integer(u64::from(vnodes))));
    }
    if let Some(size) = args.table_size {
        params.push(("table_size".to_string(), ArgValue::Integer(size)));
    }
    if let Some(epsilon) = args.epsilon {
        params.push(("epsilon".to_string(), ArgValue::Number(epsilon)));
    }
    let config = commands::placement::StudyConfig {
        scheme: args.scheme,
        params,
        n_nodes: args.nodes,
        n_keys: args.keys,
        zipf: args.zipf.zip(args.requests),
        seed: args.seed,
    };
    let schemes = &registries.vocabulary.placement_schemes;
    finish(commands::placement::execute(
        &config, schemes, &out_dir, args.quiet,
    ))
}
