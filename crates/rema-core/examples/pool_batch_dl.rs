//! One `pool_batch_serial` over N generated analyses × 10 studies (default
//! 10^5), DerSimonian–Laird with the z test, for instruction counts that do
//! not depend on the machine's load:
//!
//! ```text
//! cargo build --release -p rema-core --example pool_batch_dl
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     --toggle-collect='rema_core::batch::pool_batch_serial*' \
//!     target/release/examples/pool_batch_dl 100000
//! ```
//!
//! The data are those of `cargo xtask bench-batch` (vᵢ ~ U(0.01, 0.2),
//! yᵢ = 0.3 + N(0, vᵢ + 0.05), splitmix64 with Box–Muller, seed 42). Prints
//! the sum of the estimates and of the p-values, so the work is not optimised
//! away and two builds can be compared.

use rema_core::batch::{pool_batch_serial, BatchOptions, BatchRow};
use rema_core::{FitOptions, Method};

const K: usize = 10;

fn main() {
    let d: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut state: u64 = 42;
    let mut u = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut y, mut v) = (Vec::with_capacity(d * K), Vec::with_capacity(d * K));
    for _ in 0..d * K {
        let vi = 0.01 + 0.19 * u();
        let (a, b) = (u().max(1e-300), u());
        let n = (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos();
        y.push(0.3 + (vi + 0.05).sqrt() * n);
        v.push(vi);
    }
    let offsets: Vec<usize> = (0..=d).map(|g| g * K).collect();
    let opts = BatchOptions {
        fit: FitOptions::new(Method::Dl),
        ..BatchOptions::default()
    };
    let mut out = vec![BatchRow::default(); d];
    let t0 = std::time::Instant::now();
    if let Err(e) = pool_batch_serial(&offsets, &y, &v, &opts, &mut out) {
        eprintln!("pool_batch_serial: {e}");
        std::process::exit(1);
    }
    let secs = t0.elapsed().as_secs_f64();
    let est: f64 = out.iter().map(|r| r.estimate).sum();
    let p: f64 = out.iter().map(|r| r.pval + r.q_pval).sum();
    println!("{d} analyses: {secs:.4} s; sum of estimates {est:.12e}, of p-values {p:.12e}");
}
