//! Golden suites of the sensitivity, small-study and GLMM methods against R
//! metafor: `tests/golden/influence.json` (leave1out, influence, cumul),
//! `bias.json` (regtest, ranktest, trimfill) and `glmm.json` (rma.glmm,
//! measure PLO), each made by the R script of the same name. Tolerances are
//! [`Kind`]'s: 1e-6 for closed-form quantities, 1e-4 for iterative ones
//! (ML, REML, EB, PM and the GLMM).

use std::path::Path;

use serde_json::Value;

use crate::core::{
    cumulative, egger, glmm_loglik, glmm_plo, influence, leave_one_out, rank_correlation,
    trim_and_fill, Design, FitOptions, GlmmOptions, Method, Test,
};
use crate::golden::{Comparison, Kind};

fn load(root: &Path, name: &str) -> Result<Value, String> {
    let path = root.join("tests/golden").join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        _ => Vec::new(),
    }
}

fn push(out: &mut Vec<Comparison>, case: &str, q: &str, kind: Kind, expected: f64, actual: f64) {
    out.push(Comparison {
        case: case.to_string(),
        quantity: q.to_string(),
        kind,
        expected,
        actual,
    });
}

/// Compares a vector; `NaN` (metafor's `NA`) must match `NaN`.
fn push_all(
    out: &mut Vec<Comparison>,
    case: &str,
    q: &str,
    kind: Kind,
    expected: &[f64],
    actual: &[f64],
) -> Result<(), String> {
    if expected.len() != actual.len() {
        return Err(format!(
            "{case} {q}: metafor has {} values, rema {}",
            expected.len(),
            actual.len()
        ));
    }
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e.is_nan() || a.is_nan() {
            if e.is_nan() != a.is_nan() {
                return Err(format!("{case} {q}[{i}]: metafor {e}, rema {a}"));
            }
            continue;
        }
        push(out, case, &format!("{q}[{i}]"), kind, *e, *a);
    }
    Ok(())
}

fn options(c: &Value) -> Result<(String, FitOptions, Kind), String> {
    let method: Method = c["method"].as_str().ok_or("method")?.parse()?;
    let test: Test = c["test"].as_str().ok_or("test")?.parse()?;
    let name = format!(
        "{} {} {} {}",
        c["id"].as_str().unwrap_or("?"),
        c["measure"].as_str().unwrap_or("?"),
        method,
        test
    );
    let kind = if matches!(method, Method::Ml | Method::Reml | Method::Eb | Method::Pm) {
        Kind::Iterative
    } else {
        Kind::ClosedForm
    };
    Ok((
        name,
        FitOptions {
            method,
            test,
            ..FitOptions::default()
        },
        kind,
    ))
}

/// leave1out(), influence() and cumul() on every case of influence.json.
pub fn run_influence(root: &Path) -> Result<Vec<Comparison>, String> {
    let g = load(root, "influence.json")?;
    let mut out = Vec::new();
    for c in g["cases"].as_array().ok_or("no cases")? {
        let (name, opts, kind) = options(c)?;
        let yi = nums(&c["yi"]);
        let vi = nums(&c["vi"]);
        let k = yi.len();

        let l1o = leave_one_out(&yi, &vi, &opts).map_err(|e| format!("{name}: {e}"))?;
        let ex = &c["leave1out"];
        let col = |f: &dyn Fn(&crate::core::PooledSummary) -> f64| -> Vec<f64> {
            l1o.iter()
                .map(|r| r.fit.as_ref().map(f).unwrap_or(f64::NAN))
                .collect()
        };
        let pairs: [(&str, Vec<f64>, Kind); 11] = [
            ("estimate", col(&|s| s.estimate), kind),
            ("se", col(&|s| s.se), kind),
            ("stat", col(&|s| s.stat), kind),
            ("pval", col(&|s| s.pval), kind),
            ("ci_lower", col(&|s| s.ci_lower), kind),
            ("ci_upper", col(&|s| s.ci_upper), kind),
            ("q", col(&|s| s.q), Kind::ClosedForm),
            ("q_pval", col(&|s| s.q_pval), Kind::ClosedForm),
            ("tau2", col(&|s| s.tau2), kind),
            ("i2", col(&|s| s.i2), kind),
            ("h2", col(&|s| s.h2), kind),
        ];
        for (q, actual, kd) in pairs {
            push_all(
                &mut out,
                &name,
                &format!("leave1out.{q}"),
                kd,
                &nums(&ex[q]),
                &actual,
            )?;
        }

        let full = crate::core::fit(&yi, &vi, &opts).map_err(|e| format!("{name}: {e}"))?;
        let inf = influence(&yi, &vi, &Design::intercept(k), &full)
            .map_err(|e| format!("{name}: {e}"))?;
        let ex = &c["influence"];
        let col = |f: &dyn Fn(&crate::core::StudyInfluence) -> f64| -> Vec<f64> {
            inf.iter().map(f).collect()
        };
        let pairs: [(&str, Vec<f64>); 9] = [
            ("rstudent", col(&|s| s.rstudent)),
            ("dffits", col(&|s| s.dffits)),
            ("cook_d", col(&|s| s.cook_d)),
            ("cov_r", col(&|s| s.cov_r)),
            ("tau2_del", col(&|s| s.tau2_del)),
            ("qe_del", col(&|s| s.qe_del)),
            ("hat", col(&|s| s.hat)),
            ("weight", col(&|s| s.weight)),
            ("dfbetas", col(&|s| s.dfbetas[0])),
        ];
        for (q, actual) in pairs {
            let kd = if q == "qe_del" {
                Kind::ClosedForm
            } else {
                kind
            };
            push_all(
                &mut out,
                &name,
                &format!("influence.{q}"),
                kd,
                &nums(&ex[q]),
                &actual,
            )?;
        }
        let flags: Vec<bool> = ex["influential"]
            .as_array()
            .ok_or("influential")?
            .iter()
            .map(|v| v.as_bool().unwrap_or(false))
            .collect();
        let ours: Vec<bool> = inf.iter().map(|s| s.influential).collect();
        if flags != ours {
            return Err(format!(
                "{name}: influential flags differ: metafor {flags:?}, rema {ours:?}"
            ));
        }

        let ex = &c["cumulative"];
        let order: Vec<usize> = nums(&ex["order"]).iter().map(|&o| o as usize).collect();
        let cum = cumulative(&yi, &vi, &order, &opts).map_err(|e| format!("{name}: {e}"))?;
        let col = |f: &dyn Fn(&crate::core::PooledSummary) -> f64| -> Vec<f64> {
            cum.iter()
                .map(|r| r.fit.as_ref().map(f).unwrap_or(f64::NAN))
                .collect()
        };
        let pairs: [(&str, Vec<f64>, Kind); 10] = [
            ("estimate", col(&|s| s.estimate), kind),
            ("se", col(&|s| s.se), kind),
            ("pval", col(&|s| s.pval), kind),
            ("ci_lower", col(&|s| s.ci_lower), kind),
            ("ci_upper", col(&|s| s.ci_upper), kind),
            ("q", col(&|s| s.q), Kind::ClosedForm),
            ("q_pval", col(&|s| s.q_pval), Kind::ClosedForm),
            ("tau2", col(&|s| s.tau2), kind),
            ("i2", col(&|s| s.i2), kind),
            ("h2", col(&|s| s.h2), kind),
        ];
        for (q, actual, kd) in pairs {
            push_all(
                &mut out,
                &name,
                &format!("cumul.{q}"),
                kd,
                &nums(&ex[q]),
                &actual,
            )?;
        }
    }
    Ok(out)
}

/// regtest(), ranktest() and trimfill() on every case of bias.json.
pub fn run_bias(root: &Path) -> Result<Vec<Comparison>, String> {
    let g = load(root, "bias.json")?;
    let mut out = Vec::new();
    for c in g["cases"].as_array().ok_or("no cases")? {
        let (name, opts, kind) = options(c)?;
        let yi = nums(&c["yi"]);
        let vi = nums(&c["vi"]);

        let eg = egger(&yi, &vi, &opts).map_err(|e| format!("{name}: {e}"))?;
        let ex = &c["egger"];
        for (q, a) in [
            ("stat", eg.stat),
            ("pval", eg.pval),
            ("limit_estimate", eg.limit.estimate),
            ("limit_ci_lower", eg.limit.ci_lower),
            ("limit_ci_upper", eg.limit.ci_upper),
        ] {
            if let Some(e) = ex[q].as_f64() {
                push(&mut out, &name, &format!("egger.{q}"), kind, e, a);
            }
        }
        if let Some(df) = ex["df"].as_f64() {
            push(
                &mut out,
                &name,
                "egger.df",
                Kind::ClosedForm,
                df,
                eg.df.unwrap_or(f64::NAN),
            );
        }

        let rk = rank_correlation(&yi, &vi).map_err(|e| format!("{name}: {e}"))?;
        let ex = &c["begg"];
        push(
            &mut out,
            &name,
            "begg.tau",
            Kind::ClosedForm,
            ex["tau"].as_f64().ok_or("tau")?,
            rk.tau,
        );
        push(
            &mut out,
            &name,
            "begg.pval",
            Kind::ClosedForm,
            ex["pval"].as_f64().ok_or("pval")?,
            rk.pval,
        );
        if ex["exact"].as_bool() != Some(rk.exact) {
            return Err(format!("{name}: begg exact flag differs"));
        }

        let tf = trim_and_fill(&yi, &vi, &opts, None).map_err(|e| format!("{name}: {e}"))?;
        let ex = &c["trimfill"];
        if ex["k0"].as_u64() != Some(tf.k0 as u64) || ex["side"].as_str() != Some(tf.side.name()) {
            return Err(format!(
                "{name}: trimfill k0/side: metafor {}/{}, rema {}/{}",
                ex["k0"], ex["side"], tf.k0, tf.side
            ));
        }
        let e = tf.fit.estimate();
        for (q, a) in [
            ("se_k0", tf.se_k0),
            ("estimate", e.estimate),
            ("se", e.se),
            ("stat", e.stat),
            ("pval", e.pval),
            ("ci_lower", e.ci_lower),
            ("ci_upper", e.ci_upper),
            ("tau2", tf.fit.tau2),
            ("q", tf.fit.q),
            ("i2", tf.fit.i2),
        ] {
            if let Some(x) = ex[q].as_f64() {
                push(&mut out, &name, &format!("trimfill.{q}"), kind, x, a);
            }
        }
        let fy: Vec<f64> = tf.filled.iter().map(|f| f.yi).collect();
        let fv: Vec<f64> = tf.filled.iter().map(|f| f.vi).collect();
        push_all(
            &mut out,
            &name,
            "trimfill.filled_yi",
            kind,
            &nums(&ex["filled_yi"]),
            &fy,
        )?;
        push_all(
            &mut out,
            &name,
            "trimfill.filled_vi",
            Kind::ClosedForm,
            &nums(&ex["filled_vi"]),
            &fv,
        )?;
    }
    Ok(out)
}

/// rma.glmm(measure = "PLO") on every case of glmm.json. A case where
/// metafor failed must fail in rema too.
pub fn run_glmm(root: &Path) -> Result<Vec<Comparison>, String> {
    let g = load(root, "glmm.json")?;
    let mut out = Vec::new();
    for c in g["cases"].as_array().ok_or("no cases")? {
        let name = c["id"].as_str().ok_or("id")?.to_string();
        let xi = nums(&c["xi"]);
        let ni = nums(&c["ni"]);
        // escalc(measure = "PLO") variances with 1/2 added to studies with 0 or ni events.
        let vi: Vec<f64> = xi
            .iter()
            .zip(&ni)
            .map(|(&x, &n)| {
                let a = if x == 0.0 || x == n { 0.5 } else { 0.0 };
                1.0 / (x + a) + 1.0 / (n - x + a)
            })
            .collect();
        let opts = GlmmOptions {
            level: c["level"].as_f64().unwrap_or(95.0),
            ..GlmmOptions::default()
        };
        let res = glmm_plo(&xi, &ni, &vi, &opts);
        let Some(ex) = c.get("expected") else {
            if let Ok(f) = res {
                return Err(format!(
                    "{name}: metafor failed ({}) but rema fitted mu = {}",
                    c["error"], f.estimate.estimate
                ));
            }
            continue;
        };
        let f = res.map_err(|e| format!("{name}: {e}"))?;
        let it = Kind::Iterative;
        // lme4 finds the conditional modes to its PIRLS tolerance, so its
        // deviance carries noise of about 1e-6 and its finite-difference
        // Hessian (the SE) about 1e-5 to 1e-4 relative error; rema's likelihood
        // is smooth. The p-value turns a relative error e of the SE into about
        // z^2 e, so the test statistic z is compared, not the p-value. An
        // estimate that is 0 up to optimiser noise (two symmetric studies:
        // metafor -1e-8) is compared in SE units, as 1 + estimate/se.
        let (ex_est, ex_se) = (
            ex["estimate"].as_f64().ok_or("estimate")?,
            ex["se"].as_f64().ok_or("se")?,
        );
        if ex_est.abs() < 1e-4 * ex_se {
            push(
                &mut out,
                &name,
                "1 + estimate/se",
                it,
                1.0 + ex_est / ex_se,
                1.0 + f.estimate.estimate / f.estimate.se,
            );
        } else {
            push(&mut out, &name, "estimate", it, ex_est, f.estimate.estimate);
            push(
                &mut out,
                &name,
                "stat",
                it,
                ex["stat"].as_f64().ok_or("stat")?,
                f.estimate.stat,
            );
        }
        for (q, a, kd) in [
            ("se", f.estimate.se, it),
            ("tau2", f.tau2, it),
            ("i2", f.i2, it),
            ("h2", f.h2, it),
            ("qe_lrt", f.qe_lrt.unwrap_or(f64::NAN), Kind::ClosedForm),
            (
                "qe_lrt_pval",
                f.qe_lrt_pval.unwrap_or(f64::NAN),
                Kind::ClosedForm,
            ),
        ] {
            if let Some(x) = ex[q].as_f64() {
                push(&mut out, &name, q, kd, x, a);
            }
        }
        // The quadrature against R's integrate() at metafor's estimates, with 100
        // points: with zero counts and tau^2 = 9 the integrand is far from
        // Gaussian and the rule converges slowly (7 points: 2e-3 off, 40: 1e-5,
        // 100: 7e-8). The 7-point value is the reported loglik, as lme4 maximises.
        let (mu, t2) = (
            ex["estimate"].as_f64().ok_or("estimate")?,
            ex["tau2"].as_f64().ok_or("tau2")?,
        );
        push(
            &mut out,
            &name,
            "loglik_marginal (100-point AGQ at metafor's estimates)",
            Kind::ClosedForm,
            ex["loglik_marginal"].as_f64().ok_or("loglik_marginal")?,
            glmm_loglik(&xi, &ni, mu, t2, 100),
        );
        push(
            &mut out,
            &name,
            "loglik (7-point AGQ at metafor's estimates)",
            it,
            glmm_loglik(&xi, &ni, mu, t2, 7),
            f.loglik,
        );
        // The interval through its half-widths: a bound near 0 (e.g. -0.149 from
        // -6.81 + 1.96 * 3.40) would turn the optimiser's last digits into a
        // large relative error.
        let est = ex["estimate"].as_f64().ok_or("estimate")?;
        for (q, a) in [
            ("ci_lower", f.estimate.ci_lower),
            ("ci_upper", f.estimate.ci_upper),
        ] {
            let x = ex[q].as_f64().ok_or(q)?;
            push(
                &mut out,
                &name,
                &format!("{q} - estimate"),
                it,
                x - est,
                a - f.estimate.estimate,
            );
        }
        // metafor's Wald statistic comes from glm() fits that do not converge
        // when a study has 0 or ni events; where the exact value is 0 metafor
        // has ~3e-7, so the statistic is compared where it is not ~0 and its
        // p-value always.
        let wald = ex["qe_wald"].as_f64().ok_or("qe_wald")?;
        if wald > 1e-4 {
            push(
                &mut out,
                &name,
                "qe_wald",
                Kind::Iterative,
                wald,
                f.qe_wald.unwrap_or(f64::NAN),
            );
        }
        push(
            &mut out,
            &name,
            "qe_wald_pval",
            Kind::Iterative,
            ex["qe_wald_pval"].as_f64().ok_or("qe_wald_pval")?,
            f.qe_wald_pval.unwrap_or(f64::NAN),
        );
    }
    Ok(out)
}
