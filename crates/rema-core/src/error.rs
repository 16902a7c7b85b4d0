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
        /// 0-based position of the study in the input.
        study: usize,
        /// The raw-data column (`ai`, `sd1`, `n`, `r`, ...).
        column: &'static str,
        /// The offending value.
        value: f64,
        /// What the column allows, in words.
        allowed: &'static str,
    },

    /// An effect size could not be computed from otherwise valid raw input
    /// (for example a log risk ratio with zero events and no continuity correction).
    #[error("study {study}: the {measure} effect size is not finite ({reason})")]
    NonFiniteEffect {
        /// 0-based position of the study in the input.
        study: usize,
        /// metafor's name of the measure (`RR`, `SMD`, ...).
        measure: &'static str,
        /// Why it is not finite and what would fix it.
        reason: &'static str,
    },

    /// A sampling variance is zero, negative or not finite.
    #[error("study {study}: sampling variance is {value}; every sampling variance must be positive and finite")]
    InvalidVariance {
        /// 0-based position of the study in the input.
        study: usize,
        /// The offending sampling variance.
        value: f64,
    },

    /// An effect size is not finite.
    #[error("study {study}: effect size is {value}; effect sizes must be finite numbers")]
    InvalidEffect {
        /// 0-based position of the study in the input.
        study: usize,
        /// The offending effect size.
        value: f64,
    },

    /// Input vectors of different lengths.
    #[error("input lengths differ: {what}")]
    LengthMismatch {
        /// Which inputs differ, with their lengths.
        what: String,
    },

    /// Not enough studies for the requested model.
    #[error("{what} needs at least {needed} studies, but only {k} were given")]
    TooFewStudies {
        /// The number of studies given.
        k: usize,
        /// The number the model needs.
        needed: usize,
        /// The model or test that needs them.
        what: &'static str,
    },

    /// The moderator matrix is not of full column rank.
    #[error("the model matrix is not of full rank: a moderator is constant or a linear combination of others; drop it")]
    RankDeficient,

    /// An iterative estimator did not converge.
    #[error("the {method} estimator did not converge after {iterations} iterations ({detail}); try another `method`, or raise the iteration limit (`max_iter`)")]
    NotConverged {
        /// The estimator (metafor's `method` name: `REML`, `PM`, ...).
        method: &'static str,
        /// The iterations used (the `max_iter` limit).
        iterations: usize,
        /// The state at the last iteration, in words.
        detail: String,
    },

    /// The likelihood has no finite maximum (e.g. a GLMM of proportions with
    /// no events in any study).
    #[error("the model has no finite maximum-likelihood estimate: {reason}")]
    NoFiniteEstimate {
        /// Why the maximum is not finite.
        reason: String,
    },

    /// A statistic is undefined for these data (e.g. a rank correlation when
    /// every value is tied).
    #[error("{what} is undefined for these data: {reason}")]
    Undefined {
        /// The statistic.
        what: &'static str,
        /// Why it is undefined for these data.
        reason: String,
    },

    /// A resampling run was stopped by its cancellation flag (Ctrl-C).
    #[error("stopped after {done} of {total} iterations")]
    Cancelled {
        /// Iterations completed before the stop.
        done: u64,
        /// Iterations requested.
        total: u64,
    },

    /// An option is out of range.
    #[error("invalid option `{option}`: {message}")]
    InvalidOption {
        /// The option's name as the library spells it (`level`, `method`, `permutations`).
        option: &'static str,
        /// What is wrong and what would fix it.
        message: String,
    },
}

/// The result of every fallible rema-core function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok` when `value` is finite and `ok` holds, else the error `bad` makes:
/// the check of one raw input value, shared by the effect sizes and the
/// conversions.
pub(crate) fn ensure_valid<E>(value: f64, ok: bool, bad: impl FnOnce() -> E) -> Result<(), E> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// "a, b or c": the names of a choice, for messages.
pub(crate) fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The choice among `all` whose `name` is `key` (the spelling `raw` already
/// normalised), or the message that lists every name: the parsing of the
/// choice enums, `what` naming the option (`measure`, `method`).
pub(crate) fn parse_choice<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    key: &str,
    what: &str,
    raw: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|c| name(*c) == key)
        .ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|c| name(*c)).collect();
            format!(
                "unknown {what} `{raw}`; expected one of {}",
                names.join(", ")
            )
        })
}
