//! Consistent-hash balancing by key: a small ring of virtual nodes over the healthy backends.
//!
//! A ring (Karger et al., "Consistent hashing and random trees", STOC 1997, §4) places
//! `vnodes` points per healthy backend; a key goes to the owner of the first point at or
//! after its hash, wrapping. Removing a backend removes only its points, so only its keys move
//! (each to the next point clockwise), and re-admitting it moves exactly those keys back.
//!
//! Hashing is SplitMix64's finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom
//! number generators", OOPSLA 2014), fixed and documented so results are identical on every
//! machine: a key hashes to `mix(key)`, and vnode `v` of the backend on node `id` sits at
//! `mix(mix(id ^ POINT_SALT) ^ v)`. Points depend on the node id, not the backend's position,
//! so listing backends in another order gives the same ring. This is a balancer-local ring;
//! the placement schemes for sharded groups live in `models::placement`.

use rand::Rng;
use sim_core::SimRng;

use super::policies::checked;
use super::{Backends, Balancer, BalancerError, KeyId};

/// Default vnodes per backend: libketama's 160 points per server (`ketama.c`, 2007).
pub const VNODES_DEFAULT: u32 = 160;

/// Most vnodes per backend: 4096 keeps a 1000-backend ring at 64 MB (16 bytes a point).
pub const VNODES_MAX: u32 = 4096;

/// Separates point hashes from key hashes: without it, key `v` would hash exactly onto vnode
/// `v` of node 0. An arbitrary odd constant (the 64-bit golden ratio's fraction, rotated).
const POINT_SALT: u64 = 0x7F4A_7C15_9E37_79B9;

/// SplitMix64: one step of its Weyl sequence from `x`, then its finaliser. A bijection on
/// `u64` with good avalanche, so nearby keys land far apart.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Vnodes per backend, validated: >= 1 and <= [`VNODES_MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vnodes(u32);

impl Vnodes {
    /// Checks `vnodes` against `1..=VNODES_MAX`.
    pub fn new(vnodes: u32) -> Result<Self, BalancerError> {
        if !(1..=VNODES_MAX).contains(&vnodes) {
            return Err(BalancerError::BadCount {
                kind: "consistent_hash",
                param: "vnodes",
                valid: ">= 1 and <= 4096",
                value: u64::from(vnodes),
            });
        }
        Ok(Vnodes(vnodes))
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Sends each key to its owner on a ring of [`Vnodes`] points per healthy backend; see the
/// module docs. A request without a key goes to a uniformly random healthy backend.
#[derive(Clone, Debug)]
pub struct ConsistentHashByKey {
    vnodes: Vnodes,
    /// `(point hash, backend idx)`, sorted: a lookup is a binary search over a flat array.
    ring: Vec<(u64, usize)>,
    /// The [`Backends::generation`] the ring was built for.
    generation: Option<u64>,
}

impl ConsistentHashByKey {
    /// An empty balancer; the ring is built on the first pick.
    pub fn new(vnodes: Vnodes) -> Self {
        ConsistentHashByKey {
            vnodes,
            ring: Vec::new(),
            generation: None,
        }
    }

    /// Where `key` lands on the ring.
    pub fn key_hash(key: KeyId) -> u64 {
        mix(key.0)
    }

    /// Rebuilds the ring from the healthy backends if their set has changed.
    fn refresh_ring(&mut self, backends: &Backends) {
        if self.generation == Some(backends.generation()) {
            return;
        }
        let vnodes = self.vnodes.get();
        self.ring.clear();
        for &idx in backends.healthy() {
            let base = mix(u64::from(backends.node(idx).0) ^ POINT_SALT);
            self.ring
                .extend((0..vnodes).map(|vnode| (mix(base ^ u64::from(vnode)), idx)));
        }
        // Ties on a point hash (probability ~ points^2 / 2^65) go to the lower index.
        self.ring.sort_unstable();
        self.generation = Some(backends.generation());
        assert_eq!(self.ring.len(), backends.healthy().len() * vnodes as usize);
    }
}

impl Balancer for ConsistentHashByKey {
    fn pick(&mut self, backends: &Backends, key: Option<KeyId>, rng: &mut SimRng) -> Option<usize> {
        self.refresh_ring(backends);
        if self.ring.is_empty() {
            return checked(backends, None);
        }
        let pick = match key {
            Some(key) => {
                let hash = Self::key_hash(key);
                let position = self.ring.partition_point(|&(point, _)| point < hash);
                let (_, idx) = self.ring.get(position).unwrap_or(&self.ring[0]);
                *idx
            }
            None => {
                let healthy = backends.healthy();
                healthy[rng.random_range(0..healthy.len())]
            }
        };
        checked(backends, Some(pick))
    }

    fn name(&self) -> &'static str {
        "consistent_hash"
    }
}

/// `consistent_hash`.
pub(super) const ROW: super::BalancerRow = sim_core::registry::Row {
    name: "consistent_hash",
    aliases: &[],
    description: "key -> backend on a ring of vnodes over the healthy backends",
    params: &[sim_core::registry::Param::optional(
        "vnodes",
        "160",
        "ring points per backend, 1 to 4096",
    )],
    value: |args| {
        let vnodes = args.integer("vnodes")?.unwrap_or(u64::from(VNODES_DEFAULT));
        let vnodes = u32::try_from(vnodes).unwrap_or(u32::MAX);
        super::BalancerSpec::consistent_hash(vnodes)
            .map_err(|e| sim_core::registry::ArgError::at("vnodes", e.to_string()))
    },
};

impl super::BalancerSpec {
    /// Consistent hashing by key with `vnodes` points per backend (>= 1, <= [`VNODES_MAX`]).
    pub fn consistent_hash(vnodes: u32) -> Result<Self, BalancerError> {
        let vnodes = Vnodes::new(vnodes)?;
        Ok(super::BalancerSpec::new("consistent_hash", move || {
            Box::new(ConsistentHashByKey::new(vnodes))
        }))
    }
}
