//! `rema analyze --random FORMULA`, `--cluster`/`--rho` and `--robust` end
//! to end: the JSON keys, the text, and the flags' errors. The numbers are
//! checked against metafor and clubSandwich by tests/golden/mv.json; here a
//! few of them are read back from the JSON the binary prints.

mod common;

use common::*;

const K11: &str = "tests/golden/data/mv_konstantopoulos2011.csv";

#[test]
fn random_formula_fits_the_multilevel_model_and_robust_adds_its_tests() {
    let args = [
        "analyze",
        K11,
        "-m",
        "GEN",
        "--random",
        "~ 1 | district/school",
        "--robust",
        "district",
        "--format",
        "json",
    ];
    let r = json(&rema(&args));
    let m = &r["multilevel"];
    assert_eq!(m["components"][0]["factor"], "district");
    assert_eq!(m["components"][1]["n_levels"], 56);
    // metafor: sigma2 = 0.0651, 0.0327; robust(clubSandwich = TRUE) df 9.863.
    assert!(close(
        m["components"][0]["sigma2"].as_f64().unwrap(),
        0.06506194427,
        1e-4
    ));
    assert!(close(
        r["robust"]["coefficients"][0]["df"].as_f64().unwrap(),
        9.86315623,
        1e-4
    ));
    assert_eq!(r["robust"]["type"], "CR2");
    assert_eq!(
        r["provenance"]["options"]["random_terms"][0],
        "~ 1 | district/school"
    );
    let text = stdout(&rema(&args[..args.len() - 2]));
    assert!(text.contains("Multilevel Random-Effects Model"), "{text}");
    assert!(
        text.contains("Cluster-robust tests (CR2; 11 clusters of `district`)"),
        "{text}"
    );
}

#[test]
fn constructed_covariance_and_refused_pairs_name_their_option() {
    let a16 = "tests/golden/data/mv_assink2016.csv";
    let r = json(&rema(&[
        "analyze",
        a16,
        "-m",
        "GEN",
        "--random",
        "~ 1 | sid/esid",
        "--cluster",
        "sid",
        "--rho",
        "0.6",
        "--format",
        "json",
    ]));
    assert_eq!(
        r["multilevel"]["sampling_covariance"],
        "cluster sid, rho 0.6"
    );
    // --cluster needs --rho (clap), --rho outside [-1, 1] is refused by name.
    let out = rema(&[
        "analyze",
        a16,
        "-m",
        "GEN",
        "--random",
        "~ 1 | sid",
        "--cluster",
        "sid",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = rema(&[
        "analyze",
        a16,
        "-m",
        "GEN",
        "--random",
        "~ 1 | sid",
        "--cluster",
        "sid",
        "--rho",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rho = 2"), "{}", stderr(&out));
    let out = rema(&[
        "analyze",
        a16,
        "-m",
        "GEN",
        "--random",
        "~ 1 | sid",
        "--method",
        "DL",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("REML or ML"), "{}", stderr(&out));
    let out = rema(&["analyze", a16, "-m", "GEN", "--random", "~ 1 + x | sid"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
