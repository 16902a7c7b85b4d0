//! Resampling: permutation tests (metafor `permutest`), a parametric test of
//! residual heterogeneity, and the bootstrap (metafor's documented `boot`
//! recipes).
//!
//! Every run takes a seed. Iteration `i` draws from its own random stream
//! ([`rng::Stream::new`]`(seed, i)`), iterations are evaluated in parallel
//! with rayon in fixed-size chunks, and per-iteration results are combined
//! either by integer counts (permutation p-values) or in index order
//! (bootstrap replicates), so a seeded run gives bit-identical output at any
//! thread count. Progress is reported through a callback after each chunk
//! and a cancellation flag is checked between chunks; nothing here prints.

pub mod bootstrap;
pub mod bootstrap_mods;
mod fast;
pub mod heterogeneity;
mod one_moderator;
pub mod permutation;
pub mod rng;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Iterations evaluated between two progress reports / cancellation checks.
pub(crate) const CHUNK: u64 = 1024;

/// Observers of a long run: a progress callback `(done, total)` called after
/// each chunk, and a flag that stops the run between chunks when set.
#[derive(Clone, Copy, Default)]
pub struct Hooks<'a> {
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    pub cancel: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

impl Hooks<'_> {
    pub(crate) fn report(&self, done: u64, total: u64) -> Result<()> {
        if let Some(p) = self.progress {
            p(done, total);
        }
        if let Some(c) = self.cancel {
            if c.load(Ordering::Relaxed) {
                return Err(Error::Cancelled { done, total });
            }
        }
        Ok(())
    }
}

/// How many iterations a permutation test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iterations {
    /// At most this many (counting the observed arrangement, as metafor);
    /// an exact test is run instead when it needs no more iterations.
    Random(u64),
    /// Enumerate every distinct arrangement.
    Exact,
}

/// The largest number of arrangements rema enumerates for an exact test.
pub const MAX_EXACT: u64 = 100_000_000;

/// The comparison tolerance of metafor's `permutest` (`comptol`, √ε).
pub const COMPTOL: f64 = 1.490_116_119_384_765_6e-8;
