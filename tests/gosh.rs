//! GOSH against metafor 3.8-1 `gosh()` (tests/golden/gosh.json, written by
//! tests/golden/gosh.R): every subset of dat.bcg (k = 13) by FE and DL, and of
//! its first 10 studies by every other τ² estimator, row by row in metafor's
//! order, under the named tolerances of rema-golden; the meta-regressions of
//! its first 10 studies (`mods_cases`: every coefficient, and the
//! rank-deficient subsets NA as metafor's). And every subset's fit against
//! the general fit of the same studies, bit for bit.

use rema::core::resample::gosh::{Block, SubsetFit, Subsets};
use rema::core::resample::Hooks;
use rema::core::{Design, Method, Rma, Studies};
use rema_golden::{workspace_root, Tolerance};
use serde_json::Value;

/// Runs GOSH on `yi`, `vi` and collects every row with its members.
fn run(yi: &[f64], vi: &[f64], method: Method, subsets: Subsets) -> Vec<(Vec<usize>, SubsetFit)> {
    let fit = Rma::new(method)
        .fit(&Studies::new(yi, vi).unwrap())
        .unwrap();
    let mut rows = Vec::new();
    let mut sink = |b: &Block| {
        for (i, f) in b.fits().iter().enumerate() {
            rows.push((b.members(i).collect(), *f));
        }
        Ok(())
    };
    fit.gosh(subsets, &Hooks::default(), &mut sink).unwrap();
    rows
}

fn numbers(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

#[test]
fn every_subset_matches_metafor() {
    let path = workspace_root().join("tests/golden/gosh.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["generator"]["metafor"], "3.8.1");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    let mut checks = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let method: Method = case["method"].as_str().unwrap().parse().unwrap();
        let tol = match method {
            Method::Ml | Method::Reml | Method::Eb | Method::Pm => Tolerance::Iterative,
            _ => Tolerance::ClosedForm,
        };
        let yi: Vec<f64> = numbers(&case["yi"]).into_iter().flatten().collect();
        let vi: Vec<f64> = numbers(&case["vi"]).into_iter().flatten().collect();
        let rows = run(&yi, &vi, method, Subsets::All { max_size: None });
        let members = numbers(&case["members"]);
        assert_eq!(rows.len(), members.len(), "{id}");
        let mut columns = ["k", "QE", "I2", "H2", "tau2", "estimate"].map(|c| numbers(&case[c]));
        if method == Method::Dl {
            // The case's note: gosh()'s DL shortcut takes H2 = QE/(k - 1) at
            // tau2 = 0, where rma() gives 1.
            assert!(case["note"].as_str().unwrap().contains("H2 = QE/(k - 1)"));
            let tau2 = columns[4].clone();
            for (h2, t) in columns[3].iter_mut().zip(tau2) {
                if t == Some(0.0) {
                    *h2 = Some(1.0);
                }
            }
        }
        for (i, (m, f)) in rows.iter().enumerate() {
            let mask: u64 = m.iter().map(|j| 1u64 << j).sum();
            assert_eq!(Some(mask as f64), members[i], "{id} row {i}: members");
            let got = [f.k as f64, f.q, f.i2, f.h2, f.tau2, f.estimate];
            for (c, (want, got)) in columns.iter().map(|c| c[i]).zip(got).enumerate() {
                match want {
                    None => assert!(
                        got.is_nan(),
                        "{id} row {i} column {c}: metafor NA, rema {got}"
                    ),
                    Some(w) => {
                        let err = tol.error(w, got, None).unwrap();
                        assert!(
                            err <= 1.0,
                            "{id} row {i} column {c}: {got} vs metafor {w} ({tol})"
                        );
                    }
                }
                checks += 1;
            }
        }
    }
    assert!(
        checks >= 2 * 8191 * 6 + 7 * 1023 * 6,
        "only {checks} checks"
    );
}

/// Every subset's row is the general fit of its studies (bit for bit: the
/// intercept-only kernel runs the general fit's operations; PM to its root
/// search's tolerance), on random subsets of 30 simulated studies.
#[test]
fn every_subset_fit_is_the_general_fit() {
    let k = 30;
    let yi: Vec<f64> = (0..k).map(|i| ((i * 37 % 11) as f64 - 5.0) / 7.0).collect();
    let vi: Vec<f64> = (0..k).map(|i| 0.02 + (i * 13 % 7) as f64 / 40.0).collect();
    for method in Method::ALL {
        let rows = run(
            &yi,
            &vi,
            method,
            Subsets::Random {
                count: 300,
                seed: 11,
            },
        );
        assert_eq!(rows.len(), 300);
        for (m, f) in rows.iter().filter(|(m, _)| m.len() >= 2) {
            let y: Vec<f64> = m.iter().map(|&j| yi[j]).collect();
            let v: Vec<f64> = m.iter().map(|&j| vi[j]).collect();
            let opts = rema::core::FitOptions {
                control: rema::core::Control {
                    fallback: false,
                    ..Default::default()
                },
                ..rema::core::FitOptions::new(method)
            };
            let Ok(general) = rema::core::fit(&y, &v, &opts) else {
                assert!(
                    !f.is_fitted(),
                    "{method} {m:?}: the general fit failed, GOSH did not"
                );
                continue;
            };
            let want = [
                general.coefficients[0].estimate,
                general.q,
                general.i2,
                general.h2,
                general.tau2,
            ];
            let got = [f.estimate, f.q, f.i2, f.h2, f.tau2];
            assert_eq!(f.k, m.len());
            for (w, g) in want.into_iter().zip(got) {
                if method == Method::Pm {
                    assert!(
                        (w - g).abs() <= 1e-9 * (1.0 + w.abs()),
                        "{method} {m:?}: {g} vs {w}"
                    );
                } else {
                    assert_eq!(w.to_bits(), g.to_bits(), "{method} {m:?}: {g} vs {w}");
                }
            }
        }
    }
}

/// Runs GOSH on the meta-regression `yi`, `vi`, `x`: every row's members,
/// fit and coefficients, and the run.
#[allow(clippy::type_complexity)]
fn run_mods(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    method: Method,
    subsets: Subsets,
) -> (
    Vec<(Vec<usize>, SubsetFit, Vec<f64>)>,
    rema::core::resample::gosh::Gosh,
) {
    let fit = Rma::new(method)
        .fit_mods(&Studies::new(yi, vi).unwrap(), x)
        .unwrap();
    let mut rows = Vec::new();
    let mut sink = |b: &Block| {
        for (i, f) in b.fits().iter().enumerate() {
            rows.push((b.members(i).collect(), *f, b.coefficients(i).to_vec()));
        }
        Ok(())
    };
    let g = fit.gosh(subsets, &Hooks::default(), &mut sink).unwrap();
    (rows, g)
}

#[test]
fn every_subset_of_a_meta_regression_matches_metafor() {
    let path = workspace_root().join("tests/golden/gosh.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["mods_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    let mut checks = 0;
    let mut na_rows = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let method: Method = case["method"].as_str().unwrap().parse().unwrap();
        let tol = match method {
            Method::Ml | Method::Reml | Method::Eb | Method::Pm => Tolerance::Iterative,
            _ => Tolerance::ClosedForm,
        };
        let yi: Vec<f64> = numbers(&case["yi"]).into_iter().flatten().collect();
        let vi: Vec<f64> = numbers(&case["vi"]).into_iter().flatten().collect();
        let rows_x: Vec<Vec<f64>> = case["X"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| numbers(r).into_iter().flatten().collect())
            .collect();
        let p = rows_x[0].len();
        let x = Design::from_row_major(yi.len(), p, rows_x.concat()).unwrap();
        let (rows, g) = run_mods(&yi, &vi, &x, method, Subsets::All { max_size: None });
        let members = numbers(&case["members"]);
        assert_eq!(rows.len(), members.len(), "{id}");
        assert_eq!(g.p, p, "{id}");
        let mut columns: Vec<Vec<Option<f64>>> = ["k", "QE", "I2", "H2", "tau2"]
            .iter()
            .map(|c| numbers(&case[*c]))
            .collect();
        columns.extend(case["beta"].as_array().unwrap().iter().map(numbers));
        let want_na = columns[4].iter().filter(|t| t.is_none()).count() as u64;
        assert_eq!(g.rank_deficient + g.failed, want_na, "{id}: NA rows");
        for (i, (m, f, b)) in rows.iter().enumerate() {
            let mask: u64 = m.iter().map(|j| 1u64 << j).sum();
            assert_eq!(Some(mask as f64), members[i], "{id} row {i}: members");
            let mut got = vec![f.k as f64, f.q, f.i2, f.h2, f.tau2];
            got.extend_from_slice(b);
            if !f.is_fitted() {
                na_rows += 1;
            }
            for (c, (want, got)) in columns.iter().map(|c| c[i]).zip(got).enumerate() {
                match want {
                    None => assert!(
                        got.is_nan(),
                        "{id} row {i} column {c}: metafor NA, rema {got}"
                    ),
                    Some(w) => {
                        let err = tol.error(w, got, None).unwrap();
                        assert!(
                            err <= 1.0,
                            "{id} row {i} column {c}: {got} vs metafor {w} ({tol})"
                        );
                    }
                }
                checks += 1;
            }
        }
    }
    assert!(na_rows > 600, "only {na_rows} NA rows");
    assert!(checks >= 3 * 1013 * 7 + 968 * 8 * 2, "only {checks} checks");
}

/// Every subset's row of a meta-regression is `fit_with_moderators` on its
/// studies, bit for bit, and a rank-deficient subset is refused by the
/// general fit too.
#[test]
fn every_subset_of_a_meta_regression_is_the_general_fit() {
    let k = 24;
    let yi: Vec<f64> = (0..k).map(|i| ((i * 37 % 11) as f64 - 5.0) / 7.0).collect();
    let vi: Vec<f64> = (0..k).map(|i| 0.02 + (i * 13 % 7) as f64 / 40.0).collect();
    // A continuous moderator and a rare dummy (3 studies), so that random
    // subsets are often rank deficient.
    let data: Vec<f64> = (0..k)
        .flat_map(|i| [1.0, (i % 5) as f64 * 0.7 - 1.0, f64::from(i % 8 == 3)])
        .collect();
    let x = Design::from_row_major(k, 3, data).unwrap();
    for method in [Method::Fe, Method::Dl, Method::Reml, Method::Ml, Method::Sj] {
        let (rows, g) = run_mods(
            &yi,
            &vi,
            &x,
            method,
            Subsets::Random {
                count: 200,
                seed: 5,
            },
        );
        assert_eq!(rows.len(), 200);
        assert!(g.rank_deficient > 0, "{method}");
        for (m, f, b) in &rows {
            assert!(m.len() >= 3, "{method}: a subset smaller than p");
            let y: Vec<f64> = m.iter().map(|&j| yi[j]).collect();
            let v: Vec<f64> = m.iter().map(|&j| vi[j]).collect();
            let xs = x.select_rows(m);
            let opts = rema::core::FitOptions {
                control: rema::core::Control {
                    fallback: false,
                    ..Default::default()
                },
                ..rema::core::FitOptions::new(method)
            };
            let dummies = m.iter().filter(|&&j| j % 8 == 3).count();
            let general = rema::core::fit_with_moderators(&y, &v, &xs, &opts);
            if dummies == 0 || dummies == m.len() {
                assert!(
                    !f.is_fitted(),
                    "{method} {m:?}: a constant dummy, yet fitted"
                );
                continue;
            }
            let Ok(general) = general else {
                assert!(
                    !f.is_fitted(),
                    "{method} {m:?}: the general fit failed, GOSH did not"
                );
                continue;
            };
            let mut want = vec![general.q, general.i2, general.h2, general.tau2];
            want.extend(general.coefficients.iter().map(|c| c.estimate));
            let mut got = vec![f.q, f.i2, f.h2, f.tau2];
            got.extend_from_slice(b);
            assert_eq!(f.estimate.to_bits(), b[1].to_bits());
            for (w, g) in want.into_iter().zip(got) {
                assert_eq!(w.to_bits(), g.to_bits(), "{method} {m:?}: {g} vs {w}");
            }
        }
    }
}

/// The FE and DL rows, fitted many subsets at a time, are the general fit
/// bit for bit on every subset of 12 studies, with τ̂² zero and positive.
#[test]
fn every_fe_and_dl_subset_is_the_general_fit() {
    let k = 12;
    let yi: Vec<f64> = (0..k).map(|i| ((i * 5 % 9) as f64 - 4.0) / 3.0).collect();
    let vi: Vec<f64> = (0..k).map(|i| 0.05 + (i * 7 % 5) as f64 / 10.0).collect();
    for method in [Method::Fe, Method::Dl] {
        let rows = run(&yi, &vi, method, Subsets::All { max_size: None });
        assert_eq!(rows.len(), 4095);
        let positive = rows.iter().filter(|(_, f)| f.tau2 > 0.0).count();
        if method == Method::Dl {
            assert!(positive > 1000 && positive < 4000, "{positive}");
        }
        for (m, f) in rows.iter().filter(|(m, _)| m.len() >= 2) {
            let y: Vec<f64> = m.iter().map(|&j| yi[j]).collect();
            let v: Vec<f64> = m.iter().map(|&j| vi[j]).collect();
            let general = rema::core::fit(&y, &v, &rema::core::FitOptions::new(method)).unwrap();
            let want = [
                general.coefficients[0].estimate,
                general.q,
                general.i2,
                general.h2,
                general.tau2,
            ];
            let got = [f.estimate, f.q, f.i2, f.h2, f.tau2];
            for (w, g) in want.into_iter().zip(got) {
                assert_eq!(w.to_bits(), g.to_bits(), "{method} {m:?}: {g} vs {w}");
            }
        }
    }
}
