//! Scenario files for distsim: the TOML schema, validation with precise errors, building a
//! simulation from a scenario, running it, and the `distsim` command-line program.
//!
//! Most users never write Rust: they describe a system in a scenario file and read the
//! reports. This crate is that boundary. It validates everything once (so the engine and
//! models below can trust their inputs), turns bad input into errors that point at the file,
//! line and column, and never panics on user input.
//!
//! ```
//! use scenarios::{Scenario, diag::Source};
//!
//! let text = r#"
//! [simulation]
//! name = "tiny"
//! seed = 1
//! duration = "2s"
//!
//! [[group]]
//! name = "clients"
//! count = 2
//! role = "client"
//! target = "servers"
//! workload = { rate = "100/s" }
//!
//! [[group]]
//! name = "servers"
//! count = 1
//! role = "server"
//! service = { workers = 1, time = { dist = "exp", mean = "1ms" } }
//! "#;
//! let scenario = Scenario::parse(Source { name: "tiny.toml".into(), text: text.into() }).unwrap();
//! let outcome = scenarios::run::run(&scenario, 1, &mut |_| std::ops::ControlFlow::Continue(()));
//! let latency = outcome.sim.metrics().histogram_by_name("latency.read").unwrap();
//! assert!(latency.len() > 300);
//! ```

pub mod commands;
pub mod format;
pub mod registry;
pub mod run;
pub mod scenario;
pub mod sections;

use std::fmt;
use std::path::Path;

pub use format::diag;
pub use registry::Registries;
pub use scenario::{Instance, Scenario};
pub use sections::checks::Check;
pub use sections::report::ReportConfig;

use diag::{Diagnostic, Source};
use format::overrides::{apply_overrides, OverrideError, SET_NOTE};

/// The version string recorded in every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read.
    Read {
        /// The path as given.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The scenario is invalid; the diagnostic points at the text.
    Invalid(Box<Diagnostic>),
    /// A `--set path=value` override is malformed or names nothing.
    Override {
        /// The override as given.
        given: String,
        /// What is wrong.
        reason: String,
    },
    /// A `--baseline` file cannot be read, is not a baseline, or belongs to another scenario.
    Baseline {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Read { path, reason } => {
                write!(f, "error: cannot read scenario {path:?}: {reason}")
            }
            ScenarioError::Invalid(diagnostic) => write!(f, "{diagnostic}"),
            ScenarioError::Override { given, reason } => {
                write!(f, "error: invalid --set {given:?}: {reason}")
            }
            ScenarioError::Baseline { path, reason } => {
                write!(f, "error: cannot use baseline {path:?}: {reason}")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads a scenario file and applies `--set path=value` overrides, with the built-in rows.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    load_with(path, overrides, &Registries::builtin())
}

/// Reads a scenario file and applies `--set path=value` overrides, resolving names through
/// `registries` (a user's own rows included).
pub fn load_with(
    path: &Path,
    overrides: &[String],
    registries: &Registries,
) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let name = path.display().to_string();
    load_text_with(&name, &text, overrides, registries)
}

/// Parses scenario text, after applying `--set` overrides, with the built-in rows.
pub fn load_text(name: &str, text: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    load_text_with(name, text, overrides, &Registries::builtin())
}

/// Parses scenario text, after applying `--set` overrides, resolving names through
/// `registries`.
pub fn load_text_with(
    name: &str,
    text: &str,
    overrides: &[String],
    registries: &Registries,
) -> Result<Scenario, ScenarioError> {
    if !overrides.is_empty() && text.parse::<toml_edit::DocumentMut>().is_err() {
        // The file itself is broken: report that at its position, not as a bad override.
        Scenario::parse_with(
            Source {
                name: name.to_string(),
                text: text.to_string(),
            },
            registries,
        )?;
    }
    let (label, text) = if overrides.is_empty() {
        (name.to_string(), text.to_string())
    } else {
        let edited = apply_overrides(text, overrides).map_err(|e: OverrideError| {
            ScenarioError::Override {
                given: e.given,
                reason: e.reason,
            }
        })?;
        (format!("{name}{SET_NOTE}"), edited)
    };
    let mut scenario = Scenario::parse_with(Source { name: label, text }, registries)?;
    scenario.file = name.to_string();
    scenario.overrides = overrides.to_vec();
    Ok(scenario)
}
