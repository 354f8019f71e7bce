//! The resource guard: a scenario too big for the machine is refused while it is read, with
//! the estimate and the limit, before anything proportional to its size is allocated (the
//! zones of its nodes are the first such allocation, in `place_groups`), never an
//! out-of-memory kill part-way through a run.
//!
//! Two limits, both in `[simulation]` and both overridable (`--set simulation.max_nodes=...`):
//! `max_nodes` (default [`DEFAULT_MAX_NODES`]) and `max_memory` (default: this machine's
//! physical memory). The estimate is a linear model whose coefficients were measured (see the
//! constants); it is meant to catch scenarios that are off by an order of magnitude, not to
//! predict the peak to the byte.
//!
//! Reading the machine's memory is the one look at the operating system below `commands`: the
//! guard must fire before the first per-node allocation, which happens while parsing. It only
//! decides whether a scenario is accepted; nothing it reads reaches a result.

pub(crate) use reports::group_digits;
use reports::human_bytes;

/// `bytes` in binary units, for messages.
fn format_bytes(bytes: u64) -> String {
    human_bytes(bytes as f64)
}

/// Default `max_nodes`: node ids are `u32`, and ten million nodes of the shipped roles already
/// need ~16 GB by [`BYTES_PER_NODE`].
pub const DEFAULT_MAX_NODES: u64 = 10_000_000;

/// Peak bytes per node: ~990 bytes of engine and role state (a 1,000,000-node client/server
/// run held 988 MB while simulating: `scenarios/examples/scale/million-nodes.toml`) plus ~560
/// bytes while writing its outputs (the per-node load table and its lines of results.json),
/// rounded up.
pub const BYTES_PER_NODE: u64 = 1_600;

/// Bytes per timeline window and windowed histogram: each window keeps one HDR histogram per
/// windowed metric (the quickstart, 6 histograms, at 10 ms windows for 60 s: 6,000 windows,
/// 300 MB, ~8.3 KiB each), rounded up.
pub const BYTES_PER_WINDOW_HISTOGRAM: u64 = 9 * 1024;

/// Fixed cost of a run: the program, the registries, buffers and the report's plots.
pub const BASE_BYTES: u64 = 64 << 20;

/// What a scenario is estimated to need, and the parts the estimate is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Nodes in all groups.
    pub nodes: u64,
    /// Timeline windows (`duration / window`, rounded up; 0 without windows).
    pub windows: u64,
    /// Windowed histograms.
    pub histograms: u64,
}

impl MemoryEstimate {
    /// The estimated peak in bytes (saturating).
    pub fn bytes(&self) -> u64 {
        let windows = self
            .windows
            .saturating_mul(self.histograms.max(1))
            .saturating_mul(BYTES_PER_WINDOW_HISTOGRAM);
        BASE_BYTES
            .saturating_add(self.nodes.saturating_mul(BYTES_PER_NODE))
            .saturating_add(windows)
    }

    /// The estimate in words: the total and what it is made of.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(
            "{} nodes x ~{} B",
            group_digits(self.nodes),
            BYTES_PER_NODE
        )];
        if self.windows > 0 {
            parts.push(format!(
                "{} timeline windows x {} histograms x ~{} KiB",
                group_digits(self.windows),
                self.histograms.max(1),
                BYTES_PER_WINDOW_HISTOGRAM / 1024
            ));
        }
        format!(
            "about {} ({})",
            format_bytes(self.bytes()),
            parts.join(" + ")
        )
    }
}

/// The memory limit a scenario is held to: its own `max_memory`, else the machine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// `[simulation] max_memory`.
    Given(u64),
    /// This machine's physical memory.
    Machine(u64),
    /// No `max_memory`, and the machine's memory could not be read: no memory guard.
    Unknown,
}

impl MemoryLimit {
    /// `given`, else this machine's physical memory.
    pub fn resolve(given: Option<u64>) -> Self {
        match given {
            Some(bytes) => MemoryLimit::Given(bytes),
            None => machine_memory().map_or(MemoryLimit::Unknown, MemoryLimit::Machine),
        }
    }

    /// Why `estimate` is refused, or `None` if it fits.
    pub fn refuse(&self, estimate: &MemoryEstimate) -> Option<String> {
        let (limit, what) = match *self {
            MemoryLimit::Given(bytes) => (bytes, "max_memory"),
            MemoryLimit::Machine(bytes) => (bytes, "this machine's memory"),
            MemoryLimit::Unknown => return None,
        };
        (estimate.bytes() > limit).then(|| {
            format!(
                "the scenario would need {}, more than {what} ({}); set [simulation] max_memory (e.g. --set 'simulation.max_memory=\"{}GiB\"') to run it anyway, or make it smaller",
                estimate.describe(),
                format_bytes(limit),
                estimate.bytes().div_ceil(1 << 30),
            )
        })
    }
}

/// This machine's physical memory (`MemTotal` in `/proc/meminfo`), if it can be read. Read
/// once per process: every scenario parsed (each sweep variant, each test) asks.
fn machine_memory() -> Option<u64> {
    static MACHINE: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MACHINE.get_or_init(read_machine_memory)
}

fn read_machine_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the estimate is the documented linear model, and saturates instead of wrapping.
    #[test]
    fn estimate_is_the_linear_model() {
        let e = MemoryEstimate {
            nodes: 1_000_000,
            windows: 100,
            histograms: 6,
        };
        assert_eq!(
            e.bytes(),
            BASE_BYTES + 1_000_000 * BYTES_PER_NODE + 100 * 6 * BYTES_PER_WINDOW_HISTOGRAM
        );
        let huge = MemoryEstimate {
            nodes: u64::MAX,
            windows: u64::MAX,
            histograms: u64::MAX,
        };
        assert_eq!(huge.bytes(), u64::MAX);
        assert!(e.describe().contains("1,000,000 nodes"), "{}", e.describe());
    }

    // Goal: a given limit refuses exactly the estimates above it; an unknown one none.
    #[test]
    fn limits_refuse_above_them() {
        let e = MemoryEstimate {
            nodes: 1_000,
            windows: 0,
            histograms: 0,
        };
        assert!(MemoryLimit::Given(e.bytes()).refuse(&e).is_none());
        let message = MemoryLimit::Given(e.bytes() - 1)
            .refuse(&e)
            .expect("refused");
        assert!(message.contains("max_memory"), "{message}");
        assert!(MemoryLimit::Unknown.refuse(&e).is_none());
    }
}
