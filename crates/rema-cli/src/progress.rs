//! Progress bar and Ctrl-C for long resampling runs.
//!
//! The bar is drawn on stderr only when stderr is a terminal (indicatif hides
//! itself otherwise), so piped and redirected runs stay quiet. Ctrl-C sets a
//! flag that rema-core checks between blocks of iterations; the run then
//! stops with a "stopped after N of M iterations" error and exit code 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rema_core::resample::Hooks;

/// A seed for runs without --seed (recorded in the output).
pub fn fresh_seed() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut s = now ^ u64::from(std::process::id()).rotate_left(32);
    rema_core::resample::rng::splitmix64(&mut s) >> 16
}

static CANCEL: AtomicBool = AtomicBool::new(false);

/// Runs `f` with progress and cancellation hooks when `long`.
pub fn with_hooks<T>(long: bool, f: impl FnOnce(&Hooks) -> T) -> T {
    if !long {
        return f(&Hooks::default());
    }
    // A second handler cannot be installed; ignore that (tests call twice).
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::Relaxed));
    let bar = Arc::new(ProgressBar::with_draw_target(
        None,
        ProgressDrawTarget::stderr(),
    ));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} iterations ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = Arc::clone(&bar);
    let progress = move |done: u64, total: u64| {
        if b.length() != Some(total) || done == 0 {
            b.reset();
            b.set_length(total);
        }
        b.set_position(done);
    };
    let out = f(&Hooks {
        progress: Some(&progress),
        cancel: Some(&CANCEL),
    });
    bar.finish_and_clear();
    out
}
