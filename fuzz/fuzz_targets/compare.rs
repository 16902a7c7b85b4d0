//! Any bytes as two saved results (split at the first NUL byte), through
//! serde and `rema_data::compare`: refused or compared, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::{compare, AnalysisResult};

fuzz_target!(|data: &[u8]| {
    let Some(cut) = data.iter().position(|&b| b == 0) else { return };
    let (a, b) = (&data[..cut], &data[cut + 1..]);
    let (Ok(a), Ok(b)) = (
        serde_json::from_slice::<AnalysisResult>(a),
        serde_json::from_slice::<AnalysisResult>(b),
    ) else {
        return;
    };
    if let Ok(c) = compare(&a, "a.json", &b, "b.json") {
        let _ = serde_json::to_string(&c);
    }
});
