//! The files metafor users have, read as they are and analysed as metafor
//! analyses them: R's `write.csv()` and `write.csv2()` output, `escalc()`
//! output, missing values (metafor's `na.action`), repeated study labels
//! (`dat.lee2004`) and an Excel workbook. The files and the reference
//! values (`files.json`) are written by `tests/data/r/files.R` with R 4.2.2
//! and metafor 3.8-1; REML and the OR fit are iterative: 1e-4 relative.

use std::path::{Path, PathBuf};

use rema_core::Measure;
use rema_data::{analyze, AnalysisResult, AnalysisSpec, DataError, MissingAction, Table};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/r")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(dir().join("files.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn read(name: &str, sheet: Option<&str>) -> Table {
    let path = dir().join(name);
    let bytes = std::fs::read(&path).unwrap();
    rema_data::xlsx::read_any(&bytes, name, sheet).unwrap()
}

/// A table written out in the test, as the file `x.csv`.
fn inline(csv: &str) -> Table {
    Table::from_str(csv, "x.csv").unwrap()
}

fn run(table: &Table, measure: Measure, edit: impl FnOnce(&mut AnalysisSpec)) -> AnalysisResult {
    let mut spec = AnalysisSpec::new(measure);
    edit(&mut spec);
    analyze(table, &spec, "0").unwrap()
}

/// Iterative quantities: 1e-4 relative.
fn close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= 1e-4 * want.abs(),
        "{what}: rema {got}, metafor {want}"
    );
}

fn assert_bcg(r: &AnalysisResult, want: &Value) {
    assert_eq!(r.k as u64, want["k"].as_u64().unwrap());
    close(r.estimate, &want["estimate"], "estimate");
    close(r.se, &want["se"], "se");
    close(r.tau2, &want["tau2"], "tau2");
}

/// `write.csv(escalc(...))`: a leading `""` column of row names, quoted
/// headers; `yi, vi` analysed as they are.
#[test]
fn write_csv_of_escalc_output_is_read_as_it_is() {
    let t = read("bcg_escalc.csv", None);
    assert_eq!(t.headers[0], "row_names");
    assert_eq!(t.headers[1], "trial");
    let r = run(&t, Measure::Gen, |_| {});
    assert_bcg(&r, &reference()["bcg"]);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

/// escalc output with the counts under metafor's names: the measure decides
/// which columns are the effect data, and the note says which were used.
#[test]
fn the_measure_decides_between_counts_and_escalc_yi_vi() {
    let t = read("bcg_escalc_counts.csv", None);
    let rr = run(&t, Measure::Rr, |_| {});
    assert_bcg(&rr, &reference()["bcg"]);
    assert_eq!(
        rr.notes[0],
        "measure RR used columns ai, bi, ci, di; other columns are study characteristics, not effect data: yi, vi"
    );
    let generic = run(&t, Measure::Gen, |_| {});
    assert_bcg(&generic, &reference()["bcg"]);
    assert_eq!(
        generic.notes[0],
        "measure GEN used columns yi, vi; other columns are study characteristics, not effect data: ai, bi, ci, di"
    );
}

/// A moderator named like another measure's input (`xi`, `ni`) is a study
/// characteristic, and can be a moderator.
#[test]
fn a_moderator_named_xi_next_to_yi_vi_is_a_study_characteristic() {
    let t = inline("study,yi,vi,xi\nA,0.1,0.02,1\nB,0.3,0.03,2\nC,0.2,0.01,4\nD,0.5,0.04,3\n");
    let r = run(&t, Measure::Gen, |s| s.mods = vec!["xi".into()]);
    let names: Vec<&str> = r
        .coefficients
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["intrcpt", "xi"]);
    assert_eq!(
        r.notes[0],
        "measure GEN used columns yi, vi; other columns are study characteristics, not effect data: xi"
    );
}

/// Two complete column sets that agree are fine: `vi` is used.
#[test]
fn vi_and_sei_that_agree_are_not_ambiguous() {
    let t = inline("study,yi,vi,sei\nA,0.1,0.04,0.2\nB,0.3,0.09,0.3\nC,0.2,0.01,0.1\n");
    let r = run(&t, Measure::Gen, |_| {});
    assert_eq!(r.k, 3);
    assert_eq!(
        r.notes[0],
        "measure GEN used columns yi, vi; other columns are study characteristics, not effect data: sei"
    );
}

/// `write.csv2`: `;` and decimal commas, `NA` cells. The study with an NA
/// variance is left out, as metafor's `na.action` leaves it out, and named;
/// the NA moderator matters only when the moderator is in the model.
#[test]
fn write_csv2_with_na_omits_the_studies_that_lack_a_needed_value() {
    let t = read("bcg_na_csv2.csv", None);
    assert!(t.decimal_comma);
    let r = run(&t, Measure::Gen, |_| {});
    assert_bcg(&r, &reference()["bcg_na"]);
    assert_eq!(
        r.notes[0],
        "Studies with NAs omitted from model fitting: `Study 3` (line 4: vi)"
    );
    assert_eq!(r.studies[2].study, "Study 4");

    let m = run(&t, Measure::Gen, |s| s.mods = vec!["ablat".into()]);
    let want = &reference()["bcg_na_mods"];
    assert_eq!(m.k as u64, want["k"].as_u64().unwrap());
    for (c, (b, se)) in m.coefficients.as_ref().unwrap().iter().zip(
        want["b"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["se"].as_array().unwrap()),
    ) {
        close(c.estimate, b, &c.name);
        close(c.se, se, &c.name);
    }
    close(m.tau2, &want["tau2"], "tau2");
    assert_eq!(
        m.notes[0],
        "Studies with NAs omitted from model fitting: `Study 3` (line 4: vi), `Study 5` (line 6: ablat)"
    );
}

/// `missing = "fail"` refuses, with every missing cell in one message.
#[test]
fn missing_fail_lists_every_missing_cell_at_once() {
    let t = read("bcg_na_csv2.csv", None);
    let mut spec = AnalysisSpec::new(Measure::Gen);
    spec.missing = MissingAction::Fail;
    spec.mods = vec!["ablat".into()];
    let e = analyze(&t, &spec, "0").unwrap_err();
    assert!(matches!(e, DataError::MissingValues { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "bcg_na_csv2.csv: 2 values the analysis needs are missing: line 4, column `vi`, study `Study 3`; line 6, column `ablat`, study `Study 5`; fill them in, or set missing to \"omit\" to leave those studies out (as metafor's na.action)"
    );
}

/// `dat.lee2004` has study `Agarwal` twice: both are analysed, and
/// leave-one-out leaves out each in turn, told apart by its line.
#[test]
fn repeated_study_labels_are_two_studies() {
    let t = read("lee2004.csv", None);
    let r = run(&t, Measure::Or, |s| s.leave_one_out = true);
    let want = &reference()["lee2004"];
    assert_eq!(r.k as u64, want["k"].as_u64().unwrap());
    close(r.estimate, &want["estimate"], "estimate");
    close(r.tau2, &want["tau2"], "tau2");
    assert_eq!(
        (r.studies[0].study.as_str(), r.studies[0].line),
        ("Agarwal", Some(2))
    );
    assert_eq!(
        (r.studies[1].study.as_str(), r.studies[1].line),
        ("Agarwal", Some(3))
    );
    let l1o = r.leave_one_out.as_ref().unwrap();
    let wanted = want["leave1out_estimate"].as_array().unwrap();
    assert_eq!(l1o.len(), wanted.len());
    for (row, w) in l1o.iter().zip(wanted) {
        close(row.fit.estimate, w, &format!("without line {:?}", row.line));
    }
    assert_eq!(
        (
            l1o[0].omitted.as_str(),
            l1o[0].line,
            l1o[1].omitted.as_str(),
            l1o[1].line
        ),
        ("Agarwal", Some(2), "Agarwal", Some(3))
    );
    let text = rema_data::render::text(&r);
    assert_eq!(text.matches("Agarwal").count(), 4, "{text}");

    let r = run(&t, Measure::Or, |s| {
        s.influence = true;
        s.cumulative = true;
    });
    let inf = r.influence.as_ref().unwrap();
    let cum = r.cumulative.as_ref().unwrap();
    assert_eq!(inf.len(), 16);
    assert_eq!(cum.len(), 16);
    assert_eq!(
        (
            inf[0].study.as_str(),
            inf[0].line,
            inf[1].study.as_str(),
            inf[1].line
        ),
        ("Agarwal", Some(2), "Agarwal", Some(3))
    );
    assert_eq!(
        (
            cum[0].added.as_str(),
            cum[0].line,
            cum[1].added.as_str(),
            cum[1].line
        ),
        ("Agarwal", Some(2), "Agarwal", Some(3))
    );
}

/// The workbook written by openxlsx: the first sheet by default, another by
/// name; errors name the workbook and the sheet.
#[test]
fn xlsx_sheets_are_read_like_csv_files() {
    let first = read("files.xlsx", None);
    assert_eq!(first.source, "files.xlsx, sheet `bcg`");
    assert_bcg(&run(&first, Measure::Gen, |_| {}), &reference()["bcg"]);

    let lee = read("files.xlsx", Some("lee2004"));
    let r = run(&lee, Measure::Or, |s| s.sheet = Some("lee2004".into()));
    close(r.estimate, &reference()["lee2004"]["estimate"], "estimate");
    assert_eq!(r.studies[1].line, Some(3));

    let bytes = std::fs::read(dir().join("files.xlsx")).unwrap();
    let e = rema_data::xlsx::read_any(&bytes, "files.xlsx", Some("Studies")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "files.xlsx has no sheet `Studies`; its sheets are `bcg`, `lee2004`"
    );
    let e = analyze(&first, &AnalysisSpec::new(Measure::Rr), "0").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("files.xlsx, sheet `bcg`: missing column(s) `ai`, `bi`, `ci`, `di`"),
        "{e}"
    );
    // A sheet option that the table was not read from is refused, not ignored.
    let mut spec = AnalysisSpec::new(Measure::Gen);
    spec.sheet = Some("lee2004".into());
    let e = analyze(&first, &spec, "0").unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Option {
                option: "sheet",
                ..
            }
        ),
        "{e}"
    );
}

/// A bad cell in a workbook names the workbook, sheet, row, column and study.
#[test]
fn a_bad_workbook_cell_names_the_sheet_row_column_and_study() {
    let mut t = read("files.xlsx", None);
    let vi = t.column("vi").unwrap();
    t.rows[3].cells[vi] = "#DIV/0!".to_string();
    let e = analyze(&t, &AnalysisSpec::new(Measure::Gen), "0").unwrap_err();
    assert_eq!(
        e.to_string(),
        "files.xlsx, sheet `bcg`, line 5, column `vi`, study `Study 4`: `#DIV/0!` is not a number; write a plain number such as 12.5 (decimal point, no thousands separator)"
    );
}

/// A plan whose table is a workbook reads the sheet its analyses name.
#[test]
fn a_plan_reads_the_workbook_sheet_its_analyses_name() {
    let tmp = std::env::temp_dir().join(format!("rema-files-plan-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::copy(dir().join("files.xlsx"), tmp.join("files.xlsx")).unwrap();
    let plan = tmp.join("p.toml");
    std::fs::write(
        &plan,
        "[data]\ntable = 'files.xlsx'\n[[analysis]]\nid = 'or'\nmeasure = 'OR'\nsheet = 'lee2004'\n",
    )
    .unwrap();
    let out = rema_data::run_plan(&plan).unwrap();
    let r = &out.results.results["or"];
    assert_eq!(r.k, 16);
    close(r.estimate, &reference()["lee2004"]["estimate"], "estimate");

    std::fs::write(
        &plan,
        "[data]\ntable = 'files.xlsx'\n[[analysis]]\nid = 'a'\nmeasure = 'OR'\nsheet = 'lee2004'\n[[analysis]]\nid = 'b'\nmeasure = 'GEN'\nsheet = 'bcg'\n",
    )
    .unwrap();
    let e = rema_data::run_plan(&plan).unwrap_err();
    assert!(
        e.to_string().ends_with("files.xlsx: the analyses name the sheets `bcg`, `lee2004`; a plan reads one table, so name one sheet (or write one plan per sheet)"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A study whose SD could be converted from its SE but whose size is
/// missing is left out like any other study with a missing value.
#[test]
fn a_conversion_without_its_sample_size_leaves_the_study_out() {
    let t = inline(
        "study,m1i,sd1i,n1i,m2i,sd2i,n2i,se1i\nA,10,2,20,9,2,20,\nB,11,,NA,9,2,25,0.5\nC,12,3,30,10,2,30,\n",
    );
    let r = run(&t, Measure::Md, |_| {});
    assert_eq!(r.k, 2);
    assert_eq!(
        r.notes[0],
        "Studies with NAs omitted from model fitting: `B` (line 3: sd1i, n1i)"
    );
}

/// A workbook found by the fuzz target: a cell reference with letters past
/// its row digits made calamine's arithmetic overflow (a panic with overflow
/// checks); it is an error naming the workbook. The input is kept as
/// fuzz/seeds/xlsx_reader/overflow-reference.
#[test]
fn overflowing_cell_reference_is_an_error_not_a_panic() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/xlsx_reader/overflow-reference"),
    )
    .unwrap();
    let e = rema_data::xlsx::read_any(&bytes, "bad.xlsx", None).unwrap_err();
    assert!(matches!(e, DataError::Workbook { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with("bad.xlsx: cell reference `"),
        "{e}"
    );
}
