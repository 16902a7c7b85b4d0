//! End-to-end tests of `rema forest` and `rema funnel`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rema(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rema"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("rema runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rema-cli-figures-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn forest_writes_an_svg_with_every_study_and_the_data() {
    let out = tmp("bcg.svg");
    let o = rema(&[
        "forest",
        "examples/bcg/bcg.csv",
        "--measure",
        "RR",
        "--out",
        out.to_str().unwrap(),
        "--favours",
        "vaccine,control",
        "--title",
        "BCG",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(&out).unwrap();
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
        let out = tmp(name);
        let o = rema(&[
            cmd,
            "examples/bcg/bcg.csv",
            "-m",
            "RR",
            "--out",
            out.to_str().unwrap(),
            "--png-scale",
            "1",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let png = std::fs::read(&out).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}

#[test]
fn bad_figure_options_are_usage_errors() {
    let out = tmp("x.pdf");
    let o = rema(&[
        "forest",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".svg or .png"));
    let svg = tmp("y.svg");
    let o = rema(&[
        "forest",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--out",
        svg.to_str().unwrap(),
        "--favours",
        "only",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = rema(&[
        "funnel",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--out",
        svg.to_str().unwrap(),
        "--contours",
        "95,120",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!svg.exists());
}

/// `--trimfill` draws the study trim-and-fill imputes for BCG (metafor:
/// k0 = 1, on the right) hollow, at the filled yi and SE that `rema bias`
/// reports.
#[test]
fn funnel_draws_the_trim_and_fill_studies() {
    let out = tmp("funnel_tf.svg");
    let r = rema(&[
        "funnel",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--trimfill",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        svg.matches("class=\"filled-point\"").count(),
        1,
        "one imputed study, drawn hollow"
    );
    assert!(svg.contains("adjusted-line"), "no adjusted estimate line");
    let plain = tmp("funnel_plain.svg");
    let r = rema(&[
        "funnel",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    let plain = std::fs::read_to_string(&plain).unwrap();
    assert!(!plain.contains("adjusted-line") && !plain.contains("filled-point"));
}

/// `--by` draws one block per subgroup with its subtotal diamond and the test
/// for subgroup differences; metafor on dat.bcg by allocation (separate τ²,
/// REML): Q-between = 1.8614 on 2 df, p = 0.3943 (tests/golden/subgroups.json).
#[test]
fn forest_by_draws_subgroups_with_the_test_for_differences() {
    let out = tmp("forest_by.svg");
    let r = rema(&[
        "forest",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--by",
        "alloc",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let svg = std::fs::read_to_string(&out).unwrap();
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
