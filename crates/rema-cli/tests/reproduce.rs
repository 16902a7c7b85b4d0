//! `rema reproduce` on the shipped RevMan 5 files: the verdicts, the JSON
//! report, and the exit codes (0 whatever it finds, 6 with
//! --fail-on-different when a figure differs, 3 for a broken file).

mod common;

use common::*;

#[test]
fn fleiss1993_is_reproduced() {
    let out = rema(&[
        "reproduce",
        "tests/data/revman/Fleiss1993.rm5",
        "--fail-on-different",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("REPRODUCED      CMP-001.01  [M-H, Fixed, 95% CI]; 16 figures"),
        "{text}"
    );
    assert!(
        text.contains("NOTHING STORED  CMP-001.02  [IV, Fixed, 95% CI]"),
        "{text}"
    );
}

#[test]
fn the_json_report_lists_every_figure() {
    let out = rema(&[
        "reproduce",
        "tests/data/revman/reference.rm5",
        "--format",
        "json",
    ]);
    let j = json(&out);
    let outcomes = j["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 8);
    assert!(
        outcomes.iter().all(|o| o["verdict"] == "reproduced"),
        "{j:#}"
    );
    let first = &outcomes[0]["checks"][0];
    assert_eq!(first["what"], "RR");
}

#[test]
fn a_difference_fails_only_when_asked() {
    let dir = scratch("reproduce-different");
    std::fs::create_dir_all(&dir).unwrap();
    // The file is ISO-8859-1: one char per byte, and back.
    let bytes = std::fs::read(root().join("tests/data/revman/Fleiss1993.rm5")).unwrap();
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let changed = text.replace("CHI2=\"9.946055983220074\"", "CHI2=\"9.95\"");
    assert_ne!(changed, text);
    let path = dir.join("changed.rm5");
    std::fs::write(&path, changed.chars().map(|c| c as u8).collect::<Vec<u8>>()).unwrap();
    let p = path.to_str().unwrap();
    let out = rema(&["reproduce", p]);
    let text = stdout(&out);
    assert!(text.contains("DIFFERENT       CMP-001.01"), "{text}");
    assert!(
        text.contains("CHI2                     RevMan 9.95"),
        "{text}"
    );
    let out = rema(&["reproduce", p, "--fail-on-different"]);
    assert_eq!(out.status.code(), Some(6));
    std::fs::write(&path, "<COCHRANE_REVIEW><ANALYSES_AND_DATA>").unwrap();
    let out = rema(&["reproduce", p]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("changed.rm5, line 1: the file is not well-formed XML"));
}

#[test]
fn import_writes_files_that_rema_run_runs() {
    let dir = scratch("import-fleiss");
    let d = dir.to_str().unwrap();
    let out = rema(&["import", "tests/data/revman/Fleiss1993.rm5", "--out", d]);
    assert_eq!(
        stdout(&out).trim(),
        format!("{d}: 12 studies, 2 outcomes (2 analyses in plan.toml), 1 risk-of-bias domains")
    );
    for f in [
        "review.json",
        "plan.toml",
        "CMP-001.01.csv",
        "CMP-001.02.csv",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let res = dir.join("results");
    run_plan_into(&dir.join("plan.toml"), &res);
    let summary = std::fs::read_to_string(res.join("summary.md")).unwrap();
    assert!(summary.contains("| CMP-001.01 | Aspirin for Preventing Death after Myocardial Infarction | Examples from Fleiss (1993) | 7 (MRC-1, CDP, MRC-2, GASP, PARIS, AMIS, ISIS-2) | 28003 | OR 0.90 (0.84, 0.96) |"), "{summary}");
}
