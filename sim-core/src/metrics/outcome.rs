//! Request outcomes: every request a model issues ends in exactly one [`Outcome`], tallied
//! next to the latency of the successful ones.
//!
//! A latency histogram holds successful requests only, so on its own it makes a failing system
//! look fast: a policy that times out half its requests can show the better p99. An
//! [`OutcomeTally`] is registered under a name of its own (`requests.read`, for the histogram
//! `latency.read`) and linked to that histogram, so every report can put the failures beside
//! the percentiles. Each tally keeps the invariant
//!
//! > in flight at the start + issued = ok + miss + timeout + rejected + error + lost + in flight
//!
//! where "in flight at the start" is what was outstanding when the totals were reset (the end
//! of a warm-up), so the books balance over the measured span too. Tallies count per window
//! like counters (issued is the offered load, `ok` the goodput), unless registered whole-run
//! only.

/// How one request ended, from the point of view of whoever issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Answered successfully.
    Ok,
    /// Answered "not here" (a look-aside cache's miss): an answer, not a failure.
    Miss,
    /// Abandoned at its timeout (the answer never came, or came late).
    Timeout,
    /// Refused for load: a full queue (`busy`), a rate limit.
    Rejected,
    /// Failed: nothing could serve it (`unavailable`, no replica).
    Error,
    /// Lost with its issuer: the issuer crashed while waiting.
    Lost,
}

impl Outcome {
    /// Every outcome, in the order results list them.
    pub const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::Miss,
        Outcome::Timeout,
        Outcome::Rejected,
        Outcome::Error,
        Outcome::Lost,
    ];

    /// The name results use: `ok`, `miss`, `timeout`, `rejected`, `error`, `lost`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Miss => "miss",
            Outcome::Timeout => "timeout",
            Outcome::Rejected => "rejected",
            Outcome::Error => "error",
            Outcome::Lost => "lost",
        }
    }

    /// Whether it is a failure (timeout, rejected, error, lost) rather than an answer.
    pub fn is_failure(self) -> bool {
        !matches!(self, Outcome::Ok | Outcome::Miss)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A registered outcome tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutcomeId(pub(super) u32);

/// Requests issued and how they ended, over the whole run or one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutcomeTally {
    /// Requests outstanding when the totals were last reset (0 in a window).
    pub in_flight_at_start: u64,
    /// Requests issued.
    pub issued: u64,
    /// Requests ended, by [`Outcome`] in [`Outcome::ALL`] order.
    pub ended: [u64; 6],
}

impl OutcomeTally {
    /// Requests that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.ended[outcome.index()]
    }

    /// Requests that ended, every outcome.
    pub fn ended_total(&self) -> u64 {
        self.ended.iter().sum()
    }

    /// Requests that ended in a failure (timeout, rejected, error, lost).
    pub fn failed(&self) -> u64 {
        Outcome::ALL
            .iter()
            .filter(|o| o.is_failure())
            .map(|o| self.count(*o))
            .sum()
    }

    /// Requests still outstanding: `in_flight_at_start + issued - ended`; `None` if more
    /// ended than were ever issued (a model that concluded a request twice).
    pub fn in_flight(&self) -> Option<u64> {
        (self.in_flight_at_start + self.issued).checked_sub(self.ended_total())
    }

    pub(super) fn conclude(&mut self, outcome: Outcome, n: u64) {
        let slot = &mut self.ended[outcome.index()];
        *slot = slot.saturating_add(n);
    }

    /// Starts a new measured span: what is outstanding carries over, the counts restart.
    pub(super) fn reset(&mut self) {
        self.in_flight_at_start = self.in_flight().unwrap_or(0);
        self.issued = 0;
        self.ended = [0; 6];
    }
}

/// One registered tally: the histogram of its successful requests' latency, whether it counts
/// per window, and its totals.
#[derive(Clone, Debug)]
pub(super) struct Registered {
    pub latency: Option<super::HistogramId>,
    pub windowed: bool,
    pub total: OutcomeTally,
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the books balance: in flight is what was issued (plus carried) and has not ended,
    // failures are the four failure outcomes, and a reset carries what is outstanding.
    #[test]
    fn the_invariant_holds_across_a_reset() {
        let mut tally = OutcomeTally {
            issued: 10,
            ..OutcomeTally::default()
        };
        tally.conclude(Outcome::Ok, 5);
        tally.conclude(Outcome::Miss, 1);
        tally.conclude(Outcome::Timeout, 2);
        assert_eq!(tally.failed(), 2);
        assert_eq!(tally.in_flight(), Some(2));
        tally.reset();
        assert_eq!(tally.in_flight_at_start, 2);
        assert_eq!(tally.in_flight(), Some(2));
        tally.conclude(Outcome::Lost, 2);
        assert_eq!(tally.in_flight(), Some(0));
        tally.conclude(Outcome::Error, 1);
        assert_eq!(tally.in_flight(), None, "more ended than issued");
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(
            names,
            ["ok", "miss", "timeout", "rejected", "error", "lost"]
        );
    }
}
