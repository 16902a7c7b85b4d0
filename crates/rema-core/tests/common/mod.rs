//! Shared by rema-core's integration tests: dat.bcg (log risk ratios,
//! absolute latitude, allocation), and the reading of the golden files that
//! R metafor wrote to tests/golden (their metafor version checked) into
//! fitted models.
#![allow(dead_code)]

use std::path::PathBuf;

use rema_core::{Design, Level, Method, Rma, RmaFit, Studies, Test};
use serde_json::Value;

/// dat.bcg log risk ratios (metafor `escalc("RR")`).
pub const YI: [f64; 13] = [
    -0.8893113, -1.5853887, -1.3480731, -1.4415512, -0.2175473, -0.7861156, -1.6208982, 0.0119509,
    -0.4694176, -1.3713448, -0.3393640, 0.4459134, -0.0173139,
];
/// Their sampling variances.
pub const VI: [f64; 13] = [
    0.3255848, 0.1945811, 0.4153680, 0.0200000, 0.0512101, 0.0069056, 0.2230172, 0.0039626,
    0.0564342, 0.0730248, 0.0124157, 0.5325058, 0.0714047,
];
/// Absolute latitude of each trial.
pub const ABLAT: [f64; 13] = [
    44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.,
];
/// The treatment allocation (0 alternate, 1 random, 2 systematic).
pub const ALLOC: [usize; 13] = [1, 0, 1, 1, 2, 2, 1, 1, 2, 2, 0, 2, 2];

/// The design intercept + ablat.
pub fn ablat() -> Design {
    Design::from_row_major(13, 2, ABLAT.iter().flat_map(|&a| [1.0, a]).collect()).unwrap()
}

/// The golden file `tests/golden/<name>.json`, written by metafor 3.8.1.
pub fn golden(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let g: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
    assert_eq!(
        g["generator"]["metafor"], "3.8.1",
        "the golden values come from metafor 3.8.1"
    );
    g
}

/// A number; metafor's `NA` (null) is NaN.
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A numeric vector; jsonlite's `auto_unbox` writes one of length 1 as a
/// scalar, and `NA` as null (NaN here).
pub fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(num).collect(),
        Value::Number(x) => vec![x.as_f64().unwrap()],
        Value::Null => vec![f64::NAN],
        _ => panic!("not a numeric vector: {v}"),
    }
}

/// A matrix given as an array of rows.
pub fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("an array").iter().map(nums).collect()
}

/// A golden case: its id, the model rema fits to its data, and its values.
pub struct Case {
    pub id: String,
    pub fit: RmaFit,
    pub g: Value,
}

/// The cases of the golden file `name`: each case's `yi`, `vi` and design
/// `x` fitted with its `method` and `test` by `Rma`, at the level `level_of`
/// reads from the case.
pub fn cases(name: &str, level_of: impl Fn(&Value) -> Level) -> Vec<Case> {
    golden(name)["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap().to_string();
            let method: Method = c["method"].as_str().unwrap().parse().unwrap();
            let test: Test = c["test"].as_str().unwrap().parse().unwrap();
            let studies = Studies::new(&nums(&c["yi"]), &nums(&c["vi"])).unwrap();
            let x = rows(&c["x"]);
            let (k, p) = (x.len(), x[0].len());
            let x = Design::from_row_major(k, p, x.concat()).unwrap();
            let fit = Rma::new(method)
                .test(test)
                .level(level_of(c))
                .fit_mods(&studies, &x)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            Case {
                id,
                fit,
                g: c.clone(),
            }
        })
        .collect()
}
