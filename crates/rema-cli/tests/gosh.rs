//! `rema gosh` and `rema plot` end to end: the files a GOSH run writes, its
//! rows against metafor 3.8-1 (tests/golden/gosh.json), seeded runs that
//! repeat, the usage errors, and every kind of `rema plot` on BCG (the Q-Q
//! envelope seeded), and the refusals of the selection-model options.

mod common;

use common::*;

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn gosh_writes_metafors_rows_and_the_figures() {
    let dir = scratch("gosh-bcg");
    let out = rema(&[
        "gosh",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--method",
        "DL",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("8191 exhaustive subsets of 13 studies (DL)"));
    let rows = lines(&dir.join("gosh.csv"));
    assert_eq!(rows[0], "subset,k,estimate,QE,I2,H2,tau2,studies");
    assert_eq!(rows.len(), 8192);
    // Row i is metafor's row i: compare the estimate and QE of every row.
    let g = golden("gosh.json");
    let case = &g["cases"][1];
    assert_eq!(case["id"], "bcg/DL");
    for (i, row) in rows[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], (i + 1).to_string());
        let mask: u64 = cells[7]
            .split(' ')
            .map(|s| 1u64 << (s.parse::<u64>().unwrap() - 1))
            .sum();
        assert_eq!(Some(mask as f64), case["members"][i].as_f64(), "row {i}");
        for (col, name) in [(2, "estimate"), (3, "QE")] {
            let got: f64 = cells[col].parse().unwrap();
            let want = case[name][i].as_f64().unwrap();
            assert!(close(got, want, 1e-6), "row {i} {name}: {got} vs {want}");
        }
    }
    let studies = lines(&dir.join("gosh_studies.csv"));
    assert_eq!(studies.len(), 14);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gosh.json")).unwrap()).unwrap();
    assert_eq!(run["count"], 8191);
    assert_eq!(run["most_influential"], "TPT Madras 1980");
    let svg = std::fs::read_to_string(dir.join("gosh.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("subsets with TPT Madras 1980 (4096)"));
    assert_eq!(
        &std::fs::read(dir.join("gosh.png")).unwrap()[..4],
        b"\x89PNG"
    );
}

#[test]
fn seeded_random_subsets_repeat() {
    let run = |name: &str| {
        let dir = scratch(name);
        let out = rema(&[
            "gosh",
            "examples/bcg/bcg.csv",
            "-m",
            "RR",
            "--subsets",
            "300",
            "--seed",
            "9",
            "--highlight",
            "Aronson 1948",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        (
            std::fs::read_to_string(dir.join("gosh.csv")).unwrap(),
            std::fs::read_to_string(dir.join("gosh.svg")).unwrap(),
        )
    };
    let (a, svg) = run("gosh-r1");
    let (b, _) = run("gosh-r2");
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 301);
    assert!(svg.contains("subsets with Aronson 1948"));
}

/// `rema gosh --mods ablat` on dat.bcg's first 10 studies: metafor's rows
/// of gosh(rma(yi, vi, mods = ~ ablat)) (tests/golden/gosh.json), one
/// column per coefficient, the rank-deficient subsets empty.
#[test]
fn gosh_with_moderators_writes_metafors_rows() {
    let text = std::fs::read_to_string(root().join("examples/bcg/bcg.csv")).unwrap();
    let first10: Vec<&str> = text.lines().take(11).collect();
    let csv = scratch("bcg10.csv");
    std::fs::write(&csv, first10.join("\n") + "\n").unwrap();
    let dir = scratch("gosh-ablat");
    let out = rema(&[
        "gosh",
        csv.to_str().unwrap(),
        "-m",
        "RR",
        "--method",
        "REML",
        "--mods",
        "ablat",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("following ablat"), "{}", stdout(&out));
    let rows = lines(&dir.join("gosh.csv"));
    assert_eq!(rows[0], "subset,k,intrcpt,ablat,QE,I2,H2,tau2,studies");
    let g = golden("gosh.json");
    let case = &g["mods_cases"][2];
    assert_eq!(case["id"], "bcg10/ablat/REML");
    assert_eq!(rows.len() - 1, case["k"].as_array().unwrap().len());
    let mut empty = 0;
    for (i, row) in rows[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        let mask: u64 = cells[8]
            .split(' ')
            .map(|s| 1u64 << (s.parse::<u64>().unwrap() - 1))
            .sum();
        assert_eq!(Some(mask as f64), case["members"][i].as_f64(), "row {i}");
        for (col, want) in [
            (2, &case["beta"][0][i]),
            (3, &case["beta"][1][i]),
            (4, &case["QE"][i]),
            (7, &case["tau2"][i]),
        ] {
            match want.as_f64() {
                None => {
                    assert_eq!(cells[col], "", "row {i} column {col}");
                    empty += 1;
                }
                Some(w) => {
                    let got: f64 = cells[col].parse().unwrap();
                    assert!(
                        close(got, w, 1e-4) || (got - w).abs() < 1e-7,
                        "row {i} column {col}: {got} vs {w}"
                    );
                }
            }
        }
    }
    assert_eq!(empty, 4 * 45);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gosh.json")).unwrap()).unwrap();
    assert_eq!(run["rank_deficient"], 3);
    assert_eq!(run["failed"], 42);
    assert_eq!(run["followed"], "ablat");
    assert_eq!(run["coefficients"][1], "ablat");
    let svg = std::fs::read_to_string(dir.join("gosh.svg")).unwrap();
    assert!(svg.contains("Coefficient ablat"));
    // --coef picks another coefficient; an unknown one is a usage error.
    let out = rema(&[
        "gosh",
        csv.to_str().unwrap(),
        "-m",
        "RR",
        "--mods",
        "ablat",
        "--coef",
        "slope",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--coef slope"), "{}", stderr(&out));
}

#[test]
fn gosh_usage_errors_name_the_flag() {
    let dir = scratch("gosh-bad");
    let d = dir.to_str().unwrap();
    for (args, words) in [
        (vec!["--subsets", "0"], "--subsets 0"),
        (vec!["--subsets", "100", "--max-size", "3"], "--max-size"),
        (vec!["--highlight", "Nobody"], "--highlight Nobody"),
        (vec!["--method", "MH"], "GOSH refits"),
    ] {
        let mut all = vec!["gosh", "examples/bcg/bcg.csv", "-m", "RR", "--out", d];
        all.extend(args);
        let out = rema(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{all:?}: {}", stderr(&out));
    }
}

#[test]
fn every_plot_kind_draws_bcg() {
    for (kind, extra) in [
        ("baujat", vec![]),
        ("radial", vec![]),
        ("labbe", vec![]),
        ("bubble", vec!["--mods", "ablat"]),
        ("qq", vec![]),
        ("profile", vec![]),
        ("leave-one-out", vec![]),
        ("cumulative", vec!["--cumulative", "--order", "year"]),
    ] {
        let path = scratch(&format!("plot-{kind}.svg"));
        let mut args = vec!["plot", kind, "examples/bcg/bcg.csv", "-m", "RR", "--out"];
        args.push(path.to_str().unwrap());
        args.extend(extra);
        let out = rema(&args);
        assert!(out.status.success(), "{kind}: {}", stderr(&out));
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{kind}"
        );
        // Every plot but the profile has a mark per study.
        assert!(kind == "profile" || svg.contains("Aronson 1948"), "{kind}");
    }
    // The bubble plot needs one moderator; the others none.
    let path = scratch("plot-bad.svg");
    let p = path.to_str().unwrap();
    let out = rema(&[
        "plot",
        "bubble",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--out",
        p,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--mods"));
    let out = rema(&[
        "plot",
        "radial",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--mods",
        "ablat",
        "--out",
        p,
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn qq_envelope_is_seeded_and_its_flags_are_checked() {
    let a = scratch("qq-env-a.svg");
    let b = scratch("qq-env-b.svg");
    let run = |path: &std::path::Path, seed: &str| {
        rema(&[
            "plot",
            "qq",
            "examples/bcg/bcg.csv",
            "-m",
            "RR",
            "--envelope",
            "--seed",
            seed,
            "--reps",
            "500",
            "--out",
            path.to_str().unwrap(),
        ])
    };
    for (path, seed) in [(&a, "7"), (&b, "7")] {
        let out = run(path, seed);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let svg = std::fs::read_to_string(&a).unwrap();
    assert_eq!(
        svg,
        std::fs::read_to_string(&b).unwrap(),
        "the seed fixes the envelope"
    );
    assert!(svg.contains("class=\"envelope-lower\"") && svg.contains("class=\"envelope-upper\""));
    assert!(
        svg.contains("500 reps, seed 7"),
        "the legend records the seed"
    );
    let out = run(&b, "8");
    assert!(out.status.success());
    assert_ne!(svg, std::fs::read_to_string(&b).unwrap());
    // Envelope options without --envelope, or on another plot, are refused by name.
    let p = scratch("qq-env-bad.svg");
    let p = p.to_str().unwrap();
    for (args, words) in [
        (vec!["qq", "--reps", "100"], "--reps"),
        (vec!["qq", "--bonferroni"], "--bonferroni"),
        (vec!["qq", "--no-smooth"], "--no-smooth"),
        (vec!["radial", "--envelope"], "--envelope"),
    ] {
        let mut all = vec![
            "plot",
            args[0],
            "examples/bcg/bcg.csv",
            "-m",
            "RR",
            "--out",
            p,
        ];
        all.extend(&args[1..]);
        let out = rema(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(stderr(&out).contains(words), "{all:?}: {}", stderr(&out));
    }
}

#[test]
fn selection_model_options_are_refused_by_name() {
    for (args, words) in [
        (vec!["--selmodel-prec", "sei"], "selmodel_prec"),
        (
            vec!["--selmodel", "beta", "--selmodel-prec", "sei"],
            "beta selection model takes no precision",
        ),
        (
            vec![
                "--selmodel",
                "stepfun",
                "--steps",
                "0.05",
                "--selmodel-prec",
                "vi",
            ],
            "stepfun selection model takes no precision",
        ),
        (vec!["--selmodel-delta", "NA,1"], "selmodel_delta"),
        (
            vec!["--selmodel", "negexp", "--selmodel-delta", "NA,1"],
            "has 1 delta parameter",
        ),
        (
            vec![
                "--selmodel",
                "stepfun",
                "--steps",
                "0.05",
                "--selmodel-delta",
                "2,NA",
            ],
            "first delta is 1",
        ),
        (
            vec!["--selmodel", "negexp", "--selmodel-scaleprec", "false"],
            "selmodel_scaleprec",
        ),
        (
            vec!["--fsn-test", "Fisher", "--selmodel-delta", "x"],
            "not a number or NA",
        ),
    ] {
        let mut all = vec!["bias", "examples/bcg/bcg.csv", "-m", "RR"];
        all.extend(&args);
        let out = rema(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{all:?}: {}", stderr(&out));
    }
    // Fixed deltas and Fisher's fail-safe N in the text output.
    let out = rema(&[
        "bias",
        "examples/bcg/bcg.csv",
        "-m",
        "RR",
        "--selmodel",
        "beta",
        "--alternative",
        "less",
        "--selmodel-delta",
        "NA,1",
        "--fsn-test",
        "Fisher",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("delta 2: 1.0000 (fixed)"), "{text}");
    assert!(text.contains("Fisher's method"), "{text}");
}
