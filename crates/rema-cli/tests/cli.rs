//! End-to-end tests of the `rema` binary: its JSON against metafor's golden
//! values, its exit codes and its messages.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

/// Every golden case through the binary, with REML/z and DL/knha at the 95%
/// level: its JSON against metafor, compared by rema-golden's runner under the
/// tolerances of tests/golden/core.json.
#[test]
fn analyze_json_matches_metafor_for_every_measure() {
    let suite = rema_golden::runner::load(&root(), "core").expect("tests/golden/core.json");
    let mut checked = 0;
    for case in &suite.cases {
        let spec = &case.spec;
        let (Some(csv), None) = (case.csv.as_deref(), case.entry) else {
            continue;
        };
        let (method, test) = (spec["method"].as_str(), spec["test"].as_str());
        if !matches!(
            (method, test),
            (Some("REML"), Some("z")) | (Some("DL"), Some("knha"))
        ) || spec["level"].as_f64() != Some(95.0)
        {
            continue;
        }
        let out = rema_golden_spec("analyze", csv, spec);
        assert!(
            out.status.success(),
            "{csv}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_golden(&suite, case, &r);
        assert_eq!(r["provenance"]["options"]["method"], method.unwrap());
        assert_eq!(r["provenance"]["input_sha256"].as_str().unwrap().len(), 64);
        checked += 1;
    }
    assert!(checked >= 40, "checked {checked}");
}

#[test]
fn text_output_reads_like_print_rma() {
    let out = analyze("examples/bcg/bcg.csv", "RR", &["--method", "REML"]);
    let s = stdout(&out);
    assert!(
        s.contains("Random-Effects Model (k = 13; tau^2 estimator: REML"),
        "{s}"
    );
    assert!(s.contains("-0.7145"), "{s}");
    assert!(s.contains("Back-transformed (RR): 0.4894"), "{s}");
}

#[test]
fn csv_output_has_a_header_and_one_row() {
    let out = analyze(
        "examples/bcg/bcg.csv",
        "RR",
        &["--method", "DL", "--format", "csv"],
    );
    let s = stdout(&out);
    let lines: Vec<_> = s.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("measure,method,test,level,k,estimate"));
    assert!(lines[1].starts_with("RR,DL,z,95,13,-0.714"));
}

#[test]
fn exit_codes_are_as_documented() {
    let tmp = scratch("exit-codes");
    let write = |name: &str, text: &str| write_file(&tmp, name, text);
    // Bad usage: an unknown measure is refused by the argument parser.
    let out = analyze("examples/bcg/bcg.csv", "XYZ", &[]);
    assert_eq!(out.status.code(), Some(2));
    // A missing file.
    let out = analyze("does/not/exist.csv", "RR", &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.csv"));
    // A zero variance names the line and the study.
    let f = write("zero.csv", "study,yi,vi\nA,0.1,0.02\nB,0.2,0\n");
    let out = analyze(&f, "GEN", &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("study `B`") && err.contains("positive"),
        "{err}"
    );
    // A missing column says which.
    let f = write("missing.csv", "study,ai,bi,ci\nA,1,2,3\n");
    let out = analyze(&f, "RR", &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`di`"));
    // Text where a number belongs.
    let f = write("text.csv", "study,yi,vi\nA,0.1,0.02\nB,abc,0.01\n");
    let out = analyze(&f, "GEN", &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`abc` is not a number"));
    // One study cannot carry a Knapp-Hartung test: an estimation error.
    let f = write("one.csv", "study,yi,vi\nA,0.1,0.02\n");
    let out = analyze(&f, "GEN", &["--test", "knha"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn audit_finds_the_seed_papers_inconsistent_p_value() {
    let out = rema(&[
        "audit",
        "examples/bkp/table3_published.csv",
        "--format",
        "json",
    ]);
    let v = json(&out);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let bad: Vec<_> = rows
        .iter()
        .filter(|r| r["status"] == "inconsistent")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(bad, ["cobb_post"]);
    for key in [
        "id",
        "implied_se",
        "implied_z",
        "implied_p",
        "p_reported",
        "status",
        "message",
    ] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    let out = rema(&[
        "audit",
        "examples/bkp/table3_published.csv",
        "--fail-on-inconsistent",
    ]);
    assert_eq!(out.status.code(), Some(5));
}

/// A table of our own with planted errors, including the scale trap: the
/// same printed numbers are consistent as an OR and inconsistent as an MD.
#[test]
fn audit_catches_planted_errors_and_scale_traps() {
    let tmp = std::env::temp_dir().join(format!("rema-audit-{}.csv", std::process::id()));
    std::fs::write(
        &tmp,
        "id,measure,estimate,ci_lower,ci_upper,p_reported\n\
         ok_rr,RR,0.49,0.34,0.70,<.001\n\
         ok_rr2,RR,1.20,1.00,1.44,.05\n\
         trap_as_md,MD,1.20,1.00,1.44,.05\n\
         typo_p,SMD,0.25,0.05,0.45,.20\n\
         ok_rd,RD,-0.04,-0.08,0.00,.05\n",
    )
    .unwrap();
    let out = rema(&["audit", tmp.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let st: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        st,
        [
            "consistent",
            "consistent",
            "inconsistent",
            "inconsistent",
            "consistent"
        ]
    );
    std::fs::remove_file(tmp).ok();
}

/// Resampling through the binary: the same seed gives the same JSON at 1 and
/// 2 threads, and the seed and iterations are recorded.
#[test]
fn seeded_resampling_is_reproducible_across_thread_counts() {
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_rema"))
            .args([
                "analyze",
                "examples/bcg/bcg.csv",
                "-m",
                "RR",
                "--mods",
                "ablat",
                "--permutations",
                "300",
                "--seed",
                "11",
                "-f",
                "json",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(root())
            .output()
            .unwrap();
        stdout(&out)
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let v: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["permutation"]["seed"], 11);
    assert_eq!(v["permutation"]["iterations"], 300);
    assert_eq!(v["provenance"]["options"]["seed"], 11);
    assert_eq!(v["coefficients"][1]["name"], "ablat");
    assert!(v["coefficients"][1]["pval_perm"].as_f64().is_some());
}

#[test]
fn heterogeneity_flags_report_bad_usage_and_bad_columns() {
    // --tau2-common needs --by: a usage error.
    let out = analyze("examples/bcg/bcg.csv", "RR", &["--tau2-common"]);
    assert_eq!(out.status.code(), Some(2));
    // An unknown moderator column: a data error naming the column.
    let out = analyze("examples/bcg/bcg.csv", "RR", &["--mods", "latitude"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("latitude"));
    // A bad permutation count.
    let out = analyze("examples/bcg/bcg.csv", "RR", &["--permutations", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn text_output_shows_subgroups_and_bootstrap() {
    let out = analyze(
        "examples/bcg/bcg.csv",
        "RR",
        &["--by", "alloc", "--bootstrap", "200", "--seed", "3"],
    );
    let text = stdout(&out);
    assert!(text.contains("Test for subgroup differences"), "{text}");
    assert!(
        text.contains("Bootstrap (200 nonparametric replicates, seed 3"),
        "{text}"
    );
    // Piped: no progress bar on stderr.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The resampling flags: `--permutations` alone runs metafor's permutest
/// and nothing else; `--tau2-test`, `--permutation-stat` and `--permci` add
/// their parts; the qualifiers need `--permutations` (a usage error).
#[test]
fn resampling_flags_run_what_they_name() {
    let json = |extra: &[&str]| -> Value {
        let mut args = vec!["-f", "json", "--seed", "3"];
        args.extend_from_slice(extra);
        let out = analyze("examples/bcg/bcg.csv", "RR", &args);
        common::json(&out)
    };
    let v = json(&["--permutations", "100"]);
    assert_eq!(v["permutation"]["stat"], "test");
    assert!(v.get("tau2_test").is_none() && v["permutation"].get("ci").is_none());
    let v = json(&["--tau2-test", "50"]);
    assert!(v.get("permutation").is_none());
    assert_eq!(v["tau2_test"]["iterations"], 50);
    assert_eq!(v["provenance"]["options"]["tau2_test"], 50);
    let v = json(&[
        "--method",
        "DL",
        "--permutations",
        "exact",
        "--permutation-stat",
        "coef",
        "--permci",
    ]);
    assert_eq!(v["permutation"]["stat"], "coef");
    assert_eq!(v["permutation"]["iterations"], 8192);
    assert_eq!(v["permutation"]["ci"]["coefficients"][0]["name"], "intrcpt");
    for flags in [&["--permci"][..], &["--permutation-stat", "coef"]] {
        let out = analyze("examples/bcg/bcg.csv", "RR", flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--permutations"));
    }
}
