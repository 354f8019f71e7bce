//! The load-oblivious and load-aware balancers. Consistent hashing by key is in `hash.rs`.
//!
//! Every policy considers only [`Backends::healthy`] and returns `None` when it is empty.
//! Where a policy breaks ties at random, it draws from the caller's stream only when a tie
//! actually occurs, by reservoir sampling over the tied backends (each equally likely).

use std::cmp::Ordering;

use rand::Rng;
use sim_core::SimRng;

use super::{Backends, Balancer, KeyId};

/// Asserts the postcondition every policy shares: a pick is a healthy backend.
pub(super) fn checked(backends: &Backends, pick: Option<usize>) -> Option<usize> {
    if let Some(idx) = pick {
        assert!(
            backends.healthy().binary_search(&idx).is_ok(),
            "picked backend [{idx}], which is not healthy"
        );
    } else {
        assert!(
            backends.healthy().is_empty(),
            "no pick with healthy backends"
        );
    }
    pick
}

/// The healthy backend that is least by `compare`, ties chosen uniformly at random.
fn least_by(
    backends: &Backends,
    rng: &mut SimRng,
    mut compare: impl FnMut(usize, usize) -> Ordering,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut n_tied: u32 = 0;
    for &idx in backends.healthy() {
        let Some(current) = best else {
            best = Some(idx);
            n_tied = 1;
            continue;
        };
        match compare(idx, current) {
            Ordering::Less => {
                best = Some(idx);
                n_tied = 1;
            }
            Ordering::Equal => {
                n_tied += 1;
                // Reservoir sampling: the k-th tied backend replaces the choice with
                // probability 1/k, so each of the tied is kept with probability 1/n_tied.
                if rng.random_range(0..n_tied) == 0 {
                    best = Some(idx);
                }
            }
            Ordering::Greater => {}
        }
    }
    best
}

/// Healthy backends in index order, one request each, wrapping; weights are ignored. After an
/// ejection the turn passes to the next healthy index, so no backend is picked twice in a row
/// while another is healthy.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    /// The first index to consider on the next pick.
    cursor: usize,
}

impl Balancer for RoundRobin {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, _: &mut SimRng) -> Option<usize> {
        let healthy = backends.healthy();
        let position = healthy.partition_point(|&idx| idx < self.cursor);
        let pick = healthy.get(position).or(healthy.first()).copied();
        if let Some(idx) = pick {
            self.cursor = idx + 1;
        }
        checked(backends, pick)
    }

    fn name(&self) -> &'static str {
        "round_robin"
    }
}

/// Smooth weighted round robin, as in nginx (`ngx_http_upstream_get_peer` in
/// `ngx_http_upstream_round_robin.c`, 2012): on each pick every healthy backend's `current`
/// grows by its weight, the largest `current` wins (lowest index on ties) and loses the total
/// healthy weight `W`. Over any `W` consecutive picks with a stable healthy set, backend `i`
/// is picked exactly `w_i` times, interleaved rather than in runs (weights 5, 1, 1 give
/// `a a b a c a a`, not `a a a a a b c`). Ejected backends neither gain nor lose `current`;
/// any change of the healthy set restarts every `current` at 0.
#[derive(Clone, Debug, Default)]
pub struct WeightedRoundRobin {
    /// Each backend's `current` (signed: the winner goes negative).
    current: Vec<i64>,
    /// The [`Backends::generation`] `current` belongs to.
    generation: Option<u64>,
}

impl Balancer for WeightedRoundRobin {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, _: &mut SimRng) -> Option<usize> {
        if self.generation != Some(backends.generation()) || self.current.len() != backends.len() {
            self.current = vec![0; backends.len()];
            self.generation = Some(backends.generation());
        }
        let mut total: i64 = 0;
        let mut best: Option<usize> = None;
        for &idx in backends.healthy() {
            let weight = i64::from(backends.weight(idx));
            self.current[idx] += weight;
            total += weight;
            if best.is_none_or(|best| self.current[idx] > self.current[best]) {
                best = Some(idx);
            }
        }
        if let Some(idx) = best {
            self.current[idx] -= total;
        }
        debug_assert_eq!(
            backends
                .healthy()
                .iter()
                .map(|&idx| self.current[idx])
                .sum::<i64>(),
            0,
            "smooth weighted round robin keeps the currents summing to 0"
        );
        checked(backends, best)
    }

    fn name(&self) -> &'static str {
        "weighted_round_robin"
    }
}

/// A healthy backend chosen uniformly at random; weights are ignored.
#[derive(Clone, Copy, Debug, Default)]
pub struct UniformRandom;

impl Balancer for UniformRandom {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, rng: &mut SimRng) -> Option<usize> {
        let healthy = backends.healthy();
        let pick = if healthy.is_empty() {
            None
        } else {
            Some(healthy[rng.random_range(0..healthy.len())])
        };
        checked(backends, pick)
    }

    fn name(&self) -> &'static str {
        "random"
    }
}

/// Fewest outstanding requests per unit weight, compared exactly as
/// `outstanding_a * weight_b < outstanding_b * weight_a` (nginx `least_conn`,
/// `ngx_http_upstream_least_conn_module.c`). Ties are broken uniformly at random (nginx uses
/// weighted round robin among them): breaking them by lowest index would send every request
/// of a lightly loaded system to backend 0. Deterministic, since the draws come from the
/// caller's seeded stream.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastOutstanding;

impl Balancer for LeastOutstanding {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, rng: &mut SimRng) -> Option<usize> {
        let pick = least_by(backends, rng, |a, b| {
            let load_a = u64::from(backends.outstanding(a)) * u64::from(backends.weight(b));
            let load_b = u64::from(backends.outstanding(b)) * u64::from(backends.weight(a));
            load_a.cmp(&load_b)
        });
        checked(backends, pick)
    }

    fn name(&self) -> &'static str {
        "least_outstanding"
    }
}

/// Lowest expected wait, scored `ewma * (outstanding + 1)`: the response-time EWMA times the
/// requests the new one would queue behind, plus itself (Finagle's EWMA load balancer cost,
/// and NGINX Plus `least_time`, which also combines time and active connections). Ranking by
/// the EWMA alone would send every request to the fastest backend until its average caught up.
///
/// A backend with no response yet is scored with the mean EWMA of the healthy backends that
/// have one (so it is neither shunned nor flooded), or with 1 ns when none has, which makes the
/// policy least-outstanding until the first response. Ties are broken uniformly at random.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastResponseTime;

impl Balancer for LeastResponseTime {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, rng: &mut SimRng) -> Option<usize> {
        // Summed in ascending index order, so the mean is the same on every run.
        let (sum_ns, n_sampled) = backends
            .healthy()
            .iter()
            .filter_map(|&idx| backends.latency_ewma_ns(idx))
            .fold((0.0, 0_u32), |(sum, count), ewma| (sum + ewma, count + 1));
        let unsampled_ns = if n_sampled == 0 {
            1.0
        } else {
            sum_ns / f64::from(n_sampled)
        };
        let score = |idx: usize| {
            let ewma = backends.latency_ewma_ns(idx).unwrap_or(unsampled_ns);
            ewma * (f64::from(backends.outstanding(idx)) + 1.0)
        };
        let pick = least_by(backends, rng, |a, b| score(a).total_cmp(&score(b)));
        checked(backends, pick)
    }

    fn name(&self) -> &'static str {
        "least_response_time"
    }
}

/// Power of two choices (Mitzenmacher, "The power of two choices in randomized load
/// balancing", IEEE TPDS 12(10), 2001): draw two distinct healthy backends uniformly at random
/// and take the one with fewer outstanding requests, the first drawn on a tie (itself a random
/// choice). With one healthy backend, that one. Weights are ignored.
///
/// With `stale: false` it compares exact counts; with `stale: true` it compares the snapshot
/// taken every [`Backends::refresh`]. Within one refresh interval the stale-least-loaded
/// backend wins every pair it is drawn in (probability `2/n` per request instead of `1/n`) and
/// the stale-most-loaded none, however the real loads move: the herding of Mitzenmacher, "How
/// useful is old information?", IEEE TPDS 11(1), 2000. With two backends every request of an
/// interval goes to the same one.
#[derive(Clone, Copy, Debug, Default)]
pub struct PowerOfTwoChoices {
    /// Compare the refreshed snapshot instead of exact outstanding counts.
    pub stale: bool,
}

impl Balancer for PowerOfTwoChoices {
    fn pick(&mut self, backends: &Backends, _: Option<KeyId>, rng: &mut SimRng) -> Option<usize> {
        let healthy = backends.healthy();
        let pick = match healthy.len() {
            0 => None,
            1 => Some(healthy[0]),
            n_healthy => {
                let first = rng.random_range(0..n_healthy);
                let mut second = rng.random_range(0..n_healthy - 1);
                if second >= first {
                    second += 1;
                }
                assert_ne!(first, second);
                let load = |idx: usize| {
                    if self.stale {
                        backends.outstanding_reported(idx)
                    } else {
                        backends.outstanding(idx)
                    }
                };
                let (a, b) = (healthy[first], healthy[second]);
                Some(if load(b) < load(a) { b } else { a })
            }
        };
        checked(backends, pick)
    }

    fn name(&self) -> &'static str {
        if self.stale {
            "p2c_stale"
        } else {
            "p2c"
        }
    }
}

/// `round_robin`.
pub(super) const ROUND_ROBIN_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "round_robin",
    aliases: &[],
    description: "healthy backends in turn, ignoring weights",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("round_robin", || {
            Box::new(RoundRobin::default())
        }))
    },
};

/// `weighted_round_robin`.
pub(super) const WEIGHTED_ROUND_ROBIN_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "weighted_round_robin",
    aliases: &[],
    description: "nginx smooth weighted round robin: w_i of every W picks, interleaved",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("weighted_round_robin", || {
            Box::new(WeightedRoundRobin::default())
        }))
    },
};

/// `random`.
pub(super) const RANDOM_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "random",
    aliases: &[],
    description: "a uniformly random healthy backend",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("random", || {
            Box::new(UniformRandom)
        }))
    },
};

/// `least_outstanding`.
pub(super) const LEAST_OUTSTANDING_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "least_outstanding",
    aliases: &[],
    description: "fewest outstanding requests per unit weight; random among ties",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("least_outstanding", || {
            Box::new(LeastOutstanding)
        }))
    },
};

/// `least_response_time`.
pub(super) const LEAST_RESPONSE_TIME_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "least_response_time",
    aliases: &[],
    description: "lowest response-time ewma x (outstanding + 1); random among ties",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("least_response_time", || {
            Box::new(LeastResponseTime)
        }))
    },
};

/// `p2c`.
pub(super) const P2C_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "p2c",
    aliases: &[],
    description: "two random backends, the one with fewer outstanding requests (exact counts)",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("p2c", || {
            Box::new(PowerOfTwoChoices { stale: false })
        }))
    },
};

/// `p2c_stale`.
pub(super) const P2C_STALE_ROW: super::BalancerRow = sim_core::registry::Row {
    name: "p2c_stale",
    aliases: &[],
    description: "power of two choices on the load snapshot refreshed every interval (herds)",
    params: &[],
    value: |_| {
        Ok(super::BalancerSpec::new("p2c_stale", || {
            Box::new(PowerOfTwoChoices { stale: true })
        }))
    },
};
