//! What every command that runs a scenario shares: the seed policy (`--seed N`, `--seed
//! random`, or the scenario's own `seed`) and the wall-time guard (`max_wall_time`), written
//! once so `run`, `check` and `sweep` behave alike.
//!
//! This is the edge of the program, so it may look at the wall clock (for the guard) and at
//! the operating system's entropy (for `--seed random`, whose pick is reported so the run can
//! be reproduced); nothing below it does.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use sim_core::{Progress, SimDuration};

/// A seed the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedChoice {
    /// `--seed N`.
    Given(u64),
    /// `--seed random`: pick one and say which.
    Random,
    /// No `--seed`: the scenario's own.
    Scenario,
}

impl SeedChoice {
    /// `--seed`'s value (`None`: absent): a whole number >= 0 or `random`.
    pub fn parse(flag: Option<&str>) -> Result<Self, String> {
        match flag {
            None => Ok(SeedChoice::Scenario),
            Some("random") => Ok(SeedChoice::Random),
            Some(text) => text
                .parse()
                .map(SeedChoice::Given)
                .map_err(|_| format!("--seed takes a whole number >= 0 or `random`, got {text:?}")),
        }
    }

    /// The seed to run with, given the scenario's own (`None` if it names none), and whether
    /// it was picked at random (then the caller prints it).
    pub fn resolve(self, scenario_seed: Option<u64>) -> Result<ChosenSeed, String> {
        match self {
            SeedChoice::Given(seed) => Ok(ChosenSeed {
                seed,
                random: false,
            }),
            SeedChoice::Random => Ok(ChosenSeed {
                seed: random_seed(),
                random: true,
            }),
            SeedChoice::Scenario => scenario_seed
                .map(|seed| ChosenSeed {
                    seed,
                    random: false,
                })
                .ok_or_else(|| {
                    "no seed: add `seed = N` to [simulation], or pass --seed N (or --seed random)"
                        .to_string()
                }),
        }
    }
}

/// A seed and how it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChosenSeed {
    /// The seed.
    pub seed: u64,
    /// Picked at random: print it, with how to reproduce.
    pub random: bool,
}

impl ChosenSeed {
    /// The line to print when the seed was picked at random.
    pub fn announcement(&self) -> Option<String> {
        self.random.then(|| {
            format!(
                "seed: {} (random; reproduce with --seed {})",
                self.seed, self.seed
            )
        })
    }
}

/// A seed from the operating system's entropy, at most `i64::MAX` so it can be written back
/// into a file as `seed = N` (TOML integers are signed 64-bit).
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // The OS-seeded hasher is std's only entropy source; this is the edge, not the
    // simulation, and the chosen seed is printed so the run can be reproduced.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish() >> 1
}

/// The `max_wall_time` guard of one run: it stops the run (with partial results) once the
/// run has taken longer than its limit on the wall clock.
#[derive(Clone, Copy, Debug)]
pub struct WallGuard {
    started: Instant,
    limit: Option<Duration>,
}

impl WallGuard {
    /// A guard starting now, with `limit` (simulated-duration type, wall meaning), if any.
    pub fn start(limit: Option<SimDuration>) -> Self {
        WallGuard {
            started: Instant::now(),
            limit: limit.map(|d| Duration::from_nanos(d.as_nanos())),
        }
    }

    /// Wall time since the start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `Break` with the reason once the limit is passed.
    pub fn check(&self) -> ControlFlow<String> {
        match self.limit {
            Some(limit) if self.elapsed() > limit => {
                ControlFlow::Break(format!("the max_wall_time guard ({limit:.0?}) was reached"))
            }
            _ => ControlFlow::Continue(()),
        }
    }

    /// An observer for `Simulation::run_observed`: the guard, then `progress` (a progress bar,
    /// or nothing).
    pub fn observer<'a>(
        &'a self,
        progress: &'a mut dyn FnMut(&Progress),
    ) -> impl FnMut(&Progress) -> ControlFlow<String> + 'a {
        move |p: &Progress| {
            self.check()?;
            progress(p);
            ControlFlow::Continue(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: every form of --seed is read, and the scenario's seed is the fallback.
    #[test]
    fn seeds() {
        assert_eq!(SeedChoice::parse(Some("7")), Ok(SeedChoice::Given(7)));
        assert_eq!(SeedChoice::parse(Some("random")), Ok(SeedChoice::Random));
        assert_eq!(SeedChoice::parse(None), Ok(SeedChoice::Scenario));
        assert!(SeedChoice::parse(Some("-1"))
            .unwrap_err()
            .contains("--seed"));
        let own = SeedChoice::Scenario.resolve(Some(3)).unwrap();
        assert_eq!((own.seed, own.random), (3, false));
        assert!(SeedChoice::Scenario
            .resolve(None)
            .unwrap_err()
            .contains("no seed"));
        let random = SeedChoice::Random.resolve(None).unwrap();
        assert!(random.random && random.seed <= i64::MAX as u64);
        assert!(random.announcement().unwrap().contains("--seed"));
    }

    // Goal: the guard stops only past its limit.
    #[test]
    fn wall_guard() {
        let unlimited = WallGuard::start(None);
        assert_eq!(unlimited.check(), ControlFlow::Continue(()));
        let tiny = WallGuard::start(Some(SimDuration::from_nanos(1)));
        std::thread::sleep(Duration::from_millis(2));
        assert!(tiny.check().is_break());
    }
}
