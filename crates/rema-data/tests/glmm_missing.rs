//! A GLMM meta-regression of a file with a missing value fits the studies
//! that remain, with each study's own moderator value: the design is built
//! from the selected rows, as for rma.uni (the data are metafor's
//! dat.debruin2009 with `~ scq`, checked against metafor in
//! tests/golden/glmm.json; here the same file with one study's count blank
//! must give the fit of the file without that study).

use rema_data::{analyze, AnalysisSpec, Table};

#[test]
fn a_study_left_out_takes_its_moderator_value_with_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/data/glmm_debruin2009_scq.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Blank the count of the second study; drop it in the other file.
    let blank: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                let mut f: Vec<&str> = l.split(',').collect();
                f[1] = "";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    let dropped: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| *l)
        .collect();
    let spec: AnalysisSpec =
        serde_json::from_str(r#"{"measure": "PLO", "method": "GLMM", "mods": ["scq"]}"#).unwrap();
    let with_blank = analyze(
        &Table::from_str(&blank.join("\n"), "blank.csv").unwrap(),
        &spec,
        "",
    )
    .unwrap();
    let without = analyze(
        &Table::from_str(&dropped.join("\n"), "dropped.csv").unwrap(),
        &spec,
        "",
    )
    .unwrap();
    assert_eq!(with_blank.k, without.k);
    assert!(
        with_blank
            .notes
            .iter()
            .any(|n| n.starts_with("Studies with NAs omitted")),
        "{:?}",
        with_blank.notes
    );
    let coef = |r: &rema_data::AnalysisResult| -> Vec<f64> {
        let j = serde_json::to_value(r).unwrap();
        j["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["estimate"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(coef(&with_blank), coef(&without));
}
