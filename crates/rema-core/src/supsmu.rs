//! Friedman's super smoother (Friedman 1984, "A variable span smoother",
//! Technical Report 5, Laboratory for Computational Statistics, Stanford
//! University), as R's `stats::supsmu(x, y, span = "cv", bass)` computes it
//! (its Fortran `supsmu` and `smooth`, ported step for step, with R's
//! single-precision constants: spans 0.05, 0.2, 0.5 read as `f32`, as the
//! Fortran `data` statement stores them).
//!
//! Three running-lines smoothers (tweeter, midrange and woofer spans) are
//! fitted; each point's cross-validated absolute residual is smoothed with
//! the midrange span, the span with the smallest smoothed residual chosen
//! per point (pulled towards the woofer by `bass` α ∈ (0, 10]:
//! span + (woofer − span)·max(10⁻⁷, r_min/r_woofer)^(10 − α)), the chosen
//! spans smoothed again, the fit interpolated between the two nearest of the
//! three smooths, and that smoothed with the tweeter span. Ties in x share
//! the weighted mean of their smooth.
//!
//! Used by the Q–Q envelope (`resample::qq_envelope`), as metafor's
//! `qqnorm.rma.uni(smooth = TRUE)`.

use crate::error::{Error, Result};

const SPANS: [f32; 3] = [0.05, 0.2, 0.5];
const BIG: f32 = 1.0e20;
const SML: f32 = 1.0e-7;
const EPS: f32 = 1.0e-3;

/// The super smoother of `y` on `x` (sorted increasing, tied x by
/// increasing y, the order R's `supsmu` puts them in: `order(x, y)`) with
/// unit weights and bass control `bass` (R `supsmu(x, y, bass = bass)`; 0
/// or outside (0, 10] for none). Returns the smooth at every x (R returns
/// it once per distinct x). Needs at least 5 points, as the tweeter's
/// window of 5 must fit (R's Fortran would read past the data).
///
/// ```
/// use rema_core::supsmu::supsmu;
/// // A straight line is its own smooth.
/// let x: Vec<f64> = (0..12).map(|i| i as f64).collect();
/// let y: Vec<f64> = x.iter().map(|x| 2.0 * x + 1.0).collect();
/// let s = supsmu(&x, &y, 0.0).unwrap();
/// assert!(s.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-9));
/// ```
pub fn supsmu(x: &[f64], y: &[f64], bass: f64) -> Result<Vec<f64>> {
    let n = x.len();
    if y.len() != n {
        return Err(Error::LengthMismatch {
            what: format!("{n} x values but {} y values for the smoother", y.len()),
        });
    }
    if n < 5 {
        return Err(Error::TooFewStudies {
            k: n,
            needed: 5,
            what: "the super smoother",
        });
    }
    if let Some(i) = (0..n).find(|&i| !(x[i].is_finite() && y[i].is_finite())) {
        return Err(Error::InvalidValue {
            study: i,
            column: "x",
            value: if x[i].is_finite() { y[i] } else { x[i] },
            allowed: "the smoother takes finite values",
        });
    }
    if (1..n).any(|i| x[i] < x[i - 1] || (x[i] == x[i - 1] && y[i] < y[i - 1])) {
        return Err(Error::InvalidOption {
            option: "x",
            message: "the smoother's points must be sorted by x, tied x by y (R's order(x, y))"
                .to_string(),
        });
    }
    let w = vec![1.0; n];
    if x[n - 1] <= x[0] {
        let a = y.iter().sum::<f64>() / n as f64;
        return Ok(vec![a; n]);
    }
    // Fortran indices are 1-based: x(i) is x[i - 1].
    let mut i = n / 4;
    let mut j = 3 * i;
    let mut scale = x[j - 1] - x[i - 1];
    while scale <= 0.0 {
        if j < n {
            j += 1;
        }
        if i > 1 {
            i -= 1;
        }
        scale = x[j - 1] - x[i - 1];
    }
    let vsmlsq = (f64::from(EPS) * scale).powi(2);
    let spans = SPANS.map(f64::from);
    let mut sc = vec![vec![0.0; n]; 7];
    let mut h = vec![0.0; n];
    for i in 0..3 {
        let (fit, rest) = sc.split_at_mut(6);
        smooth(x, y, &w, spans[i], 1, vsmlsq, &mut fit[2 * i], &mut rest[0]);
        let acvr = rest[0].clone();
        smooth(
            x,
            &acvr,
            &w,
            spans[1],
            -1,
            vsmlsq,
            &mut fit[2 * i + 1],
            &mut h,
        );
    }
    let big = f64::from(BIG);
    // j indexes a row across the seven columns, as the Fortran's sc(j, i).
    #[allow(clippy::needless_range_loop)]
    for j in 0..n {
        let mut resmin = big;
        for i in 0..3 {
            if sc[2 * i + 1][j] < resmin {
                resmin = sc[2 * i + 1][j];
                sc[6][j] = spans[i];
            }
        }
        if bass > 0.0 && bass <= 10.0 && resmin < sc[5][j] && resmin > 0.0 {
            sc[6][j] +=
                (spans[2] - sc[6][j]) * (f64::from(SML).max(resmin / sc[5][j])).powf(10.0 - bass);
        }
    }
    let chosen = sc[6].clone();
    let mut span_smooth = vec![0.0; n];
    smooth(
        x,
        &chosen,
        &w,
        spans[1],
        -1,
        vsmlsq,
        &mut span_smooth,
        &mut h,
    );
    let mut mixed = vec![0.0; n];
    for j in 0..n {
        let mut s = span_smooth[j];
        if s <= spans[0] {
            s = spans[0];
        }
        if s >= spans[2] {
            s = spans[2];
        }
        let f = s - spans[1];
        mixed[j] = if f >= 0.0 {
            let f = f / (spans[2] - spans[1]);
            (1.0 - f) * sc[2][j] + f * sc[4][j]
        } else {
            let f = -f / (spans[1] - spans[0]);
            (1.0 - f) * sc[2][j] + f * sc[0][j]
        };
    }
    let mut smo = vec![0.0; n];
    smooth(x, &mixed, &w, spans[0], -1, vsmlsq, &mut smo, &mut h);
    Ok(smo)
}

/// The running-lines smoother of span `span` (Fortran `smooth`, iper = ±1:
/// not periodic; with `iper > 0` the cross-validated absolute residuals go
/// to `acvr`).
#[allow(clippy::too_many_arguments)]
fn smooth(
    x: &[f64],
    y: &[f64],
    w: &[f64],
    span: f64,
    iper: i32,
    vsmlsq: f64,
    smo: &mut [f64],
    acvr: &mut [f64],
) {
    let n = x.len();
    let (mut xm, mut ym, mut var, mut cvar, mut fbw) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // Fortran's integer assignment truncates.
    let mut ibw = (0.5 * span * n as f64 + 0.5) as usize;
    if ibw < 2 {
        ibw = 2;
    }
    let it = (2 * ibw + 1).min(n);
    let add =
        |j: usize, xm: &mut f64, ym: &mut f64, var: &mut f64, cvar: &mut f64, fbw: &mut f64| {
            let (xti, wt) = (x[j], w[j]);
            let fbo = *fbw;
            *fbw += wt;
            if *fbw > 0.0 {
                *xm = (fbo * *xm + wt * xti) / *fbw;
                *ym = (fbo * *ym + wt * y[j]) / *fbw;
            }
            let tmp = if fbo > 0.0 {
                *fbw * wt * (xti - *xm) / fbo
            } else {
                0.0
            };
            *var += tmp * (xti - *xm);
            *cvar += tmp * (y[j] - *ym);
        };
    for i in 0..it {
        add(i, &mut xm, &mut ym, &mut var, &mut cvar, &mut fbw);
    }
    for j in 1..=n {
        // 1-based window ends, as the Fortran.
        let out = j as i64 - ibw as i64 - 1;
        let inn = j + ibw;
        if out >= 1 && inn <= n {
            let (o, i) = (out as usize - 1, inn - 1);
            let (xto, wt) = (x[o], w[o]);
            let fbo = fbw;
            fbw -= wt;
            let tmp = if fbw > 0.0 {
                fbo * wt * (xto - xm) / fbw
            } else {
                0.0
            };
            var -= tmp * (xto - xm);
            cvar -= tmp * (y[o] - ym);
            if fbw > 0.0 {
                xm = (fbo * xm - wt * xto) / fbw;
                ym = (fbo * ym - wt * y[o]) / fbw;
            }
            add(i, &mut xm, &mut ym, &mut var, &mut cvar, &mut fbw);
        }
        let jj = j - 1;
        let a = if var > vsmlsq { cvar / var } else { 0.0 };
        smo[jj] = a * (x[jj] - xm) + ym;
        if iper <= 0 {
            continue;
        }
        let mut h = if fbw > 0.0 { 1.0 / fbw } else { 0.0 };
        if var > vsmlsq {
            h += (x[jj] - xm).powi(2) / var;
        }
        acvr[jj] = 0.0;
        let a = 1.0 - w[jj] * h;
        if a > 0.0 {
            acvr[jj] = (y[jj] - smo[jj]).abs() / a;
        } else if jj >= 1 {
            acvr[jj] = acvr[jj - 1];
        }
    }
    // Tied x share the weighted mean of their smooth.
    let mut j = 0;
    while j < n {
        let j0 = j;
        let mut sy = smo[j] * w[j];
        let mut fbw = w[j];
        while j + 1 < n && x[j + 1] <= x[j] {
            j += 1;
            sy += w[j] * smo[j];
            fbw += w[j];
        }
        if j > j0 {
            let a = if fbw > 0.0 { sy / fbw } else { 0.0 };
            for v in &mut smo[j0..=j] {
                *v = a;
            }
        }
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_points_are_refused() {
        assert!(matches!(
            supsmu(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 0.0),
            Err(Error::TooFewStudies { needed: 5, .. })
        ));
    }

    #[test]
    fn constant_x_gives_the_mean() {
        let s = supsmu(&[1.0; 6], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.0).unwrap();
        assert!(s.iter().all(|v| (v - 3.5).abs() < 1e-12));
    }
}
