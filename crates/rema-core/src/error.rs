//! The errors of the estimation core.
//!
//! Studies are named by their 0-based position in the input slices; the data
//! layer (`rema-data`) maps positions back to file rows and study labels.

/// Everything that can go wrong in rema-core. Each variant says what would fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// No studies were given.
    #[error("no studies to analyse: give at least one study")]
    NoStudies,

    /// A raw input value is outside its allowed range (a negative count, a
    /// zero SD, events above the total, a correlation outside [-1, 1], ...).
    #[error("study {study}: column `{column}` is {value}: {allowed}")]
    InvalidValue {
        study: usize,
        column: &'static str,
        value: f64,
        allowed: &'static str,
    },

    /// An effect size could not be computed from otherwise valid raw input
    /// (for example a log risk ratio with zero events and no continuity correction).
    #[error("study {study}: the {measure} effect size is not finite ({reason})")]
    NonFiniteEffect {
        study: usize,
        measure: &'static str,
        reason: &'static str,
    },

    /// A sampling variance is zero, negative or not finite.
    #[error("study {study}: sampling variance is {value}; every sampling variance must be positive and finite")]
    InvalidVariance { study: usize, value: f64 },

    /// An effect size is not finite.
    #[error("study {study}: effect size is {value}; effect sizes must be finite numbers")]
    InvalidEffect { study: usize, value: f64 },

    /// Input vectors of different lengths.
    #[error("input lengths differ: {what}")]
    LengthMismatch { what: String },

    /// Not enough studies for the requested model.
    #[error("{what} needs at least {needed} studies, but only {k} were given")]
    TooFewStudies {
        k: usize,
        needed: usize,
        what: &'static str,
    },

    /// The moderator matrix is not of full column rank.
    #[error("the model matrix is not of full rank: a moderator is constant or a linear combination of others; drop it")]
    RankDeficient,

    /// An iterative estimator did not converge.
    #[error("the {method} estimator did not converge after {iterations} iterations ({detail}); try another `method`, or raise the iteration limit (`max_iter`)")]
    NotConverged {
        method: &'static str,
        iterations: usize,
        detail: String,
    },

    /// The likelihood has no finite maximum (e.g. a GLMM of proportions with
    /// no events in any study).
    #[error("the model has no finite maximum-likelihood estimate: {reason}")]
    NoFiniteEstimate { reason: String },

    /// A statistic is undefined for these data (e.g. a rank correlation when
    /// every value is tied).
    #[error("{what} is undefined for these data: {reason}")]
    Undefined { what: &'static str, reason: String },
    /// A resampling run was stopped by its cancellation flag (Ctrl-C).
    #[error("stopped after {done} of {total} iterations")]
    Cancelled { done: u64, total: u64 },

    /// An option is out of range.
    #[error("invalid option `{option}`: {message}")]
    InvalidOption {
        option: &'static str,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
