//! The files people have, through the binary: `--missing`, `--sheet` on the
//! workbook and files R wrote (tests/data/r, made by files.R), and a closed
//! pipe (`rema ... | head -1`), which ends rema quietly with status 0.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;

/// A CSV of `k` generic studies in the scratch folder.
fn many_studies(k: usize) -> String {
    let mut text = String::from("study,yi,vi\n");
    for i in 0..k {
        text.push_str(&format!(
            "s{i},{},{}\n",
            (i % 7) as f64 / 10.0,
            0.01 + (i % 5) as f64 / 100.0
        ));
    }
    write_file(&scratch("pipe"), "many.csv", &text)
}

#[test]
fn a_closed_pipe_ends_rema_quietly_with_status_0() {
    let csv = many_studies(3000);
    // A real shell pipe, as a user types it.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' analyze '{csv}' --measure GEN --method DL --leave-one-out --format json | head -1; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_rema")
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\n");
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));

    // The reader goes away after one line, long before the output ends.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rema"))
        .args([
            "analyze",
            &csv,
            "--measure",
            "GEN",
            "--method",
            "DL",
            "--leave-one-out",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "{\n");
    let out = child.wait_with_output().unwrap();
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn missing_fail_refuses_with_every_missing_cell() {
    let out = analyze(
        "tests/data/r/bcg_na_csv2.csv",
        "GEN",
        &["--mods", "ablat", "--missing", "fail"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: tests/data/r/bcg_na_csv2.csv: 2 values the analysis needs are missing: line 4, column `vi`, study `Study 3`; line 6, column `ablat`, study `Study 5`; fill them in, or set missing to \"omit\" to leave those studies out (as metafor's na.action)\n"
    );
    let omitted = json(&analyze(
        "tests/data/r/bcg_na_csv2.csv",
        "GEN",
        &["--mods", "ablat", "--format", "json"],
    ));
    assert_eq!(omitted["k"], 11);
    assert_eq!(
        omitted["notes"][0],
        "Studies with NAs omitted from model fitting: `Study 3` (line 4: vi), `Study 5` (line 6: ablat)"
    );
}

#[test]
fn sheet_picks_a_workbook_sheet_and_is_refused_for_a_csv() {
    let lee = json(&rema(&[
        "analyze",
        "tests/data/r/files.xlsx",
        "--measure",
        "OR",
        "--sheet",
        "lee2004",
        "--format",
        "json",
    ]));
    assert_eq!(lee["k"], 16);
    assert_eq!(lee["provenance"]["options"]["sheet"], "lee2004");
    let first = json(&rema(&[
        "analyze",
        "tests/data/r/files.xlsx",
        "--measure",
        "GEN",
        "--format",
        "json",
    ]));
    assert_eq!(first["k"], 13);

    let out = rema(&[
        "analyze",
        "tests/data/r/files.xlsx",
        "--measure",
        "GEN",
        "--sheet",
        "Studies",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: tests/data/r/files.xlsx has no sheet `Studies`; its sheets are `bcg`, `lee2004`\n"
    );
    let out = rema(&[
        "bias",
        "tests/data/r/lee2004.csv",
        "--measure",
        "OR",
        "--sheet",
        "lee2004",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: sheet `lee2004` names a sheet of an Excel workbook, but tests/data/r/lee2004.csv is a delimited text file; leave out sheet\n"
    );
}
