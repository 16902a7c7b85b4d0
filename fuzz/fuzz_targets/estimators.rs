//! Raw floats (NaN, infinities, subnormals, huge values) into every estimator:
//! an error or finite numbers, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_core::{fit, q_profile, Design, FitOptions, Method, PiDist, Test};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let floats: Vec<f64> = rest.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let k = floats.len() / 2;
    let (yi, vi) = floats.split_at(k);
    let vi = &vi[..k];
    let method = Method::ALL[selector as usize % Method::ALL.len()];
    let test = Test::ALL[(selector >> 6) as usize % Test::ALL.len()];
    let opts = FitOptions { method, test, ..FitOptions::default() };
    if let Ok(f) = fit(yi, vi, &opts) {
        assert!(f.tau2 >= 0.0, "negative tau2");
        let _ = f.prediction();
        let _ = f.prediction_with(PiDist::T);
        if k >= 2 {
            let _ = q_profile(yi, vi, &Design::intercept(k), &f);
        }
    }
});
