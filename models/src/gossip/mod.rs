//! Gossip: epidemic dissemination of rumours over a group (push, pull, push-pull), with the
//! stop rules of rumour mongering and the overlays a broadcast runs over.
//!
//! The model is plain data, apart from the node that hosts it
//! ([`roles::gossip`](crate::roles::gossip)): the configuration ([`GossipSpec`]), each
//! node's view of its peers ([`Topology`], computed from the node's index, never stored, so a
//! million members cost no adjacency lists), the rumours a node knows and still spreads
//! ([`Rumours`]), and the run's dissemination log ([`tracker`]), which sits outside the
//! nodes and measures how far and how fast each rumour spread.
//!
//! Terms (Demers et al., "Epidemic Algorithms for Replicated Database Maintenance", PODC
//! 1987; Karp et al., "Randomized Rumor Spreading", FOCS 2000): in a *round* a node contacts
//! `fanout` peers from its view; *push* sends the caller's hot rumours, *pull* asks for the
//! callee's, *push-pull* does both. A rumour is *hot* at a node while the stop rule lets it
//! spread it; it stays *known* for good.

pub mod membership;
pub mod tracker;

use sim_core::rng::splitmix;
use sim_core::SimDuration;

/// How a round's contact exchanges rumours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The caller sends its hot rumours.
    Push,
    /// The caller asks; the callee answers with its hot rumours the caller lacks.
    Pull,
    /// Both in one contact.
    PushPull,
    /// Anti-entropy: the two exchange digests of everything they know and send each other
    /// every rumour the other lacks (Demers et al.'s anti-entropy, push-pull of the whole
    /// state); no stop rule, every known rumour is spread.
    AntiEntropy,
}

impl Mode {
    /// Whether a contact carries the caller's rumours.
    pub fn pushes(self) -> bool {
        matches!(self, Mode::Push | Mode::PushPull)
    }

    /// Whether a contact asks for the callee's.
    pub fn pulls(self) -> bool {
        matches!(self, Mode::Pull | Mode::PushPull)
    }

    /// Whether a member contacts peers every round whatever it knows (it cannot tell what
    /// it is missing): pulls and anti-entropy.
    pub fn always_rounds(self) -> bool {
        self.pulls() || self == Mode::AntiEntropy
    }
}

/// When a node spreads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    /// In periodic rounds of `period`; with `random_phase` each node's rounds are offset by
    /// its own uniform draw in `[0, period)`, else every node's rounds fall together (the
    /// synchronous rounds of the theory).
    Rounds {
        /// Round length.
        period: SimDuration,
        /// Each node's rounds are offset by its own uniform phase.
        random_phase: bool,
    },
    /// Infect and forward: a node pushes a rumour once, as soon as it first receives it (or
    /// creates it); no rounds. Push only.
    OnReceipt,
}

/// When a node stops spreading a rumour it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopRule {
    /// Never: every known rumour stays hot.
    Never,
    /// After spreading it in this many rounds (or forwards).
    Rounds(u32),
    /// A copy that has travelled this many hops is not forwarded; one that has not is
    /// forwarded once.
    Ttl(u32),
    /// Feedback counter: after this many pushes of it reached a peer that already knew it
    /// (the peer says so).
    Counter(u32),
    /// Blind coin: after each round that spread it, with probability `1/k`.
    Coin(u32),
}

/// A node's view: the peers it may contact, a function of its index in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// Every other member.
    Total,
    /// Its two neighbours on a ring of the members in index order.
    Ring,
    /// Its up to four neighbours on a square grid filled row by row (`ceil(sqrt(n))` wide).
    Grid,
    /// Its parent and up to `fanout` children in a `fanout`-ary tree rooted at index 0.
    Tree {
        /// Children per node (>= 1).
        fanout: u32,
    },
    /// A random regular graph of even `degree`: the union of `degree / 2` pseudo-random
    /// permutations of the members, each member linked to its image and its preimage under
    /// each ([`permute`]); symmetric by construction, computed, never stored. Coinciding or
    /// self links are dropped, so a few members see fewer than `degree` peers.
    Random {
        /// Links per member (even, >= 2).
        degree: u32,
        /// The permutations' key (fixed per group: every run draws on the same graph).
        key: u64,
    },
}

/// Rounds of the Feistel network behind [`permute`].
const FEISTEL_ROUNDS: u32 = 4;

/// One round function of the Feistel network: SplitMix64's mix of the half, the key and the
/// round.
fn feistel_f(half: u64, key: u64, round: u32) -> u64 {
    splitmix(half ^ key.rotate_left(round * 16) ^ (u64::from(round) << 56))
}

/// A pseudo-random permutation of `0..n` (its inverse with `inverse`), keyed by `key`: a
/// balanced Feistel network on the smallest even number of bits covering `n`, walked until
/// it lands below `n` (cycle walking: a bijection of the larger domain restricted to `0..n`
/// is a bijection of `0..n`). O(1) expected work, no memory.
pub fn permute(n: u32, key: u64, x: u32, inverse: bool) -> u32 {
    debug_assert!(x < n);
    let bits = (32 - (n.max(2) - 1).leading_zeros()).div_ceil(2).max(1);
    let mask = (1u64 << bits) - 1;
    let mut v = u64::from(x);
    loop {
        let (mut left, mut right) = (v >> bits, v & mask);
        if !inverse {
            for round in 0..FEISTEL_ROUNDS {
                (left, right) = (right, left ^ (feistel_f(right, key, round) & mask));
            }
        } else {
            for round in (0..FEISTEL_ROUNDS).rev() {
                (left, right) = (right ^ (feistel_f(left, key, round) & mask), left);
            }
        }
        v = (left << bits) | right;
        if v < u64::from(n) {
            return v as u32;
        }
    }
}

impl Topology {
    /// How many peers node `index` of a group of `n` sees (0 when alone).
    pub fn degree(self, n: u32, index: u32) -> u32 {
        match self {
            Topology::Total => n.saturating_sub(1),
            _ => self.neighbours(n, index, &mut [0; NEIGHBOURS_MAX]) as u32,
        }
    }

    /// Node `index`'s neighbours on an explicit overlay, into `out` in slot order (as
    /// [`Self::neighbour`] lists them); returns how many (0 for [`Topology::Total`]). One pass:
    /// a random overlay's links are each computed once here, where asking slot by slot
    /// recomputes the earlier ones to drop duplicates.
    pub fn neighbours(self, n: u32, index: u32, out: &mut [u32; NEIGHBOURS_MAX]) -> usize {
        let mut len = 0;
        match self {
            Topology::Random { degree, key } => {
                for slot in 0..degree {
                    let peer = random_link(n, key, index, slot);
                    if peer != index && !out[..len].contains(&peer) {
                        out[len] = peer;
                        len += 1;
                    }
                }
            }
            _ => {
                for j in 0..self.max_degree(n) {
                    if let Some(peer) = self.neighbour(n, index, j) {
                        out[len] = peer;
                        len += 1;
                    }
                }
            }
        }
        len
    }

    /// The most peers any node sees, for explicit overlays (a bound for [`Self::neighbour`]);
    /// 0 for [`Topology::Total`], whose peers are drawn, not listed.
    pub fn max_degree(self, n: u32) -> u32 {
        match self {
            Topology::Total => 0,
            Topology::Ring => 2.min(n.saturating_sub(1)),
            Topology::Grid => 4,
            Topology::Tree { fanout } => fanout + 1,
            Topology::Random { degree, .. } => degree,
        }
    }

    /// Slot `j < max_degree` of node `index`'s neighbours, if that slot exists (a grid's
    /// edge, a leaf's missing children). Slots are distinct peers, never `index` itself.
    pub fn neighbour(self, n: u32, index: u32, j: u32) -> Option<u32> {
        match self {
            Topology::Total => None,
            Topology::Ring => match (n, j) {
                (0..=1, _) => None,
                (2, 0) => Some(1 - index),
                (2, _) => None,
                (_, 0) => Some((index + 1) % n),
                (_, _) => Some((index + n - 1) % n),
            },
            Topology::Grid => {
                let width = grid_width(n);
                let (row, col) = (index / width, index % width);
                let peer = match j {
                    0 => (col + 1 < width).then(|| index + 1),
                    1 => (col > 0).then(|| index - 1),
                    2 => Some(index + width),
                    _ => (row > 0).then(|| index - width),
                }?;
                (peer < n).then_some(peer)
            }
            Topology::Tree { fanout } => {
                if j == 0 {
                    (index > 0).then(|| (index - 1) / fanout)
                } else {
                    let child = u64::from(index) * u64::from(fanout) + u64::from(j);
                    (child < u64::from(n)).then_some(child as u32)
                }
            }
            Topology::Random { key, .. } => {
                let peer = random_link(n, key, index, j);
                // Distinct and not itself: the first slot naming a peer keeps it.
                (peer != index && (0..j).all(|earlier| random_link(n, key, index, earlier) != peer))
                    .then_some(peer)
            }
        }
    }

    /// Members that member 0 cannot reach over the overlay (0 for every overlay but a random
    /// one: a random graph of degree 2 is a union of cycles). A graph search, O(n · degree)
    /// time and a byte per member; for the warning at parse time.
    pub fn unreachable(self, n: u32) -> u32 {
        if !matches!(self, Topology::Random { .. }) || n == 0 {
            return 0;
        }
        let mut seen = vec![false; n as usize];
        let mut stack = vec![0u32];
        seen[0] = true;
        let mut reached = 1u32;
        let mut peers = [0; NEIGHBOURS_MAX];
        while let Some(a) = stack.pop() {
            let count = self.neighbours(n, a, &mut peers);
            for &b in &peers[..count] {
                if !seen[b as usize] {
                    seen[b as usize] = true;
                    reached += 1;
                    stack.push(b);
                }
            }
        }
        n - reached
    }
}

/// Room for one member's neighbours on any explicit overlay (a tree's 32 children and
/// parent, a random overlay's 32 links).
pub const NEIGHBOURS_MAX: usize = 64;

/// Link `slot` of member `index` on a random overlay: its image (even slots) or preimage
/// (odd) under permutation `slot / 2`.
fn random_link(n: u32, key: u64, index: u32, slot: u32) -> u32 {
    let perm_key = key ^ u64::from(slot / 2).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    permute(n, perm_key, index, slot % 2 == 1)
}

/// Whether rumour `id` is among those `mask` names from `base`.
pub fn in_block(id: u32, base: u32, mask: u64) -> bool {
    id >= base && id - base < 64 && mask & (1 << (id - base)) != 0
}

/// The hop count a copy forwarded from one of `hops` hops carries (saturating at the
/// message field's width).
pub fn next_hop(hops: u32) -> u16 {
    (hops + 1).min(u32::from(u16::MAX)) as u16
}

/// A grid's width for `n` members: `ceil(sqrt(n))`.
pub fn grid_width(n: u32) -> u32 {
    let mut w = (f64::from(n).sqrt()) as u32;
    while u64::from(w) * u64::from(w) < u64::from(n) {
        w += 1;
    }
    w.max(1)
}

/// Peers a round contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fanout {
    /// This many distinct peers of the view (fewer if the view is smaller).
    Peers(u32),
    /// Every neighbour of the overlay (except, when forwarding, the peer it came from).
    All,
}

/// When rumours are born and where.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RumourPlan {
    /// How many.
    pub count: u32,
    /// The first one's birth.
    pub start: SimDuration,
    /// The gap between births (`None`: all at `start`).
    pub every: Option<SimDuration>,
    /// The member every rumour starts at; `None`: a uniform draw per rumour.
    pub origin: Option<u32>,
}

/// A gossip group's configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GossipSpec {
    /// Push, pull, both, or anti-entropy.
    pub mode: Mode,
    /// Peers per round.
    pub fanout: Fanout,
    /// Rounds or forwarding on receipt.
    pub forwarding: Forwarding,
    /// When a node stops spreading a rumour.
    pub stop: StopRule,
    /// Each node's view.
    pub topology: Topology,
    /// The rumours.
    pub rumours: RumourPlan,
    /// Bytes of one rumour on the wire.
    pub rumour_bytes: u32,
}

/// A hot rumour at a node: what the stop rule has left of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hot {
    /// The rumour.
    pub id: u32,
    /// Hops its copy here has travelled from the origin.
    pub hops: u32,
    /// Rounds (or redundant pushes) the stop rule still allows.
    pub budget: u32,
}

/// The rumours one node knows and the ones it still spreads.
///
/// Rumour ids are dense (`0..count`), so the known set is a bitmap; the first 64 ids live
/// inline, so a node that only ever learns one rumour allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Rumours {
    first: u64,
    more: Vec<u64>,
    /// The smallest id not known.
    low: u32,
    /// Hot rumours, in id order.
    pub hot: Vec<Hot>,
}

impl Rumours {
    /// Whether `id` is known.
    pub fn knows(&self, id: u32) -> bool {
        self.word((id / 64) as usize) & (1 << (id % 64)) != 0
    }

    /// Learns `id`; `false` if it was already known.
    pub fn learn(&mut self, id: u32) -> bool {
        if self.knows(id) {
            return false;
        }
        let (word, bit) = ((id / 64) as usize, id % 64);
        if word == 0 {
            self.first |= 1 << bit;
        } else {
            if self.more.len() < word {
                self.more.resize(word, 0);
            }
            self.more[word - 1] |= 1 << bit;
        }
        while self.knows(self.low) {
            self.low += 1;
        }
        true
    }

    /// The smallest id not known.
    pub fn low(&self) -> u32 {
        self.low
    }

    /// Word `i` of the known bitmap (ids `64 i .. 64 i + 64`).
    fn word(&self, i: usize) -> u64 {
        if i == 0 {
            self.first
        } else {
            self.more.get(i - 1).copied().unwrap_or(0)
        }
    }

    /// The whole known bitmap, word by word (ids `64 i ..`): a digest of the state.
    pub fn digest(&self) -> Vec<u64> {
        let mut words = Vec::with_capacity(1 + self.more.len());
        words.push(self.first);
        words.extend_from_slice(&self.more);
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        words
    }

    /// Per block of 64 ids: what this member knows and `theirs` (a [`Rumours::digest`])
    /// lacks, as (first id, mask), blocks in id order.
    pub fn missing_from<'a>(&'a self, theirs: &'a [u64]) -> impl Iterator<Item = (u32, u64)> + 'a {
        (0..1 + self.more.len()).filter_map(move |i| {
            let lacking = self.word(i) & !theirs.get(i).copied().unwrap_or(0);
            (lacking != 0).then_some(((i * 64) as u32, lacking))
        })
    }

    /// The 64 known-bits from `base` (bit i: `base + i` is known).
    pub fn known_from(&self, base: u32) -> u64 {
        let (i, shift) = ((base / 64) as usize, base % 64);
        let low = self.word(i) >> shift;
        if shift == 0 {
            low
        } else {
            low | self.word(i + 1) << (64 - shift)
        }
    }

    /// The first id of the block holding this member's newest hot rumour, if it has one.
    pub fn newest_hot_block(&self) -> Option<u32> {
        self.hot.last().map(|h| h.id / 64 * 64)
    }

    /// The hot rumours in `[base, base + 64)` as a mask, except those in `except`.
    pub fn hot_from(&self, base: u32, except: u64) -> u64 {
        self.hot
            .iter()
            .filter(|h| in_block(h.id, base, u64::MAX))
            .fold(0, |mask, h| mask | 1 << (h.id - base))
            & !except
    }

    /// The fewest hops among the hot rumours `mask` names from `base` (0 if none).
    pub fn hot_hops(&self, base: u32, mask: u64) -> u32 {
        self.hot
            .iter()
            .filter(|h| in_block(h.id, base, mask))
            .map(|h| h.hops)
            .min()
            .unwrap_or(0)
    }
}

/// The stop rule's first budget for a rumour that turns hot.
pub fn initial_budget(stop: StopRule) -> u32 {
    match stop {
        StopRule::Never | StopRule::Ttl(_) | StopRule::Coin(_) => 1,
        StopRule::Rounds(r) => r,
        StopRule::Counter(k) => k,
    }
}

/// Whether a copy of `hops` hops is spread at all under `stop` (a TTL drops old copies).
pub fn spreads(stop: StopRule, hops: u32) -> bool {
    match stop {
        StopRule::Ttl(ttl) => hops < ttl,
        _ => true,
    }
}

/// The mean-field fraction of members still uninformed after each synchronous round, from
/// one informed member of `n`, for `mode` with fanout `k`: push `u' = u e^{-k(1-u)}`, pull
/// `u' = u^{k+1}`, push-pull (and anti-entropy, which moves a rumour either way per contact)
/// their product `u' = u · e^{-k(1-u)} · u^k` (Karp et al. 2000). The curve the
/// dissemination plot draws beside the run's own.
pub fn mean_field_uninformed(mode: Mode, k: u32, n: u32, rounds: usize) -> Vec<f64> {
    let k = f64::from(k.max(1));
    let mut u = 1.0 - 1.0 / f64::from(n.max(1));
    let mut out = vec![u];
    for _ in 0..rounds {
        u = match mode {
            Mode::Push => u * (-k * (1.0 - u)).exp(),
            Mode::Pull => u * u.powf(k),
            Mode::PushPull | Mode::AntiEntropy => u * (-k * (1.0 - u)).exp() * u.powf(k),
        };
        out.push(u);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: each overlay's neighbours are distinct members other than the node, symmetric
    // (a sees b iff b sees a), and the ring and grid have the degrees their shapes say.
    #[test]
    fn overlays_are_symmetric_and_in_range() {
        let random = Topology::Random { degree: 6, key: 7 };
        for topology in [
            Topology::Ring,
            Topology::Grid,
            Topology::Tree { fanout: 4 },
            random,
        ] {
            for n in [1u32, 2, 3, 10, 25, 26] {
                for i in 0..n {
                    let peers: Vec<u32> = (0..topology.max_degree(n))
                        .filter_map(|j| topology.neighbour(n, i, j))
                        .collect();
                    let mut distinct = peers.clone();
                    distinct.sort_unstable();
                    distinct.dedup();
                    assert_eq!(distinct.len(), peers.len(), "{topology:?} n={n} i={i}");
                    for p in peers {
                        assert!(p < n && p != i, "{topology:?} n={n} i={i} -> {p}");
                        let back = (0..topology.max_degree(n))
                            .any(|j| topology.neighbour(n, p, j) == Some(i));
                        assert!(back, "{topology:?} n={n}: {i} -> {p} but not back");
                    }
                }
            }
        }
        assert_eq!(grid_width(25), 5);
        assert_eq!(grid_width(26), 6);
        // The middle of a 5x5 grid has 4 neighbours, a corner 2; a ring node 2.
        assert_eq!(Topology::Grid.degree(25, 12), 4);
        assert_eq!(Topology::Grid.degree(25, 0), 2);
        assert_eq!(Topology::Ring.degree(25, 7), 2);
        assert_eq!(Topology::Total.degree(25, 7), 24);
        assert_eq!(Topology::Tree { fanout: 4 }.degree(25, 0), 4);
        // A random overlay of degree 4 on 1000 members is connected; of degree 2 (one
        // permutation's cycles) it almost never is.
        assert_eq!(Topology::Random { degree: 4, key: 1 }.unreachable(1000), 0);
        assert!(Topology::Random { degree: 2, key: 1 }.unreachable(1000) > 0);
        let mean = (0..1000).map(|i| random.degree(1000, i)).sum::<u32>() as f64 / 1000.0;
        assert!(mean > 5.9, "mean degree {mean}");
    }

    // Goal: `permute` is a bijection of 0..n for sizes on and off powers of four, and
    // `inverse` undoes it.
    #[test]
    fn permutations_are_bijections() {
        for n in [1u32, 2, 3, 16, 17, 1000, 4096, 5000] {
            let mut image: Vec<u32> = (0..n).map(|x| permute(n, 42, x, false)).collect();
            for x in 0..n {
                assert_eq!(permute(n, 42, image[x as usize], true), x, "n={n} x={x}");
            }
            image.sort_unstable();
            assert!(image.iter().copied().eq(0..n), "n={n}: not a bijection");
        }
    }

    // Goal: the known set and the low-water mark follow learning in any order, beyond the
    // inline word too; masks report exactly the bits asked for.
    #[test]
    fn rumour_sets() {
        let mut r = Rumours::default();
        assert!(r.learn(1) && !r.learn(1));
        assert_eq!(r.low(), 0);
        assert!(r.learn(0));
        assert_eq!(r.low(), 2);
        assert!(r.learn(130));
        assert!(r.knows(130) && !r.knows(129) && !r.knows(64));
        assert_eq!(r.known_from(0), 0b11);
        assert_eq!(r.known_from(128), 0b100);
        // Across a word boundary: ids 126..190 hold 130 at bit 4.
        assert_eq!(r.known_from(126), 0b10000);
        assert_eq!(r.known_from(1), 0b1);
        r.hot.push(Hot {
            id: 130,
            hops: 0,
            budget: 1,
        });
        r.hot.push(Hot {
            id: 131,
            hops: 0,
            budget: 1,
        });
        assert_eq!(r.hot_from(128, 0), 0b1100);
        assert_eq!(r.hot_from(128, 0b100), 0b1000);
        assert_eq!(r.hot_from(0, 0), 0);
        assert_eq!(r.newest_hot_block(), Some(128));
        // The digest drops trailing empty words; what the other lacks, by block.
        assert_eq!(r.digest(), vec![0b11, 0, 0b100]);
        let lacking: Vec<(u32, u64)> = r.missing_from(&[0b01]).collect();
        assert_eq!(lacking, vec![(0, 0b10), (128, 0b100)]);
    }

    // Goal: the mean-field recursions fall to nothing, push-pull fastest, and pull from one
    // informed member squares the uninformed fraction each round.
    #[test]
    fn mean_field_curves() {
        let n = 1 << 16;
        let push = mean_field_uninformed(Mode::Push, 1, n, 40);
        let pull = mean_field_uninformed(Mode::Pull, 1, n, 40);
        let both = mean_field_uninformed(Mode::PushPull, 1, n, 40);
        let done = |u: &[f64]| u.iter().position(|&x| x * f64::from(n) < 0.5).unwrap();
        assert!(done(&both) < done(&push) && done(&both) < done(&pull));
        let u = pull[5];
        assert!((pull[6] - u * u).abs() < 1e-15);
    }
}
