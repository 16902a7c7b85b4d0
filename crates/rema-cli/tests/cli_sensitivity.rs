//! End-to-end tests of `rema analyze --leave-one-out --influence --cumulative`,
//! `rema analyze --method GLMM` and `rema bias`: their JSON against metafor's
//! golden values (tests/golden/{influence,bias,glmm}.json, compared by
//! rema-golden's runner), exit codes and messages.

mod common;

use std::process::Output;

use common::*;

/// The cases of a golden suite run through the binary (`rema <command> CSV
/// <the case's spec as flags> --format json`), each JSON compared with the
/// case by rema-golden's runner under the suite's tolerances. Returns the
/// number of values compared; calls `refused` with the output of each case
/// that metafor refused.
fn run_suite_through_binary(name: &str, command: &str, refused: impl Fn(&Output)) -> usize {
    let suite = rema_golden::runner::load(&root(), name).expect("golden suite");
    let mut checked = 0;
    for case in suite.cases.iter().filter(|c| c.entry.is_none()) {
        let csv = case.csv.as_deref().expect("a csv");
        let out = rema_golden_spec(command, csv, &case.spec);
        if case.error.is_some() {
            refused(&out);
            continue;
        }
        let r = json(&out);
        checked += assert_golden(&suite, case, &r);
        assert_eq!(r["method"], case.spec["method"]);
        assert_eq!(r["provenance"]["options"]["method"], case.spec["method"]);
    }
    checked
}

/// Every case of influence.json through the binary: the three sections of
/// the JSON match metafor's leave1out(), influence() and cumul(order = COL),
/// the influential flags and the order of the cumulative steps included.
#[test]
fn sensitivity_sections_match_metafor() {
    let checked = run_suite_through_binary("influence", "analyze", |_| {
        panic!("every influence case fits")
    });
    assert!(checked > 2000, "only {checked} values");
}

/// Every case of bias.json through `rema bias`.
#[test]
fn bias_json_matches_metafor() {
    let checked = run_suite_through_binary("bias", "bias", |_| panic!("every bias case fits"));
    assert!(checked > 100, "only {checked} values");
}

/// Every case of glmm.json through the binary; where metafor cannot fit the
/// model, rema says why, with exit code 4.
#[test]
fn glmm_json_matches_metafor_and_zero_events_fail_cleanly() {
    let checked = run_suite_through_binary("glmm", "analyze", |out| {
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no finite maximum-likelihood estimate")
                || err.contains("needs at least 2 studies"),
            "{err}"
        );
    });
    assert!(checked > 100, "only {checked} values");
}

#[test]
fn glmm_with_another_measure_or_test_is_a_usage_error() {
    let pritz = "tests/golden/data/glmm_pritz1997.csv";
    for (measure, extra) in [
        ("PR", &[][..]),
        ("PLO", &["--test", "knha"][..]),
        ("PLO", &["--leave-one-out"][..]),
    ] {
        let mut args = vec!["analyze", pritz, "--measure", measure, "--method", "GLMM"];
        args.extend_from_slice(extra);
        let out = rema(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("GLMM"),
            "{args:?}"
        );
    }
}

#[test]
fn order_needs_cumulative_and_an_existing_column() {
    let out = analyze("tests/golden/data/bcg_year.csv", "RR", &["--order", "year"]);
    assert_eq!(out.status.code(), Some(2));
    let out = analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &["--cumulative", "--order", "decade"],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("decade") && err.contains("year"), "{err}");
}

#[test]
fn sections_are_absent_unless_asked_for() {
    let r = json(&analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &["--format", "json"],
    ));
    for key in ["leave_one_out", "influence", "cumulative", "glmm"] {
        assert!(r.get(key).is_none(), "{key}");
    }
    assert!(r["provenance"]["options"].get("leave_one_out").is_none());
}

#[test]
fn bias_with_too_few_studies_exits_4() {
    let out = rema(&["bias", "tests/golden/data/edge_k2.csv", "--measure", "RR"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_output_shows_the_sections() {
    let out = analyze(
        "tests/golden/data/bcg_year.csv",
        "RR",
        &[
            "--leave-one-out",
            "--influence",
            "--cumulative",
            "--order",
            "year",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for head in [
        "Leave-one-out analysis",
        "Influence diagnostics",
        "Cumulative meta-analysis",
    ] {
        assert!(text.contains(head), "{head}");
    }
    let out = rema(&["bias", "tests/golden/data/bcg_year.csv", "--measure", "RR"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kendall's tau = 0.0256"), "{text}");
}
