//! `rema batch` against metafor: tests/golden/batch.R fits rma() and
//! predict() to each of the 40 analyses of tests/data/batch/long.csv with
//! every tau^2 estimator (z test) and DL, REML with Knapp-Hartung;
//! tests/golden/batch.json holds the results. Tolerances: 1e-6 relative for
//! the closed-form estimators, 1e-4 for the iterative ones (ML, REML, EB,
//! PM), as the other golden suites.

use std::path::{Path, PathBuf};

use rema_arrow::batch::{run, BatchSpec};
use rema_arrow::output::{Column, TableWriter};
use rema_core::batch::BatchOptions;
use rema_core::{EffectOptions, FitOptions, Measure, Method, Test};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Keeps every block written.
#[derive(Default)]
struct Capture {
    names: Vec<String>,
    blocks: Vec<Vec<Column>>,
}

impl TableWriter for &mut Capture {
    fn write(&mut self, names: &[String], columns: &[Column]) -> rema_arrow::Result<()> {
        self.names = names.to_vec();
        self.blocks.push(columns.to_vec());
        Ok(())
    }
    fn finish(self: Box<Self>) -> rema_arrow::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn numbers(&self, name: &str) -> Vec<f64> {
        let j = self.names.iter().position(|n| n == name).unwrap();
        self.blocks
            .iter()
            .flat_map(|b| match &b[j] {
                Column::F64(v) => v.clone(),
                Column::I64(v) => v.iter().map(|&x| x as f64).collect(),
                _ => panic!("{name} is not numeric"),
            })
            .collect()
    }
}

#[test]
fn every_method_matches_metafor_on_every_group() {
    let text = std::fs::read_to_string(root().join("tests/golden/batch.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let method: Method = case["method"].as_str().unwrap().parse().unwrap();
        let test: Test = case["test"].as_str().unwrap().parse().unwrap();
        let level = case["level"].as_f64().unwrap();
        let spec = BatchSpec {
            groups: vec!["group".to_string()],
            measure: Measure::Gen,
            effect: EffectOptions::default(),
            options: BatchOptions {
                fit: FitOptions {
                    test,
                    level,
                    ..FitOptions::new(method)
                },
                ..BatchOptions::default()
            },
        };
        let mut cap = Capture::default();
        let mut w = &mut cap;
        let summary = run(
            &root().join("tests/data/batch/long.csv"),
            &spec,
            &mut w,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(summary.analyses, 40);
        let iterative = matches!(method, Method::Ml | Method::Reml | Method::Eb | Method::Pm);
        let rtol = if iterative { 1e-4 } else { 1e-6 };
        for col in [
            "k", "estimate", "se", "zval", "pval", "ci_lower", "ci_upper", "tau2", "i2", "h2", "q",
            "q_pval", "pi_lower", "pi_upper",
        ] {
            let got = cap.numbers(col);
            let want: Vec<f64> = case[col]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect();
            assert_eq!(got.len(), want.len());
            for (g, (a, b)) in got.iter().zip(&want).enumerate() {
                // tau2 (and I2) near 0: absolute, as metafor stops at |change| <= 1e-5.
                let scale = if matches!(col, "tau2" | "i2") {
                    b.abs().max(1e-2)
                } else {
                    b.abs().max(1e-8)
                };
                assert!(
                    (a - b).abs() <= rtol * scale,
                    "{method} {test} group {} {col}: rema {a} metafor {b}",
                    g + 1
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 11 * 40 * 14, "{checked}");
}
