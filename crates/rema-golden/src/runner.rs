//! The one runner: every case of a suite through its entry point, every
//! expected value compared at its JSON pointer under its named tolerance.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::case::{Case, Suite};
use crate::entry;
use crate::tolerance::Tolerance;

/// One expected value against rema's.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The case's id.
    pub case: String,
    /// Where in the document.
    pub pointer: String,
    pub expected: Value,
    /// rema's value; `None` where the document has nothing at the pointer.
    pub got: Option<Value>,
    pub tolerance: Tolerance,
    /// The error in units of the tolerance (pass: ≤ 1); infinite for a
    /// mismatch of kind (a number against null, unequal strings).
    pub error: f64,
}

impl Comparison {
    /// Whether rema's value is within the tolerance.
    pub fn passes(&self) -> bool {
        self.error <= 1.0
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let got = self
            .got
            .as_ref()
            .map_or_else(|| "nothing".to_string(), Value::to_string);
        if self.expected.is_number() {
            write!(
                f,
                "{} {}: expected {}, got {got}, tolerance {} (error {:.2e} of it)",
                self.case, self.pointer, self.expected, self.tolerance, self.error
            )
        } else {
            // Strings, flags and null compare by equality whatever the class.
            write!(
                f,
                "{} {}: expected {}, got {got} (compared for equality)",
                self.case, self.pointer, self.expected
            )
        }
    }
}

/// A case that did not get as far as its comparisons: rema refused what
/// metafor fitted, fitted what metafor refused, or the case is malformed.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFailure {
    pub case: String,
    pub message: String,
}

/// The outcome of one suite.
#[derive(Debug, Clone)]
pub struct Report {
    pub suite: String,
    pub comparisons: Vec<Comparison>,
    /// Cases metafor refused that rema refused too.
    pub refusals: usize,
    pub failures: Vec<CaseFailure>,
}

impl Report {
    /// The comparisons outside their tolerance.
    pub fn failed(&self) -> impl Iterator<Item = &Comparison> {
        self.comparisons.iter().filter(|c| !c.passes())
    }

    /// Every comparison within tolerance and every case run as expected.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.failed().next().is_none()
    }

    /// Checks: compared values plus refusals matched.
    pub fn checks(&self) -> usize {
        self.comparisons.len() + self.refusals
    }

    /// One line per tolerance class: how many values, the largest error.
    pub fn summary(&self) -> String {
        let mut by: BTreeMap<String, (usize, f64, String)> = BTreeMap::new();
        for c in &self.comparisons {
            let name = class_name(&c.tolerance).to_string();
            let e = by.entry(name).or_insert((0, -1.0, String::new()));
            e.0 += 1;
            if c.error > e.1 {
                e.1 = c.error;
                e.2 = format!("{} {}", c.case, c.pointer);
            }
        }
        let mut out = format!(
            "{}: {} checks ({} values, {} refusals), {} failing",
            self.suite,
            self.checks(),
            self.comparisons.len(),
            self.refusals,
            self.failed().count() + self.failures.len()
        );
        for (name, (n, worst, at)) in by {
            if worst > 0.0 {
                let _ = write!(
                    out,
                    "\n  {name}: {n} values, largest error {worst:.1e} of the tolerance at {at}"
                );
            } else {
                let _ = write!(
                    out,
                    "\n  {name}: {n} values, none differs (beyond the 1e-10 floor)"
                );
            }
        }
        out
    }

    /// The failures, at most `limit` of them, one per line.
    pub fn failure_text(&self, limit: usize) -> String {
        let mut lines: Vec<String> = self
            .failures
            .iter()
            .map(|f| format!("{} {}: {}", self.suite, f.case, f.message))
            .collect();
        lines.extend(self.failed().map(|c| format!("{} {c}", self.suite)));
        let n = lines.len();
        lines.truncate(limit);
        if n > limit {
            lines.push(format!("... and {} more", n - limit));
        }
        lines.join("\n")
    }
}

/// The name of a tolerance class, for summaries.
fn class_name(t: &Tolerance) -> &'static str {
    match t {
        Tolerance::ClosedForm => "closed_form",
        Tolerance::Iterative => "iterative",
        Tolerance::Exact => "exact",
        Tolerance::RatioOfCounts => "ratio_of_counts",
        Tolerance::Absolute(_) => "absolute",
        Tolerance::Resampling(_) => "resampling",
        Tolerance::ResamplingSd => "resampling_sd",
    }
}

/// Reads `tests/golden/<name>.json` under `root`.
pub fn load(root: &Path, name: &str) -> Result<Suite, String> {
    let path = root.join("tests/golden").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Suite::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs the suite `tests/golden/<name>.json` under the workspace `root`.
/// `Err` only if the file cannot be read or parsed.
///
/// ```no_run
/// let root = std::path::Path::new(".");
/// let report = rema_golden::runner::run_suite(root, "core").unwrap();
/// assert!(report.passed(), "{}", report.failure_text(40));
/// ```
pub fn run_suite(root: &Path, name: &str) -> Result<Report, String> {
    Ok(run(root, &load(root, name)?))
}

/// Runs every case of `suite`; CSV and plan paths are relative to `root`.
pub fn run(root: &Path, suite: &Suite) -> Report {
    let mut report = Report {
        suite: suite.suite.clone(),
        comparisons: Vec::new(),
        refusals: 0,
        failures: Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    for case in &suite.cases {
        if !seen.insert(case.id.as_str()) {
            report.failures.push(CaseFailure {
                case: case.id.clone(),
                message: "duplicate case id".to_string(),
            });
        }
        let entry = case.entry.unwrap_or(suite.entry);
        match (entry::document(root, entry, case), &case.error) {
            (Ok(doc), None) => report.comparisons.extend(compare(suite, case, &doc)),
            (Err(_), Some(_)) => report.refusals += 1,
            (Ok(_), Some(theirs)) => report.failures.push(CaseFailure {
                case: case.id.clone(),
                message: format!("metafor refused it ({theirs}) but rema gave a result"),
            }),
            (Err(ours), None) => report.failures.push(CaseFailure {
                case: case.id.clone(),
                message: format!("rema refused it: {ours}"),
            }),
        }
        if case.error.is_none() && case.expect.is_empty() {
            report.failures.push(CaseFailure {
                case: case.id.clone(),
                message: "a case without expected values checks nothing".to_string(),
            });
        }
    }
    report
}

/// Compares every expected value of `case` with `doc`, a document its entry
/// produced (also the `results.json` of a `rema run`, in the CLI's tests).
pub fn compare(suite: &Suite, case: &Case, doc: &Value) -> Vec<Comparison> {
    case.expect
        .iter()
        .map(|(pointer, expected)| {
            let tolerance = case
                .tolerance
                .get(pointer)
                .unwrap_or(&suite.tolerance)
                .clone();
            let got = doc.pointer(pointer).cloned();
            let error = error_of(expected, got.as_ref(), &tolerance, doc);
            Comparison {
                case: case.id.clone(),
                pointer: pointer.clone(),
                expected: expected.clone(),
                got,
                tolerance,
                error,
            }
        })
        .collect()
}

fn error_of(expected: &Value, got: Option<&Value>, tolerance: &Tolerance, doc: &Value) -> f64 {
    let mismatch = f64::INFINITY;
    match (expected, got) {
        // No value expected: rema must report none.
        (Value::Null, None | Some(Value::Null)) => 0.0,
        (Value::Number(e), Some(Value::Number(g))) => {
            let (e, g) = (
                e.as_f64().unwrap_or(f64::NAN),
                g.as_f64().unwrap_or(f64::NAN),
            );
            let mcse = tolerance
                .mcse_pointer()
                .and_then(|p| doc.pointer(p))
                .and_then(Value::as_f64);
            tolerance.error(e, g, mcse).unwrap_or(mismatch)
        }
        (Value::Number(_), _) | (Value::Null, Some(_)) => mismatch,
        (e, Some(g)) if Tolerance::same(e, g) => 0.0,
        _ => mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn suite(expect: Value, tolerance: Value) -> Suite {
        serde_json::from_value(json!({
            "suite": "t", "entry": "fit", "tolerance": "closed_form",
            "generator": {"script": "t.R", "r": "R", "metafor": "3.8.1", "jsonlite": "1.8.4"},
            "cases": [{"id": "c", "source": "rma()", "expect": expect, "tolerance": tolerance}]
        }))
        .unwrap()
    }

    #[test]
    fn each_pointer_is_compared_under_its_tolerance() {
        let s = suite(
            json!({"/a": 1.0, "/b": 2.0, "/c": null, "/d": "left", "/e": 3.0, "/f": null}),
            json!({"/b": "iterative"}),
        );
        let doc = json!({"a": 1.0000001, "b": 2.0001, "c": null, "d": "left", "e": null});
        let cs = compare(&s, &s.cases[0], &doc);
        let failing: Vec<&str> = cs
            .iter()
            .filter(|c| !c.passes())
            .map(|c| c.pointer.as_str())
            .collect();
        // /e: a number expected, null given. /f: absent, as expected.
        assert_eq!(failing, ["/e"]);
        let doc = json!({"a": 1.1, "b": 2.0, "d": "right", "e": 3.0});
        let failing: Vec<String> = compare(&s, &s.cases[0], &doc)
            .into_iter()
            .filter(|c| !c.passes())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(failing.len(), 2, "{failing:?}");
        assert!(failing[0].starts_with("c /a: expected 1.0, got 1.1, tolerance closed_form"));
    }

    #[test]
    fn a_case_that_metafor_refused_must_be_refused() {
        let mut s = suite(json!({}), json!({}));
        s.cases[0].input =
            json!({"yi": [0.1, 0.3], "vi": [0.01, 0.02], "method": "DL", "test": "z"});
        s.cases[0].error = Some("metafor: no".into());
        let r = run(Path::new("."), &s);
        assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
        s.cases[0].input = json!({"yi": [0.1], "vi": [-1.0], "method": "DL", "test": "z"});
        let r = run(Path::new("."), &s);
        assert!(r.passed() && r.refusals == 1, "{:?}", r.failures);
    }
}
