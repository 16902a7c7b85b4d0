//! Any bytes as an Excel workbook, through the .xlsx reader (first sheet and
//! a named one) and a generic analysis: an error or a result, never a panic.
//! Seeded with fuzz/seeds/xlsx_reader/tiny.xlsx (fuzz/make_xlsx_seed.py).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::{analyze, AnalysisSpec};

fuzz_target!(|data: &[u8]| {
    for sheet in [None, Some("lee2004")] {
        if let Ok(table) = rema_data::xlsx::read(data, "fuzz.xlsx", sheet) {
            let spec = AnalysisSpec::new("GEN".parse().unwrap());
            let _ = analyze(&table, &spec, "fuzz");
        }
    }
});
