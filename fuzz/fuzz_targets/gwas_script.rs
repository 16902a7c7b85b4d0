//! Any text as a METAL script (`rema gwas --script`): jobs or a located
//! error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rema_data::gwas::parse_script;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_script(text, "fuzz.metal", Path::new("/nonexistent"));
    }
});
