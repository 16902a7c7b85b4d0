//! Multivariate random effects `~ inner | outer` with a variance structure
//! (metafor 3.8-1 `rma.mv(random = ~ inner | outer, struct = ...)`).
//!
//! Effects i and j in the same level of the outer factor share a random
//! effect with covariance G[inner(i), inner(j)], G an L × L matrix over the
//! L levels of the inner factor (Berkey et al. 1998; Kalaian & Raudenbush
//! 1996), so M gains Σ_{outer(i) = outer(j)} G[inner(i), inner(j)]. The
//! structures, with metafor's parameters τ² ≥ 0 and ρ ∈ [−1, 1]:
//! - `CS` (compound symmetry): Gₐₐ = τ², Gₐᵦ = ρτ²;
//! - `HCS` (heteroscedastic CS): Gₐₐ = τ²ₐ, Gₐᵦ = ρ·τₐτᵦ;
//! - `UN` (unstructured): Gₐₐ = τ²ₐ, Gₐᵦ = ρₐᵦ·τₐτᵦ, one ρ per pair a < b
//!   (metafor's order: the lower triangle column by column), the
//!   correlation matrix positive semi-definite;
//! - `DIAG`: Gₐₐ = τ²ₐ, Gₐᵦ = 0;
//! - `ID`: Gₐₐ = τ², Gₐᵦ = 0.
//!
//! The inner levels are numbered as R's `factor()` sorts them (numerically
//! when every label is a number, else by byte order, R's sort in the C
//! locale), so τ²₁, τ²₂, … are metafor's `tau2` in its order. A pair of
//! inner levels that never occurs within one outer level leaves its ρ
//! unidentified: as metafor, it is fixed at 0 (and said in the notes).
//!
//! The derivatives ∂G/∂τ²ₐ and ∂G/∂ρ feed the same Fisher scoring as the
//! random intercepts ([`super::likelihood`]); at τ²ₐ = 0 the derivative of
//! τₐτᵦ is unbounded and is taken as 0 (the level then acts as under DIAG
//! for that step).

use crate::error::{Error, Result};

/// The variance structure of a `~ inner | outer` term (metafor `struct`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarStruct {
    /// Compound symmetry: one τ², one ρ.
    Cs,
    /// Heteroscedastic compound symmetry: a τ² per level, one ρ.
    Hcs,
    /// Unstructured: a τ² per level, a ρ per pair of levels.
    Un,
    /// Diagonal: a τ² per level, no correlation.
    Diag,
    /// Identity: one τ², no correlation.
    Id,
}

impl VarStruct {
    /// metafor's name of the structure (`"CS"`, `"UN"`); [`FromStr`](std::str::FromStr)
    /// takes it in any case.
    ///
    /// ```
    /// use rema_core::mv::VarStruct;
    /// assert_eq!(VarStruct::Un.name(), "UN");
    /// assert_eq!("hcs".parse::<VarStruct>(), Ok(VarStruct::Hcs));
    /// assert!("AR".parse::<VarStruct>().is_err());
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            VarStruct::Cs => "CS",
            VarStruct::Hcs => "HCS",
            VarStruct::Un => "UN",
            VarStruct::Diag => "DIAG",
            VarStruct::Id => "ID",
        }
    }
}

display_by_name!(VarStruct);

impl std::str::FromStr for VarStruct {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<VarStruct, String> {
        let t = s.trim();
        VarStruct::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!(
                    "unknown variance structure `{s}`; expected {} (metafor's struct; AR, CAR, SPEXP and the others are not fitted)",
                    crate::error::or_list(&VarStruct::ALL.map(VarStruct::name))
                )
            })
    }
}

impl VarStruct {
    /// Every structure, in metafor's order of its documentation.
    pub const ALL: [VarStruct; 5] = [
        VarStruct::Cs,
        VarStruct::Hcs,
        VarStruct::Un,
        VarStruct::Diag,
        VarStruct::Id,
    ];

    fn one_tau2(self) -> bool {
        matches!(self, VarStruct::Cs | VarStruct::Id)
    }
}

/// The shape of G: the structure and the number of inner levels, and the
/// ρ pairs (what a block needs to build its part of M).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    pub structure: VarStruct,
    pub levels: usize,
    /// The (a, b), a < b, of every ρ (UN), in metafor's order.
    pub pairs: Vec<(usize, usize)>,
}

impl Shape {
    fn new(structure: VarStruct, levels: usize) -> Shape {
        let mut pairs = Vec::new();
        if structure == VarStruct::Un {
            for a in 0..levels {
                for b in a + 1..levels {
                    pairs.push((a, b));
                }
            }
        }
        Shape {
            structure,
            levels,
            pairs,
        }
    }

    /// The number of τ² values.
    pub(crate) fn n_tau2(&self) -> usize {
        if self.structure.one_tau2() {
            1
        } else {
            self.levels
        }
    }

    /// The number of ρ values.
    pub(crate) fn n_rho(&self) -> usize {
        match self.structure {
            VarStruct::Cs | VarStruct::Hcs => 1,
            VarStruct::Un => self.pairs.len(),
            VarStruct::Diag | VarStruct::Id => 0,
        }
    }

    pub(crate) fn n_params(&self) -> usize {
        self.n_tau2() + self.n_rho()
    }

    fn tau2_of(&self, a: usize) -> usize {
        if self.structure.one_tau2() {
            0
        } else {
            a
        }
    }

    /// The parameter index of the ρ of levels a ≠ b (`None` without ρ).
    fn rho_of(&self, a: usize, b: usize) -> Option<usize> {
        let (a, b) = (a.min(b), a.max(b));
        match self.structure {
            VarStruct::Cs | VarStruct::Hcs => Some(self.n_tau2()),
            VarStruct::Un => {
                // Pairs are listed by a, then b: (0,1), (0,2), …, (1,2), …
                let l = self.levels;
                let before = a * (2 * l - a - 1) / 2;
                Some(self.n_tau2() + before + (b - a - 1))
            }
            VarStruct::Diag | VarStruct::Id => None,
        }
    }

    /// G (L × L, row-major) at the parameters [τ²…, ρ…].
    pub(crate) fn g(&self, par: &[f64]) -> Vec<f64> {
        let l = self.levels;
        let mut g = vec![0.0; l * l];
        for a in 0..l {
            for b in 0..l {
                g[a * l + b] = if a == b {
                    par[self.tau2_of(a)]
                } else {
                    match self.rho_of(a, b) {
                        Some(r) => {
                            let (ta, tb) = (par[self.tau2_of(a)], par[self.tau2_of(b)]);
                            par[r] * (ta * tb).sqrt()
                        }
                        None => 0.0,
                    }
                };
            }
        }
        g
    }

    /// ∂G/∂par[k] (L × L).
    pub(crate) fn dg(&self, par: &[f64], k: usize) -> Vec<f64> {
        let l = self.levels;
        let mut d = vec![0.0; l * l];
        let n_tau2 = self.n_tau2();
        for a in 0..l {
            for b in 0..l {
                let (ia, ib) = (self.tau2_of(a), self.tau2_of(b));
                d[a * l + b] = if a == b {
                    f64::from(u8::from(ia == k))
                } else if let Some(r) = self.rho_of(a, b) {
                    let (ta, tb) = (par[ia], par[ib]);
                    if k == r {
                        (ta * tb).sqrt()
                    } else if k < n_tau2 && (ia == k || ib == k) {
                        if ia == ib {
                            // One τ² (CS): ρτ².
                            par[r]
                        } else {
                            // ∂(τₐτᵦ)/∂τ²ₐ = τᵦ/(2τₐ), 0 at τₐ = 0.
                            let (mine, other) = if ia == k { (ta, tb) } else { (tb, ta) };
                            if mine > 0.0 {
                                par[r] * 0.5 * (other / mine).sqrt()
                            } else {
                                0.0
                            }
                        }
                    } else {
                        0.0
                    }
                } else {
                    0.0
                };
            }
        }
        d
    }

    /// The bounds of par[k]: [0, ∞) for τ², [−1, 1] for ρ.
    pub(crate) fn bounds(&self, k: usize) -> (f64, f64) {
        if k < self.n_tau2() {
            (0.0, f64::INFINITY)
        } else {
            (-1.0, 1.0)
        }
    }

    /// Whether the correlations are admissible: for UN, the correlation
    /// matrix positive semi-definite (to rounding).
    pub(crate) fn admissible(&self, par: &[f64]) -> bool {
        if self.structure != VarStruct::Un || self.levels < 3 {
            return true;
        }
        let l = self.levels;
        let mut r = vec![0.0; l * l];
        for a in 0..l {
            r[a * l + a] = 1.0 + 1e-8;
            for b in a + 1..l {
                let v = par[self.rho_of(a, b).unwrap_or(0)];
                r[a * l + b] = v;
                r[b * l + a] = v;
            }
        }
        let mut ch = vec![0.0; l * l];
        crate::linalg::log_det_in_place(&r, l, &mut ch).is_some()
    }
}

/// One `~ inner | outer` term with its structure: the inner and outer level
/// of every effect (metafor `rma.mv(random = ~ inner | outer, struct)`).
///
/// ```
/// use rema_core::mv::{StructTerm, VarStruct};
/// let t = StructTerm::new(
///     VarStruct::Un,
///     "outcome",
///     &["PD", "AL", "PD", "AL", "PD"],
///     "trial",
///     &["1", "1", "2", "2", "3"],
/// )
/// .unwrap();
/// assert_eq!(t.inner_levels(), &["AL".to_string(), "PD".to_string()]);
/// assert_eq!((t.n_tau2(), t.n_rho()), (2, 1));
/// assert_eq!(t.name(), "outcome | trial");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StructTerm {
    pub(crate) shape: Shape,
    inner_name: String,
    outer_name: String,
    pub(crate) inner: Vec<usize>,
    inner_levels: Vec<String>,
    pub(crate) outer: Vec<usize>,
    outer_levels: Vec<String>,
    /// Per ρ, whether its pair of levels occurs within one outer level.
    pub(crate) rho_seen: Vec<bool>,
}

impl StructTerm {
    /// A term from each effect's inner and outer label. The inner levels are
    /// sorted as R's `factor()` does; the outer levels keep their order of
    /// first appearance. CS, HCS and UN need at least two inner levels.
    pub fn new<S: AsRef<str>, T: AsRef<str>>(
        structure: VarStruct,
        inner_name: &str,
        inner: &[S],
        outer_name: &str,
        outer: &[T],
    ) -> Result<StructTerm> {
        if inner.len() != outer.len() {
            return Err(Error::LengthMismatch {
                what: format!(
                    "{} inner levels but {} outer levels in `~ {inner_name} | {outer_name}`",
                    inner.len(),
                    outer.len()
                ),
            });
        }
        let mut inner_levels: Vec<String> = inner.iter().map(|s| s.as_ref().to_string()).collect();
        let numbers: Option<Vec<f64>> = inner_levels
            .iter()
            .map(|s| s.trim().parse::<f64>().ok())
            .collect();
        inner_levels.sort();
        inner_levels.dedup();
        if numbers.is_some() {
            inner_levels.sort_by(|a, b| {
                let (x, y) = (
                    a.trim().parse::<f64>().unwrap_or(0.0),
                    b.trim().parse::<f64>().unwrap_or(0.0),
                );
                x.total_cmp(&y)
            });
        }
        let index: std::collections::HashMap<&str, usize> = inner_levels
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let inner_ix: Vec<usize> = inner.iter().map(|s| index[s.as_ref()]).collect();
        let outer_term = super::RandomTerm::from_labels(outer_name, outer);
        let outer_ix: Vec<usize> = (0..outer.len()).map(|i| outer_term.group(i)).collect();
        let l = inner_levels.len();
        if l < 2 && !matches!(structure, VarStruct::Diag | VarStruct::Id) {
            return Err(Error::InvalidOption {
                option: "struct",
                message: format!(
                    "struct {structure} correlates the levels of `{inner_name}`, which has {l} level; use struct ID or DIAG, or an inner factor with several levels"
                ),
            });
        }
        let shape = Shape::new(structure, l);
        // Which pairs of inner levels co-occur within an outer level.
        let mut present = vec![vec![false; l]; outer_term.n_levels()];
        for (&a, &g) in inner_ix.iter().zip(&outer_ix) {
            present[g][a] = true;
        }
        let mut rho_seen = vec![false; shape.n_rho()];
        for p in &present {
            for a in 0..l {
                for b in a + 1..l {
                    if p[a] && p[b] {
                        if let Some(r) = shape.rho_of(a, b) {
                            rho_seen[r - shape.n_tau2()] = true;
                        }
                    }
                }
            }
        }
        Ok(StructTerm {
            shape,
            inner_name: inner_name.to_string(),
            outer_name: outer_name.to_string(),
            inner: inner_ix,
            inner_levels,
            outer: outer_ix,
            outer_levels: outer_term.levels().to_vec(),
            rho_seen,
        })
    }

    /// The structure.
    pub fn structure(&self) -> VarStruct {
        self.shape.structure
    }

    /// `inner | outer`, as metafor names the term.
    pub fn name(&self) -> String {
        format!("{} | {}", self.inner_name, self.outer_name)
    }

    /// The inner factor's name (metafor `g.names[1]`).
    pub fn inner_name(&self) -> &str {
        &self.inner_name
    }

    /// The outer factor's name (metafor `g.names[2]`).
    pub fn outer_name(&self) -> &str {
        &self.outer_name
    }

    /// The inner levels, sorted as R's `factor()` (metafor `g.levels.f[[1]]`).
    pub fn inner_levels(&self) -> &[String] {
        &self.inner_levels
    }

    /// The outer levels, in order of first appearance.
    pub fn outer_levels(&self) -> &[String] {
        &self.outer_levels
    }

    /// The number of τ² values (metafor `tau2s`).
    pub fn n_tau2(&self) -> usize {
        self.shape.n_tau2()
    }

    /// The number of ρ values (metafor `rhos`).
    pub fn n_rho(&self) -> usize {
        self.shape.n_rho()
    }

    /// The inner levels of ρ number `r` (0-based, metafor's order).
    pub fn rho_levels(&self, r: usize) -> (usize, usize) {
        match self.shape.structure {
            VarStruct::Un => self.shape.pairs[r],
            _ => (0, 1),
        }
    }

    /// The number of effects at each inner level (metafor `g.levels.k`).
    pub fn level_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.inner_levels.len()];
        for &a in &self.inner {
            c[a] += 1;
        }
        c
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn un_pairs_follow_metafors_lower_triangle_order() {
        let s = Shape::new(VarStruct::Un, 4);
        let order: Vec<usize> = s
            .pairs
            .iter()
            .map(|&(a, b)| s.rho_of(a, b).unwrap())
            .collect();
        assert_eq!(order, (4..10).collect::<Vec<_>>());
    }

    #[test]
    fn derivatives_match_differences() {
        for st in VarStruct::ALL {
            let s = Shape::new(st, 3);
            let mut par: Vec<f64> = (0..s.n_tau2()).map(|a| 0.1 + 0.05 * a as f64).collect();
            par.extend((0..s.n_rho()).map(|r| 0.3 - 0.1 * r as f64));
            for k in 0..par.len() {
                let h = 1e-6;
                let (mut up, mut dn) = (par.clone(), par.clone());
                up[k] += h;
                dn[k] -= h;
                let (gu, gd, d) = (s.g(&up), s.g(&dn), s.dg(&par, k));
                for e in 0..9 {
                    assert!(
                        ((gu[e] - gd[e]) / (2.0 * h) - d[e]).abs() < 1e-6,
                        "{st} {k} {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_inner_level_refuses_correlated_structures() {
        let e = StructTerm::new(VarStruct::Cs, "o", &["a", "a"], "s", &["1", "2"]);
        assert!(matches!(
            e,
            Err(Error::InvalidOption {
                option: "struct",
                ..
            })
        ));
        assert!(StructTerm::new(VarStruct::Id, "o", &["a", "a"], "s", &["1", "2"]).is_ok());
    }

    #[test]
    fn numeric_inner_levels_sort_as_numbers() {
        let t = StructTerm::new(
            VarStruct::Diag,
            "o",
            &["10", "2", "1"],
            "s",
            &["a", "a", "b"],
        )
        .unwrap();
        assert_eq!(t.inner_levels(), &["1", "2", "10"]);
    }
}
