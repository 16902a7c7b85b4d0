//! Any bytes as a RevMan 5 file, through the reader and the recomputation of
//! every outcome: an error or a report, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::rm5::{reproduce, Rm5};

fuzz_target!(|data: &[u8]| {
    if let Ok(review) = Rm5::parse(data, "fuzz.rm5") {
        let _ = reproduce(&review);
    }
});
