//! What clients of a replicated store saw, measured against what was acknowledged: stale reads,
//! how stale (k-staleness), how soon a write becomes visible (t-visibility), read-your-writes
//! and monotonic-read violations, and acknowledged writes the store later lost.
//!
//! The log sits outside the nodes: the store reports each acknowledged write (key, version,
//! acknowledgement time, writer) and each completed read (key, call time, version returned,
//! reader), and the log judges the reads as they come, keeping per key only the last
//! [`WINDOW`] acknowledged versions (with their writers) and per client and key the two
//! newest-so-far versions it read, with when. Memory is therefore
//! O(keys × WINDOW + client–key pairs read), not O(operations): 24 bytes per remembered
//! version and about 45 per pair.
//!
//! Definitions (Bailis et al., "Probabilistically Bounded Staleness for Practical Partial
//! Quorums", VLDB 2012): versions of a key are totally ordered (last writer wins by version); a
//! read *called* at `t` is consistent when it returns a version at least the newest one
//! acknowledged at or before `t` (writes acknowledged while the read is in flight are
//! concurrent with it and do not count); its *k-staleness* is how many versions acknowledged
//! by `t` are newer than the one it returned; its *t-visibility* sample is `t` minus the
//! acknowledgement time of that newest version, paired with whether the read was consistent.
//! Read-your-writes: a client reading a key after its own write of it was acknowledged must
//! see that version or a newer one; monotonic reads: a client never reads an older version of
//! a key than a read of it that completed before this one was called. Both are session
//! guarantees in real time (Terry et al., "Session Guarantees for Weakly Consistent
//! Replicated Data", 1994): a client's operations in flight together are concurrent and do
//! not bind each other, so an open-loop client with overlapping reads of a hot key is not
//! held to an order it never imposed.
//!
//! **Bounds:** a read-your-writes violation is seen while the writer's version is among the
//! key's last [`WINDOW`] acknowledgements (a read further behind is also [`WINDOW`]-stale, and
//! counted as such); a monotonic-read violation is seen unless two reads of the key by the
//! same client, each returning newer than any before it, completed while this one was in
//! flight. Both err towards missing a violation, never towards inventing one.

use std::collections::{BTreeMap, VecDeque};

use super::linearizability::{
    check_register, HistoryError, Operation, RegisterOp, Verdict, MAX_OPS,
};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fixed_hash::FixedHashMap;

/// Acknowledged versions remembered per key: k-staleness above this is counted as this.
/// (At most 64: a key's lost-write marks are one bit per remembered version.)
pub const WINDOW: usize = 64;
const _: () = assert!(WINDOW <= 64);

/// A key of the store.
pub type Key = u64;
/// A version of a key (`0`: never written; written versions are `>= 1`).
pub type Version = u64;

/// The t-visibility curve's bins: `bin_ns` wide, the last one open-ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisibilityBins {
    /// Width of one bin in nanoseconds (> 0).
    pub bin_ns: u64,
    /// Number of bins (> 0); samples at or beyond `bins * bin_ns` land in the last.
    pub bins: usize,
}

/// One acknowledged write: its version, when (ns) and by which client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Acked {
    version: Version,
    at: u64,
    writer: u32,
}

/// One key's acknowledged versions, oldest first.
#[derive(Clone, Debug, Default)]
struct KeyLog {
    acked: VecDeque<Acked>,
    /// The last of `acked`, kept inline: most reads are judged by it alone, without
    /// touching the window's own memory.
    last: Option<Acked>,
    /// Every version in `acked` is newer than those before it (acknowledged in version
    /// order, as usual): a read's judgement can stop early.
    ordered: bool,
    /// The last version handed to a write ([`ConsistencyLog::next_version`]).
    issued: Version,
    /// Bit i: `acked[i]` was already counted lost by a failover (the window is 64 long).
    lost: u64,
    /// Reads (0) and writes (1): the call time of the first failed operation since the last
    /// one that succeeded, while the key is unavailable for them.
    failing_since: [Option<u64>; 2],
}

/// A client's reads of one key, as monotonic reads need them: `newest` is the highest
/// version it read so far and when (ns) that read completed; `before` the highest version of
/// the reads completed before that one, and when. A read called at or after `newest.1` must
/// not return older than `newest.0`; one called between `before.1` and `newest.1` not older
/// than `before.0`.
#[derive(Clone, Copy, Debug, Default)]
struct ClientView {
    newest: (Version, u64),
    before: (Version, u64),
}

impl ClientView {
    /// The version a read called at `called` must not return older than.
    fn floor(&self, called: u64) -> Version {
        if self.newest.1 <= called {
            self.newest.0
        } else if self.before.1 <= called {
            self.before.0
        } else {
            0
        }
    }

    /// A read completed at `at` returning `version` (reads come in completion order).
    fn read(&mut self, version: Version, at: u64) {
        if version > self.newest.0 {
            self.before = self.newest;
            self.newest = (version, at);
        }
    }
}

/// A key whose operations are kept for the linearizability check.
#[derive(Clone, Debug, Default)]
struct Watched {
    ops: Vec<Operation>,
    /// Writes not yet acknowledged: version to index in `ops`.
    open: BTreeMap<Version, usize>,
    /// More than [`MAX_OPS`] operations came: the later ones were not kept.
    truncated: bool,
}

/// One key's linearizability verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVerdict {
    /// The key.
    pub key: Key,
    /// Operations checked.
    pub operations: usize,
    /// Whether operations beyond [`MAX_OPS`] were left out.
    pub truncated: bool,
    /// The operations, as checked (the verdict's indices point here).
    pub history: Vec<Operation>,
    /// The verdict, or why the history could not be checked.
    pub verdict: Result<Verdict, HistoryError>,
}

/// The consistency log of one run.
#[derive(Clone, Debug)]
pub struct ConsistencyLog {
    /// Looked up per operation, never iterated into an order-dependent result (a failover
    /// sums over it): hashed with fixed keys, so runs stay deterministic.
    keys: FixedHashMap<Key, KeyLog>,
    /// Per client, per key it read: one small map per client, so a map's growth copies one
    /// client's views, not everyone's (the peak memory of a resize stays small).
    clients: FixedHashMap<u32, FixedHashMap<Key, ClientView>>,
    watched: BTreeMap<Key, Watched>,
    /// Per key, reads (0) and writes (1): 1 + the latest call time (ns) of one that
    /// succeeded (0: none). Apart from the key logs: every operation updates it, and its
    /// small entries keep that cheap.
    succeeded: FixedHashMap<Key, [u64; 2]>,
    /// Keys × {read, write} with an unavailability window open: while none is, a success
    /// closes nothing.
    open_windows: usize,
    bins: VisibilityBins,
    report: ConsistencyReport,
}

/// The judgement so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsistencyReport {
    /// Acknowledged writes.
    pub writes: u64,
    /// Completed reads.
    pub reads: u64,
    /// Reads that returned an older version than the newest acknowledged when they were
    /// called.
    pub stale_reads: u64,
    /// `k_staleness[k]`: reads `k` versions behind (the last entry: [`WINDOW`] or more).
    pub k_staleness: Vec<u64>,
    /// Per t-visibility bin: (reads whose newest acknowledged write was that long before them,
    /// of which consistent).
    pub visibility: Vec<(u64, u64)>,
    /// The width of one `visibility` bin in nanoseconds.
    pub visibility_bin_ns: u64,
    /// Reads after the reader's own acknowledged write of the key that returned older.
    pub read_your_writes_violations: u64,
    /// Reads that returned an older version than the same client's previous read of the key.
    pub monotonic_read_violations: u64,
    /// Acknowledged writes newer than what the store finally held (see
    /// [`ConsistencyLog::final_version`]).
    pub lost_writes: u64,
}

impl ConsistencyReport {
    /// Stale reads over all reads; `None` before any read.
    pub fn stale_fraction(&self) -> Option<f64> {
        (self.reads > 0).then(|| self.stale_reads as f64 / self.reads as f64)
    }

    /// The t-visibility curve: per bin, its lower edge in nanoseconds and the fraction of its
    /// reads that were consistent (bins without reads are left out).
    pub fn visibility_curve(&self) -> Vec<(u64, f64)> {
        self.visibility
            .iter()
            .enumerate()
            .filter(|(_, (reads, _))| *reads > 0)
            .map(|(i, &(reads, consistent))| {
                (
                    i as u64 * self.visibility_bin_ns,
                    consistent as f64 / reads as f64,
                )
            })
            .collect()
    }
}

/// The judgement of one read (what [`ConsistencyLog::completed_read`] also adds to the
/// report), for a host that records it as metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadVerdict {
    /// It returned the newest version acknowledged when it was called, or a newer one.
    pub consistent: bool,
    /// Acknowledged versions newer than the one it returned (at most [`WINDOW`]).
    pub behind: usize,
    /// How long after the newest acknowledged write it was called, if one had been.
    pub age_ns: Option<u64>,
    /// It returned older than its reader's own acknowledged write of the key.
    pub read_your_writes_violated: bool,
    /// It returned older than its reader's previous read of the key.
    pub monotonic_violated: bool,
}

/// One run's consistency log, shared by every node that coordinates operations on the
/// store (clients and replicas alike): the history lives outside the nodes.
///
/// A run is single-threaded, so the lock is never contended; it keeps a built simulation
/// `Send`, as [`SharedPlacement`](crate::placement::SharedPlacement)'s does. With judging
/// off ([`SharedHistory::without_judging`]) it only issues versions: no history is kept and
/// no read judged, for runs that need the store but not its consistency metrics.
#[derive(Clone, Debug)]
pub struct SharedHistory {
    log: Arc<Mutex<ConsistencyLog>>,
    judging: bool,
}

impl SharedHistory {
    /// A fresh log whose report bins t-visibility by `bins`.
    pub fn new(bins: VisibilityBins) -> Self {
        SharedHistory {
            log: Arc::new(Mutex::new(ConsistencyLog::new(bins))),
            judging: true,
        }
    }

    /// A fresh log for one simulation run, its report's t-visibility in 100 bins of 1 ms
    /// (the run's metrics carry the curve at full resolution: `consistency.read_age`).
    pub fn for_run() -> Self {
        SharedHistory::new(VisibilityBins {
            bin_ns: 1_000_000,
            bins: 100,
        })
    }

    /// This log, issuing versions only: nothing is recorded or judged.
    pub fn without_judging(mut self) -> Self {
        self.judging = false;
        self
    }

    /// The log, locked.
    pub fn lock(&self) -> MutexGuard<'_, ConsistencyLog> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.log
            .lock()
            .expect("history lock poisoned by an earlier panic")
    }

    /// `client` starts writing `key` at `call` (ns): the write's version (recorded for a
    /// watched key).
    pub fn start_write(&self, client: u32, key: Key, call: u64) -> Version {
        let mut log = self.lock();
        let version = log.next_version(key);
        if self.judging {
            log.write_invoked(client, key, version, call);
        }
        version
    }

    /// `client`'s write of `version` to `key` was acknowledged at `at` (ns); `false` when not
    /// judging (nothing recorded).
    pub fn acknowledge(&self, client: u32, key: Key, version: Version, at: u64) -> bool {
        if self.judging {
            self.lock().acknowledged_write(client, key, version, at);
        }
        self.judging
    }

    /// An operation on `key` called at `called` (ns) missed its quorum (see
    /// [`ConsistencyLog::operation_failed`]).
    pub fn operation_failed(&self, key: Key, write: bool, called: u64) {
        self.lock().operation_failed(key, write, called);
    }

    /// An operation on `key` called at `called` (ns) reached its quorum: the length of the
    /// unavailability window it ends, if any (see [`ConsistencyLog::operation_succeeded`]).
    pub fn operation_succeeded(&self, key: Key, write: bool, called: u64) -> Option<u64> {
        self.lock().operation_succeeded(key, write, called)
    }

    /// `client`'s read of `key`, called at `called` and answered at `answered` (ns) with
    /// `version`: its verdict (recorded for a watched key), or `None` when not judging.
    pub fn read(
        &self,
        client: u32,
        key: Key,
        called: u64,
        answered: u64,
        version: Version,
    ) -> Option<ReadVerdict> {
        if !self.judging {
            return None;
        }
        let mut log = self.lock();
        let verdict = log.completed_read(client, key, called, answered, version);
        log.read_observed(client, key, called, answered, version);
        Some(verdict)
    }
}

impl ConsistencyLog {
    /// An empty log whose t-visibility samples go into `bins`.
    ///
    /// # Panics
    ///
    /// If `bins` has zero width or no bins (the scenario layer validates both).
    pub fn new(bins: VisibilityBins) -> ConsistencyLog {
        assert!(bins.bin_ns > 0 && bins.bins > 0, "empty visibility bins");
        ConsistencyLog {
            keys: FixedHashMap::default(),
            clients: FixedHashMap::default(),
            watched: BTreeMap::new(),
            succeeded: FixedHashMap::default(),
            open_windows: 0,
            bins,
            report: ConsistencyReport {
                k_staleness: vec![0; WINDOW + 1],
                visibility: vec![(0, 0); bins.bins],
                visibility_bin_ns: bins.bin_ns,
                ..ConsistencyReport::default()
            },
        }
    }

    /// `client`'s write of `version` to `key` was acknowledged at `at` (ns). Calls come in
    /// time order, as the simulation makes them.
    pub fn acknowledged_write(&mut self, client: u32, key: Key, version: Version, at: u64) {
        self.report.writes += 1;
        let log = self.keys.entry(key).or_default();
        debug_assert!(log.acked.back().is_none_or(|a| a.at <= at));
        if log.acked.is_empty() {
            log.ordered = true;
        }
        if log.acked.len() == WINDOW {
            log.acked.pop_front();
            log.lost >>= 1;
        }
        log.ordered &= log.acked.back().is_none_or(|a| a.version < version);
        let acked = Acked {
            version,
            at,
            writer: client,
        };
        log.acked.push_back(acked);
        log.last = Some(acked);
        if let Some(w) = self.watched.get_mut(&key) {
            if let Some(i) = w.open.remove(&version) {
                w.ops[i].ret = Some(at);
            }
        }
    }

    /// Keeps every operation on `key` (up to [`MAX_OPS`]) for [`ConsistencyLog::linearizability`].
    pub fn watch(&mut self, key: Key) {
        self.watched.entry(key).or_default();
    }

    /// `client` started writing `version` of `key` at `call` (ns): recorded for a watched key,
    /// open until [`ConsistencyLog::acknowledged_write`] closes it (a write never
    /// acknowledged may have taken effect or not).
    pub fn write_invoked(&mut self, client: u32, key: Key, version: Version, call: u64) {
        let Some(w) = self.watched.get_mut(&key) else {
            return;
        };
        if w.ops.len() == MAX_OPS {
            w.truncated = true;
            return;
        }
        w.open.insert(version, w.ops.len());
        w.ops.push(Operation {
            client,
            call,
            ret: None,
            op: RegisterOp::Write(version),
        });
    }

    /// `client`'s read of `key`, called at `call` and answered at `ret` (ns) with `version`:
    /// recorded for a watched key.
    pub fn read_observed(&mut self, client: u32, key: Key, call: u64, ret: u64, version: Version) {
        let Some(w) = self.watched.get_mut(&key) else {
            return;
        };
        if w.ops.len() == MAX_OPS {
            w.truncated = true;
            return;
        }
        w.ops.push(Operation {
            client,
            call,
            ret: Some(ret),
            op: RegisterOp::Read((version > 0).then_some(version)),
        });
    }

    /// Checks every watched key's history for linearizability, each within `budget` explored
    /// states. A truncated history is checked without the reads of writes it left out. A
    /// write that was never answered and whose value no read returned is left out too: it may
    /// never have taken effect, and a linearization with it exists exactly when one without
    /// it does (every read after it in such an order returns a later write's value), so
    /// dropping it changes no verdict and spares the search its placements.
    pub fn linearizability(&self, budget: u64) -> Vec<KeyVerdict> {
        use std::collections::BTreeSet;
        self.watched
            .iter()
            .map(|(key, w)| {
                let mut history = w.ops.clone();
                if w.truncated {
                    let written: BTreeSet<u64> = history
                        .iter()
                        .filter_map(|o| match o.op {
                            RegisterOp::Write(v) => Some(v),
                            RegisterOp::Read(_) => None,
                        })
                        .collect();
                    history.retain(|o| match o.op {
                        RegisterOp::Read(Some(v)) => written.contains(&v),
                        _ => true,
                    });
                }
                let read: BTreeSet<u64> = history
                    .iter()
                    .filter_map(|o| match o.op {
                        RegisterOp::Read(Some(v)) => Some(v),
                        _ => None,
                    })
                    .collect();
                history.retain(|o| match o.op {
                    RegisterOp::Write(v) => o.ret.is_some() || read.contains(&v),
                    RegisterOp::Read(_) => true,
                });
                KeyVerdict {
                    key: *key,
                    operations: history.len(),
                    truncated: w.truncated,
                    verdict: check_register(&history, budget),
                    history,
                }
            })
            .collect()
    }

    /// An operation on `key` (a write if `write`) called at `called` (ns) failed to reach
    /// its quorum: unless the key already was, it is unavailable for such operations from
    /// then — unless an operation called later already succeeded (a failure learnt late, at
    /// a timeout, after the key was available again, opens no window).
    pub fn operation_failed(&mut self, key: Key, write: bool, called: u64) {
        let op = usize::from(write);
        if self
            .succeeded
            .get(&key)
            .is_some_and(|at| at[op] > called + 1)
        {
            return;
        }
        let since = &mut self.keys.entry(key).or_default().failing_since[op];
        if since.is_none() {
            *since = Some(called);
            self.open_windows += 1;
        }
    }

    /// An operation on `key` called at `called` (ns) succeeded: if the key was unavailable
    /// for such operations since before that call, the window ends, and its length (ns) is
    /// returned.
    pub fn operation_succeeded(&mut self, key: Key, write: bool, called: u64) -> Option<u64> {
        let op = usize::from(write);
        let at = &mut self.succeeded.entry(key).or_default()[op];
        *at = (*at).max(called + 1);
        if self.open_windows == 0 {
            return None;
        }
        let since = &mut self.keys.get_mut(&key)?.failing_since[op];
        match *since {
            Some(start) if start <= called => {
                *since = None;
                self.open_windows -= 1;
                Some(called - start)
            }
            _ => None,
        }
    }

    /// The version a write of `key` starting now gets: one above the last one issued, so
    /// versions follow the order writes start in (a perfectly synchronised clock).
    pub fn next_version(&mut self, key: Key) -> Version {
        let log = self.keys.entry(key).or_default();
        log.issued += 1;
        log.issued
    }

    /// `client`'s read of `key`, called at `called` and completed at `answered` (ns), returned
    /// `version` (0: nothing); returns the judgement of this one read. Calls come in
    /// completion order, as the simulation makes them.
    pub fn completed_read(
        &mut self,
        client: u32,
        key: Key,
        called: u64,
        answered: u64,
        version: Version,
    ) -> ReadVerdict {
        let report = &mut self.report;
        report.reads += 1;
        // The acknowledged versions as the read's call saw them (later ones are concurrent
        // with it): the newest, when, and how many newer than what it returned.
        // Read-your-writes: one of them is the reader's own.
        let (mut newest, mut newest_at, mut newer, mut own_newer) = (0, None, 0usize, false);
        let log = self.keys.get(&key);
        let acked = log.map(|log| &log.acked);
        let newest_entry = log.and_then(|log| log.last);
        if let (true, Some(last)) = (log.is_some_and(|log| log.ordered), newest_entry) {
            if last.at <= called && last.version <= version {
                // The common case, without walking the window: the read returned the newest
                // version acknowledged by its call (or a newer one).
                (newest, newest_at) = (last.version, Some(last.at));
            }
        }
        if newest_at.is_some() {
            // Judged above.
        } else if log.is_some_and(|log| log.ordered) {
            // Versions rise with acknowledgement order: walk back from the newest
            // acknowledged by the call, counting those newer than the one returned.
            let seen = acked.into_iter().flatten().rev().filter(|a| a.at <= called);
            for a in seen {
                if newest_at.is_none() {
                    (newest, newest_at) = (a.version, Some(a.at));
                }
                if a.version <= version {
                    break;
                }
                newer += 1;
                own_newer |= a.writer == client;
            }
        } else {
            for a in acked.into_iter().flatten().filter(|a| a.at <= called) {
                if a.version > newest {
                    (newest, newest_at) = (a.version, Some(a.at));
                }
                if a.version > version {
                    newer += 1;
                    own_newer |= a.writer == client;
                }
            }
        }
        let consistent = version >= newest;
        if !consistent {
            report.stale_reads += 1;
        }
        let behind = newer.min(WINDOW);
        report.k_staleness[behind] += 1;
        let age_ns = newest_at.map(|at| called - at);
        if let Some(age) = age_ns {
            let bin = (age / self.bins.bin_ns).min(self.bins.bins as u64 - 1) as usize;
            let (reads, ok) = &mut report.visibility[bin];
            *reads += 1;
            *ok += u64::from(consistent);
        }
        let view = self
            .clients
            .entry(client)
            .or_default()
            .entry(key)
            .or_default();
        let read_your_writes_violated = own_newer;
        let monotonic_violated = version < view.floor(called);
        report.read_your_writes_violations += u64::from(read_your_writes_violated);
        report.monotonic_read_violations += u64::from(monotonic_violated);
        view.read(version, answered);
        ReadVerdict {
            consistent,
            behind,
            age_ns,
            read_your_writes_violated,
            monotonic_violated,
        }
    }

    /// The store finally held `version` of `key` (at the end of the run, or after its last
    /// failover): the acknowledged writes newer than it, within the window, are lost.
    pub fn final_version(&mut self, key: Key, version: Version) {
        if let Some(log) = self.keys.get(&key) {
            self.report.lost_writes +=
                log.acked.iter().filter(|a| a.version > version).count() as u64;
        }
    }

    /// A failover made the replica holding `held(key)` of every key the store's truth: the
    /// acknowledged writes newer than that, within the window, are lost. Returns how many
    /// were lost now; a write is counted lost once, however many failovers miss it.
    pub fn lose_unreplicated(&mut self, held: impl Fn(Key) -> Version) -> u64 {
        let mut lost = 0;
        for (key, log) in &mut self.keys {
            let kept = held(*key);
            for (i, a) in log.acked.iter().enumerate() {
                if a.version > kept && log.lost & (1 << i) == 0 {
                    log.lost |= 1 << i;
                    lost += 1;
                }
            }
        }
        self.report.lost_writes += lost;
        lost
    }

    /// The judgement so far.
    pub fn report(&self) -> &ConsistencyReport {
        &self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use sim_core::rng::{stream, StreamKind, StreamLabel};

    const BINS: VisibilityBins = VisibilityBins {
        bin_ns: 10,
        bins: 4,
    };

    // Goal: each definition on a hand-made history: a read concurrent with a write is not
    // stale, one called after the acknowledgement is; k counts the newer acknowledged
    // versions; a client's own write and its previous reads bind it; lost writes are those
    // newer than what the store kept.
    #[test]
    fn definitions_on_a_small_history() {
        let mut log = ConsistencyLog::new(BINS);
        log.completed_read(1, 7, 0, 1, 0); // Nothing written yet: consistent.
        log.acknowledged_write(0, 7, 1, 10);
        log.completed_read(1, 7, 5, 6, 0); // Called before the ack: concurrent, consistent.
        log.completed_read(1, 7, 12, 13, 0); // Called 2 ns after the ack: stale by 1.
        log.acknowledged_write(0, 7, 2, 20);
        log.acknowledged_write(0, 7, 3, 30);
        log.completed_read(1, 7, 31, 32, 1); // 2 versions behind.
        log.completed_read(1, 7, 45, 46, 3); // Consistent, 15 ns after.
        log.completed_read(1, 7, 50, 51, 2); // Stale by 1, and older than this client's last read.
        log.completed_read(0, 7, 60, 61, 2); // The writer reads below its own version 3.
        let r = log.report();
        assert_eq!((r.reads, r.writes, r.stale_reads), (7, 3, 4));
        assert_eq!(&r.k_staleness[..3], &[3, 3, 1]);
        assert_eq!(r.stale_fraction(), Some(4.0 / 7.0));
        assert_eq!(r.monotonic_read_violations, 1);
        assert_eq!(r.read_your_writes_violations, 1);
        // t-visibility: reads at 2 ns (stale), 1 ns (stale), 15 ns (ok), 20 ns (stale), 30 ns
        // (stale) after their newest acknowledged write; bins of 10 ns, the last open.
        assert_eq!(r.visibility, vec![(2, 0), (1, 1), (1, 0), (1, 0)]);
        assert_eq!(
            r.visibility_curve(),
            vec![(0, 0.0), (10, 1.0), (20, 0.0), (30, 0.0)]
        );
        log.final_version(7, 1);
        assert_eq!(log.report().lost_writes, 2);
    }

    // Goal: the session guarantees hold in real time: a client's own write acknowledged
    // while its read was in flight, or its earlier read that completed while this one was in
    // flight, does not bind this read; once completed before the call, they do.
    #[test]
    fn session_guarantees_ignore_concurrent_operations() {
        let mut log = ConsistencyLog::new(BINS);
        log.acknowledged_write(0, 7, 1, 10);
        // Client 1's reads of key 7 overlap: one called at 20 returns version 1 at 30; one
        // called at 25 (before 30) returns 0 at 35 (stale, but not a monotonic violation).
        let a = log.completed_read(1, 7, 20, 30, 1);
        let b = log.completed_read(1, 7, 25, 35, 0);
        assert!(!a.monotonic_violated && !b.monotonic_violated && !b.consistent);
        // Called at 31, after the first completed: a violation.
        assert!(log.completed_read(1, 7, 31, 40, 0).monotonic_violated);
        // Client 0 writes version 2, acknowledged at 50; its read called at 45 returning 1
        // is concurrent with the write; one called at 55 returning 1 violates.
        log.acknowledged_write(0, 7, 2, 50);
        assert!(
            !log.completed_read(0, 7, 45, 60, 1)
                .read_your_writes_violated
        );
        assert!(
            log.completed_read(0, 7, 55, 65, 1)
                .read_your_writes_violated
        );
        // Another client's write does not bind client 1: stale, but no violation.
        let c = log.completed_read(1, 7, 70, 75, 1);
        assert!(!c.consistent && !c.read_your_writes_violated);
        // Two newer reads by client 1 complete during a long read: its floor is the older of
        // them once it is past it; before both, it is not known (the documented bound: the
        // read called at 76 returning 0 is older than the read completed at 30, but is not
        // counted).
        log.acknowledged_write(2, 7, 3, 80);
        log.completed_read(1, 7, 81, 90, 2);
        log.completed_read(1, 7, 82, 95, 3);
        assert!(log.completed_read(1, 7, 92, 100, 1).monotonic_violated);
        assert!(!log.completed_read(1, 7, 76, 101, 0).monotonic_violated);
        let r = log.report();
        assert_eq!(
            (r.monotonic_read_violations, r.read_your_writes_violations),
            (2, 1)
        );
    }

    // Goal: the watched keys' histories go to the checker as clients saw them: an answered
    // write closes at its acknowledgement, an unanswered one stays open and is left out
    // unless a read saw its value, and a stale read after an acknowledged write is caught.
    #[test]
    fn watched_histories_are_checked() {
        let mut log = ConsistencyLog::new(BINS);
        log.watch(1);
        log.write_invoked(0, 1, 1, 0);
        log.acknowledged_write(0, 1, 1, 10);
        log.write_invoked(0, 1, 2, 20); // Never answered, never read: left out.
        log.write_invoked(0, 1, 3, 25); // Never answered, but read: kept.
        log.read_observed(1, 1, 30, 35, 3);
        log.write_invoked(0, 2, 1, 0); // Not watched.
        let verdicts = log.linearizability(1_000);
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].operations, 3);
        assert!(matches!(
            verdicts[0].verdict,
            Ok(Verdict::Linearizable { .. })
        ));
        // Reading version 1 after version 3 was seen is stale.
        log.read_observed(1, 1, 40, 45, 1);
        let verdicts = log.linearizability(1_000);
        assert!(matches!(
            verdicts[0].verdict,
            Ok(Verdict::NotLinearizable { .. })
        ));
    }

    // Goal: an unavailability window runs from the first failed operation's call to the call
    // of the next one that succeeds; an operation called before the window began does not end
    // it, and reads and writes have windows of their own.
    #[test]
    fn unavailability_windows() {
        let mut log = ConsistencyLog::new(BINS);
        assert_eq!(log.operation_succeeded(1, true, 5), None);
        log.operation_failed(1, true, 100);
        log.operation_failed(1, true, 150);
        log.operation_failed(1, false, 120);
        assert_eq!(log.operation_succeeded(1, true, 90), None);
        assert_eq!(log.operation_succeeded(1, true, 400), Some(300));
        assert_eq!(log.operation_succeeded(1, true, 500), None);
        assert_eq!(log.operation_succeeded(1, false, 130), Some(10));
        // A failure learnt late (at a timeout) of a call before the last success opens no
        // window; one of a later call does.
        log.operation_failed(1, true, 450);
        assert_eq!(log.operation_succeeded(1, true, 600), None);
        log.operation_failed(1, true, 650);
        assert_eq!(log.operation_succeeded(1, true, 700), Some(50));
    }

    // Goal: a failover loses exactly the acknowledged versions newer than what the promoted
    // replica held, each counted once across failovers.
    #[test]
    fn failovers_count_each_lost_write_once() {
        let mut log = ConsistencyLog::new(BINS);
        for v in 1..=5 {
            log.acknowledged_write(0, 1, v, v * 10);
        }
        log.acknowledged_write(0, 2, 1, 60);
        assert_eq!(log.lose_unreplicated(|key| if key == 1 { 3 } else { 1 }), 2);
        // A second failover to a replica just as far behind loses nothing new.
        assert_eq!(log.lose_unreplicated(|key| if key == 1 { 3 } else { 1 }), 0);
        // Then one back to nothing: key 1's versions 1 to 3 and 6 and key 2's version 1 are
        // lost now (4 and 5 were already counted).
        log.acknowledged_write(0, 1, 6, 70);
        assert_eq!(log.lose_unreplicated(|_| 0), 5);
        assert_eq!(log.report().lost_writes, 7);
    }

    // Goal: a read's judgement is the definition's, whether the key's versions were
    // acknowledged in version order (the fast backward walk) or not. Method: random
    // histories of up to 40 acknowledgements (so nothing leaves the window), each either in
    // version order or with versions shuffled, and random reads; each verdict is compared
    // with the definition computed by brute force over every acknowledgement.
    #[test]
    fn judgement_matches_the_definition_in_any_order() {
        let mut rng = stream(3, StreamLabel::new(StreamKind::Engine, 14));
        for trial in 0..300 {
            let mut log = ConsistencyLog::new(BINS);
            let n = rng.random_range(1..40u64);
            let mut versions: Vec<u64> = (1..=n).collect();
            if trial % 2 == 1 {
                for i in (1..versions.len()).rev() {
                    versions.swap(i, rng.random_range(0..=i));
                }
            }
            let acks: Vec<(u64, u64)> = versions
                .iter()
                .enumerate()
                .map(|(i, v)| (*v, 10 * i as u64))
                .collect();
            for &(v, t) in &acks {
                log.acknowledged_write(0, 1, v, t);
            }
            for _ in 0..20 {
                let called = rng.random_range(0..10 * n + 10);
                let returned = rng.random_range(0..=n);
                let seen: Vec<&(u64, u64)> = acks.iter().filter(|(_, t)| *t <= called).collect();
                let newest = seen.iter().map(|(v, _)| *v).max().unwrap_or(0);
                let newest_at = seen.iter().find(|(v, _)| *v == newest).map(|(_, t)| *t);
                let newer = seen.iter().filter(|(v, _)| *v > returned).count();
                let verdict = log.completed_read(9, 1, called, called, returned);
                assert_eq!(verdict.consistent, returned >= newest, "trial {trial}");
                assert_eq!(verdict.behind, newer, "trial {trial}");
                assert_eq!(
                    verdict.age_ns,
                    newest_at.map(|t| called - t),
                    "trial {trial}"
                );
            }
        }
    }

    // Goal: the window bounds memory and saturates k; a key never written reads as fresh.
    #[test]
    fn the_window_bounds_what_is_kept() {
        let mut log = ConsistencyLog::new(BINS);
        for v in 1..=(WINDOW as u64 + 10) {
            log.acknowledged_write(0, 1, v, v);
        }
        assert_eq!(log.keys[&1].acked.len(), WINDOW);
        log.completed_read(1, 1, 1_000, 1_001, 0);
        assert_eq!(log.report().k_staleness[WINDOW], 1);
        log.completed_read(1, 2, 1_000, 1_001, 0);
        assert_eq!(log.report().stale_reads, 1);
    }

    // Goal: k-staleness as PBS gives it in closed form. Method: Bailis et al. (VLDB 2012),
    // section 3: with N replicas, writes to W random replicas that never spread, and reads
    // from R random replicas returning the newest version among them, a read misses each of
    // the last k writes independently with q = C(N-W, R) / C(N, R), so P(k-staleness >= k) =
    // q^k. For N=3, R=W=1, q = 2/3. A synthetic history of such reads (one write, then one
    // read, repeated) goes through the log; the observed P(staleness >= k) for k = 1, 2, 3 must
    // lie within 5 binomial standard errors of q^k over the reads.
    #[test]
    fn k_staleness_matches_the_pbs_closed_form() {
        const N: usize = 3;
        const READS: u64 = 200_000;
        let mut rng = stream(1, StreamLabel::new(StreamKind::Engine, 13));
        let mut log = ConsistencyLog::new(BINS);
        let mut replicas = [0 as Version; N];
        for i in 0..READS {
            let version = i + 1;
            let t = 10 * i;
            replicas[rng.random_range(0..N)] = version;
            log.acknowledged_write(0, 1, version, t);
            let seen = replicas[rng.random_range(0..N)];
            log.completed_read(1, 1, t + 5, t + 6, seen);
        }
        let r = log.report();
        let q = 2.0 / 3.0;
        for k in 1..=3usize {
            let at_least: u64 = r.k_staleness[k..].iter().sum();
            let observed = at_least as f64 / READS as f64;
            let expected = f64::powi(q, k as i32);
            let se = (expected * (1.0 - expected) / READS as f64).sqrt();
            assert!(
                (observed - expected).abs() <= 5.0 * se,
                "k={k}: observed {observed:.5}, expected {expected:.5} ± {:.5}",
                5.0 * se
            );
        }
    }
}
