//! How many resampling iterations, from which seed, and of which kind: one
//! type for the permutation test, the test of τ² = 0 and the bootstrap of a
//! fitted model. It becomes the older [`PermutationOptions`] and
//! [`BootstrapOptions`] of the free functions, which stay as they are.

use crate::error::{Error, Result};
use crate::resample::bootstrap::{BootstrapOptions, BootstrapType};
use crate::resample::permutation::PermutationOptions;
use crate::resample::Iterations;

/// What is drawn at each iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResamplingKind {
    /// Random arrangements: permutations (metafor `permutest(iter = n)`), or
    /// draws from the null model for the test of τ² = 0. A permutation test
    /// is run exactly instead when that needs no more arrangements than
    /// asked for (metafor's rule).
    Random,
    /// Every distinct arrangement (metafor `permutest(exact = TRUE)`);
    /// `iterations` is not used.
    Exact,
    /// Bootstrap replicates of the given type.
    Bootstrap(BootstrapType),
}

impl ResamplingKind {
    fn name(self) -> &'static str {
        match self {
            ResamplingKind::Random => "random permutations",
            ResamplingKind::Exact => "exact permutations",
            ResamplingKind::Bootstrap(BootstrapType::Nonparametric) => "a nonparametric bootstrap",
            ResamplingKind::Bootstrap(BootstrapType::Parametric) => "a parametric bootstrap",
        }
    }
}

/// Iterations, seed and kind of a resampling run. Every run takes a seed
/// (0 unless [`Resampling::seed`] sets one) and gives the same output for
/// the same seed at any number of threads.
///
/// ```
/// use rema_core::resample::bootstrap::BootstrapType;
/// use rema_core::{Resampling, ResamplingKind};
/// let perm = Resampling::random(1000).seed(42);
/// assert_eq!((perm.iterations, perm.seed, perm.kind), (1000, 42, ResamplingKind::Random));
/// let boot = Resampling::nonparametric(5000).seed(7);
/// assert_eq!(boot.kind, ResamplingKind::Bootstrap(BootstrapType::Nonparametric));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resampling {
    /// Permutations (counting the observed arrangement, as metafor),
    /// Monte Carlo draws, or bootstrap replicates.
    pub iterations: u64,
    /// The seed of the random streams.
    pub seed: u64,
    /// What is drawn.
    pub kind: ResamplingKind,
}

impl Resampling {
    /// `iterations` random permutations (or null-model draws), seed 0.
    pub fn random(iterations: u64) -> Resampling {
        Resampling {
            iterations,
            seed: 0,
            kind: ResamplingKind::Random,
        }
    }

    /// Every distinct arrangement: an exact permutation test.
    pub fn exact() -> Resampling {
        Resampling {
            iterations: 0,
            seed: 0,
            kind: ResamplingKind::Exact,
        }
    }

    /// `replicates` nonparametric bootstrap replicates (studies resampled
    /// with replacement), seed 0.
    pub fn nonparametric(replicates: u64) -> Resampling {
        Resampling::bootstrap(replicates, BootstrapType::Nonparametric)
    }

    /// `replicates` parametric bootstrap replicates (effects drawn from the
    /// fitted model), seed 0.
    pub fn parametric(replicates: u64) -> Resampling {
        Resampling::bootstrap(replicates, BootstrapType::Parametric)
    }

    /// `replicates` bootstrap replicates of type `kind`, seed 0.
    pub fn bootstrap(replicates: u64, kind: BootstrapType) -> Resampling {
        Resampling {
            iterations: replicates,
            seed: 0,
            kind: ResamplingKind::Bootstrap(kind),
        }
    }

    /// The same run from seed `seed`.
    pub fn seed(self, seed: u64) -> Resampling {
        Resampling { seed, ..self }
    }

    /// The options of a permutation test; an error for a bootstrap.
    ///
    /// ```
    /// use rema_core::resample::Iterations;
    /// use rema_core::Resampling;
    /// let p = Resampling::random(500).seed(3).permutation_options().unwrap();
    /// assert_eq!((p.iterations, p.seed), (Iterations::Random(500), 3));
    /// assert!(Resampling::parametric(100).permutation_options().is_err());
    /// ```
    pub fn permutation_options(&self) -> Result<PermutationOptions> {
        let iterations = match self.kind {
            ResamplingKind::Random => Iterations::Random(self.iterations),
            ResamplingKind::Exact => Iterations::Exact,
            ResamplingKind::Bootstrap(_) => {
                return Err(self.wrong(
                    "a permutation test",
                    "Resampling::random or Resampling::exact",
                ))
            }
        };
        Ok(PermutationOptions {
            iterations,
            seed: self.seed,
        })
    }

    /// The options of a bootstrap; an error for permutations.
    ///
    /// ```
    /// use rema_core::Resampling;
    /// let b = Resampling::nonparametric(2000).seed(9).bootstrap_options().unwrap();
    /// assert_eq!((b.replicates, b.seed), (2000, 9));
    /// assert!(Resampling::random(100).bootstrap_options().is_err());
    /// ```
    pub fn bootstrap_options(&self) -> Result<BootstrapOptions> {
        match self.kind {
            ResamplingKind::Bootstrap(kind) => Ok(BootstrapOptions {
                replicates: self.iterations,
                seed: self.seed,
                kind,
            }),
            _ => Err(self.wrong(
                "a bootstrap",
                "Resampling::nonparametric or Resampling::parametric",
            )),
        }
    }

    /// The number of Monte Carlo draws of a random test (the test of
    /// τ² = 0); an error for exact permutations or a bootstrap.
    pub(crate) fn random_draws(&self, what: &str) -> Result<u64> {
        match self.kind {
            ResamplingKind::Random => Ok(self.iterations),
            _ => Err(self.wrong(what, "Resampling::random")),
        }
    }

    /// `what` cannot use this kind of run; `fits` says which would do.
    fn wrong(&self, what: &str, fits: &str) -> Error {
        Error::InvalidOption {
            option: "resampling",
            message: format!("{what} cannot run {}; give {fits}", self.kind.name()),
        }
    }
}

/// The run of [`PermutationOptions`].
impl From<PermutationOptions> for Resampling {
    fn from(p: PermutationOptions) -> Resampling {
        match p.iterations {
            Iterations::Random(n) => Resampling::random(n).seed(p.seed),
            Iterations::Exact => Resampling::exact().seed(p.seed),
        }
    }
}

/// The run of [`BootstrapOptions`].
impl From<BootstrapOptions> for Resampling {
    fn from(b: BootstrapOptions) -> Resampling {
        Resampling::bootstrap(b.replicates, b.kind).seed(b.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_options_round_trip() {
        for p in [
            PermutationOptions {
                iterations: Iterations::Random(77),
                seed: 5,
            },
            PermutationOptions {
                iterations: Iterations::Exact,
                seed: 6,
            },
        ] {
            assert_eq!(Resampling::from(p).permutation_options().unwrap(), p);
        }
        let b = BootstrapOptions {
            replicates: 99,
            seed: 1,
            kind: BootstrapType::Parametric,
        };
        assert_eq!(Resampling::from(b).bootstrap_options().unwrap(), b);
    }

    #[test]
    fn the_wrong_kind_names_the_option() {
        let e = Resampling::exact().random_draws("the test of tau^2 = 0");
        assert!(matches!(
            e,
            Err(Error::InvalidOption {
                option: "resampling",
                ..
            })
        ));
    }
}
