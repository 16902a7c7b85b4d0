//! Resampling: permutation tests (metafor `permutest`) and the confidence
//! intervals that invert them (`permutest(permci = TRUE)`), a parametric test
//! of residual heterogeneity, and the bootstrap (metafor's documented `boot`
//! recipes).
//!
//! Every run takes a seed. Iteration `i` draws from its own random stream
//! ([`rng::Stream::new`]`(seed, i)`), iterations are evaluated in parallel
//! with rayon in contiguous blocks (`par_blocks`), and per-iteration
//! results are combined either by integer counts (permutation p-values) or
//! in index order (bootstrap replicates), so a seeded run gives bit-identical
//! output at any thread count. Progress is reported through a callback after
//! each block and a cancellation flag is checked before each block; nothing
//! here prints.

pub mod bootstrap;
pub mod bootstrap_mods;
pub mod gosh;
pub mod heterogeneity;
pub mod permci;
pub mod permutation;
pub mod qq_envelope;
mod refit;
pub mod rng;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Error, Result};

/// The most iterations in one block: the longest stretch between two
/// progress reports / cancellation checks on a thread.
pub(crate) const CHUNK: u64 = 1024;

/// The fewest iterations in one block, so that per-block costs (a task, a
/// progress report) stay small beside the work.
const MIN_BLOCK: u64 = 16;

/// Blocks per thread: enough that the last block, which one thread may
/// finish alone, is short (at 10,000 DL iterations, k = 50, about 30 µs)
/// and that rayon evens out uneven blocks (REML refits differ in their
/// number of Fisher steps); each block costs a task and a progress report
/// (docs/PERFORMANCE.md has the measurements).
const BLOCKS_PER_THREAD: u64 = 64;

/// Observers of a long run: a progress callback `(done, total)` called after
/// each chunk, and a flag that stops the run between chunks when set.
#[derive(Clone, Copy, Default)]
///
/// ```
/// use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
/// use rema_core::resample::{heterogeneity::tau2_test, Hooks};
/// use rema_core::{fit, Design, Error, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// let (yi, vi) = ([0.1, 0.5, -0.2, 0.3], [0.02, 0.05, 0.03, 0.04]);
/// let opts = FitOptions::new(Method::Dl);
/// let observed = fit(&yi, &vi, &opts)?;
/// let x = Design::intercept(4);
/// let last = AtomicU64::new(0);
/// let progress = |done: u64, _total: u64| { last.fetch_max(done, Ordering::Relaxed); };
/// let hooks = Hooks { progress: Some(&progress), cancel: None };
/// tau2_test(&yi, &vi, &x, &opts, &observed, 2000, 1, &hooks)?;
/// assert!(last.load(Ordering::Relaxed) > 0);
/// // A set flag stops the run.
/// let stop = AtomicBool::new(true);
/// let hooks = Hooks { progress: None, cancel: Some(&stop) };
/// let err = tau2_test(&yi, &vi, &x, &opts, &observed, 2000, 1, &hooks).unwrap_err();
/// assert!(matches!(err, Error::Cancelled { .. }));
/// # Ok(())
/// # }
/// ```
pub struct Hooks<'a> {
    /// Called with (iterations done, iterations in all) after each block.
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// When set, the run stops between blocks with [`Error::Cancelled`].
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

impl Hooks<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Runs iterations `range` of a run of `total` in parallel and returns one
/// result per block, in block order. Items at `total` and beyond are extra
/// work done in the same pass (a bootstrap's jackknife refits): they are not
/// counted in the progress reported.
///
/// The range is cut into contiguous blocks (about [`BLOCKS_PER_THREAD`] per
/// thread, between [`MIN_BLOCK`] and [`CHUNK`] iterations), each its own
/// rayon task so that an idle thread can take any block that has not
/// started (the tail of a run is then at most one block on one thread).
/// `body` runs one block with a worker state made by `init` once per thread
/// and reused for every block that thread runs, so inner loops allocate
/// nothing. The whole range is one fork-join: no barrier between blocks.
/// Which blocks exist, and which thread runs which, depends on the thread
/// count, so `body` must make iteration `i` depend on `i` only (its own
/// random stream, its own output slot): then the combined output is the
/// same at any thread count.
///
/// Progress is reported after each block (the count only grows); a set
/// cancellation flag stops the run before the next block and gives
/// [`Error::Cancelled`].
pub(crate) fn par_blocks<S, A, I, B>(
    range: Range<u64>,
    total: u64,
    hooks: &Hooks,
    init: I,
    body: B,
) -> Result<Vec<A>>
where
    S: Send,
    A: Send,
    I: Fn() -> S + Sync + Send,
    B: Fn(&mut S, Range<u64>) -> A + Sync + Send,
{
    let plan = Blocks::new(range);
    let outs = vec![(); plan.count];
    par_blocks_into(&plan, total, hooks, outs, init, |s, r, ()| body(s, r))
}

/// How [`par_blocks`] cuts a range: contiguous blocks of `size` iterations
/// (the last one shorter), `count` of them.
#[derive(Debug, Clone)]
pub(crate) struct Blocks {
    range: Range<u64>,
    pub size: u64,
    pub count: usize,
}

impl Blocks {
    /// The blocks of `range` for the current rayon pool.
    pub(crate) fn new(range: Range<u64>) -> Blocks {
        let len = range.end.saturating_sub(range.start);
        let threads = rayon::current_num_threads().max(1) as u64;
        let size = len
            .div_ceil(threads * BLOCKS_PER_THREAD)
            .clamp(MIN_BLOCK, CHUNK);
        Blocks {
            range,
            size,
            count: len.div_ceil(size) as usize,
        }
    }
}

impl Blocks {
    /// `range` in blocks of `size` (the last one shorter), whatever the
    /// number of threads.
    pub(crate) fn of_size(range: Range<u64>, size: u64) -> Blocks {
        let size = size.max(1);
        Blocks {
            count: range.end.saturating_sub(range.start).div_ceil(size) as usize,
            range,
            size,
        }
    }
}

/// [`par_blocks`] with an output of its own handed to each block: `outs[b]`
/// goes to block `b` (e.g. the block's slices of preallocated columns, so
/// that results land in place with no copy). `outs` has `plan.count` items.
pub(crate) fn par_blocks_into<O, S, A, I, B>(
    plan: &Blocks,
    total: u64,
    hooks: &Hooks,
    outs: Vec<O>,
    init: I,
    body: B,
) -> Result<Vec<A>>
where
    O: Send,
    S: Send,
    A: Send,
    I: Fn() -> S + Sync + Send,
    B: Fn(&mut S, Range<u64>, O) -> A + Sync + Send,
{
    debug_assert_eq!(outs.len(), plan.count);
    let range = plan.range.clone();
    let block = plan.size;
    let threads = rayon::current_num_threads().max(1);
    // One state slot per worker thread. Each thread only ever locks its own
    // slot, so the locks are uncontended; they make sharing safe anyway.
    let states: Vec<Mutex<Option<S>>> = (0..threads).map(|_| Mutex::new(None)).collect();
    let done = Mutex::new(range.start);
    let stop = AtomicBool::new(false);
    let out: Vec<Option<A>> = outs
        .into_par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(b, o)| {
            if stop.load(Ordering::Relaxed) || hooks.cancelled() {
                stop.store(true, Ordering::Relaxed);
                return None;
            }
            let lo = range.start + b as u64 * block;
            let hi = (lo + block).min(range.end);
            let slot = rayon::current_thread_index().unwrap_or(0) % threads;
            // A poisoned lock only means a callback panicked on another
            // thread; the state and the count are still sound.
            let mut state = states[slot].lock().unwrap_or_else(|e| e.into_inner());
            let a = body(state.get_or_insert_with(&init), lo..hi, o);
            drop(state);
            let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
            *d += hi.min(total).saturating_sub(lo.min(total));
            if let Some(p) = hooks.progress {
                p(*d, total);
            }
            Some(a)
        })
        .collect();
    let done = *done.lock().unwrap_or_else(|e| e.into_inner());
    out.into_iter()
        .collect::<Option<Vec<A>>>()
        .ok_or(Error::Cancelled { done, total })
}

/// Cuts each of the `width` columns of `buf` (column-major, `rows` rows) at
/// the block boundaries of `plan` (whose range starts at row 0): item `b` of
/// the result holds block `b`'s slice of every column, in column order.
pub(crate) fn column_blocks<'a>(
    buf: &'a mut [f64],
    rows: usize,
    plan: &Blocks,
) -> Vec<Vec<&'a mut [f64]>> {
    let mut per_block: Vec<Vec<&mut [f64]>> = (0..plan.count).map(|_| Vec::new()).collect();
    for col in buf.chunks_mut(rows.max(1)) {
        for (b, piece) in col.chunks_mut(plan.size as usize).enumerate() {
            if let Some(v) = per_block.get_mut(b) {
                v.push(piece);
            }
        }
    }
    per_block
}

/// How many iterations a permutation test runs (see
/// [`crate::Resampling::random`] and [`crate::Resampling::exact`], whose
/// examples run them).
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
