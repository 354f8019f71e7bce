//! Movement accounting and the placement study (shares and movement without traffic).
//!
//! A placement's quality is mostly two numbers: how evenly it spreads keys and requests (the
//! max/mean ratio bounds the hottest node's overload; the coefficient of variation summarises
//! the rest), and how many keys change owner when a node joins or leaves (each moved key is
//! data to copy and a cold cache). [`study`] computes both for one scheme, node count and key
//! set, deterministically, and [`balls_into_bins`] gives the random and power-of-d-choices
//! baselines (Azar, Broder, Karlin & Upfal, "Balanced allocations", SIAM J. Comput. 29(1),
//! 1999).
//!
//! **Limitations:**
//! - The study's nodes are `NodeId(0..n)` with weight 1 in one zone; the joining node is
//!   `NodeId(n)` and the leaving node is `NodeId(n / 2)` (the middle, so jump hashing's
//!   swap-on-leave cost shows).
//! - Key shares count every key in `0..n_keys` once; request shares come from sampled
//!   requests, so they carry sampling noise of about `sqrt(share / n_requests)`.
//! - Keys are assigned in id order, which matters only for the bounded-load ring.

use std::collections::BTreeMap;

use sim_core::rng::{stream, StreamKind, StreamLabel};
use sim_core::{NodeId, ZoneId};

use super::hash::{bucket, key_hash};
use super::{Member, Placement, PlacementError, PlacementSpec};
use crate::workload::{KeyId, KeyPopularity};

/// Largest key set [`study`] accepts: 10^7 keys (one lookup each, several times over).
pub const STUDY_KEYS_MAX: u64 = 10_000_000;
/// Largest request count [`study`] accepts: 10^9.
pub const STUDY_REQUESTS_MAX: u64 = 1_000_000_000;
/// The study's RNG stream index (within [`StreamKind::Model`]).
const STUDY_STREAM: u64 = 0x5354_5544; // "STUD"
/// Domain constant for the second choice in [`balls_into_bins`].
const CHOICE_DOMAIN: u64 = 0x6368_6F69_6365_0000;

/// How many keys changed owner between two placements, and where they went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Movement {
    /// Keys whose owner differs (including to or from no owner).
    pub moved: u64,
    /// Keys compared.
    pub total: u64,
    /// Moved keys by new owner.
    pub to: BTreeMap<NodeId, u64>,
    /// Moved keys by old owner.
    pub from: BTreeMap<NodeId, u64>,
}

impl Movement {
    /// Counts one key whose owner was `old` and is now `new`.
    pub fn record(&mut self, old: Option<NodeId>, new: Option<NodeId>) {
        self.total += 1;
        if old == new {
            return;
        }
        self.moved += 1;
        if let Some(node) = new {
            *self.to.entry(node).or_default() += 1;
        }
        if let Some(node) = old {
            *self.from.entry(node).or_default() += 1;
        }
    }

    /// `moved / total` (0 when no keys were compared).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.moved as f64 / self.total as f64
        }
    }
}

/// Compares the owners of `keys` under `before` and `after`.
pub fn moved_keys(
    before: &dyn Placement,
    after: &dyn Placement,
    keys: impl Iterator<Item = KeyId>,
) -> Movement {
    let mut movement = Movement::default();
    for key in keys {
        movement.record(before.owner(key), after.owner(key));
    }
    assert!(movement.moved <= movement.total);
    movement
}

/// The key set a [`study`] places.
#[derive(Clone, Debug, PartialEq)]
pub enum KeySample {
    /// Keys `0..n_keys`, each requested once.
    Uniform {
        /// Number of keys, 1..=10^7.
        n_keys: u64,
    },
    /// Keys `0..popularity.n_keys()`, with `n_requests` requests drawn from `popularity`.
    Popularity {
        /// Which keys requests target.
        popularity: KeyPopularity,
        /// Requests to draw, 1..=10^9.
        n_requests: u64,
    },
}

/// One node's shares in a [`PlacementStudy`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeShare {
    /// The node.
    pub node: NodeId,
    /// Fraction of keys it owns.
    pub key_share: f64,
    /// Fraction of requests it serves.
    pub request_share: f64,
}

/// Spread of shares over nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShareStats {
    /// Largest share over the mean share (1 is perfect balance).
    pub max_over_mean: f64,
    /// Population standard deviation of the shares over their mean.
    pub coefficient_of_variation: f64,
}

impl ShareStats {
    fn of(shares: impl Iterator<Item = f64> + Clone) -> Self {
        let n = shares.clone().count() as f64;
        let mean = shares.clone().sum::<f64>() / n;
        let max = shares.clone().fold(0.0, f64::max);
        let variance = shares.map(|share| (share - mean).powi(2)).sum::<f64>() / n;
        ShareStats {
            max_over_mean: max / mean,
            coefficient_of_variation: variance.sqrt() / mean,
        }
    }
}

/// What [`study`] found for one scheme and node count.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementStudy {
    /// The scheme's name.
    pub scheme: &'static str,
    /// Nodes before the join and leave.
    pub n_nodes: u32,
    /// Each node's shares, by node id.
    pub per_node: Vec<NodeShare>,
    /// Spread of key shares.
    pub keys: ShareStats,
    /// Spread of request shares.
    pub requests: ShareStats,
    /// Keys moved when `NodeId(n_nodes)` joins.
    pub join: Movement,
    /// Keys moved when `NodeId(n_nodes / 2)` leaves.
    pub leave: Movement,
}

/// Builds `spec` over `n_nodes` equal nodes with hash seed `seed`, places every key, and
/// reports shares and the movement on one join and one leave. Deterministic in its inputs;
/// request draws come from `seed`'s [`StreamKind::Model`] stream.
pub fn study(
    spec: &PlacementSpec,
    n_nodes: u32,
    keys: &KeySample,
    seed: u64,
) -> Result<PlacementStudy, PlacementError> {
    let n_keys = match keys {
        KeySample::Uniform { n_keys } => *n_keys,
        KeySample::Popularity { popularity, .. } => popularity.n_keys(),
    };
    check_count("n_keys", n_keys, STUDY_KEYS_MAX, ">= 1 and <= 10^7")?;
    let members: Vec<Member> = (0..n_nodes)
        .map(|id| Member::new(NodeId(id), 1.0, ZoneId(0)))
        .collect();
    let placed = |change: &dyn Fn(&mut dyn Placement)| {
        let mut scheme = spec.build_seeded(&members, seed)?;
        for key in 0..n_keys {
            scheme.assign(KeyId(key));
        }
        change(&mut *scheme);
        Ok::<_, PlacementError>(scheme)
    };
    let scheme = placed(&|_| {})?;
    let mut key_counts = vec![0u64; n_nodes as usize];
    for key in 0..n_keys {
        if let Some(node) = scheme.owner(KeyId(key)) {
            key_counts[node.idx()] += 1;
        }
    }
    let (request_counts, n_requests) = match keys {
        KeySample::Uniform { .. } => (key_counts.clone(), n_keys),
        KeySample::Popularity {
            popularity,
            n_requests,
        } => {
            check_count(
                "n_requests",
                *n_requests,
                STUDY_REQUESTS_MAX,
                ">= 1 and <= 10^9",
            )?;
            let mut sampler = popularity.clone();
            let mut rng = stream(seed, StreamLabel::new(StreamKind::Model, STUDY_STREAM));
            let mut counts = vec![0u64; n_nodes as usize];
            for _ in 0..*n_requests {
                if let Some(node) = scheme.owner(sampler.sample(&mut rng)) {
                    counts[node.idx()] += 1;
                }
            }
            (counts, *n_requests)
        }
    };
    let per_node: Vec<NodeShare> = (0..n_nodes as usize)
        .map(|index| NodeShare {
            node: NodeId(index as u32),
            key_share: key_counts[index] as f64 / n_keys as f64,
            request_share: request_counts[index] as f64 / n_requests as f64,
        })
        .collect();
    let joined = placed(&|scheme| scheme.add_node(NodeId(n_nodes), 1.0))?;
    let left = placed(&|scheme| scheme.remove_node(NodeId(n_nodes / 2)))?;
    let all_keys = || (0..n_keys).map(KeyId);
    Ok(PlacementStudy {
        scheme: spec.name(),
        n_nodes,
        keys: ShareStats::of(per_node.iter().map(|share| share.key_share)),
        requests: ShareStats::of(per_node.iter().map(|share| share.request_share)),
        per_node,
        join: moved_keys(&*scheme, &*joined, all_keys()),
        leave: moved_keys(&*scheme, &*left, all_keys()),
    })
}

/// Checks a study count is in `1..=max`.
fn check_count(
    param: &'static str,
    value: u64,
    max: u64,
    valid: &'static str,
) -> Result<u64, PlacementError> {
    if (1..=max).contains(&value) {
        Ok(value)
    } else {
        Err(PlacementError::BadCount {
            scheme: "study",
            param,
            valid,
            value,
        })
    }
}

/// Throws balls `0..n_balls` into `n_bins` bins: each ball looks at `n_choices` bins
/// (independent hashes of the ball under `seed`, so choices may repeat) and joins the least
/// loaded, ties going to the earliest choice. One choice is plain random placement; two is
/// the "power of two choices" (Azar et al. 1999). Returns each bin's load.
pub fn balls_into_bins(n_bins: u32, n_balls: u64, n_choices: u32, seed: u64) -> Vec<u64> {
    assert!(n_bins > 0, "at least one bin");
    assert!(n_choices > 0, "at least one choice");
    let mut loads = vec![0u64; n_bins as usize];
    for ball in 0..n_balls {
        let mut best = bucket(key_hash(ball, seed), u64::from(n_bins)) as usize;
        for choice in 1..n_choices {
            let salt = seed ^ CHOICE_DOMAIN ^ u64::from(choice);
            let candidate = bucket(key_hash(ball, salt), u64::from(n_bins)) as usize;
            if loads[candidate] < loads[best] {
                best = candidate;
            }
        }
        loads[best] += 1;
    }
    assert_eq!(loads.iter().sum::<u64>(), n_balls);
    loads
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the study is deterministic, its shares sum to 1, and its movement figures match
    // theory in shape: modulo moves most keys on a join, the ring a fraction, and a leave moves
    // at least the leaver's keys.
    #[test]
    fn study_shapes() {
        let keys = KeySample::Uniform { n_keys: 20_000 };
        let ring = study(&PlacementSpec::ring(100), 10, &keys, 1).unwrap();
        assert_eq!(
            ring,
            study(&PlacementSpec::ring(100), 10, &keys, 1).unwrap()
        );
        let total: f64 = ring.per_node.iter().map(|share| share.key_share).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert_eq!(ring.keys, ring.requests);
        assert!(ring.join.to.keys().all(|&node| node == NodeId(10)));
        assert!(ring.join.fraction() > 0.04 && ring.join.fraction() < 0.15);
        let leaver_keys = ring.per_node[5].key_share;
        assert!((ring.leave.fraction() - leaver_keys).abs() < 1e-12);
        let modulo = study(&PlacementSpec::modulo(), 10, &keys, 1).unwrap();
        assert!(modulo.join.fraction() > 0.85);
        let zipf = KeySample::Popularity {
            popularity: KeyPopularity::zipf(10_000, 1.0).unwrap(),
            n_requests: 50_000,
        };
        let skewed = study(&PlacementSpec::jump(), 8, &zipf, 2).unwrap();
        assert!(skewed.requests.coefficient_of_variation > skewed.keys.coefficient_of_variation);
        let bounded = PlacementSpec::bounded_ring(20, 0.1);
        let capped = study(&bounded, 10, &keys, 1).unwrap();
        assert!(capped.keys.max_over_mean <= 1.1 + 10.0 / 20_000.0);
    }

    // Goal: bad study inputs are rejected with messages naming the value.
    #[test]
    fn study_rejects_bad_input() {
        let keys = KeySample::Uniform { n_keys: 0 };
        let error = study(&PlacementSpec::modulo(), 3, &keys, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "study n_keys must be >= 1 and <= 10^7, got 0"
        );
        let keys = KeySample::Uniform { n_keys: 10 };
        let error = study(&PlacementSpec::modulo(), 0, &keys, 0).unwrap_err();
        assert_eq!(error.to_string(), "modulo needs at least one node, got 0");
    }

    // Goal: moved_keys counts owner changes and their endpoints.
    #[test]
    fn movement_counts_endpoints() {
        let members: Vec<Member> = (0..3)
            .map(|id| Member::new(NodeId(id), 1.0, ZoneId(0)))
            .collect();
        let before = PlacementSpec::jump().build(&members).unwrap();
        let mut after = PlacementSpec::jump().build(&members).unwrap();
        after.remove_node(NodeId(2));
        let movement = moved_keys(&*before, &*after, (0..3000).map(KeyId));
        assert_eq!(movement.total, 3000);
        assert_eq!(
            movement.from.keys().copied().collect::<Vec<_>>(),
            [NodeId(2)]
        );
        assert_eq!(movement.from[&NodeId(2)], movement.moved);
        assert_eq!(movement.to.values().sum::<u64>(), movement.moved);
    }
}
