//! Shared by the CLI's end-to-end tests: the repository root, the `rema`
//! binary run there, the golden files, scratch paths, the relative-tolerance
//! check and readers of the binary's output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root (examples and goldens are named relative to it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `rema args` in the repository root.
pub fn rema(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rema"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("rema runs")
}

/// A golden file of tests/golden, e.g. `core.json`.
pub fn golden(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/golden").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `a` within relative tolerance `rtol` of `b` (or both within 1e-10).
pub fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a - b).abs() <= rtol * b.abs().max(1e-10) || (a - b).abs() <= 1e-10
}

/// A fresh path `name` (nothing there yet) in this test binary's scratch
/// folder, which exists.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rema-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

/// Writes `text` to `dir/name` (creating `dir`); returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Standard output of a run that must succeed.
pub fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The JSON on standard output of a run that must succeed.
pub fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap()
}

/// Runs `rema run <plan> --out <out> --quiet`, which must succeed, and
/// returns the results.json it wrote.
pub fn run_plan_into(plan: &Path, out: &Path) -> Value {
    stdout(&rema(&[
        "run",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]));
    let text = std::fs::read_to_string(out.join("results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Each element of the JSON array `v` through `f`.
pub fn each<'a, T>(v: &'a Value, f: impl Fn(&'a Value) -> T) -> Vec<T> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(f)
        .collect()
}

/// Runs `rema analyze <csv> --measure <measure> <extra>`.
pub fn analyze(csv: &str, measure: &str, extra: &[&str]) -> Output {
    let mut args = vec!["analyze", csv, "--measure", measure];
    args.extend_from_slice(extra);
    rema(&args)
}

/// The arguments `<cmd> <csv> --measure M --method X --test T` of a model.
pub fn model_args<'a>(cmd: &'a str, csv: &'a str, model: [&'a str; 3]) -> Vec<&'a str> {
    let [measure, method, test] = model;
    vec![
        cmd,
        csv,
        "--measure",
        measure,
        "--method",
        method,
        "--test",
        test,
    ]
}

/// The JSON of `rema <cmd> <csv>` with `model` (measure, method, test) and
/// `extra`, a run that must succeed.
pub fn model_json(cmd: &str, csv: &str, model: [&str; 3], extra: &[&str]) -> Value {
    let mut args = model_args(cmd, csv, model);
    args.extend_from_slice(extra);
    args.extend(["--format", "json"]);
    json(&rema(&args))
}

/// Runs `rema <command> <csv> <the golden spec as flags> --format json`.
pub fn rema_golden_spec(command: &str, csv: &str, spec: &Value) -> Output {
    let mut args = vec![command.to_string(), csv.to_string()];
    args.extend(rema_golden::entry::cli_args(spec));
    args.extend(["--format".to_string(), "json".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    rema(&args)
}

/// Asserts that `doc` has every expected value of the golden `case` within
/// the suite's tolerances (rema-golden's runner); returns how many values
/// were compared.
pub fn assert_golden(suite: &rema_golden::Suite, case: &rema_golden::Case, doc: &Value) -> usize {
    let comparisons = rema_golden::runner::compare(suite, case, doc);
    let failing: Vec<String> = comparisons
        .iter()
        .filter(|c| !c.passes())
        .map(ToString::to_string)
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
    comparisons.len()
}
