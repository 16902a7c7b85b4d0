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

/// The flags of a golden case's spec for `rema analyze`: each random term
/// as its own `--random`, the sampling covariances (the spec's list of
/// entries) as a `--vcov` file written to `vcov_path` (or `vcov` when the
/// file is given), the rest as rema-golden's `cli_args`.
fn mv_flags(
    spec: &serde_json::Value,
    vcov_path: &std::path::Path,
    vcov: Option<&str>,
) -> Vec<String> {
    let mut rest = spec.clone();
    let obj = rest.as_object_mut().unwrap();
    let terms = obj.remove("random_terms");
    let entries = obj.remove("vcov");
    obj.retain(|_, v| !v.is_null());
    let mut out = rema_golden::entry::cli_args(&rest);
    for t in terms.iter().flat_map(|t| t.as_array().unwrap()) {
        out.push("--random".into());
        out.push(t.as_str().unwrap().into());
    }
    if let Some(entries) = entries {
        let file = match vcov {
            Some(f) => f.to_string(),
            None => {
                let mut text = String::from("row,col,cov\n");
                for e in entries.as_array().unwrap() {
                    text.push_str(&format!("{},{},{}\n", e["row"], e["col"], e["cov"]));
                }
                std::fs::write(vcov_path, text).unwrap();
                vcov_path.display().to_string()
            }
        };
        out.push("--vcov".into());
        out.push(file);
    }
    out
}

/// `rema analyze CSV FLAGS --format json`, which must succeed.
fn analyze_flags(csv: &str, flags: &[String]) -> serde_json::Value {
    let mut args = vec!["analyze", csv];
    args.extend(flags.iter().map(String::as_str));
    args.extend(["--format", "json"]);
    json(&rema(&args))
}

/// `--vcov FILE` end to end: dat.berkey1998's known sampling covariances
/// (tests/golden/data/mv_berkey1998_vcov.csv, both triangles and the
/// diagonal, as mv.R writes it) under every struct and both likelihoods give
/// metafor's rma.mv(yi, V, ...) numbers (tests/golden/mv.json, 1e-4), and the
/// covariances are recorded as coming from the file.
#[test]
fn vcov_file_gives_metafor_rma_mv_with_v() {
    let suite = rema_golden::runner::load(&root(), "mv").expect("tests/golden/mv.json");
    let vcov = "tests/golden/data/mv_berkey1998_vcov.csv";
    let (mut cases, mut values) = (0, 0);
    for case in suite
        .cases
        .iter()
        .filter(|c| c.id.starts_with("berkey1998/"))
    {
        assert!(case.spec.get("vcov").is_some(), "{}", case.id);
        let flags = mv_flags(&case.spec, &scratch("unused"), Some(vcov));
        let r = analyze_flags(case.csv.as_deref().unwrap(), &flags);
        values += assert_golden(&suite, case, &r);
        assert!(
            r["provenance"]["options"]["vcov"]
                .as_array()
                .is_some_and(|v| !v.is_empty()),
            "{}: the covariances are not in the provenance",
            case.id
        );
        cases += 1;
    }
    assert_eq!(cases, 10, "the 5 structs by REML and ML");
    assert!(values > 1000, "{values} values compared");
    // A covariance that is not symmetric is refused, naming the file and the pair.
    let dir = scratch("vcov-bad");
    let bad = write_file(&dir, "v.csv", "row,col,cov\n1,2,0.003\n2,1,0.004\n");
    let out = rema(&[
        "analyze",
        "tests/golden/data/mv_berkey1998.csv",
        "-m",
        "GEN",
        "--random",
        "~ outcome | trial",
        "--vcov",
        &bad,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("v.csv"), "{}", stderr(&out));
}

/// Estimates at the boundary are reported in the notes (issue 16): with
/// dat.kalaian1996 metafor puts rho at -1 for struct CS and HCS, and with an
/// intercept per study beside a DIAG term the study's sigma2 and the tau2 of
/// verbal at 0 (tests/golden/mv_more.json, boundary/*). rema's estimates
/// equal metafor's, and every component that metafor puts within 1e-6 of
/// its boundary has its note.
#[test]
fn boundary_estimates_are_reported_in_the_notes() {
    let suite = rema_golden::runner::load(&root(), "mv_more").expect("tests/golden/mv_more.json");
    let mut notes_checked = 0;
    let mut cases = 0;
    for (i, case) in suite
        .cases
        .iter()
        .filter(|c| c.id.starts_with("boundary/"))
        .enumerate()
    {
        let flags = mv_flags(&case.spec, &scratch(&format!("boundary-{i}.csv")), None);
        let r = analyze_flags(case.csv.as_deref().unwrap(), &flags);
        assert_golden(&suite, case, &r);
        let notes: Vec<&str> = each(&r["notes"], |n| n.as_str().unwrap());
        let has = |want: &str| {
            assert!(
                notes.contains(&want),
                "{}: no note `{want}` in {notes:?}",
                case.id
            )
        };
        let term = case.spec["random_terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .find(|t| !t.starts_with("~ 1 |"))
            .unwrap();
        for (pointer, want) in &case.expect {
            let Some(v) = want.as_f64() else { continue };
            let parent = pointer.rsplit_once('/').unwrap().0;
            if pointer.ends_with("/rho") && v.abs() > 1.0 - 1e-6 {
                assert_eq!(r.pointer(pointer).unwrap().as_f64(), Some(v.signum()));
                has(&format!(
                    "rho of `{term}` is estimated at its boundary, {}",
                    v.signum()
                ));
                notes_checked += 1;
            } else if pointer.ends_with("/tau2") && v < 1e-6 {
                let level = r.pointer(&format!("{parent}/level")).unwrap();
                has(&format!(
                    "tau2 of level `{}` of `{term}` is estimated at its boundary, 0",
                    level.as_str().unwrap()
                ));
                notes_checked += 1;
            } else if pointer.ends_with("/sigma2") && v < 1e-6 {
                let factor = r.pointer(&format!("{parent}/factor")).unwrap();
                has(&format!(
                    "the variance component of `{}` is estimated at its boundary, 0",
                    factor.as_str().unwrap()
                ));
                notes_checked += 1;
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 3);
    assert_eq!(notes_checked, 4, "rho twice, a tau2 and a sigma2");
}

/// `rema compare A.json B.json` on results saved by `rema analyze --format
/// json` gives metafor's anova(full, reduced): each model's parameters,
/// log-likelihood, deviance, AIC, BIC, AICc and QE, the LRT, its df and p
/// (tests/golden/mv_more.json, compare/*, 1e-4; the refusals' messages quote
/// metafor's); and it refuses models that are not nested or not fitted to
/// the same data, saying why.
#[test]
fn compare_of_saved_results_is_metafor_anova() {
    let suite = rema_golden::runner::load(&root(), "mv_more").expect("tests/golden/mv_more.json");
    let dir = scratch("compare");
    std::fs::create_dir_all(&dir).unwrap();
    let save = |name: &str, csv: &str, spec: &serde_json::Value| {
        let r = analyze_flags(csv, &mv_flags(spec, &dir.join("v.csv"), None));
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
        p.display().to_string()
    };
    let (mut fitted, mut refused) = (0, 0);
    for (i, case) in suite
        .cases
        .iter()
        .filter(|c| c.id.starts_with("compare/"))
        .enumerate()
    {
        let csv = case.csv.as_deref().unwrap();
        let a = save(&format!("{i}-a.json"), csv, &case.spec);
        let b = save(&format!("{i}-b.json"), csv, &case.input["other"]);
        let out = rema(&["compare", &a, &b, "--format", "json"]);
        match &case.error {
            None => {
                let doc = json(&out);
                assert_golden(&suite, case, &doc);
                // The information criteria's differences, as anova's table reads them.
                for ic in ["aic", "bic"] {
                    let d =
                        doc["full"][ic].as_f64().unwrap() - doc["reduced"][ic].as_f64().unwrap();
                    let want = case.expect[&format!("/full/{ic}")].as_f64().unwrap()
                        - case.expect[&format!("/reduced/{ic}")].as_f64().unwrap();
                    assert!(close(d, want, 1e-4), "{} {ic}: {d} against {want}", case.id);
                }
                let text = stdout(&rema(&["compare", &a, &b]));
                let lrt = doc["lrt"].as_f64().unwrap();
                assert!(text.contains(&format!("LRT = {lrt:.4}")), "{text}");
                fitted += 1;
            }
            Some(metafor) => {
                assert_eq!(out.status.code(), Some(3), "{}: {}", case.id, stderr(&out));
                // rema's message quotes metafor's.
                let head: Vec<&str> = metafor.split_whitespace().take(6).collect();
                assert!(
                    stderr(&out).contains(&head.join(" ")),
                    "{}: {} does not quote metafor's `{metafor}`",
                    case.id,
                    stderr(&out)
                );
                refused += 1;
            }
        }
    }
    assert_eq!((fitted, refused), (7, 3));
    // Not nested: the reduced model's moderator is not among the full model's.
    let bcg = "examples/bcg/bcg.csv";
    let ml = |mods: &str| serde_json::json!({"measure": "RR", "method": "ML", "mods": mods});
    let full = save("full.json", bcg, &ml("ablat,alloc"));
    let other = save("other.json", bcg, &ml("year"));
    let out = rema(&["compare", &full, &other]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not nested in") && stderr(&out).contains("year"),
        "{}",
        stderr(&out)
    );
    // Not the same data: the same studies as log odds ratios.
    let or = save(
        "or.json",
        bcg,
        &serde_json::json!({"measure": "OR", "method": "ML"}),
    );
    let out = rema(&["compare", &full, &or]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("are not fitted to the same data"),
        "{}",
        stderr(&out)
    );
}
