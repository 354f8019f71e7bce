//! `distsim placement`: a placement study without traffic, from command-line values to the
//! plain [`PlacementStudyData`] that `reports` writes.
//!
//! The scheme's parameters go through the same [`PlacementTable`] a scenario's
//! `placement = {...}` uses (and so the same defaults and errors); the study itself is
//! [`models::placement::study`]. This module only validates the flags it adds (node count,
//! key count, Zipf exponent and request count) and converts the model's result.

use models::placement::{study, KeySample, PlacementSpec, ShareStats};
use models::workload::KeyPopularity;
use reports::{PlacementStudyData, ShareSpread};

use crate::placement::spec;
use crate::run::VERSION;
use crate::schema::PlacementTable;

/// A study's inputs, as the command line gives them.
#[derive(Debug)]
pub struct StudyConfig {
    /// The scheme and its parameters.
    pub table: PlacementTable,
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
pub fn run_study(config: &StudyConfig) -> Result<PlacementStudyData, String> {
    if config.n_nodes == 0 {
        return Err("--nodes must be at least 1, got 0".to_string());
    }
    let spec = spec(&config.table).map_err(|message| format!("invalid placement: {message}"))?;
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

/// The parameters a spec was built with, defaults included: `vnodes=160`, or empty.
fn parameters_text(spec: &PlacementSpec) -> String {
    match spec {
        PlacementSpec::Ring { vnodes } => format!("vnodes={vnodes}"),
        PlacementSpec::Maglev { table_size } => format!("table_size={table_size}"),
        PlacementSpec::BoundedRing { vnodes, epsilon } => {
            format!("vnodes={vnodes}, epsilon={epsilon}")
        }
        PlacementSpec::Range { splits } => format!("{} splits", splits.len()),
        PlacementSpec::Modulo
        | PlacementSpec::Rendezvous
        | PlacementSpec::Jump
        | PlacementSpec::Directory { .. } => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(scheme: &str, n_nodes: u32) -> StudyConfig {
        StudyConfig {
            table: PlacementTable {
                scheme: scheme.to_string(),
                vnodes: None,
                table_size: None,
                epsilon: None,
                splits: None,
                initial_members: None,
            },
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
        let ring = run_study(&config("ring", 4)).expect("valid");
        assert_eq!(ring.parameters, "vnodes=160");
        assert!(ring.request_share.is_none());
        assert_eq!(ring.key_share.len(), 4);
        let mut zipf = config("jump", 4);
        zipf.zipf = Some((1.0, 5_000));
        let jump = run_study(&zipf).expect("valid");
        assert_eq!(jump.parameters, "");
        assert_eq!(jump.request_share.as_ref().map(Vec::len), Some(4));
        assert_eq!(jump.popularity.as_deref(), Some("zipf s=1"));
        let error = run_study(&config("ring", 0)).unwrap_err();
        assert!(error.contains("--nodes"), "{error}");
        let error = run_study(&config("rnig", 3)).unwrap_err();
        assert!(error.contains("did you mean `ring`"), "{error}");
    }
}
