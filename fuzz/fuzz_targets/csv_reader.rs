//! Any bytes as a CSV file, through the reader and a full analysis with every
//! measure: an error or a result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::{analyze, AnalysisSpec, Table};

const MEASURES: [&str; 14] = ["RR", "OR", "RD", "MD", "SMD", "MC", "SMCC", "SMCR", "PR", "PLN", "PLO", "PAS", "PFT", "GEN"];
const METHODS: [&str; 9] = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    if let Ok(table) = Table::from_bytes(bytes, "fuzz.csv") {
        let mut spec = AnalysisSpec::new(MEASURES[selector as usize % MEASURES.len()].parse().unwrap());
        spec.method = METHODS[(selector as usize / 16) % METHODS.len()].parse().unwrap();
        spec.tau2_ci = selector & 1 == 1;
        if selector & 2 == 2 {
            spec.test = "knha".parse().unwrap();
        }
        let _ = analyze(&table, &spec, "fuzz");
    }
});
