//! Linearizability of a single register's history: did the operations clients saw behave as
//! if each took effect at one instant between its call and its return?
//!
//! The search is Wing and Gong's ("Testing and verifying concurrent objects", JPDC 17, 1993)
//! with Lowe's memoisation ("Testing for linearizability", Concurrency and Computation 29(4),
//! 2017), as Porcupine (Athalye, 2017) implements it: the calls and returns in time order form
//! a linked list; the search walks it, *linearizing* a call (applying its operation to the
//! register) when the operation is legal in the current state, removing the call and its
//! return from the list, and starting again from the front; reaching a return whose call is
//! not linearized means the order so far cannot be completed, so it backtracks. A cache of
//! (set of linearized operations, register value) pairs already explored prunes the repeats
//! that make the plain search exponential.
//!
//! Conventions: an operation's interval is closed; calls at the same instant as a return sort
//! before it, so operations that touch are concurrent. An operation that never returned (a
//! client timed out, or the run ended first) may have taken effect at any point after its call,
//! or never: a read of it constrains nothing and is left out, a write is given a return after
//! every other event (taking effect last is the same as never, as no read follows).
//!
//! The search is exponential in the worst case (the problem is NP-complete, Gibbons and
//! Korach 1997), so it is bounded: at most [`MAX_OPS`] operations per history, and a budget of
//! explored states after which the verdict is [`Verdict::Unknown`].

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

/// Most operations one history may hold (the linearized set is a bitset of this many bits).
pub const MAX_OPS: usize = 4_096;

/// What a run's linearizability check (`[report] linearizability`) records, once, after the
/// run.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[
        sim_core::MetricDecl::counter(
            "linearizability.keys_checked",
            sim_core::metrics::Direction::Neutral,
            "keys whose history was checked for linearizability after the run",
        ),
        sim_core::MetricDecl::counter(
            "linearizability.violations",
            sim_core::metrics::Direction::HigherIsWorse,
            "checked keys whose history is not linearizable",
        ),
        sim_core::MetricDecl::counter(
            "linearizability.undecided",
            sim_core::metrics::Direction::HigherIsWorse,
            "checked keys the search could not decide within its budget (or could not check)",
        ),
    ],
    derived: &[],
    curves: &[],
};

/// What an operation did to the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// Wrote this value.
    Write(u64),
    /// Read this value (`None`: the register's initial, never-written state).
    Read(Option<u64>),
}

/// One client operation: when it was called and returned (nanoseconds), and what it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The client that issued it (for reports).
    pub client: u32,
    /// When the client issued it.
    pub call: u64,
    /// When the client saw it complete; `None` if it never did.
    pub ret: Option<u64>,
    /// The operation and, for a read, what it returned.
    pub op: RegisterOp,
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Linearizable: `order` lists the operations (indices into the history) in an order that
    /// respects real time and register semantics; reads that never returned are not in it.
    Linearizable {
        /// A witness order.
        order: Vec<usize>,
    },
    /// Not linearizable. `prefix` is the longest order the search could build (indices into
    /// the history) and `stuck` the operation whose return it could not get past: no legal
    /// placement of the operations called before that return exists.
    NotLinearizable {
        /// The longest legal prefix found.
        prefix: Vec<usize>,
        /// The operation that returned before the search could place it.
        stuck: usize,
    },
    /// The search explored `explored` states without an answer (the budget).
    Unknown {
        /// States explored.
        explored: u64,
    },
}

/// A history that cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// More operations than [`MAX_OPS`].
    #[error("the history holds {ops} operations; at most {MAX_OPS} can be checked at once")]
    TooLong {
        /// Operations in the history.
        ops: usize,
    },
    /// An operation returned before it was called.
    #[error("operation {index} returns at {ret} ns, before its call at {call} ns")]
    ReturnBeforeCall {
        /// The operation's index.
        index: usize,
        /// Its call time.
        call: u64,
        /// Its return time.
        ret: u64,
    },
}

/// One call or return in the time-ordered list.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The operation (index into the history).
    op: usize,
    /// Whether this is the operation's call (else its return).
    call: bool,
}

/// The search's list: entries in time order, linked so that a linearized operation's call and
/// return can be taken out and put back in O(1) (`NONE` ends a link). Link position
/// `entries.len()` is the sentinel before the first entry.
struct Links {
    entries: Vec<Entry>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// `ret_of[op]`: the position of operation `op`'s return entry.
    ret_of: Vec<usize>,
}

const NONE: usize = usize::MAX;

impl Links {
    /// The entries of `ops` (the history indices to check) in time order.
    fn new(history: &[Operation], ops: &[usize]) -> Links {
        let mut timed: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
        for &op in ops {
            let o = &history[op];
            // Calls sort before returns at the same instant (`false < true`).
            timed.push((o.call, false, op));
            timed.push((o.ret.unwrap_or(u64::MAX), true, op));
        }
        // Ties between two calls (or two returns) at one instant go by history index.
        timed.sort_unstable();
        let n = timed.len();
        let entries: Vec<Entry> = timed
            .iter()
            .map(|&(_, is_return, op)| Entry {
                op,
                call: !is_return,
            })
            .collect();
        let mut ret_of = vec![NONE; history.len()];
        for (at, e) in entries.iter().enumerate() {
            if !e.call {
                ret_of[e.op] = at;
            }
        }
        // Entry i links to i + 1, the last to nothing; the sentinel (n) to the first.
        let mut next: Vec<usize> = (1..=n).map(|j| if j < n { j } else { NONE }).collect();
        next.push(if n > 0 { 0 } else { NONE });
        let prev = (0..=n).map(|i| if i == 0 { n } else { i - 1 }).collect();
        Links {
            entries,
            next,
            prev,
            ret_of,
        }
    }

    /// The first entry in the list, if any.
    fn first(&self) -> usize {
        self.next[self.entries.len()]
    }

    fn unlink(&mut self, at: usize) {
        let (p, n) = (self.prev[at], self.next[at]);
        self.next[p] = n;
        if n != NONE {
            self.prev[n] = p;
        }
    }

    fn relink(&mut self, at: usize) {
        let (p, n) = (self.prev[at], self.next[at]);
        self.next[p] = at;
        if n != NONE {
            self.prev[n] = at;
        }
    }

    /// Takes the call at `at` and its operation's return out of the list.
    fn lift(&mut self, at: usize) {
        let ret = self.ret_of[self.entries[at].op];
        self.unlink(at);
        self.unlink(ret);
    }

    /// Puts back what [`Links::lift`] took out (in the reverse order).
    fn unlift(&mut self, at: usize) {
        let ret = self.ret_of[self.entries[at].op];
        self.relink(ret);
        self.relink(at);
    }
}

/// Whether `o` takes part in the check: a read that never returned constrains nothing.
fn constrains(o: &Operation) -> bool {
    o.ret.is_some() || matches!(o.op, RegisterOp::Write(_))
}

/// The register's value: `None` until first written.
type State = Option<u64>;

/// Applies `op` to `state`: the new state if the operation is legal there.
fn step(state: State, op: RegisterOp) -> Option<State> {
    match op {
        RegisterOp::Write(value) => Some(Some(value)),
        RegisterOp::Read(seen) => (seen == state).then_some(state),
    }
}

/// Checks whether `history` (one register, initially unwritten) is linearizable, exploring
/// at most `budget` states.
///
/// ```
/// use models::replication::linearizability::{check_register, Operation, RegisterOp, Verdict};
/// // A write of 1 completes at 10 ns; a read called at 20 ns still sees the initial state.
/// let history = [
///     Operation { client: 0, call: 0, ret: Some(10), op: RegisterOp::Write(1) },
///     Operation { client: 1, call: 20, ret: Some(30), op: RegisterOp::Read(None) },
/// ];
/// let verdict = check_register(&history, 1_000_000).unwrap();
/// assert_eq!(verdict, Verdict::NotLinearizable { prefix: vec![0], stuck: 1 });
/// ```
pub fn check_register(history: &[Operation], budget: u64) -> Result<Verdict, HistoryError> {
    if history.len() > MAX_OPS {
        return Err(HistoryError::TooLong { ops: history.len() });
    }
    for (index, o) in history.iter().enumerate() {
        if let Some(ret) = o.ret {
            if ret < o.call {
                return Err(HistoryError::ReturnBeforeCall {
                    index,
                    call: o.call,
                    ret,
                });
            }
        }
    }
    let ops: Vec<usize> = (0..history.len())
        .filter(|&i| constrains(&history[i]))
        .collect();
    let mut links = Links::new(history, &ops);
    let words = history.len().div_ceil(64);
    let mut linearized = vec![0u64; words];
    // SipHash with fixed keys: the cache is only asked membership, and its hashing is the same
    // on every run.
    let mut seen: HashSet<(Vec<u64>, State), BuildHasherDefault<std::hash::DefaultHasher>> =
        HashSet::default();
    // (position of the linearized call, the state before it)
    let mut stack: Vec<(usize, State)> = Vec::new();
    let mut state: State = None;
    // The longest prefix the search built before a return stopped it, and that return's op.
    let mut deepest: Option<(Vec<usize>, usize)> = None;
    let mut explored = 0u64;
    let mut at = links.first();
    loop {
        if at == NONE {
            // Everything linearized.
            let order = stack.iter().map(|&(a, _)| links.entries[a].op).collect();
            return Ok(Verdict::Linearizable { order });
        }
        let entry = links.entries[at];
        if entry.call {
            let op = entry.op;
            if let Some(next_state) = step(state, history[op].op) {
                linearized[op / 64] |= 1 << (op % 64);
                explored += 1;
                if explored > budget {
                    return Ok(Verdict::Unknown { explored: budget });
                }
                if seen.insert((linearized.clone(), next_state)) {
                    stack.push((at, state));
                    state = next_state;
                    links.lift(at);
                    at = links.first();
                    continue;
                }
                linearized[op / 64] &= !(1 << (op % 64));
            }
            at = links.next[at];
        } else {
            // A return whose call is not linearized: this order cannot be completed.
            if deepest
                .as_ref()
                .is_none_or(|(prefix, _)| stack.len() > prefix.len())
            {
                let prefix = stack.iter().map(|&(a, _)| links.entries[a].op).collect();
                deepest = Some((prefix, entry.op));
            }
            let Some((call_at, before)) = stack.pop() else {
                let (prefix, stuck) = deepest.expect("a return was just reached");
                return Ok(Verdict::NotLinearizable { prefix, stuck });
            };
            let op = links.entries[call_at].op;
            linearized[op / 64] &= !(1 << (op % 64));
            state = before;
            links.unlift(call_at);
            at = links.next[call_at];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn op(client: u32, call: u64, ret: Option<u64>, op: RegisterOp) -> Operation {
        Operation {
            client,
            call,
            ret,
            op,
        }
    }
    use RegisterOp::{Read, Write};

    fn verdict(history: &[Operation]) -> Verdict {
        check_register(history, 10_000_000).expect("a valid history")
    }

    /// Whether `order` is a legal witness: every operation (but reads that never returned)
    /// once, each after every operation that returned before it was called, and every read
    /// seeing the value of the latest write before it.
    fn is_witness(history: &[Operation], order: &[usize]) -> bool {
        let mut expected: Vec<usize> = (0..history.len())
            .filter(|&i| constrains(&history[i]))
            .collect();
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        expected.sort_unstable();
        if sorted != expected {
            return false;
        }
        let mut state = None;
        for (k, &i) in order.iter().enumerate() {
            // Nothing later in the order may have returned before this one was called.
            if order[k + 1..]
                .iter()
                .any(|&j| history[j].ret.is_some_and(|r| r < history[i].call))
            {
                return false;
            }
            match step(state, history[i].op) {
                Some(next) => state = next,
                None => return false,
            }
        }
        true
    }

    /// The exhaustive answer: whether any permutation of the operations is a witness.
    fn brute_force(history: &[Operation]) -> bool {
        fn extend(history: &[Operation], order: &mut Vec<usize>, left: &mut Vec<usize>) -> bool {
            if left.is_empty() {
                return is_witness(history, order);
            }
            for k in 0..left.len() {
                let i = left.remove(k);
                order.push(i);
                if extend(history, order, left) {
                    return true;
                }
                order.pop();
                left.insert(k, i);
            }
            false
        }
        let mut left: Vec<usize> = (0..history.len())
            .filter(|&i| constrains(&history[i]))
            .collect();
        extend(history, &mut Vec::new(), &mut left)
    }

    // Goal: the textbook cases. A read after a completed write sees it; concurrent operations
    // may go either way; a value once read cannot be unread; a write never acknowledged may
    // have happened or not.
    #[test]
    fn textbook_histories() {
        let sequential = [
            op(0, 0, Some(10), Write(1)),
            op(1, 20, Some(30), Read(Some(1))),
        ];
        assert!(matches!(verdict(&sequential), Verdict::Linearizable { .. }));
        let stale = [
            op(0, 0, Some(10), Write(1)),
            op(1, 20, Some(30), Read(None)),
        ];
        assert_eq!(
            verdict(&stale),
            Verdict::NotLinearizable {
                prefix: vec![0],
                stuck: 1
            }
        );
        for seen in [None, Some(1)] {
            let concurrent = [op(0, 0, Some(10), Write(1)), op(1, 5, Some(15), Read(seen))];
            assert!(matches!(verdict(&concurrent), Verdict::Linearizable { .. }));
        }
        // Touching intervals are concurrent.
        let touching = [
            op(0, 0, Some(10), Write(1)),
            op(1, 10, Some(20), Read(None)),
        ];
        assert!(matches!(verdict(&touching), Verdict::Linearizable { .. }));
        // Two writes in sequence, then a read of the first: lost update.
        let lost = [
            op(0, 0, Some(10), Write(1)),
            op(0, 20, Some(30), Write(2)),
            op(1, 40, Some(50), Read(Some(1))),
        ];
        assert!(matches!(
            verdict(&lost),
            Verdict::NotLinearizable { stuck: 2, .. }
        ));
        // A write that never returned: read before it took effect, then after.
        let pending_seen = [
            op(0, 0, None, Write(1)),
            op(1, 10, Some(20), Read(None)),
            op(1, 30, Some(40), Read(Some(1))),
        ];
        assert!(matches!(
            verdict(&pending_seen),
            Verdict::Linearizable { .. }
        ));
        // ... but not seen and then unseen.
        let unseen = [
            op(0, 0, None, Write(1)),
            op(1, 10, Some(20), Read(Some(1))),
            op(1, 30, Some(40), Read(None)),
        ];
        assert!(matches!(
            verdict(&unseen),
            Verdict::NotLinearizable { stuck: 2, .. }
        ));
        // A read that never returned constrains nothing.
        let pending_read = [op(0, 0, Some(10), Write(1)), op(1, 20, None, Read(Some(7)))];
        assert_eq!(
            verdict(&pending_read),
            Verdict::Linearizable { order: vec![0] }
        );
        assert_eq!(verdict(&[]), Verdict::Linearizable { order: vec![] });
    }

    // Goal: bad histories are refused with what is wrong, and the budget ends a long search.
    #[test]
    fn bad_histories_and_the_budget() {
        let backwards = [op(0, 10, Some(5), Write(1))];
        assert_eq!(
            check_register(&backwards, 100),
            Err(HistoryError::ReturnBeforeCall {
                index: 0,
                call: 10,
                ret: 5
            })
        );
        let long = vec![op(0, 0, Some(1), Write(1)); MAX_OPS + 1];
        assert_eq!(
            check_register(&long, 100).unwrap_err().to_string(),
            format!("the history holds 4097 operations; at most {MAX_OPS} can be checked at once")
        );
        // Twenty concurrent writes of distinct values and a read of each: many orders to try.
        let mut wide: Vec<Operation> = (0..20)
            .map(|v| op(v, 0, Some(100), Write(v.into())))
            .collect();
        wide.push(op(99, 200, Some(300), Read(Some(123))));
        assert_eq!(
            check_register(&wide, 50),
            Ok(Verdict::Unknown { explored: 50 })
        );
    }

    // Goal: a long history of bounded concurrency is decided quickly. Method: a register
    // executed sequentially, operation k taking effect at 10k ns inside the interval
    // [10k - 6, 10k + 6] (so each overlaps its neighbours), is linearizable by construction.
    // Taking the calls in time order is itself a witness here, so the search needs one
    // explored state per operation (measured: it passes with a budget of exactly n); the
    // budget of 4 per operation is a margin for a change of search order, not a derived
    // bound.
    #[test]
    fn long_histories_are_quick() {
        let n = 3_000u64;
        let mut value = None;
        let history: Vec<Operation> = (1..=n)
            .map(|k| {
                let kind = if k % 3 == 0 { Write(k) } else { Read(value) };
                if let Write(v) = kind {
                    value = Some(v);
                }
                op((k % 4) as u32, 10 * k - 6, Some(10 * k + 6), kind)
            })
            .collect();
        match check_register(&history, 4 * n) {
            Ok(Verdict::Linearizable { order }) => assert!(is_witness(&history, &order)),
            other => panic!("{other:?}"),
        }
    }

    /// Small random histories: a few clients, each issuing operations one after another, with
    /// values from a small set so that reads often match some write.
    fn histories() -> impl Strategy<Value = Vec<Operation>> {
        proptest::collection::vec(
            (
                0u32..3,
                0u64..6,
                0u64..4,
                any::<bool>(),
                0u64..3,
                any::<bool>(),
            ),
            0..7,
        )
        .prop_map(|specs| {
            let mut clock = [0u64; 3];
            specs
                .into_iter()
                .map(|(client, gap, length, write, value, returned)| {
                    let call = clock[client as usize] + gap;
                    let ret = call + length;
                    clock[client as usize] = ret + 1;
                    let op = if write {
                        Write(value)
                    } else {
                        Read((value > 0).then_some(value))
                    };
                    Operation {
                        client,
                        call,
                        ret: returned.then_some(ret),
                        op,
                    }
                })
                .collect()
        })
    }

    proptest! {
        // Property: the search agrees with trying every order, and its witness is legal.
        #[test]
        fn agrees_with_exhaustive_search(history in histories()) {
            match verdict(&history) {
                Verdict::Linearizable { order } => {
                    prop_assert!(is_witness(&history, &order), "bad witness {order:?}");
                }
                Verdict::NotLinearizable { prefix, stuck } => {
                    prop_assert!(!brute_force(&history), "missed a witness; prefix {prefix:?}");
                    prop_assert!(stuck < history.len() && !prefix.contains(&stuck));
                }
                Verdict::Unknown { .. } => prop_assert!(false, "budget hit on a tiny history"),
            }
        }
    }
}
