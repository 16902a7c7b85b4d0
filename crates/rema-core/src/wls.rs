//! Weighted least squares and the traces of the projection matrix P.
//!
//! With W = diag(wᵢ) and A = (X'WX)⁻¹, metafor's projection matrix is
//! P = W − WXAX'W. Every quantity the estimators need is computed without
//! forming the k × k matrix P:
//! - Py = W·e with e = y − Xβ̂ the WLS residuals, so y'Py = Σwᵢeᵢ² and y'PPy = Σwᵢ²eᵢ²;
//! - tr(P) = Σwᵢ − tr(A·X'W²X);
//! - tr(PP) = Σwᵢ² − 2tr(A·X'W³X) + tr(A·X'W²X·A·X'W²X).

use crate::error::{Error, Result};
use crate::linalg::{weighted_crossprod, Design, SymMatrix};

/// A weighted least-squares fit of y on X.
#[derive(Debug, Clone)]
pub(crate) struct Wls {
    pub beta: Vec<f64>,
    /// A = (X'WX)⁻¹.
    pub a: SymMatrix,
    /// e = y − Xβ̂.
    pub resid: Vec<f64>,
    /// y'Py = Σwᵢeᵢ².
    pub rss: f64,
}

pub(crate) fn wls(y: &[f64], x: &Design, w: &[f64]) -> Result<Wls> {
    let p = x.cols();
    if p == 1 && x.is_intercept_only() {
        // The common case without matrices: A = 1/Σw, β = Σwy/Σw.
        let sw: f64 = w.iter().sum();
        let b = w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sw;
        if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
            return Err(Error::RankDeficient);
        }
        let resid: Vec<f64> = y.iter().map(|y| y - b).collect();
        let rss = resid.iter().zip(w).map(|(e, w)| w * e * e).sum();
        return Ok(Wls {
            beta: vec![b],
            a: SymMatrix {
                n: 1,
                data: vec![1.0 / sw],
            },
            resid,
            rss,
        });
    }
    let xtwx = weighted_crossprod(x, w);
    let a = xtwx.cholesky_inverse().ok_or(Error::RankDeficient)?;
    let mut xtwy = vec![0.0; p];
    for (i, (&wi, &yi)) in w.iter().zip(y).enumerate() {
        for (acc, xij) in xtwy.iter_mut().zip(x.row(i)) {
            *acc += wi * xij * yi;
        }
    }
    let beta: Vec<f64> = (0..p)
        .map(|r| (0..p).map(|c| a.get(r, c) * xtwy[c]).sum())
        .collect();
    let resid: Vec<f64> = (0..x.rows())
        .map(|i| {
            y[i] - x
                .row(i)
                .iter()
                .zip(&beta)
                .map(|(xij, b)| xij * b)
                .sum::<f64>()
        })
        .collect();
    let rss = resid.iter().zip(w).map(|(e, w)| w * e * e).sum();
    Ok(Wls {
        beta,
        a,
        resid,
        rss,
    })
}

/// tr(P) = Σwᵢ − tr(A·X'W²X).
pub(crate) fn trace_p(x: &Design, w: &[f64], a: &SymMatrix) -> f64 {
    let sw: f64 = w.iter().sum();
    let w2: Vec<f64> = w.iter().map(|w| w * w).collect();
    sw - a.trace_product(&weighted_crossprod(x, &w2))
}

/// tr(PP) = Σwᵢ² − 2tr(A·X'W³X) + tr((A·X'W²X)²).
pub(crate) fn trace_pp(x: &Design, w: &[f64], a: &SymMatrix) -> f64 {
    let w2: Vec<f64> = w.iter().map(|w| w * w).collect();
    let w3: Vec<f64> = w.iter().map(|w| w * w * w).collect();
    let sw2: f64 = w2.iter().sum();
    let b2 = weighted_crossprod(x, &w2);
    let b3 = weighted_crossprod(x, &w3);
    let m = a.product(&b2);
    let n = a.dim();
    let mut tr_mm = 0.0;
    for i in 0..n {
        for j in 0..n {
            tr_mm += m[i * n + j] * m[j * n + i];
        }
    }
    sw2 - 2.0 * a.trace_product(&b3) + tr_mm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds P explicitly and checks the trace shortcuts against it.
    #[test]
    fn traces_match_explicit_projection() {
        let k = 5;
        let xs = [0.3, 1.2, -0.7, 2.0, 0.1];
        let mut data = Vec::new();
        for x in xs {
            data.extend_from_slice(&[1.0, x]);
        }
        let x = Design::from_row_major(k, 2, data).unwrap();
        let w = [1.0, 2.0, 0.5, 3.0, 1.5];
        let y = [0.2, 0.5, -0.1, 0.9, 0.3];
        let fit = wls(&y, &x, &w).unwrap();
        let mut p = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let mut s = 0.0;
                for a in 0..2 {
                    for b in 0..2 {
                        s += x.row(i)[a] * fit.a.get(a, b) * x.row(j)[b];
                    }
                }
                p[i * k + j] = if i == j { w[i] } else { 0.0 } - w[i] * s * w[j];
            }
        }
        let tr: f64 = (0..k).map(|i| p[i * k + i]).sum();
        let trpp: f64 = p.iter().map(|v| v * v).sum();
        let ypy: f64 = (0..k)
            .map(|i| (0..k).map(|j| y[i] * p[i * k + j] * y[j]).sum::<f64>())
            .sum();
        assert!((trace_p(&x, &w, &fit.a) - tr).abs() < 1e-12);
        assert!((trace_pp(&x, &w, &fit.a) - trpp).abs() < 1e-12);
        assert!((fit.rss - ypy).abs() < 1e-12);
    }
}
