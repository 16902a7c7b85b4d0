//! Small dense linear algebra for the p × p systems of weighted least squares.
//!
//! Meta-regression designs have few columns (p is the number of moderators
//! plus one), so everything here is O(p³) on p × p matrices and O(k·p²) over
//! the studies. Matrices are row-major `Vec<f64>`.

/// A k × p design matrix, row-major: row i holds the moderators of study i,
/// the intercept's 1 first (metafor's `model.matrix(res)`).
///
/// ```
/// use rema_core::Design;
/// let x = Design::from_row_major(3, 2, vec![1.0, 44.0, 1.0, 55.0, 1.0, 42.0]).unwrap();
/// assert_eq!((x.rows(), x.cols()), (3, 2));
/// assert_eq!(x.row(1), &[1.0, 55.0]);
/// assert_eq!(x.select_rows(&[2, 0]).row(0), &[1.0, 42.0]);
/// assert!(!x.is_intercept_only() && Design::intercept(3).is_intercept_only());
/// assert!(Design::from_row_major(3, 2, vec![1.0; 5]).is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Design {
    /// The intercept-only design: a column of ones.
    pub fn intercept(k: usize) -> Design {
        Design {
            rows: k,
            cols: 1,
            data: vec![1.0; k],
        }
    }

    /// A design from row-major data. Returns `None` when the length is not
    /// `rows * cols`.
    pub fn from_row_major(rows: usize, cols: usize, data: Vec<f64>) -> Option<Design> {
        (rows.checked_mul(cols)? == data.len()).then_some(Design { rows, cols, data })
    }

    /// The number of rows k (studies).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns p (coefficients, intercept included).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` (the moderators of study `i`).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The row-major data, for filling a reused design in place.
    pub fn data_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// `Ok` when every value is finite, else the error naming the study
    /// (row) and the option `mods`, for the fits that take a model matrix.
    pub(crate) fn check_finite(&self) -> crate::error::Result<()> {
        for i in 0..self.rows() {
            if let Some(&value) = self.row(i).iter().find(|v| !v.is_finite()) {
                return Err(crate::error::Error::InvalidValue {
                    study: i,
                    column: "mods",
                    value,
                    allowed: "moderator values must be finite numbers",
                });
            }
        }
        Ok(())
    }

    /// True when the first column is all ones: the model has an intercept
    /// (as metafor's check of `X`), so the omnibus test leaves it out.
    ///
    /// ```
    /// use rema_core::Design;
    /// let no_intercept = Design::from_row_major(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    /// assert!(Design::intercept(2).has_intercept() && !no_intercept.has_intercept());
    /// ```
    pub fn has_intercept(&self) -> bool {
        self.cols > 0 && (0..self.rows).all(|i| self.data[i * self.cols] == 1.0)
    }

    /// True when the design is a single column of ones.
    pub fn is_intercept_only(&self) -> bool {
        self.cols == 1 && self.data.iter().all(|&x| x == 1.0)
    }

    /// The design restricted to the given rows, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Design {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Design {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }
}

/// A symmetric p × p matrix, row-major: the covariance [`crate::Fit::vb`]
/// of the coefficients.
///
/// ```
/// use rema_core::linalg::SymMatrix;
/// let z = SymMatrix::zeros(2);
/// assert_eq!((z.dim(), z.get(0, 1)), (2, 0.0));
/// assert!(z.cholesky_inverse().is_none() && z.log_det().is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SymMatrix {
    pub(crate) n: usize,
    pub(crate) data: Vec<f64>,
}

impl SymMatrix {
    /// The n × n zero matrix.
    pub fn zeros(n: usize) -> SymMatrix {
        SymMatrix {
            n,
            data: vec![0.0; n * n],
        }
    }

    /// The dimension n.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The element in row `i`, column `j` (panics when out of range, as slice indexing).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n + j]
    }

    pub(crate) fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n + j] = v;
    }

    /// Trace of the product of two symmetric matrices, tr(A·B).
    pub fn trace_product(&self, other: &SymMatrix) -> f64 {
        self.data.iter().zip(&other.data).map(|(a, b)| a * b).sum()
    }

    /// Natural log of the determinant, by Cholesky; `None` when the matrix is
    /// not positive definite.
    pub fn log_det(&self) -> Option<f64> {
        let mut l = vec![0.0; self.n * self.n];
        log_det_in_place(&self.data, self.n, &mut l)
    }

    /// Inverse by Cholesky decomposition. `None` when the matrix is not
    /// numerically positive definite (a rank-deficient design).
    pub fn cholesky_inverse(&self) -> Option<SymMatrix> {
        let n = self.n;
        let (mut l, mut li) = (vec![0.0; n * n], vec![0.0; n * n]);
        let mut inv = SymMatrix::zeros(n);
        cholesky_inverse_in_place(&self.data, n, &mut l, &mut li, &mut inv.data).then_some(inv)
    }
}

/// The Cholesky factor L (lower triangular, A = LLᵀ) of the n × n row-major
/// matrix `s` into `l`, pivot by pivot; `None` at the first pivot `d` with
/// `!(d > floor)` or not finite. With `LOG`, returns log|A| = 2Σ ln Lⱼⱼ
/// (else 0).
#[inline]
pub(crate) fn cholesky_in_place<const LOG: bool>(
    s: &[f64],
    n: usize,
    l: &mut [f64],
    floor: f64,
) -> Option<f64> {
    l[..n * n].iter_mut().for_each(|v| *v = 0.0);
    let mut ld = 0.0;
    for j in 0..n {
        let mut d = s[j * n + j];
        for m in 0..j {
            d -= l[j * n + m] * l[j * n + m];
        }
        if !(d > floor) || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        if LOG {
            ld += 2.0 * d.ln();
        }
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut t = s[i * n + j];
            for m in 0..j {
                t -= l[i * n + m] * l[j * n + m];
            }
            l[i * n + j] = t / d;
        }
    }
    Some(ld)
}

/// ln|A| of the n × n row-major matrix `s` by Cholesky, with `l` (n × n) as
/// scratch; `None` when not positive definite.
pub(crate) fn log_det_in_place(s: &[f64], n: usize, l: &mut [f64]) -> Option<f64> {
    cholesky_in_place::<true>(s, n, l, 0.0)
}

/// The inverse of the n × n row-major symmetric matrix `s` into `inv` by
/// Cholesky, with `l` and `li` (n × n) as scratch; false when `s` is not
/// numerically positive definite (a pivot below 1e-13 × its largest
/// diagonal entry: a rank-deficient design).
pub(crate) fn cholesky_inverse_in_place(
    s: &[f64],
    n: usize,
    l: &mut [f64],
    li: &mut [f64],
    inv: &mut [f64],
) -> bool {
    let scale = (0..n).map(|i| s[i * n + i].abs()).fold(0.0, f64::max);
    if cholesky_in_place::<false>(s, n, l, scale * 1e-13).is_none() {
        return false;
    }
    // Invert L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
    li[..n * n].iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n {
        li[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let mut t = 0.0;
            for m in j..i {
                t -= l[i * n + m] * li[m * n + j];
            }
            li[i * n + j] = t / l[i * n + i];
        }
    }
    for i in 0..n {
        for j in 0..=i {
            let mut t = 0.0;
            for m in i..n {
                t += li[m * n + i] * li[m * n + j];
            }
            inv[i * n + j] = t;
            inv[j * n + i] = t;
        }
    }
    true
}

/// A (r × s) times B (s × t), row-major, for the dense blocks of the
/// multilevel model and the cluster-robust tests.
pub(crate) fn mul(a: &[f64], b: &[f64], r: usize, s: usize, t: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * t];
    for i in 0..r {
        for m in 0..s {
            let aim = a[i * s + m];
            if aim != 0.0 {
                for j in 0..t {
                    out[i * t + j] += aim * b[m * t + j];
                }
            }
        }
    }
    out
}

/// A'B for A (n × p) and B (n × q), row-major: p × q.
pub(crate) fn mul_tn(a: &[f64], b: &[f64], n: usize, p: usize, q: usize) -> Vec<f64> {
    let mut out = vec![0.0; p * q];
    for r in 0..n {
        for i in 0..p {
            let ari = a[r * p + i];
            if ari != 0.0 {
                for j in 0..q {
                    out[i * q + j] += ari * b[r * q + j];
                }
            }
        }
    }
    out
}

/// Cross products X'·diag(w)·X of a design with weights.
pub(crate) fn weighted_crossprod(x: &Design, w: &[f64]) -> SymMatrix {
    let mut m = SymMatrix::zeros(x.cols);
    weighted_crossprod_in_place(x, w, &mut m.data);
    m
}

/// X'·diag(w)·X into `m` (p × p, row-major, overwritten).
pub(crate) fn weighted_crossprod_in_place(x: &Design, w: &[f64], m: &mut [f64]) {
    let p = x.cols;
    m.iter_mut().for_each(|v| *v = 0.0);
    for (i, &wi) in w.iter().enumerate() {
        let r = x.row(i);
        for a in 0..p {
            let ra = wi * r[a];
            for (b, rb) in r.iter().enumerate().take(a + 1) {
                m[a * p + b] += ra * rb;
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            m[b * p + a] = m[a * p + b];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_2x2() {
        let m = SymMatrix {
            n: 2,
            data: vec![4.0, 2.0, 2.0, 3.0],
        };
        let inv = m.cholesky_inverse().unwrap();
        let det = 4.0 * 3.0 - 2.0 * 2.0;
        assert!((inv.get(0, 0) - 3.0 / det).abs() < 1e-15);
        assert!((inv.get(0, 1) + 2.0 / det).abs() < 1e-15);
        assert!((inv.get(1, 1) - 4.0 / det).abs() < 1e-15);
    }

    #[test]
    fn singular_matrix_has_no_inverse() {
        let m = SymMatrix {
            n: 2,
            data: vec![1.0, 1.0, 1.0, 1.0],
        };
        assert!(m.cholesky_inverse().is_none());
    }
}
