//! The one generator of the synthetic data: rand's SplitMix64 from a seed.
//!
//! The demo and the synthetic province must be the same rows on every
//! machine and with every version of their dependencies, so the generator is
//! a named algorithm (`rand_xoshiro::SplitMix64`; rand's `StdRng` may change
//! between versions) and the draws below are written out rather than taken
//! from rand's distributions: a seed always gives the same data.

use rand::{RngCore, SeedableRng};
use rand_xoshiro::SplitMix64;

/// SplitMix64 (Steele, Lea and Flood 2014), with the few draws the data needs.
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    /// The generator of a seed.
    pub fn seeded(seed: u64) -> Rng {
        Rng(SplitMix64::seed_from_u64(seed))
    }

    /// The generator of one stream (communes, a team, …) of a seed: streams
    /// of one seed do not depend on how much the others drew.
    pub fn stream(seed: u64, stream: u64, index: u64) -> Rng {
        let base = Rng::seeded(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64();
        Rng::seeded(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A uniform offset in [-spread, spread], rounded to 1e-5 degrees.
    pub fn jitter(&mut self, spread: f64) -> f64 {
        let unit = (self.next_u64() % 2_000_001) as f64 / 1_000_000.0 - 1.0;
        (unit * spread * 100_000.0).round() / 100_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_draws_are_splitmix64s() {
        // The reference sequence of SplitMix64 from seed 0.
        let mut rng = Rng::seeded(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn streams_of_a_seed_differ_and_repeat() {
        let a: Vec<u64> = (0..3).map(|_| Rng::stream(7, 3, 1).next_u64()).collect();
        assert!(a.iter().all(|x| *x == a[0]));
        assert_ne!(
            Rng::stream(7, 3, 1).next_u64(),
            Rng::stream(7, 3, 2).next_u64()
        );
        assert_ne!(
            Rng::stream(7, 2, 1).next_u64(),
            Rng::stream(7, 3, 1).next_u64()
        );
    }
}
