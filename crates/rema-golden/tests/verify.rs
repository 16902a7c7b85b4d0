//! `cargo xtask verify` as a test: every published result of the seed paper
//! has its expected status (examples/bkp/verify_expected.csv), the paper's
//! three known inconsistencies are found, and the 0.51% is reproduced.

use std::path::PathBuf;

use rema_golden::verify::{run, Row, Status};

fn root() -> PathBuf {
    rema_golden::workspace_root()
}

fn row<'a>(rows: &'a [Row], id: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

/// The row `id`, asserting its status.
#[track_caller]
fn row_with<'a>(rows: &'a [Row], id: &str, status: Status) -> &'a Row {
    let r = row(rows, id);
    assert_eq!(r.status, status, "{id}: {:?}", r.detail);
    r
}

/// Asserts that a line of the row's detail satisfies `says`.
#[track_caller]
fn assert_detail(r: &Row, says: impl Fn(&str) -> bool) {
    assert!(r.detail.iter().any(|d| says(d)), "{}: {:?}", r.id, r.detail);
}

#[test]
fn every_row_has_its_expected_status() {
    let rows = run(&root()).unwrap();
    assert_eq!(
        rows.len(),
        12 + 6 + 2,
        "every Table 3 row, every safety result, two totals"
    );
    for r in &rows {
        assert_eq!(Some(r.status), r.expected, "{}: {:?}", r.id, r.detail);
    }
}

#[test]
fn the_three_known_inconsistencies_are_found() {
    let rows = run(&root()).unwrap();
    let cobb = row_with(&rows, "cobb_post", Status::Inconsistent);
    // 1. the CI implies p of about .005, not the printed .001.
    assert_detail(cobb, |d| {
        d.contains("cannot come from the interval") && d.contains("0.0048")
    });
    // 2. 180 levels are refs 30+33+34, not the cited 26+33+34 (190).
    assert_detail(cobb, |d| {
        d.contains("hold 190 levels") && d.contains("refs 30+33+34 sum to 180")
    });
    // 3. 342 levels are refs 25+26+27, not the cited 25+26+30 (318).
    let rest = row(&rows, "height_restitution");
    assert_detail(rest, |d| {
        d.contains("hold 318 levels") && d.contains("refs 25+26+27 sum to 342")
    });
}

#[test]
fn the_retrospective_leak_rate_is_reproduced() {
    let rows = run(&root()).unwrap();
    let r = row_with(&rows, "leak_retrospective", Status::Reproduced);
    assert_eq!(r.rema, "0.51%, I2 0.0%");
}

#[test]
fn unknown_counts_are_searched_not_invented() {
    let rows = run(&root()).unwrap();
    let p = row_with(&rows, "leak_prospective", Status::NotReproducible);
    assert_detail(p, |d| {
        d.contains("searched all 13244 splits") && d.contains("165 give")
    });
    let m = row(&rows, "fracture_metastasis");
    assert_detail(m, |d| d.contains("not k/65 for any whole k"));
}

/// A user who has the paper's supplement fills examples/bkp/efficacy_inputs.csv
/// and sees the row recomputed: here with numbers that cannot give the printed
/// row, so it turns INCONSISTENT with the recomputed values shown.
#[test]
fn supplied_efficacy_data_are_recomputed() {
    let tmp: PathBuf = std::env::temp_dir().join(format!("rema-verify-{}", std::process::id()));
    let bkp = tmp.join("examples/bkp");
    std::fs::create_dir_all(&bkp).unwrap();
    for f in std::fs::read_dir(root().join("examples/bkp")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), bkp.join(f.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(bkp.join("efficacy_inputs.csv")).unwrap();
    let filled: String = text
        .lines()
        .map(|l| {
            if l.starts_with("odi_6mo,25,") {
                l.replacen(",,,,,,,unknown", ",60,15,44,16,63,0.5,reported", 1)
            } else if l.starts_with("odi_6mo,27,") {
                l.replacen(",,,,,,,unknown", ",58,14,40,15,19,0.5,reported", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(bkp.join("efficacy_inputs.csv"), filled + "\n").unwrap();
    let rows = run(&tmp).unwrap();
    let r = row(&rows, "odi_6mo");
    assert_detail(r, |d| {
        d.contains("recomputed from examples/bkp/efficacy_inputs.csv (MC, DL)")
    });
    assert_eq!(r.status, Status::Inconsistent);
    assert!(
        r.rema.starts_with("-16.") || r.rema.starts_with("-17."),
        "{}",
        r.rema
    );
    std::fs::remove_dir_all(&tmp).ok();
}
