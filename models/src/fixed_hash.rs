//! A fast hash with fixed keys for maps that are only looked up, never iterated into a result:
//! the replica versions, the consistency history and the caches' key → slot tables look up a
//! key per request, where std's default SipHash (randomly seeded, and slow on one word) costs
//! more than the rest of the operation. Fixed, unseeded: the same on every run and machine, so
//! even a map that is iterated stays deterministic (it must still not let the order reach a
//! result).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` hashed with [`KeyHasher`].
pub type FixedHashMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// 2^64 / golden ratio, odd: the multiplier of [`KeyHasher`].
const HASH_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hash: one folded 64 × 64 → 128-bit multiply (the high half xor the low half, as
/// in foldhash and wyhash), so both the low bits hashbrown indexes with and the top bits it
/// tags with depend on every key bit. Fixed, unseeded: the same on every run and machine.
/// Also used by callers that keep their own key sets (a trace's distinct objects).
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher {
    hash: u64,
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Integer keys reach `write_u64`/`write_u32`; this keeps the trait total.
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        let product = u128::from(value ^ self.hash) * u128::from(HASH_MULTIPLIER);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the hash spreads consecutive and strided keys over both the low bits (bucket
    // index) and the top 7 bits (hashbrown's tag). Method: count distinct values.
    #[test]
    fn key_hash_spreads_bits() {
        let hash = |key: u64| {
            let mut hasher = KeyHasher::default();
            hasher.write_u64(key);
            hasher.finish()
        };
        for stride in [1u64, 2, 1 << 12, 1 << 32] {
            let mut low: Vec<u64> = (0..1024).map(|i| hash(i * stride) & 1023).collect();
            let mut top: Vec<u64> = (0..1024).map(|i| hash(i * stride) >> 57).collect();
            low.sort_unstable();
            low.dedup();
            top.sort_unstable();
            top.dedup();
            // 1024 balls in 1024 bins fill about 1 - 1/e of them; 128 tags all appear.
            assert!(low.len() > 550, "stride {stride}: {} low values", low.len());
            assert!(top.len() > 120, "stride {stride}: {} tags", top.len());
        }
    }
}
