//! Any bytes as a CSV file, through the reader and a full analysis with every
//! measure: an error or a result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_core::Measure;
use rema_data::{analyze, AnalysisSpec, Table};

const METHODS: [&str; 9] = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    if let Ok(table) = Table::from_bytes(bytes, "fuzz.csv") {
        let mut spec = AnalysisSpec::new(Measure::ALL[selector as usize % Measure::ALL.len()]);
        spec.method = METHODS[(selector as usize / 16) % METHODS.len()].parse().unwrap();
        spec.tau2_ci = selector & 1 == 1;
        if selector & 2 == 2 {
            spec.test = "knha".parse().unwrap();
        }
        let _ = analyze(&table, &spec, "fuzz");
    }
});
