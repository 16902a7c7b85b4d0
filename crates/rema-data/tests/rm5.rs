//! RevMan 5 files: Fleiss 1993 (RevMan 5.0.23's own results, as distributed
//! with the meta R package) reproduced to RevMan's stored digits, the
//! project's own files in RevMan 5's schema for the other data types, and
//! located errors for broken files.

use std::path::PathBuf;

use rema_data::rm5::{reproduce, DataType, Rm5, Verdict};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/revman")
        .join(name)
}

#[test]
fn fleiss1993_is_read() {
    let r = Rm5::read(&data("Fleiss1993.rm5")).unwrap();
    assert_eq!(r.revman_version.as_deref(), Some("5.0.23"));
    assert_eq!(r.title.as_deref(), Some("Examples from Fleiss 1993"));
    assert_eq!(r.comparisons.len(), 1);
    let outcomes = &r.comparisons[0].outcomes;
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0].data_type, DataType::Dichotomous);
    assert_eq!(outcomes[0].rows.len(), 7);
    assert_eq!(outcomes[1].data_type, DataType::Continuous);
    assert_eq!(r.study_name("STD-ISIS_x002d_2"), "ISIS-2");
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[test]
fn fleiss1993_mh_odds_ratio_is_reproduced_to_revmans_digits() {
    let r = Rm5::read(&data("Fleiss1993.rm5")).unwrap();
    let reports = reproduce(&r);
    let mh = &reports[0];
    assert_eq!(mh.settings, "M-H, Fixed, 95% CI");
    assert_eq!(mh.verdict, Verdict::Reproduced, "{:#?}", mh.checks);
    for c in &mh.checks {
        println!(
            "{:<20} RevMan {:<22} rema {:<22} rel {:.1e}",
            c.what,
            c.revman,
            c.rema,
            c.relative_difference()
        );
    }
    let get = |w: &str| {
        mh.checks
            .iter()
            .find(|c| c.what == w)
            .unwrap_or_else(|| panic!("{w}"))
    };
    // RevMan 5.0.23: OR 0.8968655609 [0.8405144009, 0.9569947088], Chi2 9.946055983, I2 39.67458%.
    for (what, revman) in [
        ("OR", 0.8968655609130709),
        ("CI_START", 0.8405144008917793),
        ("CI_END", 0.9569947088336491),
        ("CHI2", 9.946055983220074),
        ("I2", 39.67458045558399),
    ] {
        let c = get(what);
        assert_eq!(c.revman, revman);
        assert!(c.relative_difference() < 1e-9, "{what}: {c:?}");
    }
    assert_eq!(
        mh.checks
            .iter()
            .filter(|c| c.what.starts_with("WEIGHT"))
            .count(),
        7
    );
    // The continuous outcome has no stored results in the file.
    assert_eq!(reports[1].verdict, Verdict::NothingStored);
}

#[test]
fn revmans_p_value_of_chi2_is_less_exact_than_its_chi2() {
    // RevMan 5.0.23 stores P_CHI2 = 0.1269422521561745 for Chi2 = 9.946055983220074
    // on 6 df; R's pchisq(9.946055983220074, 6, lower.tail = FALSE) is
    // 0.12694217790629492, 5.8e-7 relative below it. rema agrees with R, so the
    // check of P_CHI2 passes at the 1e-6 tolerance, not at RevMan's digits.
    let r = Rm5::read(&data("Fleiss1993.rm5")).unwrap();
    let mh = &reproduce(&r)[0];
    let p = mh.checks.iter().find(|c| c.what == "P_CHI2").unwrap();
    assert!(
        (p.rema - 0.12694217790629492).abs() / 0.12694217790629492 < 1e-12,
        "{p:?}"
    );
    assert!((p.relative_difference() - 5.85e-7).abs() < 1e-8, "{p:?}");
}

#[test]
fn every_data_type_and_setting_is_reproduced_against_metafor() {
    // tests/data/revman/reference.R writes reference.rm5 with results from
    // metafor 3.8-1 (rma.mh, rma.peto, rma DL/FE) in RevMan's attributes.
    let r = Rm5::read(&data("reference.rm5")).unwrap();
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let reports = reproduce(&r);
    let summary: Vec<(String, String)> = reports
        .iter()
        .map(|o| (o.id.clone(), o.settings.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("CMP-001.01", "M-H, Fixed, 90% CI"),
            ("CMP-001.02", "Peto, Fixed, 95% CI"),
            ("CMP-001.03", "IV, Random, 95% CI"),
            ("CMP-001.04", "IV, Random, 95% CI"),
            ("CMP-001.04 / Orpington", "IV, Random, 95% CI"),
            ("CMP-001.04 / Other sites", "IV, Random, 95% CI"),
            ("CMP-001.05", "IV, Fixed, 95% CI"),
            ("CMP-001.06", "Peto, Fixed, 95% CI"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    for o in &reports {
        assert_eq!(o.verdict, Verdict::Reproduced, "{}: {:#?}", o.id, o.checks);
        assert!(
            o.checks.len() >= 9,
            "{}: only {} checks",
            o.id,
            o.checks.len()
        );
    }
    // The subgroups' stored weights are shares of the whole outcome: checked there.
    assert_eq!(
        reports[3]
            .checks
            .iter()
            .filter(|c| c.what.starts_with("WEIGHT"))
            .count(),
        9
    );
    assert_eq!(
        reports[4]
            .checks
            .iter()
            .filter(|c| c.what.starts_with("WEIGHT"))
            .count(),
        0
    );
}

#[test]
fn a_changed_number_is_reported_as_different() {
    let text = std::fs::read_to_string(data("reference.rm5")).unwrap();
    let i = text.find("CHI2=\"").unwrap() + 6;
    let mut broken = text.clone();
    broken.insert(i, '1');
    let r = Rm5::parse(broken.as_bytes(), "changed.rm5").unwrap();
    let first = &reproduce(&r)[0];
    assert_eq!(first.verdict, Verdict::Different);
    let bad: Vec<&str> = first
        .checks
        .iter()
        .filter(|c| !c.agrees())
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(bad, ["CHI2"]);
}

#[test]
fn broken_files_get_located_errors() {
    let text = std::fs::read_to_string(data("reference.rm5")).unwrap();
    let cases = [
        (
            text.replacen("EVENTS_1=\"", "EVENTS_1=\"x", 1),
            "bad.rm5, line 29, column `EVENTS_1`, study `STD-Aronson`: outcome CMP-001.01: EVENTS_1=\"x4\" of <DICH_DATA> is not a finite number",
        ),
        (
            text.replacen(" TOTAL_1=\"", " XTOTAL_1=\"", 1),
            "bad.rm5, line 29, column `TOTAL_1`, study `STD-Aronson`: outcome CMP-001.01: <DICH_DATA> has no TOTAL_1",
        ),
        (
            text.replacen("METHOD=\"MH\"", "METHOD=\"XX\"", 1),
            "bad.rm5, line 26, column `METHOD`: outcome CMP-001.01: METHOD `XX` is not one of MH, IV, PETO",
        ),
        (text.replacen("</COMPARISON>", "", 1), "bad.rm5, line "),
        ("<REVIEW/>".to_string(), "bad.rm5, line 1, column `REVIEW`: the root element is <REVIEW>"),
    ];
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/ERRORS.md"),
    )
    .unwrap();
    for (input, expected) in cases {
        let err = Rm5::parse(input.as_bytes(), "bad.rm5")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
        // docs/ERRORS.md ("RevMan 5 files") quotes each message.
        assert!(doc.contains(&err), "docs/ERRORS.md lacks:\n{err}");
    }
}

#[test]
fn unknown_elements_are_listed_not_dropped() {
    let text = std::fs::read_to_string(data("reference.rm5")).unwrap();
    let with = text
        .replacen(
            "<NAME>Reference outcomes</NAME>",
            "<NAME>Reference outcomes</NAME>\n<OTHER_OUTCOME ID=\"CMP-001.07\"/>",
            1,
        )
        .replacen(
            "</ANALYSES_AND_DATA>",
            "<NEW_THING/>\n</ANALYSES_AND_DATA>",
            1,
        )
        .replacen(
            "<NAME>Tuberculosis (Peto)</NAME>",
            "<NAME>Tuberculosis (Peto)</NAME><EXTRA/>",
            1,
        );
    let r = Rm5::parse(with.as_bytes(), "new.rm5").unwrap();
    assert_eq!(r.notes.len(), 3, "{:?}", r.notes);
    assert!(r.notes[0].contains("<OTHER_OUTCOME> in comparison CMP-001 is not read (RevMan's \"other data\" have no pooled analysis)"), "{:?}", r.notes);
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("<EXTRA> in outcome CMP-001.02 is not read")));
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("<NEW_THING> in <ANALYSES_AND_DATA> is not read")));
}

/// `import` writes a review, tables and a plan; `run_plan` on them gives
/// RevMan's stored pooled effects (ratio scale for OR, RR and Peto).
#[test]
fn an_imported_review_runs_and_gives_revmans_results() {
    use rema_data::rm5::import;
    for (file, outcomes) in [("Fleiss1993.rm5", 2), ("reference.rm5", 6)] {
        let rm5 = Rm5::read(&data(file)).unwrap();
        let imported = import(&rm5);
        assert_eq!(imported.review.outcomes.len(), outcomes, "{file}");
        assert_eq!(imported.tables.len(), outcomes, "{file}");
        let dir =
            std::env::temp_dir().join(format!("rema-rm5-import-{}-{file}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("review.json"), imported.review.to_json()).unwrap();
        std::fs::write(dir.join("plan.toml"), &imported.plan).unwrap();
        let out = rema_data::run_plan(&dir.join("plan.toml"))
            .unwrap_or_else(|e| panic!("{file}: {e}\n{}", imported.plan));
        let results = serde_json::to_value(&out.results).unwrap();
        let mut compared = 0;
        for c in &rm5.comparisons {
            for o in &c.outcomes {
                let Some(stored) = o.stored.effect else {
                    continue;
                };
                let r = &results["results"][&o.id];
                let ratio = matches!(o.settings.effect_measure.as_str(), "OR" | "RR" | "PETO_OR")
                    || o.settings.log_data;
                let est = r["estimate"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{file} {}: {r}", o.id));
                let est = if ratio { est.exp() } else { est };
                assert!(
                    (est - stored).abs() / stored.abs() < 1e-9,
                    "{file} {}: rema {est}, RevMan {stored}",
                    o.id
                );
                compared += 1;
            }
        }
        assert_eq!(compared, if file == "Fleiss1993.rm5" { 1 } else { 6 });
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn risk_of_bias_and_study_names_are_carried_over() {
    let rm5 = Rm5::read(&data("Fleiss1993.rm5")).unwrap();
    let imported = rema_data::rm5::import(&rm5);
    let r = &imported.review;
    assert_eq!(r.studies.len(), 12);
    assert!(
        r.studies
            .iter()
            .any(|s| s.id == "ISIS-2" && s.year == Some(1988)),
        "{:?}",
        r.studies
    );
    assert_eq!(r.risk_of_bias.domains, ["Allocation concealment?"]);
    assert_eq!(r.risk_of_bias.judgements.len(), 12);
    assert!(r.data.iter().all(|d| r.study(&d.study).is_some()));
}

/// tests/data/revman/reference.R writes subgroups.rm5: outcomes with
/// subgroups (M-H and Peto odds ratios, RevMan's SMD with random effects),
/// their stored subgroup totals and the test for subgroup differences, from
/// metafor 3.8-1 and RevMan 5's definitions.
#[test]
fn subgroup_totals_and_the_test_for_subgroup_differences_are_reproduced() {
    let r = Rm5::read(&data("subgroups.rm5")).unwrap();
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let reports = reproduce(&r);
    let ids: Vec<&str> = reports.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CMP-001.01",
            "CMP-001.01 / alternate",
            "CMP-001.01 / random",
            "CMP-001.01 / systematic",
            "CMP-001.02",
            "CMP-001.02 / alternate",
            "CMP-001.02 / random",
            "CMP-001.02 / systematic",
            "CMP-001.03",
            "CMP-001.03 / Orpington",
            "CMP-001.03 / Other sites",
        ]
    );
    for o in &reports {
        assert_eq!(o.verdict, Verdict::Reproduced, "{}: {:#?}", o.id, o.checks);
        assert!(o.checks.len() >= 9, "{}: {:#?}", o.id, o.checks);
        let tests = o
            .checks
            .iter()
            .filter(|c| c.what.ends_with(" SUBGROUPS"))
            .count();
        assert_eq!(tests, if o.id.contains(" / ") { 0 } else { 3 }, "{}", o.id);
    }
    // A test for subgroup differences that RevMan stored otherwise is found.
    let text = std::fs::read_to_string(data("subgroups.rm5")).unwrap();
    let changed = text.replacen(" Q=\"21.", " Q=\"22.", 1);
    assert_ne!(changed, text);
    let r = Rm5::parse(changed.as_bytes(), "changed.rm5").unwrap();
    let first = &reproduce(&r)[0];
    assert_eq!(first.verdict, Verdict::Different);
    assert!(first
        .checks
        .iter()
        .any(|c| c.what == "Q SUBGROUPS" && !c.agrees()));
}

/// The plan `rema import` writes runs each outcome with its subgroups, and
/// gives RevMan's subgroup totals.
#[test]
fn an_imported_review_keeps_its_subgroups() {
    use rema_data::rm5::import;
    let rm5 = Rm5::read(&data("subgroups.rm5")).unwrap();
    let imported = import(&rm5);
    assert!(
        imported
            .plan
            .contains("method = \"MH\"\nlevel = 95\nsubgroup = \"subgroup CMP-001.01\"\n"),
        "{}",
        imported.plan
    );
    let dir = std::env::temp_dir().join(format!("rema-rm5-subgroups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("review.json"), imported.review.to_json()).unwrap();
    std::fs::write(dir.join("plan.toml"), &imported.plan).unwrap();
    let out = rema_data::run_plan(&dir.join("plan.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{}", imported.plan));
    let _ = std::fs::remove_dir_all(&dir);
    let mut compared = 0;
    for o in &rm5.comparisons[0].outcomes {
        let r = &out.results.results[&o.id];
        let subgroups = r.subgroups.as_ref().expect("the analysis has subgroups");
        assert_eq!(subgroups.len(), o.subgroups.len(), "{}", o.id);
        assert!(r.q_between.is_some(), "{}", o.id);
        // The SMD outcome's plan pools metafor's SMD, not RevMan's approximation.
        if o.settings.effect_measure == "SMD" {
            continue;
        }
        for (s, (name, stored)) in subgroups.iter().zip(&o.subgroups) {
            assert_eq!(&s.level, name);
            let est = s.summary.estimate.exp();
            let want = stored.effect.unwrap();
            assert!(
                (est - want).abs() / want < 1e-9,
                "{} {name}: {est} vs {want}",
                o.id
            );
            compared += 1;
        }
        let q = r.q_between.unwrap();
        let want = o.stored.q_subgroups.unwrap();
        assert!((q - want).abs() / want < 1e-9, "{}: Q {q} vs {want}", o.id);
        // Each subgroup also has its own analysis in the plan's results.
        for (name, _) in &o.subgroups {
            let id = format!("{}:subgroup {}={name}", o.id, o.id);
            assert!(out.results.results.contains_key(&id), "{id}");
        }
    }
    assert_eq!(compared, 6);
}
