//! `rema run` on a plan with every kind of analysis
//! (tests/data/plans/every_section.toml) writes a report with every
//! section: report.html is parsed as XML (it must be well-formed) and each
//! section, table and figure is looked up by its id or caption; the summary
//! of findings, the results text, the references and the provenance carry
//! the numbers of results.json. A second test prints the report to PDF
//! through headless Chromium (`rema run --pdf`), and a third takes
//! screenshots of it at 1280 and 390 px wide.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const PLAN: &str = "tests/data/plans/every_section.toml";

fn run_every_section(name: &str) -> (Value, PathBuf) {
    let dir = scratch(name);
    (run_plan_into(&root().join(PLAN), &dir), dir)
}

/// The element with attribute id = `id`.
fn by_id<'a>(doc: &'a roxmltree::Document, id: &str) -> Option<roxmltree::Node<'a, 'a>> {
    doc.descendants().find(|n| n.attribute("id") == Some(id))
}

/// All the text under `n`.
fn text(n: roxmltree::Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The captions of the tables under `n`.
fn captions(n: roxmltree::Node) -> Vec<String> {
    n.descendants()
        .filter(|d| d.has_tag_name("caption"))
        .map(text)
        .collect()
}

#[test]
fn every_section_is_in_the_parsed_report() {
    let (res, dir) = run_every_section("every-section");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("report.html is not well-formed: {e}"));

    for id in [
        "summary",
        "not-run",
        "summary-of-findings",
        "methods",
        "results-text",
        "references",
        "provenance",
    ] {
        assert!(by_id(&doc, id).is_some(), "no element with id {id}");
    }
    // One section per analysis that ran (subgroup levels are rows of the
    // summary, not sections), headed with its confidence level.
    let ran: Vec<&str> = ["main", "by_alloc", "ablat", "cumul", "multilevel", "mh"].to_vec();
    for id in &ran {
        assert!(res["results"][id].is_object(), "{id} did not run");
        let s = by_id(&doc, &format!("analysis-{}", id.replace('_', "-")))
            .unwrap_or_else(|| panic!("no section for {id}"));
        let h2 = s.children().find(|c| c.has_tag_name("h2")).unwrap();
        let level = if *id == "by_alloc" {
            "90% CI"
        } else {
            "95% CI"
        };
        assert!(text(h2).contains(level), "{id}: heading {}", text(h2));
        assert!(
            by_id(&doc, &format!("forest_{id}").replace('_', "-")).is_some(),
            "{id}: no forest plot"
        );
    }
    let section = |id: &str| by_id(&doc, &format!("analysis-{id}")).unwrap();
    let has_caption = |id: &str, start: &str| {
        let c = captions(section(id));
        assert!(
            c.iter().any(|c| c.starts_with(start)),
            "{id}: no table captioned {start}…; captions {c:?}"
        );
    };
    has_caption("main", "Leave-one-out sensitivity analysis");
    has_caption("main", "Influence diagnostics");
    has_caption("main", "Small-study effects");
    has_caption("by-alloc", "Subgroups: pooled");
    has_caption("ablat", "Meta-regression coefficients");
    has_caption("ablat", "Resampling");
    has_caption("cumul", "Cumulative meta-analysis");
    has_caption("cumul", "Resampling");
    has_caption("multilevel", "Variance components");
    for fig in [
        "loo-main",
        "funnel-main",
        "bubble-ablat",
        "cumulative-cumul",
    ] {
        let f = by_id(&doc, fig).unwrap_or_else(|| panic!("no figure {fig}"));
        assert!(f.has_tag_name("figure"), "{fig} is a {:?}", f.tag_name());
        assert!(
            f.descendants().any(|d| d.has_tag_name("svg")),
            "{fig}: no svg"
        );
    }
    assert!(text(section("by-alloc")).contains("Test for subgroup differences"));

    // The summary of findings: the handbook's columns, the certainty the
    // plan's ratings give (serious risk of bias, very serious inconsistency:
    // high − 3 = very low), the absolute effects of results.json's grade row.
    let sof = doc
        .descendants()
        .find(|n| n.has_tag_name("table") && n.attribute("class") == Some("sof"))
        .expect("a table.sof");
    let sof_text = text(sof);
    for needle in [
        "№ of participants (studies)",
        "Certainty of the evidence (GRADE)",
        "Relative effect (95% CI)",
        "Anticipated absolute effects (95% CI)",
        "Tuberculosis",
        "(13 RCTs)",
        "⊕◯◯◯",
        "Very low",
        "9.0 per 1,000",
    ] {
        assert!(sof_text.contains(needle), "SoF lacks {needle}: {sof_text}");
    }
    let g = &res["grade"]["main"];
    assert_eq!(g["certainty"], "very low");
    let rr = &g["effect"];
    let want = format!(
        "RR {:.2} ({:.2} to {:.2})",
        rr["estimate"].as_f64().unwrap(),
        rr["ci_lower"].as_f64().unwrap(),
        rr["ci_upper"].as_f64().unwrap()
    );
    assert!(sof_text.contains(&want), "SoF lacks {want}");
    let d = &g["difference_per_1000"];
    let want = format!("{:.1} fewer per 1,000", -d["estimate"].as_f64().unwrap());
    assert!(sof_text.contains(&want), "SoF lacks {want}");
    let notes = text(
        doc.descendants()
            .find(|n| n.attribute("class") == Some("footnotes"))
            .expect("the SoF footnotes"),
    );
    assert!(notes.contains("Downgraded two levels for inconsistency (very serious)"));
    assert!(notes.contains("Imprecision: rema suggests"));
    assert!(notes.contains("optimal information size"));
    let svg = std::fs::read_to_string(dir.join("figures/summary_of_findings.svg")).unwrap();
    assert!(svg.contains("⊕◯◯◯ Very low") && svg.contains("Downgraded two levels"));
    let png = std::fs::read(dir.join("figures/summary_of_findings.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // The results text: the numbers of results.json at each analysis's level.
    let results = text(by_id(&doc, "methods").unwrap());
    let main = &res["results"]["main"];
    let pooled = format!(
        "{:.2} (95% CI {:.2} to {:.2}",
        main["transformed"]["estimate"].as_f64().unwrap(),
        main["transformed"]["ci_lower"].as_f64().unwrap(),
        main["transformed"]["ci_upper"].as_f64().unwrap()
    );
    assert!(results.contains(&pooled), "results text lacks {pooled}");
    let ablat = &res["results"]["ablat"];
    let qm = format!("QM = {:.2}", ablat["qm"].as_f64().unwrap());
    assert!(results.contains(&qm), "results text lacks {qm}");
    assert!(results.contains("the test for subgroup differences gave Q ="));
    assert!(results.contains("90% CI"), "the 90% analysis says so");
    assert!(results.contains("the permutation test (200 permutations, seed 11)"));
    assert!(results.contains("Egger's test p"));
    assert!(results.contains(&format!(
        "SHA-256 {}",
        main["provenance"]["input_sha256"].as_str().unwrap()
    )));
    // The references: each method the text cites.
    let refs = text(
        by_id(&doc, "references")
            .unwrap()
            .next_sibling_element()
            .unwrap(),
    );
    for r in [
        "Viechtbauer W (2005)",
        "DerSimonian R, Laird N (1986)",
        "Hartung J, Knapp G (2001)",
        "Viechtbauer W (2007)",
        "Egger M",
        "Vevea JL, Hedges LV (1995)",
        "Konstantopoulos S (2011)",
        "Mantel N, Haenszel W (1959)",
        "GRADE guidelines 6",
        "Schünemann H",
    ] {
        assert!(refs.contains(r), "references lack {r}");
    }

    // The summary row of the meta-regression is not its intercept.
    let summary = by_id(&doc, "summary").unwrap();
    let row = summary
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .find(|tr| tr.children().next().map(text).as_deref() == Some("ablat"))
        .expect("the ablat row");
    assert!(
        text(row).contains("meta-regression on ablat: QM ="),
        "{}",
        text(row)
    );
    // The analysis with no studies is one line under its reason.
    let not_run = text(by_id(&doc, "not-run").unwrap());
    assert!(not_run.contains("none (tuberculosis"), "{not_run}");

    // No text under 9 pt (12 px) in the figures, drawn at their own size.
    for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let size: f64 = t
            .attribute("font-size")
            .and_then(|s| s.parse().ok())
            .unwrap_or(16.0);
        assert!(size >= 12.0, "text {:?} at {size} px", text(t));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Chromium, when installed: `$REMA_CHROMIUM`, or chromium,
/// chromium-browser, google-chrome on PATH; `None` (with a message) when
/// `REMA_SKIP_BROWSER=1` or none is installed.
fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    if std::env::var("REMA_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("REMA_SKIP_BROWSER=1: not testing {what}");
        return None;
    }
    if let Some(p) = std::env::var_os("REMA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| {
            std::env::split_paths(&path)
                .map(|d| d.join(n))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        eprintln!("chromium not found: not testing {what} (install chromium to test it)");
    }
    found
}

/// The pages of a PDF: its page objects (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let s = String::from_utf8_lossy(pdf);
    s.match_indices("/Type /Page")
        .filter(|(i, _)| !s[i + 11..].starts_with('s'))
        .count()
        + s.match_indices("/Type/Page")
            .filter(|(i, _)| !s[i + 10..].starts_with('s'))
            .count()
}

#[test]
fn run_pdf_prints_the_report_through_chromium() {
    let Some(_) = chromium_or_skip("rema run --pdf") else {
        return;
    };
    let dir = scratch("every-section-pdf");
    let out = rema(&[
        "run",
        PLAN,
        "--out",
        dir.to_str().unwrap(),
        "--quiet",
        "--pdf",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pdf = std::fs::read(dir.join("report.pdf")).expect("report.pdf");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let pages = pdf_pages(&pdf);
    assert!(pages > 1, "{pages} page(s)");
    // pdftoppm, when installed, renders it (a PDF it cannot read fails).
    if let Ok(o) = Command::new("pdftoppm")
        .args(["-r", "20", "-png", "-f", "1", "-l", "2"])
        .arg(dir.join("report.pdf"))
        .arg(dir.join("page"))
        .output()
    {
        assert!(o.status.success(), "pdftoppm: {}", stderr(&o));
        assert!(dir.join("page-1.png").exists() || dir.join("page-01.png").exists());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn run_pdf_without_chromium_says_how_to_get_it() {
    let dir = scratch("every-section-no-chromium");
    let out = Command::new(env!("CARGO_BIN_EXE_rema"))
        .args([
            "run",
            PLAN,
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
            "--pdf",
        ])
        .current_dir(root())
        .env("PATH", "/nonexistent")
        .env_remove("REMA_CHROMIUM")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("--pdf needs Chromium") && e.contains("apt-get install chromium"),
        "{e}"
    );
    assert!(
        dir.join("report.html").exists(),
        "the HTML is written first"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Decodes a PNG's size from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

/// Takes a screenshot of `url` at `width` × `height` px into `shot`.
pub fn screenshot(chromium: &Path, url: &str, width: u32, height: u32, shot: &Path) {
    let profile = shot.with_extension("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(profile);
}

/// Screenshots of the report at a desktop and a phone width: PNGs of the
/// window's size with more than a blank page's bytes. With
/// `REMA_WRITE_FIGURES=1` they are copied to docs/figures/.
#[test]
fn report_screenshots_at_1280_and_390_px() {
    let Some(chromium) = chromium_or_skip("the report's screenshots") else {
        return;
    };
    let (_, dir) = run_every_section("every-section-shots");
    let url = format!("file://{}", dir.join("report.html").display());
    for (w, h) in [(1280, 2000), (390, 2000)] {
        let shot = dir.join(format!("report-{w}.png"));
        screenshot(&chromium, &url, w, h, &shot);
        let png = std::fs::read(&shot).expect("a screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png_size(&png), (w, h));
        // A blank 1280 × 2000 page compresses to a few kB.
        assert!(png.len() > 30_000, "{w} px: {} bytes", png.len());
        if std::env::var_os("REMA_WRITE_FIGURES").is_some() {
            std::fs::copy(&shot, root().join(format!("docs/figures/report-{w}px.png"))).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
