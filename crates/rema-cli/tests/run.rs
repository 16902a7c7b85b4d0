//! End-to-end tests of `rema run` on the shipped plans: results.json against
//! R metafor (tests/golden/plans.json, made by tests/golden/plans.R, compared
//! by rema-golden's runner), the summary files, and analyses that must not run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn run_plan(plan: &str, name: &str) -> (Value, PathBuf) {
    let dir = scratch(name);
    (run_plan_into(Path::new(plan), &dir), dir)
}

/// Each golden analysis of each plan, from the binary's results.json, under
/// the tolerances of tests/golden/plans.json (rema-golden's runner: the REML
/// fits iterative, the rest closed form).
#[test]
fn plan_results_match_metafor() {
    let suite = rema_golden::runner::load(&root(), "plans").expect("tests/golden/plans.json");
    let mut checked = 0;
    for case in &suite.cases {
        let plan = case.plan.as_deref().expect("a plan case names its plan");
        let (res, dir) = run_plan(plan, plan.split('/').nth(1).unwrap());
        checked += assert_golden(&suite, case, &res);
        assert!(dir.join("summary.md").exists() && dir.join("summary.csv").exists());
        let _ = std::fs::remove_dir_all(dir);
    }
    assert!(checked >= 120, "only {checked} comparisons");
}

/// The seed paper's retrospective cement-leakage subgroup: 0.51%, I² 0%, as
/// printed; analyses whose per-study data are unknown are listed, not run.
#[test]
fn bkp_plan_reproduces_the_printed_subgroup_and_invents_nothing() {
    let (res, dir) = run_plan("examples/bkp/bkp.toml", "bkp-printed");
    let r = &res["results"]["leak_retrospective"];
    let pct = r["transformed"]["estimate"].as_f64().unwrap();
    assert_eq!(format!("{pct:.2}"), "0.51");
    assert_eq!(format!("{:.0}", r["i2"].as_f64().unwrap()), "0");
    assert_eq!(r["k"], 3);
    assert_eq!(res["results"].as_object().unwrap().len(), 1);
    for id in ["leak_all", "vas_post", "odi_2y", "fracture_metastasis"] {
        let why = res["not_run"][id]
            .as_str()
            .unwrap_or_else(|| panic!("{id} ran"));
        assert!(why.contains("unknown"), "{id}: {why}");
    }
    let order: Vec<&str> = res["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(order.len(), 18);
    assert_eq!(order[0], "vas_post");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("| leak_retrospective | Cement leakage (BKP levels) | retrospective designs | 3 (26, 28, 30) | 182 levels | proportion (%) 0.51 ("), "{md}");
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 19);
    // The review written back reads as the same review.
    let review = std::fs::read_to_string(dir.join("review.json")).unwrap();
    let v: Value = serde_json::from_str(&review).unwrap();
    assert_eq!(v["studies"].as_array().unwrap().len(), 7);
    assert_eq!(v["risk_of_bias"]["domains"].as_array().unwrap().len(), 7);
    // A plan on the JSON review gives the same numbers as on the CSV files.
    std::fs::write(
        dir.join("json.toml"),
        "[data]\nreview = 'review.json'\n[[analysis]]\nid = 'leak_retrospective'\noutcome = 'cement_leakage'\nmeasure = 'PR'\nmethod = 'DL'\nsubset = { design = 'retrospective' }\n",
    )
    .unwrap();
    let again = dir.join("again");
    let res2 = run_plan_into(&dir.join("json.toml"), &again);
    let r2 = &res2["results"]["leak_retrospective"];
    assert_eq!(r2["estimate"], r["estimate"]);
    for (a, b) in r2["studies"]
        .as_array()
        .unwrap()
        .iter()
        .zip(r["studies"].as_array().unwrap())
    {
        assert_eq!(
            (&a["study"], &a["yi"], &a["vi"]),
            (&b["study"], &b["yi"], &b["vi"])
        );
        assert!(a["line"].is_null() && b["line"].is_u64());
    }
    assert_eq!(
        std::fs::read_to_string(again.join("review.json")).unwrap(),
        review
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_plans_exit_nonzero_with_one_clear_message() {
    let dir = scratch("bad-plans");
    write_file(
        &dir,
        "t.csv",
        "study,ai,bi,ci,di,alloc\nA,1,9,2,8,x\nB,2,8,3,7,y\n",
    );
    for (plan, code, needle) in [
        (
            "[data]\ntable='t.csv'\n[[analysis]]\nid='a'\nmeasure='RR'\nsubset={colour='x'}\n",
            3,
            "names column `colour` in `subset`",
        ),
        (
            "[data]\ntable='t.csv'\n[[analysis]]\nid='a'\nmeasure='RR'\nsubgroup='colour'\n",
            3,
            "names column `colour` in `subgroup`",
        ),
        (
            "[data]\ntable='t.csv'\n[[analysis]]\nid='a'\nmeasure='XX'\n",
            2,
            "unknown measure `XX`",
        ),
        (
            "[data]\ntable='missing.csv'\n[[analysis]]\nid='a'\nmeasure='RR'\n",
            3,
            "cannot read the file",
        ),
    ] {
        let p = write_file(&dir, "p.toml", plan);
        let out = rema(&["run", &p, "--out", dir.join("o").to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{plan}: {err}");
        assert!(err.contains(needle), "{plan}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let bkp = root().join("examples/bkp");
    let plan = format!(
        "[data]\nstudies='{0}/studies.csv'\ndata='{0}/data.csv'\noutcomes='{0}/outcomes.csv'\n[[analysis]]\nid='a'\noutcome='pain'\nmeasure='PR'\n",
        bkp.display()
    );
    let p = write_file(&dir, "p.toml", &plan);
    let out = rema(&["run", &p, "--out", dir.join("o").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("names outcome `pain`") && err.contains("cement_leakage"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The shipped conversions example: every blank mean or SD is estimated by
/// the method its columns call for, and listed.
#[test]
fn conversions_example_lists_each_estimate() {
    let out = analyze(
        "examples/conversions/reported.csv",
        "MD",
        &["--format", "json"],
    );
    let v = json(&out);
    let conv: Vec<(String, String)> = v["conversions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_string(),
                c["method"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(conv.len(), 7, "{conv:?}");
    assert_eq!(conv[0], ("sd1i".into(), "SD = SE * sqrt(n)".into()));
    assert!(conv[1].1.starts_with("Cochrane Handbook 6.5.2.2"));
    assert_eq!(
        conv[2],
        ("m1i".into(), "Luo et al. 2018 (quartiles)".into())
    );
    assert_eq!(conv[6], ("sd1i".into(), "Wan et al. 2014 (range)".into()));
    // SD from SE: 0.62 * sqrt(25).
    assert!((v["conversions"][0]["value"].as_f64().unwrap() - 3.1).abs() < 1e-12);
    assert_eq!(v["notes"].as_array().unwrap().len(), 7);
}

/// `rema run` writes the report bundle: the figures as SVG and PNG and one
/// self-contained report.html with the selection flow (208 → 11 → 7), the
/// 0.51% subgroup, the characteristics and risk-of-bias tables; the report
/// renders in headless Chromium (installed by .ci/run) with no console errors.
#[test]
fn bkp_plan_writes_the_report_bundle() {
    let (_, dir) = run_plan("examples/bkp/bkp.toml", "report");
    for f in ["flow", "risk_of_bias", "forest_leak_retrospective"] {
        let svg = std::fs::read_to_string(dir.join("figures").join(format!("{f}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{f}.svg"
        );
        let png = std::fs::read(dir.join("figures").join(format!("{f}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{f}.png");
    }
    let flow = std::fs::read_to_string(dir.join("figures/flow.svg")).unwrap();
    for n in ["208", "11", "4", "7"].map(|n| format!("(n\u{a0}=\u{a0}{n})")) {
        assert!(flow.contains(&n), "flow lacks {n}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for needle in [
        "Selection of studies",
        "0.51",
        "Characteristics of the included studies",
        "Risk of bias",
        "Lieberman",
        "DerSimonian",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
    assert!(
        !html.contains("src=\"http") && !html.contains("<script src"),
        "the report must open offline"
    );

    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        });
    let Some(chromium) = chromium else {
        if std::env::var("REMA_SKIP_BROWSER").as_deref() == Ok("1") {
            return;
        }
        panic!(
            "chromium not found: install it (apt-get install chromium) or set REMA_SKIP_BROWSER=1"
        );
    };
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", dir.join("chromium-profile").display()),
            "--dump-dom",
            &format!("file://{}", dir.join("report.html").display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("Selection of studies") && dom.contains("<svg"),
        "the rendered DOM lacks the figures"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.lines()
            .any(|l| l.contains(":CONSOLE") || l.contains("Uncaught")),
        "console errors: {err}"
    );
}
