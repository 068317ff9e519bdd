//! O(N) Gini coefficient of token use from a log-binned histogram.
//!
//! Values are binned by the top bits of their IEEE-754 representation
//! (exponent plus 7 mantissa bits: bins 0.8% wide relative to their value,
//! no logarithm needed), keeping exact counts and exact sums per bin, and
//! the Gini is computed from the bins in ascending order as if the values
//! inside a bin were equal. Since the sums are exact, the only error is the
//! ordering inside a bin, which is second order in the bin width: for
//! smooth distributions the relative error is well below 1e-3 (MODEL.md
//! allows 1e-3); the unit test checks this against an exact sort.
//!
//! The values in one bin share their binary exponent, so a bin's sum is
//! kept as the integer sum of their 53-bit significands: exact, and the
//! same whatever order values are added or histograms merged in. Each
//! worker thread fills its own histogram while it steps blocks, and the
//! week's histogram is their merge, identical for any thread count.

/// Mantissa bits kept in the bin index.
const MANTISSA_BITS: u32 = 7;
/// Smallest and largest binned exponents. Values below 2^MIN_EXP (1e-9
/// MTok) count as zero; values from 2^MAX_EXP up are clamped below it.
const MIN_EXP: i32 = -30;
const MAX_EXP: i32 = 60;
const BINS: usize = ((MAX_EXP - MIN_EXP) as usize) << MANTISSA_BITS;
/// Bits of the IEEE-754 fraction field.
const FRACTION_BITS: u32 = 52;

/// Bytes of one histogram's bins.
pub const HISTOGRAM_BYTES: usize = BINS * std::mem::size_of::<u128>() + BINS / 8;

/// A bin's count sits in the top 32 bits of its 128-bit word, above the
/// sum of its values' significands: one addition per value updates both.
/// The sum of 2^32 significands (each below 2^53) is below 2^85, so it
/// never reaches the count, and the count is exact up to 2^32 - 1 values
/// (a week adds one per employee, and scenarios have at most 10^8).
const COUNT_SHIFT: u32 = 96;
const SUM_MASK: u128 = (1 << COUNT_SHIFT) - 1;

/// A histogram of non-negative values, reused week after week.
pub struct GiniHistogram {
    zeros: u64,
    /// Per bin, the number of values times 2^96 plus the sum of their
    /// significands (as 53-bit integers): see [`COUNT_SHIFT`].
    bins: Box<[u128; BINS]>,
    /// One bit per bin, set while the bin holds a value: clearing, merging
    /// and the Gini visit only the occupied bins (a few hundred for 1,000
    /// employees) instead of every bin between the smallest and the
    /// largest value (thousands, when token use spans many magnitudes).
    ///
    /// The arrays have a fixed size, so that the compiler sees that a bin
    /// number clamped into range indexes them without a bounds check.
    occupied: Box<[u64; BINS / 64]>,
}

/// A zeroed array on the heap.
fn zeroed<T: Copy + Default, const N: usize>() -> Box<[T; N]> {
    match vec![T::default(); N].into_boxed_slice().try_into() {
        Ok(array) => array,
        Err(_) => unreachable!("a vector of N elements is an array of N"),
    }
}

impl Default for GiniHistogram {
    fn default() -> Self {
        GiniHistogram {
            zeros: 0,
            bins: zeroed(),
            occupied: zeroed(),
        }
    }
}

/// The set bits of `words` as bin numbers, in ascending order (the
/// bitmap is BINS / 64 = 180 words, which a scan reads in no time).
fn occupied_bins(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words
        .iter()
        .enumerate()
        .flat_map(|(i, &w)| SetBits(w).map(move |b| i * 64 + b))
}

/// The positions of the set bits of a word, lowest first.
struct SetBits(u64);

impl Iterator for SetBits {
    type Item = usize;
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(b)
    }
}

/// A sum of 2^64 or more as a double (correctly rounded).
#[cold]
#[inline(never)]
fn wide_to_f64(x: u128) -> f64 {
    x as f64
}

/// A count or an integer sum below 2^63 as a double, by the one-instruction
/// signed conversion (the same correctly rounded value as the unsigned
/// one, which x86-64 before AVX-512 does in several).
#[inline(always)]
fn to_f64(x: u64) -> f64 {
    match i64::try_from(x) {
        Ok(i) => i as f64,
        Err(_) => x as f64,
    }
}

impl GiniHistogram {
    /// Empties the histogram (only the bins that were touched).
    pub fn clear(&mut self) {
        for b in occupied_bins(&self.occupied[..]) {
            self.bins[b] = 0;
        }
        self.occupied.fill(0);
        self.zeros = 0;
    }

    /// Adds one value (negative, NaN or tiny values count as zero).
    #[inline]
    pub fn add(&mut self, x: f64) {
        // Negative, NaN or tiny values count as zero.
        let smallest = ((MIN_EXP + 1023) as u64) << FRACTION_BITS;
        // (One comparison, false for NaN too.)
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(x >= f64::from_bits(smallest)) {
            self.zeros += 1;
            return;
        }
        // For positive doubles the bits order as the values do, so an
        // integer clamp bounds values from 2^MAX_EXP (and infinity) from
        // above. (Its lower bound changes nothing, as x >= 2^MIN_EXP here,
        // but tells the compiler that the bin is in range.)
        let bits = x
            .to_bits()
            .clamp(smallest, (((MAX_EXP + 1023) as u64) << FRACTION_BITS) - 1);
        let first = ((MIN_EXP + 1023) as u64) << MANTISSA_BITS;
        let b = ((bits >> (FRACTION_BITS - MANTISSA_BITS)) - first) as usize;
        let significand = (bits & ((1 << FRACTION_BITS) - 1)) | (1 << FRACTION_BITS);
        debug_assert!(self.count(b) < u64::from(u32::MAX), "bin count overflow");
        self.bins[b] += (1 << COUNT_SHIFT) | u128::from(significand);
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// Adds another histogram's values to this one.
    pub fn merge(&mut self, other: &GiniHistogram) {
        self.zeros += other.zeros;
        for b in occupied_bins(&other.occupied[..]) {
            debug_assert!(self.count(b) + other.count(b) <= u64::from(u32::MAX));
            self.bins[b] += other.bins[b];
        }
        for (w, &o) in self.occupied.iter_mut().zip(other.occupied.iter()) {
            *w |= o;
        }
    }

    /// Bytes the histogram holds.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<[u128; BINS]>() + std::mem::size_of::<[u64; BINS / 64]>()
    }

    /// The number of values in bin `b`.
    fn count(&self, b: usize) -> u64 {
        (self.bins[b] >> COUNT_SHIFT) as u64
    }

    /// Sum of the values in bin `b`: its significand sum times the unit of
    /// the last place of its binade.
    fn bin_sum(&self, b: usize) -> f64 {
        let exponent = (b >> MANTISSA_BITS) as i32 + MIN_EXP;
        let ulp =
            f64::from_bits(((exponent + 1023 - FRACTION_BITS as i32) as u64) << FRACTION_BITS);
        // A sum below 2^64 (fewer than 2,048 values in the bin) converts
        // through u64: the same correctly rounded value as from u128,
        // without the slow 128-bit conversion routine.
        let sum = self.bins[b] & SUM_MASK;
        // (The 128-bit conversion is out of line and cold, so that the
        // compiler does not compute it speculatively for every bin.)
        let sum = match u64::try_from(sum) {
            Ok(s) => to_f64(s),
            Err(_) => wide_to_f64(sum),
        };
        sum * ulp
    }

    /// Gini coefficient of the values added (0 for no or all-zero values).
    pub fn gini(&self) -> f64 {
        let mut n = to_f64(self.zeros);
        let mut total = 0.0;
        // Sum over sorted positions i (1-based) of i * x_(i).
        let mut weighted = 0.0;
        // The bitmap walked by hand, not through `occupied_bins`: the
        // iterator adapters cost some 40 instructions per bin here.
        for (i, &word) in self.occupied.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                let b = i * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                let c = to_f64(self.count(b));
                let sum = self.bin_sum(b);
                // The bin's values at their mean, sum / c, at positions
                // n + 1 to n + c: sum / c * (c n + c (c + 1) / 2).
                weighted += sum * (n + 0.5 * (c + 1.0));
                n += c;
                total += sum;
            }
        }
        if total <= 0.0 {
            return 0.0;
        }
        // The exact Gini lies in [0, (n - 1) / n]; the difference of two
        // nearly equal terms can round to -1 ulp for equal values.
        (2.0 * weighted / (n * total) - (n + 1.0) / n).clamp(0.0, 1.0)
    }
}

/// Exact Gini by sorting (for tests and small checks).
pub fn gini_exact(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().map(|x| x.max(0.0)).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let total: f64 = v.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = v.iter().enumerate().map(|(i, x)| (i + 1) as f64 * x).sum();
    2.0 * weighted / (n * total) - (n + 1.0) / n
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, LogNormal};
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn matches_exact_gini_within_1e_3_relative() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        for (n, sigma) in [(50, 0.3), (1000, 1.2), (100_000, 1.2), (20_000, 2.5)] {
            let d = LogNormal::new(3.0, sigma).unwrap();
            let mut xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
            xs.extend(std::iter::repeat_n(0.0, n / 10));
            let mut h = GiniHistogram::default();
            xs.iter().for_each(|&x| h.add(x));
            let (approx, exact) = (h.gini(), gini_exact(&xs));
            assert!(
                ((approx - exact) / exact).abs() < 1e-3,
                "n={n}: {approx} vs {exact}"
            );
        }
    }

    #[test]
    fn merged_histograms_equal_one_filled_with_all_values_in_any_order() {
        let mut rng = Pcg64Mcg::seed_from_u64(8);
        let d = LogNormal::new(2.0, 1.5).unwrap();
        let xs: Vec<f64> = (0..10_000).map(|_| d.sample(&mut rng)).collect();
        let mut whole = GiniHistogram::default();
        xs.iter().for_each(|&x| whole.add(x));
        let mut parts = [GiniHistogram::default(), GiniHistogram::default()];
        for (i, &x) in xs.iter().rev().enumerate() {
            parts[i % 2].add(x);
        }
        let mut merged = GiniHistogram::default();
        merged.merge(&parts[1]);
        merged.merge(&parts[0]);
        assert_eq!(merged.gini().to_bits(), whole.gini().to_bits());
        // A bin's sum is exact: one value's bin sum is the value itself.
        let mut one = GiniHistogram::default();
        one.add(std::f64::consts::PI);
        let b = occupied_bins(&one.occupied[..]).collect::<Vec<_>>();
        assert_eq!(b.len(), 1);
        assert_eq!(one.bin_sum(b[0]), std::f64::consts::PI);
    }

    #[test]
    fn equal_values_have_zero_gini_and_clear_resets() {
        let mut h = GiniHistogram::default();
        (0..100).for_each(|_| h.add(5.0));
        assert!(h.gini().abs() < 1e-12);
        h.clear();
        assert!(h.bins.iter().all(|&c| c == 0) && h.occupied.iter().all(|&w| w == 0));
        h.add(0.0);
        h.add(1.0);
        assert!((h.gini() - gini_exact(&[0.0, 1.0])).abs() < 1e-12);
    }

    /// A bin sum below 2^64 converts through u64 to the same f64 as from
    /// u128 (both round to nearest), so the fast path keeps the bits.
    #[test]
    fn bin_sums_convert_the_same_through_u64() {
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        for _ in 0..100_000 {
            let x: u128 = u128::from(rand::RngExt::random::<u64>(&mut rng))
                >> (rand::RngExt::random_range(&mut rng, 0..64));
            assert_eq!(((x as u64) as f64).to_bits(), (x as f64).to_bits(), "{x}");
        }
        assert_eq!(
            (u64::MAX as f64).to_bits(),
            (u128::from(u64::MAX) as f64).to_bits()
        );
    }

    /// A bin with thousands of values: its significand sum passes 2^64
    /// (the wide conversion), and its count, packed above the sum, stays
    /// exact: the count and the sum come back apart.
    #[test]
    fn a_crowded_bin_keeps_its_count_and_its_sum() {
        let mut h = GiniHistogram::default();
        let x = 1.999_999_999_999_999_8_f64; // largest significand of its binade
        for _ in 0..3_000 {
            h.add(x);
        }
        let b = occupied_bins(&h.occupied[..]).collect::<Vec<_>>();
        assert_eq!(b.len(), 1);
        assert_eq!(h.count(b[0]), 3_000);
        assert!(h.bins[b[0]] & SUM_MASK > u128::from(u64::MAX));
        assert_eq!(h.bin_sum(b[0]), 3_000.0 * x);
        assert!(h.gini() < 1e-12);
        // Merged twice into an empty histogram: counts and sums add.
        let mut m = GiniHistogram::default();
        m.merge(&h);
        m.merge(&h);
        assert_eq!(m.count(b[0]), 6_000);
        assert_eq!(m.bin_sum(b[0]), 6_000.0 * x);
    }

    /// The occupied bins, visited in ascending order, are exactly the bins
    /// holding values (the words' edges included).
    #[test]
    fn occupied_bins_are_the_nonempty_bins_in_order() {
        let mut h = GiniHistogram::default();
        for x in [1e-9, 0.001, 0.5, 0.5, 1.0, 1.0078125, 3.0, 1e6, 1e17, 1e30] {
            h.add(x);
        }
        let visited: Vec<usize> = occupied_bins(&h.occupied[..]).collect();
        let nonempty: Vec<usize> = (0..BINS).filter(|&b| h.count(b) > 0).collect();
        assert_eq!(visited, nonempty);
        assert!(visited.windows(2).all(|w| w[0] < w[1]));
    }
}
