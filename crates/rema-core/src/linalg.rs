//! Small dense linear algebra for the p × p systems of weighted least squares.
//!
//! Meta-regression designs have few columns (p is the number of moderators
//! plus one), so everything here is O(p³) on p × p matrices and O(k·p²) over
//! the studies. Matrices are row-major `Vec<f64>`.

/// A k × p design matrix, row-major: row i holds the moderators of study i.
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

    pub fn rows(&self) -> usize {
        self.rows
    }

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

/// A symmetric p × p matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct SymMatrix {
    pub(crate) n: usize,
    pub(crate) data: Vec<f64>,
}

impl SymMatrix {
    pub fn zeros(n: usize) -> SymMatrix {
        SymMatrix {
            n,
            data: vec![0.0; n * n],
        }
    }

    pub fn dim(&self) -> usize {
        self.n
    }

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

    /// The matrix product A·B (not symmetric in general; returned row-major).
    pub(crate) fn product(&self, other: &SymMatrix) -> Vec<f64> {
        let n = self.n;
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for l in 0..n {
                let a = self.get(i, l);
                for j in 0..n {
                    out[i * n + j] += a * other.get(l, j);
                }
            }
        }
        out
    }

    /// Natural log of the determinant, by Cholesky; `None` when the matrix is
    /// not positive definite.
    pub fn log_det(&self) -> Option<f64> {
        let n = self.n;
        let mut l = vec![0.0; n * n];
        let mut ld = 0.0;
        for j in 0..n {
            let mut d = self.get(j, j);
            for m in 0..j {
                d -= l[j * n + m] * l[j * n + m];
            }
            if !(d > 0.0) || !d.is_finite() {
                return None;
            }
            let d = d.sqrt();
            ld += 2.0 * d.ln();
            l[j * n + j] = d;
            for i in j + 1..n {
                let mut s = self.get(i, j);
                for m in 0..j {
                    s -= l[i * n + m] * l[j * n + m];
                }
                l[i * n + j] = s / d;
            }
        }
        Some(ld)
    }

    /// Inverse by Cholesky decomposition. `None` when the matrix is not
    /// numerically positive definite (a rank-deficient design).
    pub fn cholesky_inverse(&self) -> Option<SymMatrix> {
        let n = self.n;
        // Lower-triangular L with A = L Lᵀ.
        let mut l = vec![0.0; n * n];
        let scale = (0..n).map(|i| self.get(i, i).abs()).fold(0.0, f64::max);
        for j in 0..n {
            let mut d = self.get(j, j);
            for m in 0..j {
                d -= l[j * n + m] * l[j * n + m];
            }
            if !(d > scale * 1e-13) || !d.is_finite() {
                return None;
            }
            let d = d.sqrt();
            l[j * n + j] = d;
            for i in j + 1..n {
                let mut s = self.get(i, j);
                for m in 0..j {
                    s -= l[i * n + m] * l[j * n + m];
                }
                l[i * n + j] = s / d;
            }
        }
        // Invert L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
        let mut li = vec![0.0; n * n];
        for i in 0..n {
            li[i * n + i] = 1.0 / l[i * n + i];
            for j in 0..i {
                let mut s = 0.0;
                for m in j..i {
                    s -= l[i * n + m] * li[m * n + j];
                }
                li[i * n + j] = s / l[i * n + i];
            }
        }
        let mut inv = SymMatrix::zeros(n);
        for i in 0..n {
            for j in 0..=i {
                let mut s = 0.0;
                for m in i..n {
                    s += li[m * n + i] * li[m * n + j];
                }
                inv.set(i, j, s);
                inv.set(j, i, s);
            }
        }
        Some(inv)
    }
}

/// Cross products X'·diag(w)·X of a design with weights.
pub(crate) fn weighted_crossprod(x: &Design, w: &[f64]) -> SymMatrix {
    let p = x.cols;
    let mut m = SymMatrix::zeros(p);
    for (i, &wi) in w.iter().enumerate() {
        let r = x.row(i);
        for a in 0..p {
            let ra = wi * r[a];
            for (b, rb) in r.iter().enumerate().take(a + 1) {
                m.data[a * p + b] += ra * rb;
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            m.data[b * p + a] = m.data[a * p + b];
        }
    }
    m
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
