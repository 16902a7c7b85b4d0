//! The HTML report in a real browser: headless Chromium loads it from a
//! file, takes a screenshot and dumps the DOM; the test asserts the tables
//! and figures are in the rendered DOM and that the console logged no error.
//!
//! Chromium is looked up as `$REMA_CHROMIUM`, then `chromium`,
//! `chromium-browser`, `google-chrome` on PATH. Without it the test fails
//! with a message saying how to install it, unless `REMA_SKIP_BROWSER=1`.
//! With `REMA_WRITE_FIGURES=1` the report and the screenshot go to
//! docs/figures/.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rema_data::{analyze, sha256_hex, AnalysisSpec, Table};
use rema_plot::{
    flow_svg, forest_svg, funnel_svg, methods_paragraph, provenance_rows, render_report,
    summary_table, Figure, ForestData, FunnelData, ReportInput,
};

/// The report of the examples: BCG (forest by allocation, funnel) and the
/// BKP review (selection flow, characteristics, risk of bias, and the one
/// cement-leakage subgroup its published data allow: the retrospective
/// studies as raw proportions by DerSimonian-Laird).
fn example_report() -> String {
    let bcg = bcg_result();
    let leak = {
        let t = table("examples/bkp/safety_inputs.csv");
        let mut csv = String::from("study,xi,ni\n");
        for r in &t.rows {
            if r.cells[1] == "cement leakage" && r.cells[5] != "unknown" {
                csv += &format!("ref {},{},{}\n", r.cells[0], r.cells[2], r.cells[3]);
            }
        }
        let table = Table::from_str(
            &csv,
            "examples/bkp/safety_inputs.csv (retrospective cement leakage)",
        )
        .unwrap();
        let mut spec = AnalysisSpec::new(rema_core::Measure::Pr);
        spec.method = "DL".parse().unwrap();
        analyze(&table, &spec, &sha256_hex(csv.as_bytes())).unwrap()
    };
    let results = [
        ("BCG: tuberculosis (RR)", &bcg),
        ("BKP: cement leakage, retrospective studies", &leak),
    ];
    let mut funnel = FunnelData::from(&bcg);
    funnel.title = Some("BCG: funnel plot".into());
    let mut leak_forest = ForestData::from(&leak);
    leak_forest.title = Some("BKP: cement leakage in the retrospective studies (%)".into());
    let input = ReportInput {
        title: "rema report: examples".into(),
        summary: Some(summary_table(&results)),
        figures: vec![
            Figure {
                id: "flow".into(),
                caption: "Selection of studies (BKP review, PRISMA 2020)".into(),
                svg: flow_svg(&bkp_flow(), None),
            },
            Figure {
                id: "forest-bcg".into(),
                caption: "BCG vaccine: risk of tuberculosis by allocation".into(),
                svg: forest_svg(&bcg_forest_by_alloc()),
            },
            Figure {
                id: "funnel-bcg".into(),
                caption: "BCG vaccine: funnel plot".into(),
                svg: funnel_svg(&funnel),
            },
            Figure {
                id: "forest-leak".into(),
                caption: "BKP: cement leakage, retrospective studies".into(),
                svg: forest_svg(&leak_forest),
            },
        ],
        characteristics: Some(bkp_characteristics()),
        risk_of_bias: Some(bkp_rob()),
        methods: methods_paragraph(&[&bcg, &leak]),
        notes: results
            .iter()
            .flat_map(|(name, r)| r.notes.iter().map(move |n| format!("{name}: {n}")))
            .collect(),
        provenance: provenance_rows(&results),
        ..ReportInput::default()
    };
    render_report(&input)
}

#[test]
fn report_is_self_contained_and_says_what_was_done() {
    let html = example_report();
    // Offline: no scripts, no external resources.
    for bad in [
        "<script",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(bad), "report contains {bad}");
    }
    assert_eq!(
        html.matches("<svg").count(),
        5,
        "four figures and the risk-of-bias figure"
    );
    assert!(html.contains("restricted maximum likelihood"));
    assert!(html.contains("DerSimonian–Laird"));
    assert!(html.contains("adding 0.5 to the cells of studies with a zero cell, metafor&#39;s default (applied to 3 studies)."));
    assert!(
        html.contains("metafor&#39;s default (no study needed it)."),
        "BCG has no zero cell"
    );
    assert!(html.contains("no random seed"));
    assert!(html.contains("0.49"), "BCG pooled RR in the summary");
    assert!(html.contains("0.51"), "the paper's 0.51% cement leakage");
    assert!(html.contains("SHA-256"));
    assert!(html.contains("<td>Pflugmacher</td>"));
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REMA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs chromium with `args`, killing it after two minutes.
fn run(chromium: &Path, args: &[String]) -> (bool, String, String) {
    let dir = std::env::temp_dir();
    let tag = format!("{}-{}", std::process::id(), args.len());
    let (out_p, err_p) = (
        dir.join(format!("rema-chr-{tag}.out")),
        dir.join(format!("rema-chr-{tag}.err")),
    );
    let mut child = Command::new(chromium)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    let ok = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(&out_p).unwrap_or_default();
    let err = std::fs::read_to_string(&err_p).unwrap_or_default();
    let _ = std::fs::remove_file(out_p);
    let _ = std::fs::remove_file(err_p);
    (ok, out, err)
}

fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to load")
        })
        .collect()
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        if std::env::var("REMA_SKIP_BROWSER").as_deref() == Ok("1") {
            eprintln!("REMA_SKIP_BROWSER=1: not testing the report in a browser");
            return;
        }
        panic!(
            "chromium not found (looked at $REMA_CHROMIUM and chromium, chromium-browser, google-chrome on PATH). \
             Install it (apt-get install chromium) or set REMA_SKIP_BROWSER=1 to skip this test."
        );
    };
    let dir = std::env::temp_dir().join(format!("rema-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.html");
    std::fs::write(&report, example_report()).unwrap();
    let shot = dir.join("shot.png");
    let common = |profile: &str| {
        vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--no-first-run".into(),
            format!("--user-data-dir={}", dir.join(profile).display()),
            "--enable-logging=stderr".into(),
            "--v=0".into(),
        ]
    };
    let url = format!("file://{}", report.display());

    let mut args = common("profile-shot");
    args.push(format!("--screenshot={}", shot.display()));
    args.push("--window-size=1200,2000".into());
    args.push(url.clone());
    let (ok, _, err) = run(&chromium, &args);
    assert!(ok, "chromium --screenshot failed:\n{err}");
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "screenshot is suspiciously small ({} bytes)",
        png.len()
    );
    assert!(
        console_errors(&err).is_empty(),
        "console errors: {:?}",
        console_errors(&err)
    );

    let mut args = common("profile-dom");
    args.push("--dump-dom".into());
    args.push(url);
    let (ok, dom, err) = run(&chromium, &args);
    assert!(ok, "chromium --dump-dom failed:\n{err}");
    assert!(
        console_errors(&err).is_empty(),
        "console errors: {:?}",
        console_errors(&err)
    );
    for needle in [
        "<h1>rema report: examples</h1>",
        "id=\"summary\"",
        "id=\"characteristics\"",
        "id=\"risk-of-bias\"",
        "id=\"methods\"",
        "id=\"provenance\"",
        "class=\"study-square\"",
        "class=\"diamond\"",
        "<table class=\"rob\">",
    ] {
        assert!(dom.contains(needle), "rendered DOM lacks {needle}");
    }
    assert_eq!(dom.matches("<svg").count(), 5);
    assert!(dom.matches("<table").count() >= 3);

    if std::env::var_os("REMA_WRITE_FIGURES").is_some() {
        let out = out_dir();
        std::fs::copy(&report, out.join("report-example.html")).unwrap();
        std::fs::copy(&shot, out.join("report-screenshot.png")).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
