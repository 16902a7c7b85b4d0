//! Counter-based random streams: one independent stream per iteration index.
//!
//! Iteration `i` of a resampling run with seed `s` draws from a xoshiro256++
//! generator (Blackman & Vigna 2021) whose state is filled by SplitMix64
//! (Steele, Lea & Flood 2014) from `s` and `i`. A replicate's draws therefore
//! depend only on (seed, index), never on which thread ran it or in what
//! order, which makes seeded results bit-identical at any thread count.

/// One step of SplitMix64: advances `state` and returns the next output.
///
/// ```
/// use rema_core::resample::rng::splitmix64;
/// // The reference implementation's first output from state 0 (Vigna, splitmix64.c).
/// let mut state = 0;
/// assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
/// ```
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A xoshiro256++ generator, with the unused half of its last normal pair
/// and the unused bits of its last sign word (both belong to this stream
/// only, so a replicate's draws still depend on (seed, index) alone).
#[derive(Debug, Clone)]
pub struct Stream {
    s: [u64; 4],
    spare_normal: Option<f64>,
    sign_bits: u64,
    sign_left: u32,
}

impl Stream {
    /// The stream of iteration `index` of a run seeded with `seed`.
    ///
    /// ```
    /// use rema_core::resample::rng::Stream;
    /// let (mut a, mut b) = (Stream::new(42, 7), Stream::new(42, 7));
    /// assert_eq!(a.next_u64(), b.next_u64()); // (seed, index) fixes the draws
    /// assert_ne!(Stream::new(42, 8).next_u64(), Stream::new(42, 7).next_u64());
    /// let u = a.next_f64();
    /// assert!((0.0..1.0).contains(&u));
    /// assert!(a.below(6) < 6 && a.sign().abs() == 1.0 && a.normal().is_finite());
    /// let mut v = [1, 2, 3, 4, 5];
    /// a.shuffle(&mut v);
    /// v.sort();
    /// assert_eq!(v, [1, 2, 3, 4, 5]);
    /// ```
    pub fn new(seed: u64, index: u64) -> Stream {
        // Mix the seed and the index through SplitMix64 so that neighbouring
        // seeds and indices give unrelated states.
        let mut sm = seed;
        let a = splitmix64(&mut sm);
        let mut st = a ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut s = [0u64; 4];
        for x in s.iter_mut() {
            *x = splitmix64(&mut st);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Stream {
            s,
            spare_normal: None,
            sign_bits: 0,
            sign_left: 0,
        }
    }

    /// The next 64 random bits (xoshiro256++).
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform number in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in [0, n), unbiased (Lemire 2019), `n > 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// A random sign, +1 or −1, with equal probability: one bit of a
    /// 64-bit draw, the next draw when the bits are used up.
    pub fn sign(&mut self) -> f64 {
        if self.sign_left == 0 {
            self.sign_bits = self.next_u64();
            self.sign_left = 64;
        }
        let bit = self.sign_bits & 1;
        self.sign_bits >>= 1;
        self.sign_left -= 1;
        if bit == 0 {
            1.0
        } else {
            -1.0
        }
    }

    /// A standard normal variate: Marsaglia's polar method, which gives a
    /// pair; the second is kept for the next call on this stream.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * m);
                return u * m;
            }
        }
    }

    /// Fisher–Yates shuffle of `v`.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_index_only() {
        let a: Vec<u64> = (0..4).map(|_| Stream::new(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Stream::new(7, 3).next_u64(), Stream::new(7, 4).next_u64());
        assert_ne!(Stream::new(7, 3).next_u64(), Stream::new(8, 3).next_u64());
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut s = Stream::new(1, 0);
        let n = 200_000;
        let (mut m, mut m2) = (0.0, 0.0);
        for _ in 0..n {
            let z = s.normal();
            m += z;
            m2 += z * z;
        }
        m /= n as f64;
        m2 /= n as f64;
        assert!(m.abs() < 0.01, "mean {m}");
        assert!((m2 - 1.0).abs() < 0.02, "variance {m2}");
        // Tails and the pairing: P(Z < −1), P(|Z| > 1.96), and no
        // correlation between the two halves of a polar pair.
        let (mut below, mut outside, mut cross) = (0u32, 0u32, 0.0);
        for _ in 0..n / 2 {
            let (a, b) = (s.normal(), s.normal());
            below += u32::from(a < -1.0) + u32::from(b < -1.0);
            outside += u32::from(a.abs() > 1.96) + u32::from(b.abs() > 1.96);
            cross += a * b;
        }
        let nf = n as f64;
        assert!((f64::from(below) / nf - 0.158_655).abs() < 0.004, "{below}");
        assert!(
            (f64::from(outside) / nf - 0.049_996).abs() < 0.002,
            "{outside}"
        );
        assert!((cross / (nf / 2.0)).abs() < 0.01, "{cross}");
        // Signs: balanced, and consecutive signs (bits of one word and
        // across words) uncorrelated.
        let signs: Vec<f64> = (0..n).map(|_| s.sign()).collect();
        let plus = signs.iter().filter(|&&x| x > 0.0).count() as f64 / nf;
        assert!((plus - 0.5).abs() < 0.004, "{plus}");
        let lag: f64 = signs.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / nf;
        assert!(lag.abs() < 0.01, "{lag}");
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[s.below(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
