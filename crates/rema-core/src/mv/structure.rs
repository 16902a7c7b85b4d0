//! The input of a multilevel model, checked once, and its block structure.
//!
//! The marginal covariance of the effects, M = V + Σₜ σ²ₜ ZₜZₜ', is block
//! diagonal: two effects are in one block when they share a level of any
//! random term or a known sampling covariance (the connected components of
//! that relation, found by union–find). For nested random intercepts the
//! blocks are the levels of the outermost factor, so every likelihood
//! evaluation costs Σ n_c³ over blocks of n_c effects, linear in k for
//! bounded clusters, and no k × k matrix is ever formed.

use crate::error::{Error, Result};
use crate::linalg::Design;

use super::varstruct::{Shape, StructTerm};

/// One random intercept term `~ 1 | f`: the level of `f` of every effect
/// (metafor `rma.mv(random = ~ 1 | f)`; a nested `~ 1 | a/b` is two terms,
/// `a` and `a/b`, the second with one level per combination).
///
/// ```
/// use rema_core::mv::RandomTerm;
/// let t = RandomTerm::from_labels("study", &["A", "A", "B"]);
/// assert_eq!((t.n_levels(), t.group(2)), (2, 1));
/// assert_eq!(t.levels(), &["A".to_string(), "B".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RandomTerm {
    name: String,
    groups: Vec<usize>,
    levels: Vec<String>,
}

impl RandomTerm {
    /// A term from each effect's level label; levels are numbered in order
    /// of first appearance.
    pub fn from_labels<S: AsRef<str>>(name: &str, labels: &[S]) -> RandomTerm {
        let mut index = std::collections::HashMap::new();
        let mut levels = Vec::new();
        let groups = labels
            .iter()
            .map(|l| {
                let l = l.as_ref();
                *index.entry(l.to_string()).or_insert_with(|| {
                    levels.push(l.to_string());
                    levels.len() - 1
                })
            })
            .collect();
        RandomTerm {
            name: name.to_string(),
            groups,
            levels,
        }
    }

    /// The factor's name, as metafor prints it (`district`, `district/school`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of levels (metafor `s.nlevels`).
    pub fn n_levels(&self) -> usize {
        self.levels.len()
    }

    /// The level labels, in order of first appearance.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The level index of effect `i`.
    pub fn group(&self, i: usize) -> usize {
        self.groups[i]
    }

    fn len(&self) -> usize {
        self.groups.len()
    }
}

/// The data of a multilevel model: effects, known sampling covariance,
/// design and random terms, checked together.
///
/// ```
/// use rema_core::mv::{MvData, RandomTerm};
/// use rema_core::Design;
/// let t = RandomTerm::from_labels("study", &["A", "A", "B", "B"]);
/// let d = MvData::new(&[0.1, 0.2, 0.4, 0.3], &[0.01; 4], Design::intercept(4), vec![t]).unwrap();
/// assert_eq!(d.k(), 4);
/// let d = d.with_covariances(&[(0, 1, 0.005)]).unwrap();
/// assert_eq!(d.n_blocks(), 2);
/// assert!(d.clone().with_covariances(&[(0, 1, 0.02)]).is_err()); // not positive definite
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MvData {
    pub(crate) yi: Vec<f64>,
    pub(crate) vi: Vec<f64>,
    /// Known off-diagonal sampling covariances (i < j).
    pub(crate) cov: Vec<(usize, usize, f64)>,
    pub(crate) x: Design,
    pub(crate) terms: Vec<RandomTerm>,
    /// The `~ inner | outer` term with a variance structure, if any.
    pub(crate) g: Option<StructTerm>,
    pub(crate) blocks: Vec<Block>,
}

/// One block of the marginal covariance: its effects and the pieces of M.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    /// The effects in the block, ascending.
    pub rows: Vec<usize>,
    /// The known sampling covariance V of the block, n × n row-major.
    pub v: Vec<f64>,
    /// Per random term, the n × n indicator of sharing a level (ZₜZₜ').
    pub same: Vec<Vec<f64>>,
    /// The block's part of the structured term, if the model has one.
    pub g: Option<BlockG>,
}

/// A block's view of the `~ inner | outer` term: M gains
/// `same_outer`ᵢⱼ·G[inner(i), inner(j)].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlockG {
    pub shape: Shape,
    /// The inner level of each effect of the block.
    pub inner: Vec<usize>,
    /// The n × n indicator of sharing an outer level.
    pub same_outer: Vec<f64>,
}

impl Block {
    pub(crate) fn n(&self) -> usize {
        self.rows.len()
    }
}

impl MvData {
    /// Checks the effects (finite), variances (positive), the design (k
    /// rows, finite) and the terms (one level per effect, at least one
    /// term), and finds the blocks.
    pub fn new(yi: &[f64], vi: &[f64], x: Design, terms: Vec<RandomTerm>) -> Result<MvData> {
        MvData::build(yi, vi, x, terms, None)
    }

    /// The data of a multivariate model: the random intercept terms (none
    /// or several) and one `~ inner | outer` term with a variance structure
    /// (metafor `rma.mv(random = list(~ inner | outer, ~ 1 | f, ...), struct)`).
    ///
    /// ```
    /// use rema_core::mv::{MvData, StructTerm, VarStruct};
    /// use rema_core::Design;
    /// let g = StructTerm::new(VarStruct::Cs, "o", &["a", "b", "a", "b"], "s", &["1", "1", "2", "2"]).unwrap();
    /// let d = MvData::multivariate(&[0.1, 0.2, 0.4, 0.3], &[0.01; 4], Design::intercept(4), vec![], g).unwrap();
    /// assert_eq!(d.n_blocks(), 2);
    /// ```
    pub fn multivariate(
        yi: &[f64],
        vi: &[f64],
        x: Design,
        terms: Vec<RandomTerm>,
        g: StructTerm,
    ) -> Result<MvData> {
        MvData::build(yi, vi, x, terms, Some(g))
    }

    fn build(
        yi: &[f64],
        vi: &[f64],
        x: Design,
        terms: Vec<RandomTerm>,
        g: Option<StructTerm>,
    ) -> Result<MvData> {
        crate::fit::validate(yi, vi)?;
        let k = yi.len();
        if x.rows() != k {
            return Err(Error::LengthMismatch {
                what: format!("{k} effects but {} rows in the model matrix", x.rows()),
            });
        }
        x.check_finite()?;
        if terms.is_empty() && g.is_none() {
            return Err(Error::InvalidOption {
                option: "random",
                message: "a multilevel model needs at least one random term such as `~ 1 | study`"
                    .to_string(),
            });
        }
        if let Some(t) = terms.iter().find(|t| t.len() != k) {
            return Err(Error::LengthMismatch {
                what: format!(
                    "{k} effects but {} levels in random term `{}`",
                    t.len(),
                    t.name
                ),
            });
        }
        if let Some(g) = g.as_ref().filter(|g| g.len() != k) {
            return Err(Error::LengthMismatch {
                what: format!(
                    "{k} effects but {} levels in random term `~ {}`",
                    g.len(),
                    g.name()
                ),
            });
        }
        let p = x.cols();
        if k <= p {
            return Err(Error::TooFewStudies {
                k,
                needed: p + 1,
                what: "a multilevel model with these coefficients",
            });
        }
        let mut d = MvData {
            yi: yi.to_vec(),
            vi: vi.to_vec(),
            cov: Vec::new(),
            x,
            terms,
            g,
            blocks: Vec::new(),
        };
        d.blocks = d.find_blocks()?;
        Ok(d)
    }

    /// Adds known sampling covariances (i, j, cov) between effects i ≠ j
    /// (metafor's `V` as a matrix, here sparse); every block of V must be
    /// positive definite.
    pub fn with_covariances(mut self, cov: &[(usize, usize, f64)]) -> Result<MvData> {
        let k = self.k();
        let mut seen = std::collections::HashSet::new();
        for &(i, j, c) in cov {
            if i >= k || j >= k || i == j {
                return Err(Error::InvalidOption {
                    option: "vcov",
                    message: format!(
                        "covariance between effects {i} and {j}: both must be different effects among the {k}"
                    ),
                });
            }
            if !c.is_finite() {
                return Err(Error::InvalidValue {
                    study: i,
                    column: "vcov",
                    value: c,
                    allowed: "sampling covariances must be finite numbers",
                });
            }
            let key = (i.min(j), i.max(j));
            if !seen.insert(key) {
                return Err(Error::InvalidOption {
                    option: "vcov",
                    message: format!(
                        "the covariance between effects {} and {} is given twice",
                        key.0, key.1
                    ),
                });
            }
            if c != 0.0 {
                self.cov.push((key.0, key.1, c));
            }
        }
        self.blocks = self.find_blocks()?;
        Ok(self)
    }

    /// The number of effects k.
    pub fn k(&self) -> usize {
        self.yi.len()
    }

    /// The number of coefficients p.
    pub fn p(&self) -> usize {
        self.x.cols()
    }

    /// The random terms.
    pub fn terms(&self) -> &[RandomTerm] {
        &self.terms
    }

    /// The structured `~ inner | outer` term, if any.
    pub fn structure(&self) -> Option<&StructTerm> {
        self.g.as_ref()
    }

    /// The number of parameters of the covariance: one σ² per random term,
    /// then the structured term's τ² and ρ.
    pub(crate) fn n_params(&self) -> usize {
        self.terms.len() + self.g.as_ref().map_or(0, |g| g.shape.n_params())
    }

    /// The bounds of every parameter (σ², τ² ≥ 0; ρ in [−1, 1]).
    pub(crate) fn bounds(&self) -> Vec<(f64, f64)> {
        let mut b = vec![(0.0, f64::INFINITY); self.terms.len()];
        if let Some(g) = &self.g {
            b.extend((0..g.shape.n_params()).map(|k| g.shape.bounds(k)));
        }
        b
    }

    /// The parameters fixed by the data: the ρ of pairs of inner levels
    /// that never occur together (metafor fixes them at 0).
    pub(crate) fn fixed_by_data(&self) -> Vec<bool> {
        let mut f = vec![false; self.n_params()];
        if let Some(g) = &self.g {
            let base = self.terms.len() + g.shape.n_tau2();
            for (r, seen) in g.rho_seen.iter().enumerate() {
                f[base + r] = !seen;
            }
        }
        f
    }

    /// Whether the parameters give an admissible G (UN: a positive
    /// semi-definite correlation matrix).
    pub(crate) fn admissible(&self, theta: &[f64]) -> bool {
        self.g
            .as_ref()
            .is_none_or(|g| g.shape.admissible(&theta[self.terms.len()..]))
    }

    /// The number of independent blocks of the marginal covariance.
    pub fn n_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// The connected components of "shares a level or a covariance", each
    /// with its pieces of M; an error naming the first effect of a block
    /// whose V is not positive definite.
    fn find_blocks(&self) -> Result<Vec<Block>> {
        let k = self.k();
        let mut uf = UnionFind::new(k);
        for t in &self.terms {
            let mut first = vec![usize::MAX; t.n_levels()];
            for (i, &g) in t.groups.iter().enumerate() {
                if first[g] == usize::MAX {
                    first[g] = i;
                } else {
                    uf.union(first[g], i);
                }
            }
        }
        if let Some(g) = &self.g {
            let mut first = vec![usize::MAX; g.outer_levels().len()];
            for (i, &o) in g.outer.iter().enumerate() {
                if first[o] == usize::MAX {
                    first[o] = i;
                } else {
                    uf.union(first[o], i);
                }
            }
        }
        for &(i, j, _) in &self.cov {
            uf.union(i, j);
        }
        let mut block_of = vec![usize::MAX; k];
        let mut rows: Vec<Vec<usize>> = Vec::new();
        for i in 0..k {
            let r = uf.find(i);
            if block_of[r] == usize::MAX {
                block_of[r] = rows.len();
                rows.push(Vec::new());
            }
            rows[block_of[r]].push(i);
        }
        let mut local = vec![0usize; k];
        for r in &rows {
            for (a, &i) in r.iter().enumerate() {
                local[i] = a;
            }
        }
        let mut blocks: Vec<Block> = rows
            .into_iter()
            .map(|rows| {
                let n = rows.len();
                let mut v = vec![0.0; n * n];
                for (a, &i) in rows.iter().enumerate() {
                    v[a * n + a] = self.vi[i];
                }
                let same = self
                    .terms
                    .iter()
                    .map(|t| {
                        let mut s = vec![0.0; n * n];
                        for (a, &i) in rows.iter().enumerate() {
                            for (b, &j) in rows.iter().enumerate() {
                                if t.groups[i] == t.groups[j] {
                                    s[a * n + b] = 1.0;
                                }
                            }
                        }
                        s
                    })
                    .collect();
                let g = self.g.as_ref().map(|g| BlockG {
                    shape: g.shape.clone(),
                    inner: rows.iter().map(|&i| g.inner[i]).collect(),
                    same_outer: rows
                        .iter()
                        .flat_map(|&i| rows.iter().map(move |&j| (i, j)))
                        .map(|(i, j)| f64::from(u8::from(g.outer[i] == g.outer[j])))
                        .collect(),
                });
                Block { rows, v, same, g }
            })
            .collect();
        for &(i, j, c) in &self.cov {
            let b = &mut blocks[block_of[uf.find(i)]];
            let n = b.n();
            let (a, bb) = (local[i], local[j]);
            b.v[a * n + bb] = c;
            b.v[bb * n + a] = c;
        }
        if !self.cov.is_empty() {
            for b in &blocks {
                let n = b.n();
                let mut l = vec![0.0; n * n];
                if crate::linalg::log_det_in_place(&b.v, n, &mut l).is_none() {
                    return Err(Error::InvalidOption {
                        option: "vcov",
                        message: format!(
                            "the sampling covariance matrix of the block of effects {:?} is not positive definite; check the covariances (a correlation above 1?)",
                            b.rows
                        ),
                    });
                }
            }
        }
        Ok(blocks)
    }
}

/// Union–find with path halving, for the blocks.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_terms_make_blocks_of_the_outer_factor() {
        let outer = RandomTerm::from_labels("d", &["1", "1", "2", "2", "3"]);
        let inner = RandomTerm::from_labels("d/s", &["1/1", "1/2", "2/1", "2/1", "3/1"]);
        let d = MvData::new(
            &[0.0; 5],
            &[0.1; 5],
            Design::intercept(5),
            vec![outer, inner],
        )
        .unwrap();
        assert_eq!(d.n_blocks(), 3);
        assert_eq!(d.blocks[1].rows, vec![2, 3]);
        assert_eq!(d.blocks[1].same[1], vec![1.0; 4]);
        assert_eq!(d.blocks[0].same[1], vec![1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn bad_input_is_an_error_naming_it() {
        let t = RandomTerm::from_labels("s", &["a", "b"]);
        assert!(matches!(
            MvData::new(&[0.0, 1.0], &[0.1, 0.1], Design::intercept(2), vec![]),
            Err(Error::InvalidOption {
                option: "random",
                ..
            })
        ));
        assert!(matches!(
            MvData::new(
                &[0.0, 1.0],
                &[0.1, 0.0],
                Design::intercept(2),
                vec![t.clone()]
            ),
            Err(Error::InvalidVariance { study: 1, .. })
        ));
        let d = MvData::new(&[0.0, 1.0], &[0.1, 0.1], Design::intercept(2), vec![t]).unwrap();
        assert!(matches!(
            d.with_covariances(&[(0, 0, 0.01)]),
            Err(Error::InvalidOption { option: "vcov", .. })
        ));
    }
}
