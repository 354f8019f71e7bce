//! [`CacheSpec`], a policy chosen by name with its parameters and built for a capacity, and
//! the shape of a policy's registry row ([`PolicyRow`]), which each policy's file defines
//! beside the policy (the list of rows is `registry.rs`).

use std::fmt;
use std::sync::Arc;

use sim_core::registry::{ArgError, Args, Row};
use sim_core::SimRng;

use super::{CacheError, CachePolicy, Capacity};

/// Reads a policy's parameters and returns the spec that builds it.
pub type ParsePolicy = sim_core::registry::ParseArgs<CacheSpec>;

/// One cache policy's registry row.
pub type PolicyRow = Row<ParsePolicy>;

type BuildPolicy =
    dyn Fn(Capacity, SimRng) -> Result<Box<dyn CachePolicy>, CacheError> + Send + Sync;

/// A policy and its parameters, ready to build any number of caches (one per node and run).
#[derive(Clone)]
pub struct CacheSpec {
    name: &'static str,
    build: Arc<BuildPolicy>,
}

impl fmt::Debug for CacheSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CacheSpec {
    /// A spec named `name` (its row's name) that builds with `build`.
    pub fn new(
        name: &'static str,
        build: impl Fn(Capacity, SimRng) -> Result<Box<dyn CachePolicy>, CacheError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        CacheSpec {
            name,
            build: Arc::new(build),
        }
    }

    /// The policy's name, as its row has it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Builds the policy for `capacity`. Only policies that draw (`random`) use `rng`; hand
    /// it a stream of its own, e.g. `ctx.model_rng(0)` on a node, or
    /// `sim_core::rng::stream(seed, StreamLabel::new(StreamKind::Model, i))`.
    pub fn build(
        &self,
        capacity: Capacity,
        rng: SimRng,
    ) -> Result<Box<dyn CachePolicy>, CacheError> {
        let policy = (self.build)(capacity, rng)?;
        assert_eq!(policy.name(), self.name, "a spec builds its own policy");
        Ok(policy)
    }
}

/// Reads a ratio parameter with `default`; its range is checked by the policy's constructor.
pub(super) fn ratio(
    args: &mut dyn Args,
    name: &'static str,
    default: f64,
) -> Result<f64, ArgError> {
    Ok(args.number(name)?.unwrap_or(default))
}

/// Reads a small whole-number parameter with `default`, checked to lie in `1..=max`.
pub(super) fn small_count(
    args: &mut dyn Args,
    name: &'static str,
    default: u8,
    max: u8,
) -> Result<u8, ArgError> {
    let value = sim_core::registry::integer_in(args, name, u64::from(default), 1..=u64::from(max))?;
    Ok(u8::try_from(value).expect("checked against a u8 maximum"))
}
