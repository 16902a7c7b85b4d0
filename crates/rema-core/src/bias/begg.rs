//! Begg and Mazumdar's rank correlation test for funnel-plot asymmetry, as
//! metafor 3.8 `ranktest` (Begg & Mazumdar 1994, Biometrics 50:1088–1101).
//!
//! With the common-effect estimate θ̂ = Σwᵢyᵢ/Σwᵢ, wᵢ = 1/vᵢ, and
//! v* ᵢ = vᵢ − 1/Σwᵢ, the standardised effects y*ᵢ = (yᵢ − θ̂)/√v*ᵢ are
//! correlated with the variances vᵢ by Kendall's τ_b (R `cor(method =
//! "kendall")`):
//! τ_b = (C − D)/√((n₀ − n₁)(n₀ − n₂)), n₀ = n(n−1)/2, n₁, n₂ the tied pairs.
//!
//! The p-value is R's `cor.test(method = "kendall", exact = TRUE)`: without
//! ties, the exact two-sided p-value of the number of concordant pairs under
//! independence (the Mahonian distribution of inversions, at any k); with
//! ties, the normal approximation with the tie-corrected variance of S = C − D
//! (Kendall 1970, *Rank Correlation Methods*, ch. 4), without continuity
//! correction. With `exact = false` (metafor `ranktest(exact = FALSE)`)
//! the normal approximation is used whether or not there are ties.

use crate::error::{Error, Result};

/// The rank correlation test (metafor's `ranktest()` object).
///
/// Produced by [`rank_correlation`] and [`kendall`] (see their examples).
#[derive(Debug, Clone, PartialEq)]
pub struct RankTest {
    /// Kendall's τ_b.
    pub tau: f64,
    /// Its two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// True when the exact distribution was used (no ties), false for the
    /// normal approximation.
    pub exact: bool,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

fn sign(x: f64) -> i64 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

/// Sizes of the groups of tied values (groups of one left out).
fn tie_groups(x: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = x.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let mut groups = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let mut j = i + 1;
        while j < s.len() && s[j] == s[i] {
            j += 1;
        }
        if j - i > 1 {
            groups.push((j - i) as f64);
        }
        i = j;
    }
    groups
}

/// P(T ≤ q) for the number T of concordant pairs among n independent ranks
/// (R's `pkendall`): the distribution of the number of inversions of a
/// random permutation, built one element at a time.
fn kendall_cdf(q: i64, n: usize) -> f64 {
    let max = (n * n.saturating_sub(1) / 2) as i64;
    if q < 0 {
        return 0.0;
    }
    if q >= max {
        return 1.0;
    }
    let mut dist = vec![1.0f64];
    for m in 2..=n {
        // Adding the m-th element adds 0..m-1 inversions, each with probability 1/m.
        let len = dist.len() + m - 1;
        let mut next = vec![0.0; len];
        let mut window = 0.0;
        for (t, slot) in next.iter_mut().enumerate() {
            if t < dist.len() {
                window += dist[t];
            }
            if t >= m && t - m < dist.len() {
                window -= dist[t - m];
            }
            *slot = window / m as f64;
        }
        dist = next;
    }
    dist[..=q as usize].iter().sum::<f64>().min(1.0)
}

/// Kendall's τ_b between `x` and `y` and its two-sided p-value, as R's
/// `cor.test(x, y, method = "kendall", exact = TRUE)`.
///
/// ```
/// use rema_core::bias::begg::kendall;
/// # fn main() -> rema_core::Result<()> {
/// // R: cor.test(1:5, c(2, 1, 4, 3, 5), method = "kendall", exact = TRUE)
/// let t = kendall(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0])?;
/// assert!((t.tau - 0.6).abs() < 1e-12 && (t.pval - 0.2333333333).abs() < 1e-9 && t.exact);
/// # Ok(())
/// # }
/// ```
pub fn kendall(x: &[f64], y: &[f64]) -> Result<RankTest> {
    kendall_with(x, y, true)
}

/// Kendall's τ_b and its p-value as R's `cor.test(x, y, method = "kendall",
/// exact)`: with `exact = false` the normal approximation (tie-corrected,
/// without continuity correction) is used even without ties.
///
/// ```
/// use rema_core::bias::begg::kendall_with;
/// # fn main() -> rema_core::Result<()> {
/// // R: cor.test(1:5, c(2, 1, 4, 3, 5), method = "kendall", exact = FALSE)
/// let t = kendall_with(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0], false)?;
/// assert!((t.pval - 0.141644690).abs() < 1e-7 && !t.exact);
/// # Ok(())
/// # }
/// ```
pub fn kendall_with(x: &[f64], y: &[f64], exact: bool) -> Result<RankTest> {
    let n = x.len();
    let (mut c, mut d) = (0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let s = sign(x[i] - x[j]) * sign(y[i] - y[j]);
            if s > 0 {
                c += 1;
            } else if s < 0 {
                d += 1;
            }
        }
    }
    let xt = tie_groups(x);
    let yt = tie_groups(y);
    let nf = n as f64;
    let t0 = nf * (nf - 1.0) / 2.0;
    let t1: f64 = xt.iter().map(|t| t * (t - 1.0)).sum::<f64>() / 2.0;
    let t2: f64 = yt.iter().map(|t| t * (t - 1.0)).sum::<f64>() / 2.0;
    let denom = ((t0 - t1) * (t0 - t2)).sqrt();
    if !(denom > 0.0) {
        return Err(Error::Undefined {
            what: "Kendall's tau",
            reason: "every effect or every sampling variance is tied".to_string(),
        });
    }
    let tau = (c - d) as f64 / denom;
    let ties = !xt.is_empty() || !yt.is_empty();
    let mut notes = Vec::new();
    let pval = if !ties && exact {
        let q = c;
        let p = if 2 * q > (n * (n - 1) / 2) as i64 {
            1.0 - kendall_cdf(q - 1, n)
        } else {
            kendall_cdf(q, n)
        };
        (2.0 * p).min(1.0)
    } else {
        if exact {
            notes.push(
            "ties among the effects or variances: the p-value of Kendall's tau uses the normal approximation with the tie correction (as R's cor.test)".to_string(),
        );
        }
        let s = tau * ((t0 - t1) * (t0 - t2)).sqrt();
        let f = |t: &[f64], g: &dyn Fn(f64) -> f64| t.iter().map(|&t| g(t)).sum::<f64>();
        let v0 = nf * (nf - 1.0) * (2.0 * nf + 5.0);
        let vt = f(&xt, &|t| t * (t - 1.0) * (2.0 * t + 5.0));
        let vu = f(&yt, &|t| t * (t - 1.0) * (2.0 * t + 5.0));
        let v1 = f(&xt, &|t| t * (t - 1.0)) * f(&yt, &|t| t * (t - 1.0));
        let v2 = f(&xt, &|t| t * (t - 1.0) * (t - 2.0)) * f(&yt, &|t| t * (t - 1.0) * (t - 2.0));
        let var_s = (v0 - vt - vu) / 18.0
            + v1 / (2.0 * nf * (nf - 1.0))
            + v2 / (9.0 * nf * (nf - 1.0) * (nf - 2.0));
        let z = s / var_s.sqrt();
        2.0 * crate::dist::norm_cdf(z).min(crate::dist::norm_sf(z))
    };
    Ok(RankTest {
        tau,
        pval,
        exact: !ties && exact,
        notes,
    })
}

/// Begg and Mazumdar's test on effects `yi` with sampling variances `vi`
/// (metafor `ranktest(res)`).
///
/// ```
/// use rema_core::rank_correlation;
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: ranktest(rma(yi, vi))
/// let r = rank_correlation(&yi, &vi)?;
/// assert!((r.tau - 0.02564103).abs() < 1e-7 && (r.pval - 0.9523619).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn rank_correlation(yi: &[f64], vi: &[f64]) -> Result<RankTest> {
    rank_correlation_with(yi, vi, true)
}

/// Begg and Mazumdar's test with metafor's `exact` option
/// (`ranktest(res, exact = FALSE)` asks for the normal approximation).
///
/// ```
/// use rema_core::bias::begg::rank_correlation_with;
/// # fn main() -> rema_core::Result<()> {
/// let r = rank_correlation_with(&[0.1, 0.5, 0.2, 0.9], &[0.01, 0.04, 0.02, 0.09], false)?;
/// assert!(!r.exact && r.tau > 0.0);
/// # Ok(())
/// # }
/// ```
pub fn rank_correlation_with(yi: &[f64], vi: &[f64], exact: bool) -> Result<RankTest> {
    crate::fit::validate_at_least(yi, vi, 3, "the rank correlation test")?;
    let sw: f64 = vi.iter().map(|v| 1.0 / v).sum();
    let theta = yi.iter().zip(vi).map(|(y, v)| y / v).sum::<f64>() / sw;
    let vb = 1.0 / sw;
    let ystar: Vec<f64> = yi
        .iter()
        .zip(vi)
        .map(|(y, v)| (y - theta) / (v - vb).sqrt())
        .collect();
    kendall_with(&ystar, vi, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_distribution_matches_small_enumeration() {
        // n = 3: inversions 0,1,1,2,2,3 over 6 permutations.
        assert!((kendall_cdf(0, 3) - 1.0 / 6.0).abs() < 1e-15);
        assert!((kendall_cdf(1, 3) - 3.0 / 6.0).abs() < 1e-15);
        assert!((kendall_cdf(2, 3) - 5.0 / 6.0).abs() < 1e-15);
        assert_eq!(kendall_cdf(3, 3), 1.0);
    }

    #[test]
    fn perfect_concordance() {
        let r = kendall(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0]).unwrap();
        assert_eq!(r.tau, 1.0);
        assert!(r.exact);
        // Two-sided exact: 2 / 4! = 1/12.
        assert!((r.pval - 2.0 / 24.0).abs() < 1e-15);
    }

    #[test]
    fn all_tied_is_an_error() {
        let err = kendall(&[1.0, 2.0, 3.0], &[1.0, 1.0, 1.0]).unwrap_err();
        assert!(matches!(err, Error::Undefined { .. }));
    }
}
