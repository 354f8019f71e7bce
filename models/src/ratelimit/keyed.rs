//! A limit as a host applies it: one algorithm ([`LimiterSpec`]) and what a request's limiter
//! is chosen by ([`KeyBy`]: one for everything, one per client, one per key), each limiter
//! built full the first time its key is seen.

use sim_core::{NodeId, SimTime};

use super::{Decision, Limiter, LimiterSpec};
use crate::fixed_hash::FixedHashMap;
use crate::workload::KeyId;

/// What a request's limiter is chosen by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyBy {
    /// One limiter for every request.
    Global,
    /// One per client node.
    Client,
    /// One per key.
    Key,
}

/// Names and descriptions of the keyings, for scenario files and "did you mean".
pub const KEY_BYS: &[(&str, &str, KeyBy)] = &[
    (
        "global",
        "one limiter for every request the host sees",
        KeyBy::Global,
    ),
    ("client", "one limiter per client node", KeyBy::Client),
    ("key", "one limiter per key", KeyBy::Key),
];

/// A limit: its algorithm and its keying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// The algorithm with its parameters.
    pub spec: LimiterSpec,
    /// What each request's limiter is chosen by.
    pub key_by: KeyBy,
}

/// One host's limiters, by key. Looked up per request, never iterated into a result.
#[derive(Debug)]
pub struct KeyedLimiters {
    limit: RateLimit,
    limiters: FixedHashMap<u64, Box<dyn Limiter>>,
}

impl KeyedLimiters {
    /// No key seen yet.
    pub fn new(limit: RateLimit) -> Self {
        KeyedLimiters {
            limit,
            limiters: FixedHashMap::default(),
        }
    }

    /// The decision for a request of `client` on `key` arriving at `now`.
    pub fn decide(&mut self, client: NodeId, key: KeyId, now: SimTime) -> Decision {
        let id = match self.limit.key_by {
            KeyBy::Global => 0,
            KeyBy::Client => u64::from(client.0),
            KeyBy::Key => key.0,
        };
        let spec = self.limit.spec;
        self.limiters
            .entry(id)
            .or_insert_with(|| spec.build())
            .decide(now.as_nanos())
    }

    /// Forgets every key (a crashed host's limiters are volatile).
    pub fn clear(&mut self) {
        self.limiters.clear();
    }

    /// Keys with a limiter.
    pub fn len(&self) -> usize {
        self.limiters.len()
    }

    /// Whether no key has one yet.
    pub fn is_empty(&self) -> bool {
        self.limiters.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::registry::limiters;
    use sim_core::registry::{ArgMap, ArgValue};

    fn spec(name: &str, rate: &str) -> LimiterSpec {
        let registry = limiters();
        let row = registry.lookup(name).expect("a row");
        let mut args = ArgMap::new().with("rate", ArgValue::Text(rate.to_string()));
        (row.value)(&mut args).expect("valid")
    }

    // Goal: per-client keying gives each client its own budget; global keying shares one.
    #[test]
    fn keying_chooses_whose_budget_a_request_spends() {
        let rate = spec("token_bucket", "2/60s");
        let at = SimTime::ZERO.saturating_add(sim_core::SimDuration::from_nanos(1));
        let (a, b) = (NodeId(1), NodeId(2));
        let mut per_client = KeyedLimiters::new(RateLimit {
            spec: rate,
            key_by: KeyBy::Client,
        });
        let mut global = KeyedLimiters::new(RateLimit {
            spec: rate,
            key_by: KeyBy::Global,
        });
        let admitted = |l: &mut KeyedLimiters, c| l.decide(c, KeyId(7), at).admitted();
        let per: Vec<bool> = [a, a, a, b, b]
            .iter()
            .map(|c| admitted(&mut per_client, *c))
            .collect();
        let all: Vec<bool> = [a, a, a, b, b]
            .iter()
            .map(|c| admitted(&mut global, *c))
            .collect();
        assert_eq!(per, [true, true, false, true, true]);
        assert_eq!(all, [true, true, false, false, false]);
        assert_eq!(per_client.len(), 2);
    }

    // Goal: every row builds a spec that names its own row.
    #[test]
    fn every_row_names_its_spec() {
        for row in crate::ratelimit::LIMITERS {
            assert_eq!(spec(row.name, "10/s").name(), row.name);
        }
    }

    // Goal: a rate parses exactly, per a duration or a unit, and bad ones are refused.
    #[test]
    fn rates_parse_exactly() {
        use crate::ratelimit::Rate;
        assert_eq!(
            Rate::parse("100/60s"),
            Ok(Rate::new(100, 60_000_000_000).unwrap())
        );
        assert_eq!(
            Rate::parse("10/s"),
            Ok(Rate::new(10, 1_000_000_000).unwrap())
        );
        assert_eq!(
            Rate::parse("1_000/min"),
            Ok(Rate::new(1_000, 60_000_000_000).unwrap())
        );
        assert!(Rate::parse("0/s").is_err());
        assert!(Rate::parse("10").is_err());
        assert!(Rate::parse("1.5/s").is_err());
        assert!(Rate::parse("10/0s").is_err());
    }

    // Goal: dividing a limit among n nodes keeps the total: a bucket's rate exactly, a
    // window's limit rounded down.
    #[test]
    fn a_divided_limit_is_a_share() {
        let bucket = spec("token_bucket", "100/60s").divided(4);
        assert_eq!(bucket.rate().per_second() * 4.0, 100.0 / 60.0);
        let window = spec("fixed_window", "100/60s").divided(3);
        assert_eq!(window.rate().count(), 33);
        assert_eq!(window.rate().period_ns(), 60_000_000_000);
    }
}
