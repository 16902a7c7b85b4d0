//! The golden suite: rema's numbers against R metafor's, stored as JSON by
//! `tests/golden/core.R`. Used by `cargo test` (tests/golden_core.rs) and by
//! `cargo xtask verify`, which prints the largest error per kind of quantity.

use std::path::Path;

use serde_json::Value;

use crate::core::{
    effect_sizes, fit, q_profile, transform, Design, EffectOptions, FitOptions, Measure, Method,
    Test,
};
use crate::data::{read_studies, Table};

/// How a quantity is computed, which sets its tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A closed-form quantity: 1e-6 relative.
    ClosedForm,
    /// The result of an iteration or a root search: 1e-4 relative.
    Iterative,
}

impl Kind {
    /// Relative tolerance of the kind.
    pub fn tolerance(self) -> f64 {
        match self {
            Kind::ClosedForm => 1e-6,
            Kind::Iterative => 1e-4,
        }
    }
}

/// The absolute floor under which differences count as zero (values that
/// metafor reports as, e.g., 1e-17 where rema has 0).
pub const ABS_FLOOR: f64 = 1e-10;

/// One comparison of a rema number with metafor's.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub case: String,
    pub quantity: String,
    pub kind: Kind,
    pub expected: f64,
    pub actual: f64,
}

impl Comparison {
    /// |actual − expected| / |expected|, with the absolute floor.
    pub fn rel_error(&self) -> f64 {
        let d = (self.actual - self.expected).abs();
        if d <= ABS_FLOOR || (self.actual.is_infinite() && self.actual == self.expected) {
            0.0
        } else {
            d / self.expected.abs().max(ABS_FLOOR)
        }
    }

    pub fn passes(&self) -> bool {
        self.rel_error() <= self.kind.tolerance()
    }
}

/// Runs every case of a `core.json` file. `root` is the workspace root (the
/// cases name their CSV files relative to it). Errors are setup failures;
/// numeric disagreements are failing comparisons.
pub fn run_core(root: &Path) -> Result<Vec<Comparison>, String> {
    let path = root.join("tests/golden/core.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let golden: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for case in golden["cases"].as_array().ok_or("no cases")? {
        run_case(root, case, &mut out)?;
    }
    Ok(out)
}

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        _ => Vec::new(),
    }
}

fn run_case(root: &Path, case: &Value, out: &mut Vec<Comparison>) -> Result<(), String> {
    let id = case["id"].as_str().ok_or("case without id")?;
    let measure: Measure = case["measure"]
        .as_str()
        .ok_or("case without measure")?
        .parse()?;
    let gyi = nums(&case["yi"]);
    let gvi = nums(&case["vi"]);
    let ni = case.get("ni").map(nums).filter(|v| !v.is_empty());

    // Effect sizes from the shipped CSV, through rema-data's reader.
    if let Some(csv) = case["csv"].as_str() {
        let table = Table::read_path(&root.join(csv)).map_err(|e| e.to_string())?;
        let st = read_studies(&table, measure).map_err(|e| e.to_string())?;
        let es = effect_sizes(measure, &st.data, &EffectOptions::default())
            .map_err(|e| format!("{id}: {e}"))?;
        for (i, (y, v)) in es.yi.iter().zip(&es.vi).enumerate() {
            out.push(cmp(id, &format!("yi[{i}]"), Kind::ClosedForm, gyi[i], *y));
            out.push(cmp(id, &format!("vi[{i}]"), Kind::ClosedForm, gvi[i], *v));
        }
    }

    for f in case["fits"].as_array().ok_or("fits")? {
        let method: Method = f["method"].as_str().ok_or("method")?.parse()?;
        let test: Test = f["test"].as_str().ok_or("test")?.parse()?;
        let level = f["level"].as_f64().unwrap_or(95.0);
        let name = format!("{id} {method} {test} level={level}");
        let opts = FitOptions {
            method,
            test,
            level,
            ..FitOptions::default()
        };
        let res = fit(&gyi, &gvi, &opts);
        let Some(ex) = f.get("expected") else {
            // metafor refused this fit: rema must refuse too.
            if let Ok(r) = res {
                return Err(format!(
                    "{name}: metafor failed ({}) but rema fitted tau2 = {}",
                    f["error"], r.tau2
                ));
            }
            continue;
        };
        let r = res.map_err(|e| format!("{name}: {e}"))?;
        let iterative = matches!(method, Method::Ml | Method::Reml | Method::Eb | Method::Pm);
        let kind = if iterative {
            Kind::Iterative
        } else {
            Kind::ClosedForm
        };
        let e = r.estimate();
        let pred = r.prediction();
        let pairs = [
            ("estimate", e.estimate),
            ("se", e.se),
            ("stat", e.stat),
            ("pval", e.pval),
            ("ci_lower", e.ci_lower),
            ("ci_upper", e.ci_upper),
            ("tau2", r.tau2),
            ("i2", r.i2),
            ("h2", r.h2),
            ("q", r.q),
            ("q_pval", r.q_pval),
            ("qm", r.qm),
            ("qm_pval", r.qm_pval),
            ("pi_lower", pred.pi_lower),
            ("pi_upper", pred.pi_upper),
        ];
        for (q, actual) in pairs {
            // q and q_pval do not depend on tau2.
            let k = if q.starts_with('q') && !q.starts_with("qm") {
                Kind::ClosedForm
            } else {
                kind
            };
            if let Some(x) = ex[q].as_f64() {
                out.push(cmp(&name, q, k, x, actual));
            }
        }
        for (i, (w, x)) in r.weights.iter().zip(nums(&ex["weights"])).enumerate() {
            out.push(cmp(&name, &format!("weight[{i}]"), kind, x, *w));
        }
        if let Some(t) = ex.get("transformed") {
            let bt = measure.back_transform();
            let tr = |x: f64| transform::back_transform(bt, x, ni.as_deref());
            for (q, actual) in [
                ("estimate", tr(e.estimate)),
                ("ci_lower", tr(e.ci_lower)),
                ("ci_upper", tr(e.ci_upper)),
                ("pi_lower", tr(pred.pi_lower)),
                ("pi_upper", tr(pred.pi_upper)),
            ] {
                if let Some(x) = t[q].as_f64() {
                    out.push(cmp(&name, &format!("transformed.{q}"), kind, x, actual));
                }
            }
        }
        if ex.get("tau2_ci_lower").is_some() {
            let ci = q_profile(&gyi, &gvi, &Design::intercept(gyi.len()), &r)
                .map_err(|e| format!("{name}: {e}"))?;
            for (q, actual) in [
                ("tau2_ci_lower", ci.tau2_lower),
                ("tau2_ci_upper", ci.tau2_upper),
                ("i2_ci_lower", ci.i2_lower),
                ("i2_ci_upper", ci.i2_upper),
                ("h2_ci_lower", ci.h2_lower),
                ("h2_ci_upper", ci.h2_upper),
            ] {
                if let Some(x) = ex[q].as_f64() {
                    out.push(cmp(&name, q, Kind::Iterative, x, actual));
                }
            }
        }
    }
    Ok(())
}

fn cmp(case: &str, quantity: &str, kind: Kind, expected: f64, actual: f64) -> Comparison {
    Comparison {
        case: case.to_string(),
        quantity: quantity.to_string(),
        kind,
        expected,
        actual,
    }
}
