//! Regression tests for answers that once answered another question than the
//! one asked: the confidence level read as metafor reads it and printed in
//! every heading, moderators kept in leave-one-out, influence and cumulative
//! refits, the CSV table of a result with sections, and the layout of the
//! text output. The numbers of the moderated refits are checked against
//! metafor in tests/golden/influence.json (cli_sensitivity.rs); these tests
//! assert the shape and the messages.

mod common;

use std::path::Path;

use common::*;

const BCG: &str = "examples/bcg/bcg.csv";

/// A meta-regression with the three sensitivity sections.
const MODS_SECTIONS: &[&str] = &[
    "--mods",
    "ablat",
    "--leave-one-out",
    "--influence",
    "--cumulative",
];

/// metafor reads a level below 1 as a proportion: `--level 0.95` is 95%.
#[test]
fn a_level_below_one_is_a_proportion() {
    let prop = json(&analyze(
        BCG,
        "RR",
        &["--level", "0.95", "--format", "json"],
    ));
    let pct = json(&analyze(BCG, "RR", &["--level", "95", "--format", "json"]));
    assert_eq!(prop["level"], 95.0);
    assert_eq!(prop["ci_lower"], pct["ci_lower"]);
    assert_eq!(
        prop["studies"][0]["ci_upper"],
        pct["studies"][0]["ci_upper"]
    );
    let ninety = json(&analyze(BCG, "RR", &["--level", "0.9", "--format", "json"]));
    assert_eq!(ninety["level"], 90.0);
}

#[test]
fn a_level_outside_zero_to_one_hundred_is_refused_naming_level() {
    for bad in ["150", "100", "0", "-5"] {
        let out = analyze(BCG, "RR", &[&format!("--level={bad}")]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            stderr(&out).lines().next().unwrap(),
            format!("error: invalid value '{bad}' for '--level <LEVEL>': level {bad} must lie strictly between 0 and 100, e.g. 95")
        );
    }
}

/// A plan's `level` (here 0.9, a proportion) heads the effect column of
/// summary.md and of the report, and no heading says 95%.
#[test]
fn a_plan_level_heads_the_summary_and_the_report() {
    let dir = scratch("level-plan");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join(BCG), dir.join("bcg.csv")).unwrap();
    let plan = write_file(
        &dir,
        "p.toml",
        "[data]\ntable = 'bcg.csv'\n[[analysis]]\nid = 'rr90'\noutcome = 'tb'\ncomparison = 'v'\nmeasure = 'RR'\nlevel = 0.9\n",
    );
    let out_dir = dir.join("out");
    let results = run_plan_into(Path::new(&plan), &out_dir);
    assert_eq!(results["results"]["rr90"]["level"], 90.0);
    assert_eq!(results["summary"][0]["level"], 90.0);
    let md = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(
        md.contains("| id | outcome | comparison | studies | n | effect (90% CI) | p | I² |"),
        "{md}"
    );
    let csv = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    assert!(
        csv.starts_with("id,outcome,comparison,measure,method,k,studies,n,unit,scale,level,"),
        "{csv}"
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.contains("Effect (90% CI)"),
        "the report's summary table"
    );
    assert!(!html.contains("95% CI") && !md.contains("95%"));
}

/// Leave-one-out, influence and cumulative with `--mods` refit the
/// meta-regression (never the intercept-only model) and say so.
#[test]
fn mods_with_the_sensitivity_sections_refit_the_meta_regression() {
    let r = json(&analyze(
        BCG,
        "RR",
        &[MODS_SECTIONS, &["--format", "json"]].concat(),
    ));
    let names = |row: &serde_json::Value| each(&row["coefficients"], |c| c["name"].clone());
    let loo = r["leave_one_out"].as_array().unwrap();
    assert_eq!(loo.len(), 13);
    assert!(loo.iter().all(|row| names(row) == ["intrcpt", "ablat"]));
    let inf = r["influence"].as_array().unwrap();
    assert!(inf
        .iter()
        .all(|row| row["dfbetas_all"].as_array().unwrap().len() == 2
            && row["dfbetas_all"][0] == row["dfbetas"]));
    let cum = r["cumulative"].as_array().unwrap();
    assert_eq!(
        cum[0]["error"],
        "a random-effects model with these moderators needs at least 3 studies, but only 1 were given"
    );
    assert!(cum[0]["estimate"].is_null() && cum[0].get("coefficients").is_none());
    assert_eq!(names(&cum[2]), ["intrcpt", "ablat"]);
    assert_eq!(names(&cum[12]), ["intrcpt", "ablat"]);
    // The last step is the whole meta-regression.
    assert_eq!(
        cum[12]["coefficients"][1]["estimate"],
        r["coefficients"][1]["estimate"]
    );
    let notes = each(&r["notes"], |n| n.as_str().unwrap().to_string());
    assert!(notes.contains(&"leave_one_out with mods: each row is the meta-regression refitted without the study (metafor's leave1out() refuses models with moderators; rma(mods, subset = -i) gives the same)".to_string()), "{notes:?}");
    assert!(notes.contains(&"cumulative with mods: each step is the meta-regression refitted to the studies added so far (metafor's cumul() refuses models with moderators); 2 of 13 steps are not estimable and have no numbers (see their error)".to_string()), "{notes:?}");

    let text = stdout(&analyze(BCG, "RR", MODS_SECTIONS));
    for line in [
        "Leave-one-out analysis (log RR; the meta-regression without each study):",
        "omitted                      k   intrcpt     ablat      tau2      I2        QE  QM pval",
        "Cumulative meta-regression (log RR; row = study added):",
        "Aronson 1948                 1        NA        NA        NA      NA        NA       NA  (a random-effects model with these moderators needs at least 3 studies, but only 1 were given)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    assert!(text
        .lines()
        .any(|l| l.starts_with("study ") && l.ends_with(" dfb.intrcpt dfb.ablat")));
}

/// `--format csv` with sections prints the whole table, each line saying
/// what it is; with `--mods` the model line has no estimate (the
/// coefficients do).
#[test]
fn csv_with_sections_prints_one_line_per_part() {
    const HEAD: &str = "part,label,term,measure,method,test,level,k,estimate,se,stat,df,ci_lower,ci_upper,pval,pval_perm,tau2,i2,h2,q,q_df,q_pval,qm,qm_df,qm_pval,pi_lower,pi_upper,tau2_ci_lower,tau2_ci_upper,i2_ci_lower,i2_ci_upper,bca_lower,bca_upper,rstudent,dffits,cook_d,cov_r,tau2_del,qe_del,hat,weight,dfbetas,influential,error";
    let lines = |extra: &[&str]| -> Vec<String> {
        let mut args = extra.to_vec();
        args.extend(["--format", "csv"]);
        stdout(&analyze(BCG, "RR", &args))
            .lines()
            .map(str::to_string)
            .collect()
    };
    let parts = |ls: &[String]| -> Vec<String> {
        ls[1..]
            .iter()
            .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };

    let by = lines(&["--by", "alloc"]);
    assert_eq!(by[0], HEAD);
    assert_eq!(
        parts(&by),
        [
            "model,,",
            "subgroup,alternate,",
            "subgroup,random,",
            "subgroup,systematic,",
            "subgroup_difference,,Q_between"
        ]
    );

    let mods = lines(&["--mods", "ablat"]);
    assert_eq!(mods[0], HEAD);
    assert_eq!(
        parts(&mods),
        ["model,,", "coefficient,,intrcpt", "coefficient,,ablat"]
    );
    assert!(
        mods[1].starts_with("model,,,RR,REML,z,95,13,,,,,,,,,0.0763"),
        "the model line has no estimate: {}",
        mods[1]
    );

    let loo = lines(&["--leave-one-out"]);
    assert_eq!(loo.len(), 1 + 1 + 13);
    assert!(loo[2].starts_with("leave_one_out,Aronson 1948,,RR,REML,z,95,12,"));

    let both = lines(&["--mods", "ablat", "--leave-one-out"]);
    assert_eq!(both.len(), 1 + 3 + 2 * 13);
    assert!(both[4].starts_with("leave_one_out,Aronson 1948,intrcpt,RR,REML,z,95,12,"));
    assert!(both[5].starts_with("leave_one_out,Aronson 1948,ablat,RR,REML,z,95,12,"));

    // Without sections, the one summary line as before.
    let plain = lines(&[]);
    assert_eq!(plain.len(), 2);
    assert!(plain[0].starts_with("measure,method,test,level,k,estimate"));
}

/// The study table names the scale of its values (log RR), and the
/// meta-regression comes before the notes and the provenance line, which
/// closes the text.
#[test]
fn text_names_the_analysis_scale_and_ends_with_the_provenance() {
    let text = stdout(&analyze(BCG, "RR", &["--mods", "ablat"]));
    assert!(text.lines().any(|l| l == "Studies (log RR):"), "{text}");
    assert!(!text.contains("RR scale"));
    let footer = format!(
        "rema {}; input examples/bcg/bcg.csv",
        env!("CARGO_PKG_VERSION")
    );
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}\n{text}"));
    assert!(at("Meta-regression (R^2 = 75.62%):") < at("Notes:"));
    assert!(at("Notes:") < at(&footer));
    assert!(text
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with(&format!("{footer} (sha256 ")));
    let pr = stdout(&analyze("tests/golden/data/pritz1997_PLO.csv", "PLO", &[]));
    assert!(
        pr.lines().any(|l| l == "Studies (logit proportion):"),
        "{pr}"
    );
}
