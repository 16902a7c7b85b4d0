//! Axes: nice tick values for linear and logarithmic scales, and the map
//! from data values to pixels.

/// A horizontal or vertical axis from `lo` to `hi` (data units) drawn from
/// pixel `p0` to pixel `p1`. On a log axis positions are linear in ln(value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub p0: f64,
    pub p1: f64,
}

impl Axis {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            v.ln()
        } else {
            v
        }
    }

    /// Pixel position of value `v` (extrapolated outside the limits).
    pub fn pos(&self, v: f64) -> f64 {
        let (a, b) = (self.t(self.lo), self.t(self.hi));
        self.p0 + (self.t(v) - a) / (b - a) * (self.p1 - self.p0)
    }

    /// Whether `v` can be placed on this axis at all.
    pub fn plottable(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    /// `v` clamped to the limits.
    pub fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.lo, self.hi)
    }
}

/// The ticks of an axis to label: all of them, or every second (fourth, …)
/// until neighbouring labels, `width(t)` wide and centred at `pos(t)`, are
/// at least `gap` apart (at least two stay labelled).
///
/// ```
/// use rema_plot::axis::labelled_ticks;
/// let ticks = [0.0, 1.0, 2.0, 3.0, 4.0];
/// assert_eq!(labelled_ticks(&ticks, |t| 100.0 * t, |_| 20.0, 5.0), ticks);
/// assert_eq!(labelled_ticks(&ticks, |t| 10.0 * t, |_| 20.0, 5.0), [0.0, 4.0]);
/// ```
pub fn labelled_ticks(
    ticks: &[f64],
    pos: impl Fn(f64) -> f64,
    width: impl Fn(f64) -> f64,
    gap: f64,
) -> Vec<f64> {
    let fits = |ts: &[f64]| {
        ts.windows(2)
            .all(|w| (pos(w[1]) - pos(w[0])).abs() >= (width(w[0]) + width(w[1])) / 2.0 + gap)
    };
    let mut labelled = ticks.to_vec();
    while labelled.len() > 2 && !fits(&labelled) {
        labelled = labelled.iter().step_by(2).copied().collect();
    }
    labelled
}

/// Nice limits and ticks covering `[lo, hi]` on a linear scale, with about
/// `target` intervals (steps of 1, 2, 2.5 or 5 × 10^k).
pub fn linear_ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !(lo.is_finite() && hi.is_finite()) {
        return (-1.0, 1.0, vec![-1.0, 0.0, 1.0]);
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= d;
        hi += d;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let a = (lo / step + 1e-9).floor();
    let b = (hi / step - 1e-9).ceil();
    let ticks: Vec<f64> = (0..=((b - a) as i64))
        .map(|i| clean((a + i as f64) * step))
        .collect();
    (clean(a * step), clean(b * step), ticks)
}

/// Nice limits and ticks covering `[lo, hi]` (both > 0) on a log scale:
/// 1, 2, 5 × 10^k when the range is short, powers of ten when long.
pub fn log_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !(lo > 0.0 && hi.is_finite()) {
        return (0.1, 10.0, vec![0.1, 1.0, 10.0]);
    }
    if hi / lo < 1.0 + 1e-9 {
        lo /= 1.5;
        hi *= 1.5;
    }
    let sets: [&[f64]; 4] = [
        &[1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 3.0],
        &[1.0],
    ];
    let k0 = lo.log10().floor() as i32 - 1;
    let k1 = hi.log10().ceil() as i32 + 1;
    for (i, set) in sets.iter().enumerate() {
        let mut all: Vec<f64> = (k0..=k1)
            .flat_map(|k| set.iter().map(move |m| clean(m * 10f64.powi(k))))
            .collect();
        all.sort_by(f64::total_cmp);
        // Limits: the candidates just outside the range.
        let a = all
            .iter()
            .rev()
            .find(|v| **v <= lo * (1.0 + 1e-9))
            .copied()
            .unwrap_or(lo);
        let b = all
            .iter()
            .find(|v| **v >= hi * (1.0 - 1e-9))
            .copied()
            .unwrap_or(hi);
        let ticks: Vec<f64> = all.into_iter().filter(|v| *v >= a && *v <= b).collect();
        if ticks.len() <= 8 || i == sets.len() - 1 {
            if i == sets.len() - 1 && ticks.len() > 8 {
                // Very long ranges: every other power of ten.
                let thinned: Vec<f64> = ticks.iter().step_by(2).copied().collect();
                let last = *thinned.last().unwrap_or(&b);
                return (a, last.max(b), thinned);
            }
            return (a, b, ticks);
        }
    }
    (lo, hi, vec![lo, hi])
}

/// Rounds away floating-point dust (0.30000000000000004 → 0.3).
fn clean(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    if digits <= 0 {
        return v;
    }
    let f = 10f64.powi(digits.min(300));
    (v * f).round() / f
}

/// A tick label with as few decimals as show the value exactly.
pub fn tick_label(v: f64) -> String {
    for d in 0..8 {
        let s = format!("{v:.d$}");
        if let Ok(p) = s.parse::<f64>() {
            if (p - v).abs() <= 1e-9 * v.abs().max(1e-12) {
                return if s == "-0" { "0".into() } else { s };
            }
        }
    }
    format!("{v:.3e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_cover_the_range() {
        let (a, b, t) = linear_ticks(-1.63, 0.42, 5);
        assert!(a <= -1.63 && b >= 0.42);
        assert_eq!(t.first().copied(), Some(a));
        assert_eq!(t.last().copied(), Some(b));
        assert!(t.len() >= 3 && t.len() <= 12, "{t:?}");
        assert!(t.contains(&0.0));
    }

    #[test]
    fn log_ticks_are_nice_ratios() {
        let (a, b, t) = log_ticks(0.2, 1.6);
        assert!(a <= 0.2 && b >= 1.6);
        assert!(t.contains(&1.0));
        assert!(t.len() <= 8);
        let (_, _, wide) = log_ticks(0.001, 5000.0);
        assert!(wide.len() <= 8, "{wide:?}");
        assert_eq!(tick_label(0.05), "0.05");
        assert_eq!(tick_label(2.0), "2");
    }

    #[test]
    fn positions_are_linear_in_log_units() {
        let ax = Axis {
            lo: 0.1,
            hi: 10.0,
            log: true,
            p0: 0.0,
            p1: 200.0,
        };
        assert!((ax.pos(1.0) - 100.0).abs() < 1e-9);
        assert!((ax.pos(0.1)).abs() < 1e-9);
    }
}
