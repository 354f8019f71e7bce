//! `distsim placement`: a placement study without traffic, from command-line values to the
//! plain [`PlacementStudyData`] that `reports` writes.
//!
//! The scheme's parameters go through the same scheme rows a scenario's `placement = {...}`
//! uses (`sections::placement::spec`, so the same defaults and errors); the study itself is
//! [`models::placement::study`]. This module only validates the flags it adds (node count,
//! key count, Zipf exponent and request count) and converts the model's result.

use models::placement::{study, KeySample, PlacementSpec, ShareStats};
use models::workload::KeyPopularity;
use reports::{PlacementStudyData, ShareSpread};

use models::placement::ParseScheme;
use sim_core::registry::{ArgMap, ArgValue, Registry};

use crate::commands::{Report, Status};
use crate::sections::placement::spec;
use crate::VERSION;

/// A study's inputs, as the command line gives them.
#[derive(Debug)]
pub struct StudyConfig {
    /// The scheme's name.
    pub scheme: String,
    /// Its parameters as the flags give them (`vnodes`, `table_size`, `epsilon`).
    pub params: Vec<(String, ArgValue)>,
    /// Nodes before the join and the leave, >= 1.
    pub n_nodes: u32,
    /// Keys placed, `0..n_keys`.
    pub n_keys: u64,
    /// Zipf exponent and request count, to draw requests rather than request each key once.
    pub zipf: Option<(f64, u64)>,
    /// Hash and request seed.
    pub seed: u64,
}

/// Runs the study `config` describes; the error is a message for the user (invalid input).
pub fn run_study(
    config: &StudyConfig,
    schemes: &Registry<ParseScheme>,
) -> Result<PlacementStudyData, String> {
    if config.n_nodes == 0 {
        return Err("--nodes must be at least 1, got 0".to_string());
    }
    let mut args = config
        .params
        .iter()
        .fold(ArgMap::new(), |args, (name, value)| {
            args.with(name, value.clone())
        });
    let spec = spec(schemes, &config.scheme, &mut args)
        .map_err(|message| format!("invalid placement: {message}"))?;
    let keys = match config.zipf {
        None => KeySample::Uniform {
            n_keys: config.n_keys,
        },
        Some((exponent, n_requests)) => KeySample::Popularity {
            popularity: KeyPopularity::zipf(config.n_keys, exponent)
                .map_err(|e| format!("invalid --zipf or --keys: {e}"))?,
            n_requests,
        },
    };
    let found = study(&spec, config.n_nodes, &keys, config.seed)
        .map_err(|e| format!("invalid placement: {e}"))?;
    assert_eq!(found.per_node.len(), config.n_nodes as usize);
    assert_eq!(found.join.total, config.n_keys);
    let spread = |stats: ShareStats| ShareSpread {
        max_over_mean: stats.max_over_mean,
        coefficient_of_variation: stats.coefficient_of_variation,
    };
    let drawn = config.zipf.is_some();
    Ok(PlacementStudyData {
        scheme: found.scheme.to_string(),
        parameters: parameters_text(&spec),
        n_nodes: config.n_nodes,
        n_keys: config.n_keys,
        popularity: config
            .zipf
            .map(|(exponent, _)| format!("zipf s={exponent}")),
        n_requests: config.zipf.map(|(_, n_requests)| n_requests),
        key_share: found.per_node.iter().map(|share| share.key_share).collect(),
        request_share: drawn.then(|| {
            found
                .per_node
                .iter()
                .map(|share| share.request_share)
                .collect()
        }),
        keys: spread(found.keys),
        requests: drawn.then(|| spread(found.requests)),
        moved_on_join: found.join.moved,
        moved_on_leave: found.leave.moved,
        seed: config.seed,
        distsim_version: VERSION.to_string(),
    })
}

/// Runs the study, writes its outputs into `out_dir`, and says what happened.
pub fn execute(
    config: &StudyConfig,
    schemes: &Registry<ParseScheme>,
    out_dir: &std::path::Path,
    quiet: bool,
) -> Report {
    let study = match run_study(config, schemes) {
        Ok(study) => study,
        Err(message) => return Report::invalid(format!("error: {message}")),
    };
    let mut report = Report::new(Status::Done);
    if let Err(error) = reports::write_placement_study(out_dir, &study) {
        report.stderr.push(format!("error: {error}"));
        report.status = Status::Failed;
        return report;
    }
    if !quiet {
        report.stdout.push(reports::placement_table(&study));
        report
            .stdout
            .push(format!("results in {}", out_dir.display()));
    }
    report
}

/// The parameters a spec was built with, defaults included: `vnodes=160`, or empty.
fn parameters_text(spec: &PlacementSpec) -> String {
    spec.params().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::placement::schemes;

    fn config(scheme: &str, n_nodes: u32) -> StudyConfig {
        StudyConfig {
            scheme: scheme.to_string(),
            params: Vec::new(),
            n_nodes,
            n_keys: 2_000,
            zipf: None,
            seed: 1,
        }
    }

    // Goal: defaults show in the parameters, uniform keys have no request shares, and a Zipf
    // sample has them; bad input is an error naming the flag.
    #[test]
    fn converts_and_validates() {
        let ring = run_study(&config("ring", 4), &schemes()).expect("valid");
        assert_eq!(ring.parameters, "vnodes=160");
        assert!(ring.request_share.is_none());
        assert_eq!(ring.key_share.len(), 4);
        let mut zipf = config("jump", 4);
        zipf.zipf = Some((1.0, 5_000));
        let jump = run_study(&zipf, &schemes()).expect("valid");
        assert_eq!(jump.parameters, "");
        assert_eq!(jump.request_share.as_ref().map(Vec::len), Some(4));
        assert_eq!(jump.popularity.as_deref(), Some("zipf s=1"));
        let error = run_study(&config("ring", 0), &schemes()).unwrap_err();
        assert!(error.contains("--nodes"), "{error}");
        let error = run_study(&config("rnig", 3), &schemes()).unwrap_err();
        assert!(error.contains("did you mean `ring`"), "{error}");
    }
}
