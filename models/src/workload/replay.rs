//! Replaying a request trace as a client's workload: which records a client sends, and when.
//!
//! A trace replay sends the trace's own requests (keys, sizes, operations) instead of sampled
//! ones, paced in one of two ways ([`TracePace`]), as packet replayers do (tcpreplay(1):
//! `--multiplier` and `--topspeed`):
//!
//! - **timestamps**: record *i* is sent `(t_i - t_0) / speed` after the replay starts, where
//!   `t_0` is the time of the trace's first record ([`Speed`]). Open loop: the trace decides
//!   when, whatever the system does.
//! - **as fast as possible**: a closed loop of `concurrency` outstanding requests, each slot
//!   sending the next record as soon as its previous request is answered (or times out).
//!
//! The records come from a [`TraceRecords`] iterator the caller hands in, usually a
//! [`TraceReader`](super::trace::TraceReader) over a file the caller opened: this module does
//! no I/O. Several clients replay one trace together by position ([`TraceShare`]): client `i`
//! of `n` takes the records whose 0-based position `p` has `p % n == i`, so together they send
//! the trace once. Each reads the whole trace and skips the others' records, so all of them
//! see the trace's first record and share its `t_0`.
//!
//! A read error part-way (a truncated record, a corrupt zstd frame, a bad CSV field) ends that
//! client's replay cleanly: the requests already sent stand, and the error (with the reader's
//! byte offset or line) goes to the run's [`TraceErrorLog`], which the caller reads after the
//! run to tell the user.
//!
//! **Limitations:**
//! - Times are used as the trace has them: a record earlier than its predecessor is sent as
//!   soon as it is read (no reordering), and one earlier than the first record is due at the
//!   start. oracleGeneral times are whole seconds, so its requests come in one burst per trace
//!   second (use CSV with finer times, or `AsFastAsPossible`, to avoid the bursts).
//! - The speed is kept to millionths ([`Speed::new`]), so scaled times are exact integers.
//! - With `n` clients on one trace, each decodes the whole trace and holds its own reader
//!   buffer, so decoding costs `n` times one pass.

use std::num::{NonZeroU32, NonZeroU64};
use std::sync::{Arc, Mutex};

use sim_core::{NodeId, SimDuration, SimTime};

use super::trace::{TraceError, TraceRecord};
use super::WorkloadError;

/// A trace's records, in trace order, from any source (usually a
/// [`TraceReader`](super::trace::TraceReader)): ends after the last record or the first error.
/// `Send`, so a built simulation can move between threads.
pub type TraceRecords = Box<dyn Iterator<Item = Result<TraceRecord, TraceError>> + Send>;

/// Millionths in one: a [`Speed`]'s resolution.
const SPEED_SCALE: u64 = 1_000_000;
/// Slowest replay speed: one millionth of the trace's pace (the resolution).
pub const SPEED_MIN: f64 = 1e-6;
/// Fastest timed replay speed: a billion times the trace's pace (a trace second in 1 ns).
pub const SPEED_MAX: f64 = 1e9;

/// How much faster than recorded a trace is replayed: `2.0` halves every gap. Held as an
/// integer number of millionths, so scaling a trace time is exact integer arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Speed(NonZeroU64);

impl Speed {
    /// The trace's own pace.
    pub const ONE: Speed = Speed(NonZeroU64::new(SPEED_SCALE).expect("1e6 is not zero"));

    /// A speed of `speed` times the trace's pace, rounded to millionths; rejects values
    /// outside [`SPEED_MIN`] ..= [`SPEED_MAX`] (and NaN).
    pub fn new(speed: f64) -> Result<Speed, WorkloadError> {
        if !(SPEED_MIN..=SPEED_MAX).contains(&speed) {
            return Err(WorkloadError::BadParameter {
                kind: "trace",
                param: "speed",
                valid: "between 0.000001 and 1e9",
                value: speed,
            });
        }
        let millionths = (speed * SPEED_SCALE as f64).round() as u64;
        let millionths = NonZeroU64::new(millionths).expect("speed >= 1e-6 rounds to >= 1");
        Ok(Speed(millionths))
    }

    /// The speed as a number, for display.
    pub fn as_f64(self) -> f64 {
        self.0.get() as f64 / SPEED_SCALE as f64
    }

    /// How long after the replay's start a record `trace_offset_ns` after the trace's first
    /// one is due: `trace_offset_ns / speed`, rounded down to the nanosecond; `None` if that
    /// is past the end of simulated time.
    pub fn scale(self, trace_offset_ns: u64) -> Option<SimDuration> {
        let scaled =
            u128::from(trace_offset_ns) * u128::from(SPEED_SCALE) / u128::from(self.0.get());
        u64::try_from(scaled).ok().map(SimDuration::from_nanos)
    }
}

/// How a client paces a trace replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TracePace {
    /// Each record at its trace time relative to the first, divided by the speed.
    Timestamps(Speed),
    /// As fast as answers come: this many requests outstanding, each slot sending the next
    /// record when its previous request is answered or times out.
    AsFastAsPossible(NonZeroU32),
}

/// Which records of a shared trace one client sends: those at positions `p` with
/// `p % n == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceShare {
    index: u32,
    n: NonZeroU32,
}

impl TraceShare {
    /// The whole trace, for a client replaying it alone.
    pub const WHOLE: TraceShare = TraceShare {
        index: 0,
        n: NonZeroU32::MIN,
    };

    /// Share `index` of `n`. Panics unless `index < n`: the caller numbers its clients.
    pub fn new(index: u32, n: NonZeroU32) -> Self {
        assert!(index < n.get(), "share {index} of {n} does not exist");
        TraceShare { index, n }
    }

    /// Whether the record at 0-based `position` is this share's.
    fn takes(self, position: u64) -> bool {
        position % u64::from(self.n.get()) == u64::from(self.index)
    }
}

/// A trace error that ended one client's replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFailure {
    /// The client.
    pub node: NodeId,
    /// When it stopped replaying.
    pub at: SimTime,
    /// The trace, as the caller named it.
    pub trace: String,
    /// The reader's error, with its byte offset or line.
    pub message: String,
}

/// One run's trace errors, shared by the replaying clients and read by the runner after the
/// run. Each client adds at most one entry (its replay ends at its first error), in the order
/// the run hit them.
///
/// A run is single-threaded, so the lock is never contended; it exists so a built simulation
/// stays `Send`.
#[derive(Clone, Debug, Default)]
pub struct TraceErrorLog(Arc<Mutex<Vec<TraceFailure>>>);

impl TraceErrorLog {
    /// An empty log, for one run.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, failure: TraceFailure) {
        self.0
            .lock()
            .expect("trace error log poisoned by an earlier panic")
            .push(failure);
    }

    /// The failures so far, in the order they happened.
    pub fn failures(&self) -> Vec<TraceFailure> {
        self.0
            .lock()
            .expect("trace error log poisoned by an earlier panic")
            .clone()
    }
}

/// One record to send, with its trace time relative to the trace's first record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayRecord {
    /// `t_i - t_0` in trace nanoseconds (0 if the record is earlier than the first).
    pub offset_ns: u64,
    /// The record.
    pub record: TraceRecord,
}

/// What a feed yields next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedItem {
    /// A record of this client's share.
    Record(ReplayRecord),
    /// Reading failed just now; the error is in the log. Later calls return `Ended`.
    Failed,
    /// The trace ended (or failed earlier): nothing more will come.
    Ended,
}

/// One client's share of a trace: its records in order, with times relative to the trace's
/// first record.
pub struct TraceFeed {
    records: TraceRecords,
    name: String,
    share: TraceShare,
    log: TraceErrorLog,
    /// Records read so far (the next record's 0-based position).
    position: u64,
    /// The time of the trace's first record, once read.
    start_ns: Option<u64>,
    /// An error reported, or the end reached.
    finished: bool,
}

impl std::fmt::Debug for TraceFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceFeed")
            .field("name", &self.name)
            .field("share", &self.share)
            .field("position", &self.position)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl TraceFeed {
    /// The records of `share` out of `records` (the trace `name`, as errors will call it);
    /// a read error is reported to `log`.
    pub fn new(
        records: TraceRecords,
        name: impl Into<String>,
        share: TraceShare,
        log: TraceErrorLog,
    ) -> Self {
        TraceFeed {
            records,
            name: name.into(),
            share,
            log,
            position: 0,
            start_ns: None,
            finished: false,
        }
    }

    /// The next record of this share. On a read error, logs it as `node`'s failure at `now`
    /// and returns [`FeedItem::Failed`]; after the end or an error, always
    /// [`FeedItem::Ended`]. Reads at most `n` records (this share's next one and the others'
    /// before it).
    pub fn next(&mut self, node: NodeId, now: SimTime) -> FeedItem {
        while !self.finished {
            let Some(read) = self.records.next() else {
                self.finished = true;
                break;
            };
            let record = match read {
                Ok(record) => record,
                Err(error) => {
                    self.finished = true;
                    self.log.push(TraceFailure {
                        node,
                        at: now,
                        trace: self.name.clone(),
                        message: error.to_string(),
                    });
                    return FeedItem::Failed;
                }
            };
            let position = self.position;
            self.position += 1;
            let start_ns = *self.start_ns.get_or_insert(record.time_ns);
            if self.share.takes(position) {
                return FeedItem::Record(ReplayRecord {
                    offset_ns: record.time_ns.saturating_sub(start_ns),
                    record,
                });
            }
        }
        FeedItem::Ended
    }

    /// Records read so far, this share's and the others'.
    pub fn n_read(&self) -> u64 {
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::trace::FieldProblem;
    use crate::workload::{KeyId, Op};

    fn record(time_s: u64, key: u64) -> TraceRecord {
        TraceRecord {
            time_ns: time_s * 1_000_000_000,
            key: KeyId(key),
            size_bytes: 100,
            op: Op::Read,
            next_access_vtime: None,
        }
    }

    /// The keys and offsets (in s) a feed over `records` yields for `share`, and what the
    /// log holds after.
    fn drain(
        records: Vec<Result<TraceRecord, TraceError>>,
        share: TraceShare,
    ) -> (Vec<(u64, u64)>, Vec<TraceFailure>) {
        let log = TraceErrorLog::new();
        let mut feed = TraceFeed::new(Box::new(records.into_iter()), "t", share, log.clone());
        let mut got = Vec::new();
        let last = loop {
            match feed.next(NodeId(3), SimTime(7)) {
                FeedItem::Record(next) => {
                    got.push((next.record.key.0, next.offset_ns / 1_000_000_000))
                }
                other => break other,
            }
        };
        let failures = log.failures();
        assert_eq!(last == FeedItem::Failed, !failures.is_empty());
        assert_eq!(feed.next(NodeId(3), SimTime(7)), FeedItem::Ended);
        (got, failures)
    }

    // Goal: shares split a trace by position, together covering it once, with offsets from
    // the trace's first record (not the share's). Method: three shares of five records.
    #[test]
    fn shares_split_by_position_with_the_trace_start() {
        let records = || (0..5).map(|i| Ok(record(100 + i, i))).collect::<Vec<_>>();
        let n = NonZeroU32::new(3).unwrap();
        let (first, _) = drain(records(), TraceShare::new(0, n));
        let (second, _) = drain(records(), TraceShare::new(1, n));
        let (third, _) = drain(records(), TraceShare::new(2, n));
        assert_eq!(first, [(0, 0), (3, 3)]);
        assert_eq!(second, [(1, 1), (4, 4)]);
        assert_eq!(third, [(2, 2)]);
    }

    // Goal: a read error ends the feed after the records before it and is logged once with
    // the client and time. Method: two records, an error, a record that must not come.
    #[test]
    fn an_error_finishes_the_feed_and_is_logged() {
        let error = TraceError::CsvField {
            line: 3,
            column: "key",
            value: "x".into(),
            problem: FieldProblem::NotANumber,
        };
        let records = vec![
            Ok(record(0, 1)),
            Ok(record(1, 2)),
            Err(error),
            Ok(record(2, 3)),
        ];
        let (got, failures) = drain(records, TraceShare::WHOLE);
        assert_eq!(got, [(1, 0), (2, 1)]);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].node, NodeId(3));
        assert_eq!(failures[0].at, SimTime(7));
        assert!(failures[0].message.starts_with("line 3: column key"));
    }

    // Goal: speeds scale exactly, reject what they cannot represent, and saturate into None.
    #[test]
    fn speed_scales_exactly() {
        let two = Speed::new(2.0).unwrap();
        assert_eq!(two.scale(10_000_000), Some(SimDuration::from_millis(5)));
        let third = Speed::new(1.0 / 3.0).unwrap(); // 333_333 millionths.
        assert_eq!(
            third.scale(333_333),
            Some(SimDuration::from_nanos(1_000_000))
        );
        assert_eq!(Speed::ONE.scale(7), Some(SimDuration::from_nanos(7)));
        assert_eq!(Speed::new(SPEED_MIN).unwrap().scale(u64::MAX), None);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-7, 2e9] {
            assert!(Speed::new(bad).is_err(), "{bad} accepted");
        }
    }
}
