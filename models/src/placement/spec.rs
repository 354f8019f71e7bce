//! [`PlacementSpec`], a scheme with its parameters built over a member list, and the shape of
//! a scheme's registry row ([`SchemeRow`]), which each scheme's file defines beside the scheme
//! with the scheme's own `PlacementSpec` constructor (the list of rows is `registry.rs`).

use std::fmt;
use std::sync::Arc;

use sim_core::registry::{ArgError, Args, Row};

use super::{Member, Placement, PlacementError};

/// The hash seed [`PlacementSpec::build`] uses: 0. A sweep that wants independent placements
/// per replication passes its own to [`PlacementSpec::build_seeded`].
pub const HASH_SEED_DEFAULT: u64 = 0;

/// 160 points per node: the default of libketama, the consistent-hashing library behind
/// memcached clients (40 hashes x 4 points per server).
pub const RING_VNODES_DEFAULT: u32 = 160;

/// Slack of a bounded-load ring, 0.25: the paper's (Mirrokni et al. 2018) worked example.
pub const EPSILON_DEFAULT: f64 = 0.25;

/// Reads a scheme's parameters and returns the spec that builds it.
pub type ParseScheme = sim_core::registry::ParseArgs<PlacementSpec>;

/// One placement scheme's registry row.
pub type SchemeRow = Row<ParseScheme>;

type BuildScheme =
    dyn Fn(&[Member], u64) -> Result<Box<dyn Placement>, PlacementError> + Send + Sync;

/// A placement scheme and its parameters, ready to build any number of placements (one per
/// run, since membership changes mutate them).
#[derive(Clone)]
pub struct PlacementSpec {
    name: &'static str,
    params: String,
    build: Arc<BuildScheme>,
}

impl fmt::Debug for PlacementSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlacementSpec")
            .field("name", &self.name)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PlacementSpec {
    /// A spec named `name` (its row's name), its parameters described as `params`
    /// (`"vnodes=160"`, empty for none), built by `build` from the members and a hash seed.
    pub fn new(
        name: &'static str,
        params: String,
        build: impl Fn(&[Member], u64) -> Result<Box<dyn Placement>, PlacementError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        PlacementSpec {
            name,
            params,
            build: Arc::new(build),
        }
    }

    /// The scheme's name, as its row has it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its parameters in words (`"vnodes=160"`), empty when it has none.
    pub fn params(&self) -> &str {
        &self.params
    }

    /// Builds the scheme over `members` with [`HASH_SEED_DEFAULT`].
    pub fn build(&self, members: &[Member]) -> Result<Box<dyn Placement>, PlacementError> {
        self.build_seeded(members, HASH_SEED_DEFAULT)
    }

    /// Builds the scheme over `members`, hashing with `seed`.
    pub fn build_seeded(
        &self,
        members: &[Member],
        seed: u64,
    ) -> Result<Box<dyn Placement>, PlacementError> {
        let scheme = (self.build)(members, seed)?;
        assert_eq!(scheme.name(), self.name, "a spec builds its own scheme");
        Ok(scheme)
    }
}

/// Reads a vnode count, [`RING_VNODES_DEFAULT`] when absent. Its range is the scheme's
/// constructor's to check (with the scheme's name in the message); only a count beyond `u32`
/// is refused here.
pub(super) fn vnodes(args: &mut dyn Args) -> Result<u32, ArgError> {
    let value = args
        .integer("vnodes")?
        .unwrap_or(RING_VNODES_DEFAULT.into());
    u32::try_from(value).map_err(|_| {
        let max = super::VNODES_MAX;
        ArgError::at(
            "vnodes",
            format!("vnodes must be >= 1 and <= {max}, got {value}"),
        )
    })
}
