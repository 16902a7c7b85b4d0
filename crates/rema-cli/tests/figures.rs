//! End-to-end tests of `rema forest` and `rema funnel`.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::*;

/// Runs `rema <figure> examples/bcg/bcg.csv -m RR <extra> --out <name>` (a
/// scratch path); returns the output and the path.
fn bcg_figure(figure: &str, extra: &[&str], name: &str) -> (Output, PathBuf) {
    let out = scratch(name);
    let mut args = vec![figure, "examples/bcg/bcg.csv", "-m", "RR"];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    (rema(&args), out)
}

/// The SVG of a [`bcg_figure`] run that must succeed.
fn bcg_svg(figure: &str, extra: &[&str], name: &str) -> String {
    let (o, out) = bcg_figure(figure, extra, name);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn forest_writes_an_svg_with_every_study_and_the_data() {
    let svg = bcg_svg(
        "forest",
        &["--favours", "vaccine,control", "--title", "BCG"],
        "bcg.svg",
    );
    for label in ["Aronson 1948", "Comstock et al 1976", "TPT Madras 1980"] {
        assert!(svg.contains(&format!(">{label}</text>")), "{label}");
    }
    assert!(svg.contains(">4/123</text>"), "events/total column");
    assert!(svg.contains(">Favours vaccine</text>"));
    assert!(
        svg.contains(">0.49 [0.34, 0.70]</text>"),
        "pooled RR as metafor prints it"
    );
    assert_eq!(svg.matches("class=\"study-square\"").count(), 13);
}

#[test]
fn forest_and_funnel_write_pngs() {
    for (cmd, name) in [("forest", "f.png"), ("funnel", "u.png")] {
        let (o, out) = bcg_figure(cmd, &["--png-scale", "1"], name);
        assert!(o.status.success(), "{}", stderr(&o));
        let png = std::fs::read(&out).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}

#[test]
fn bad_figure_options_are_usage_errors() {
    let (o, _) = bcg_figure("forest", &[], "x.pdf");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(".svg or .png"));
    // Bad values write nothing.
    let (o, svg) = bcg_figure("forest", &["--favours", "only"], "y.svg");
    assert_eq!(o.status.code(), Some(2));
    assert!(!svg.exists());
    let (o, svg) = bcg_figure("funnel", &["--contours", "95,120"], "z.svg");
    assert_eq!(o.status.code(), Some(2));
    assert!(!svg.exists());
}

/// `--trimfill` draws the study trim-and-fill imputes for BCG (metafor:
/// k0 = 1, on the right) hollow, at the filled yi and SE that `rema bias`
/// reports.
#[test]
fn funnel_draws_the_trim_and_fill_studies() {
    let svg = bcg_svg("funnel", &["--trimfill"], "funnel_tf.svg");
    assert_eq!(
        svg.matches("class=\"filled-point\"").count(),
        1,
        "one imputed study, drawn hollow"
    );
    assert!(svg.contains("adjusted-line"), "no adjusted estimate line");
    let plain = bcg_svg("funnel", &[], "funnel_plain.svg");
    assert!(!plain.contains("adjusted-line") && !plain.contains("filled-point"));
}

/// `--by` draws one block per subgroup with its subtotal diamond and the test
/// for subgroup differences; metafor on dat.bcg by allocation (separate τ²,
/// REML): Q-between = 1.8614 on 2 df, p = 0.3943 (tests/golden/subgroups.json).
#[test]
fn forest_by_draws_subgroups_with_the_test_for_differences() {
    let svg = bcg_svg("forest", &["--by", "alloc"], "forest_by.svg");
    assert_eq!(svg.matches(">Subtotal (95% CI)<").count(), 3);
    for level in [">alternate<", ">random<", ">systematic<"] {
        assert!(svg.contains(level), "{level}");
    }
    assert!(
        svg.contains("Test for subgroup differences: Q = 1.86, df = 2 (p = 0.394)"),
        "no Q-between line"
    );
    // Every study with its data columns, inside its block.
    for cell in [
        ">Aronson 1948<",
        ">4/123<",
        ">Comstock et al 1976<",
        ">27/16913<",
    ] {
        assert!(svg.contains(cell), "{cell}");
    }
}
