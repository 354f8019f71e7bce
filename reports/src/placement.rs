//! The placement study's outputs: `results.json` (kind `placement_study`), a per-node share
//! plot, and the terminal table.
//!
//! A placement study places keys without simulating traffic (see `distsim placement`), so its
//! outputs are separate from a run's: the input is the plain [`PlacementStudyData`], filled by
//! the scenario crate from the model's study, and the JSON carries `"kind":
//! "placement_study"` so a reader never mistakes it for a run's results.

use serde::Serialize;

use crate::error::ReportError;
use crate::format::group_digits;
use crate::format::sig3;

/// The `schema_version` of a placement study's `results.json`.
pub const PLACEMENT_SCHEMA_VERSION: u32 = 1;
/// The `kind` of a placement study's `results.json`.
const KIND: &str = "placement_study";

/// How unevenly shares are spread over nodes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ShareSpread {
    /// Largest share over the mean share (1 is perfect balance).
    pub max_over_mean: f64,
    /// Population standard deviation of the shares over their mean.
    pub coefficient_of_variation: f64,
}

/// Everything a placement study's outputs are made from: plain data, no model types.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementStudyData {
    /// The scheme's name, such as `ring`.
    pub scheme: String,
    /// The scheme's parameters as text, such as `vnodes=160` (empty when it has none).
    pub parameters: String,
    /// Nodes before the join and the leave.
    pub n_nodes: u32,
    /// Keys placed.
    pub n_keys: u64,
    /// How requests pick keys (such as `zipf s=1.1`), or `None` when every key is requested
    /// once and request shares equal key shares.
    pub popularity: Option<String>,
    /// Requests drawn, with `popularity`.
    pub n_requests: Option<u64>,
    /// Each node's fraction of keys, by node id (sums to 1 when every key has an owner).
    pub key_share: Vec<f64>,
    /// Each node's fraction of requests, by node id, with `popularity`.
    pub request_share: Option<Vec<f64>>,
    /// Spread of `key_share`.
    pub keys: ShareSpread,
    /// Spread of `request_share`.
    pub requests: Option<ShareSpread>,
    /// Keys that changed owner when one node joined.
    pub moved_on_join: u64,
    /// Keys that changed owner when one node left.
    pub moved_on_leave: u64,
    /// The hash (and request) seed.
    pub seed: u64,
    /// The distsim version that ran the study.
    pub distsim_version: String,
}

impl PlacementStudyData {
    /// Fraction of keys moved on the join.
    pub fn moved_on_join_fraction(&self) -> f64 {
        self.moved_on_join as f64 / self.n_keys as f64
    }

    /// Fraction of keys moved on the leave.
    pub fn moved_on_leave_fraction(&self) -> f64 {
        self.moved_on_leave as f64 / self.n_keys as f64
    }

    /// The least any scheme can move on a join with equal nodes: the new node's fair share,
    /// `1 / (n + 1)`.
    pub fn join_ideal(&self) -> f64 {
        1.0 / (f64::from(self.n_nodes) + 1.0)
    }

    /// The least any scheme can move on a leave with equal nodes: the leaver's fair share,
    /// `1 / n`.
    pub fn leave_ideal(&self) -> f64 {
        1.0 / f64::from(self.n_nodes)
    }

    /// Checks the invariants the outputs rely on (a bug in the caller otherwise).
    pub(crate) fn check(&self) {
        assert!(self.n_nodes > 0, "a study has at least one node");
        assert!(self.n_keys > 0, "a study places at least one key");
        assert_eq!(self.key_share.len(), self.n_nodes as usize);
        if let Some(shares) = &self.request_share {
            assert_eq!(shares.len(), self.n_nodes as usize);
        }
        assert_eq!(self.request_share.is_some(), self.requests.is_some());
        assert!(self.moved_on_join <= self.n_keys);
        assert!(self.moved_on_leave <= self.n_keys);
    }
}

/// `results.json` of a placement study. Field order is alphabetical, matching the file.
#[derive(Serialize)]
struct StudyFile<'a> {
    distsim_version: &'a str,
    key_share: ShareSpread,
    kind: &'static str,
    moved_on_join: Moved,
    moved_on_leave: Moved,
    n_keys: u64,
    n_nodes: u32,
    n_requests: Option<u64>,
    nodes: Vec<NodeRow>,
    parameters: &'a str,
    popularity: Option<&'a str>,
    request_share: Option<ShareSpread>,
    schema_version: u32,
    scheme: &'a str,
    seed: u64,
}

/// Keys moved by one membership change.
#[derive(Serialize)]
struct Moved {
    /// Fraction of all keys.
    fraction: f64,
    /// Fraction an ideal scheme moves (the changed node's fair share).
    ideal_fraction: f64,
    /// Keys.
    keys: u64,
}

/// One node's shares.
#[derive(Serialize)]
struct NodeRow {
    key_share: f64,
    node: u32,
    request_share: Option<f64>,
}

/// The study as pretty JSON with keys sorted at every level, ending in a newline.
pub(crate) fn study_json(study: &PlacementStudyData) -> Result<Vec<u8>, ReportError> {
    let file = StudyFile {
        distsim_version: &study.distsim_version,
        key_share: study.keys,
        kind: KIND,
        moved_on_join: Moved {
            fraction: study.moved_on_join_fraction(),
            ideal_fraction: study.join_ideal(),
            keys: study.moved_on_join,
        },
        moved_on_leave: Moved {
            fraction: study.moved_on_leave_fraction(),
            ideal_fraction: study.leave_ideal(),
            keys: study.moved_on_leave,
        },
        n_keys: study.n_keys,
        n_nodes: study.n_nodes,
        n_requests: study.n_requests,
        nodes: (0..study.n_nodes as usize)
            .map(|idx| NodeRow {
                key_share: study.key_share[idx],
                node: idx as u32,
                request_share: study.request_share.as_ref().map(|shares| shares[idx]),
            })
            .collect(),
        parameters: &study.parameters,
        popularity: study.popularity.as_deref(),
        request_share: study.requests,
        schema_version: PLACEMENT_SCHEMA_VERSION,
        scheme: &study.scheme,
        seed: study.seed,
    };
    let mut value = serde_json::to_value(&file).map_err(ReportError::WriteJson)?;
    // As in results.rs: sorting again makes key order independent of serde_json features.
    value.sort_all_objects();
    let mut json = serde_json::to_vec_pretty(&value).map_err(ReportError::WriteJson)?;
    json.push(b'\n');
    Ok(json)
}

/// Shown for request shares when every key is requested once.
const SAME_AS_KEYS: &str = "= keys";

/// The study as an aligned terminal table, ending in a newline: scheme, nodes, key and request
/// share spread, and keys moved on a join and a leave next to the ideal.
pub fn placement_table(study: &PlacementStudyData) -> String {
    study.check();
    let parameters = if study.parameters.is_empty() {
        String::new()
    } else {
        format!(" ({})", study.parameters)
    };
    let requests = match (&study.popularity, study.n_requests) {
        (Some(popularity), Some(n)) => format!("{} requests, {popularity}", group_digits(n)),
        _ => "each key requested once".to_string(),
    };
    let percent = |fraction: f64| format!("{}%", sig3(fraction * 100.0));
    let mut rows: Vec<[String; 3]> =
        vec![[String::new(), "max/mean".to_string(), "cv".to_string()]];
    rows.push([
        "key share".to_string(),
        format!("{:.3}", study.keys.max_over_mean),
        format!("{:.4}", study.keys.coefficient_of_variation),
    ]);
    rows.push(match study.requests {
        Some(spread) => [
            "request share".to_string(),
            format!("{:.3}", spread.max_over_mean),
            format!("{:.4}", spread.coefficient_of_variation),
        ],
        None => [
            "request share".to_string(),
            SAME_AS_KEYS.to_string(),
            SAME_AS_KEYS.to_string(),
        ],
    });
    let widths: Vec<usize> = (0..3)
        .map(|col| rows.iter().map(|row| row[col].len()).max().unwrap_or(0))
        .collect();
    let mut text = format!(
        "placement: {}{parameters}, {} nodes, {} keys, {requests}, seed {}\n",
        study.scheme,
        group_digits(u64::from(study.n_nodes)),
        group_digits(study.n_keys),
        study.seed
    );
    for row in &rows {
        text.push_str(&format!(
            "  {:<w0$}  {:>w1$}  {:>w2$}\n",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    let label_px = widths[0].max("moved on leave".len());
    text.push_str(&format!(
        "  {:<label_px$}  {:>7} of keys ({} keys; ideal 1/(n+1) = {})\n",
        "moved on join",
        percent(study.moved_on_join_fraction()),
        group_digits(study.moved_on_join),
        percent(study.join_ideal()),
    ));
    text.push_str(&format!(
        "  {:<label_px$}  {:>7} of keys ({} keys; ideal 1/n = {})\n",
        "moved on leave",
        percent(study.moved_on_leave_fraction()),
        group_digits(study.moved_on_leave),
        percent(study.leave_ideal()),
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::write_placement_study;

    fn example(n_nodes: u32, with_requests: bool) -> PlacementStudyData {
        let key_share: Vec<f64> = (0..n_nodes)
            .map(|idx| (1.0 + f64::from(idx % 3) * 0.1) / f64::from(n_nodes) / 1.1)
            .collect();
        PlacementStudyData {
            scheme: "ring".into(),
            parameters: "vnodes=160".into(),
            n_nodes,
            n_keys: 10_000,
            popularity: with_requests.then(|| "zipf s=1".to_string()),
            n_requests: with_requests.then_some(50_000),
            request_share: with_requests.then(|| key_share.iter().rev().copied().collect()),
            key_share,
            keys: ShareSpread {
                max_over_mean: 1.1,
                coefficient_of_variation: 0.08,
            },
            requests: with_requests.then_some(ShareSpread {
                max_over_mean: 1.3,
                coefficient_of_variation: 0.2,
            }),
            moved_on_join: 900,
            moved_on_leave: 1_000,
            seed: 1,
            distsim_version: "0.1.0".into(),
        }
    }

    // Goal: the study writes its three files, the JSON is tagged and sorted, and writing twice
    // gives identical bytes; both the per-node (few nodes) and sorted (many nodes) plots
    // render. Method: write small and large examples into a temp dir and read them back.
    #[test]
    fn writes_files_deterministically() {
        let dir = std::env::temp_dir().join(format!("reports-placement-{}", std::process::id()));
        for (n_nodes, with_requests) in [(8, false), (8, true), (200, true)] {
            let study = example(n_nodes, with_requests);
            let written = write_placement_study(&dir, &study).expect("writable");
            assert_eq!(written.len(), 3);
            let first: Vec<Vec<u8>> = written
                .iter()
                .map(|p| std::fs::read(p).expect("written"))
                .collect();
            write_placement_study(&dir, &study).expect("writable");
            for (path, bytes) in written.iter().zip(&first) {
                assert_eq!(&std::fs::read(path).expect("written"), bytes, "{path:?}");
            }
            let json: serde_json::Value = serde_json::from_slice(&first[2]).expect("valid json");
            assert_eq!(json["kind"], "placement_study");
            assert_eq!(json["schema_version"], 1);
            assert_eq!(
                json["nodes"].as_array().expect("list").len(),
                n_nodes as usize
            );
            assert_eq!(json["moved_on_join"]["keys"], 900);
            let text = String::from_utf8(first[2].clone()).expect("utf-8");
            assert!(text.find("\"distsim_version\"") < text.find("\"kind\""));
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    // Goal: the table names the scheme and shows both movements with their ideals.
    #[test]
    fn table_shows_movement_and_ideal() {
        let table = placement_table(&example(10, false));
        assert!(
            table.starts_with("placement: ring (vnodes=160), 10 nodes"),
            "{table}"
        );
        assert!(table.contains("moved on join"), "{table}");
        assert!(table.contains("ideal 1/(n+1) = 9.09%"), "{table}");
        assert!(table.contains(SAME_AS_KEYS), "{table}");
        let table = placement_table(&example(10, true));
        assert!(table.contains("1.300"), "{table}");
    }
}
