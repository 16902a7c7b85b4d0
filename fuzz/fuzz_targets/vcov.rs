//! Any bytes as a `--vcov` long table (row, col, cov), through the parser and,
//! when it reads, a multivariate fit of a small table with those covariances:
//! an error or a result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_core::Measure;
use rema_data::{analyze, AnalysisSpec, Table};

const DATA: &str = "study,trial,outcome,yi,vi\nA,1,PD,0.47,0.0075\nB,1,AL,-0.32,0.0077\nC,2,PD,0.20,0.0057\nD,2,AL,-0.60,0.0008\nE,3,PD,0.40,0.0021\nF,3,AL,-0.12,0.0014\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(entries) = rema_data::vcov::parse(text, "fuzz.csv") {
        let table = Table::from_str(DATA, "data.csv").unwrap();
        let mut spec = AnalysisSpec::new(Measure::Gen);
        spec.random_terms = vec!["~ outcome | trial".to_string()];
        spec.var_struct = Some(rema_core::mv::VarStruct::Un);
        spec.vcov = entries;
        let _ = analyze(&table, &spec, "fuzz");
    }
});
