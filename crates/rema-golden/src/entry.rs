//! The entry points a case can run, each turning the case into one JSON
//! document for the runner to index by pointer.
//!
//! The pipeline entries (`analyze`, `bias`, `plan`) build the spec from the
//! case's JSON with serde and serialise rema-data's result, exactly as the CLI
//! and the server do. The core entries (`fit`, `trim_and_fill`,
//! `glmm_loglik`, `conversion`) are small adapters for the few reference
//! quantities that no result document carries; `compare` analyses two specs
//! on one table and serialises their `ModelComparison`.

use std::path::Path;

use rema_core::convert::{ci, hozo2005, luo2018, paired, se, walter_yao2007, wan2014};
use rema_core::{FitOptions, Method, Test};
use rema_data::{AnalysisSpec, Table};
use serde_json::{json, Value};

use crate::case::{Case, Entry};

/// Runs `case` through `entry`. `Err` is rema's refusal (or a malformed case),
/// as text.
pub fn document(root: &Path, entry: Entry, case: &Case) -> Result<Value, String> {
    match entry {
        Entry::Analyze => {
            let (table, spec) = table_and_spec(root, case)?;
            let r = rema_data::analyze(&table, &spec, "golden").map_err(|e| e.to_string())?;
            to_value(&r)
        }
        Entry::Bias => {
            // The case's spec holds the analysis spec and the bias options.
            let mut analysis = case.spec.clone();
            let mut options = serde_json::Map::new();
            if let Some(obj) = analysis.as_object_mut() {
                for key in rema_data::bias::BIAS_OPTION_FIELDS {
                    if let Some(v) = obj.remove(*key).filter(|v| !v.is_null()) {
                        options.insert(key.to_string(), v);
                    }
                }
            }
            let opts: rema_data::BiasOptions = serde_json::from_value(Value::Object(options))
                .map_err(|e| format!("bias options: {e}"))?;
            let case = Case {
                spec: analysis,
                ..case.clone()
            };
            let (table, spec) = table_and_spec(root, &case)?;
            let r =
                rema_data::bias_with(&table, &spec, &opts, "golden").map_err(|e| e.to_string())?;
            to_value(&r)
        }
        Entry::Plan => {
            let plan = case.plan.as_deref().ok_or("entry `plan` needs `plan`")?;
            let out = rema_data::run_plan(&root.join(plan)).map_err(|e| e.to_string())?;
            to_value(&out.results)
        }
        Entry::Fit => {
            let (yi, vi, opts) = fit_input(&case.input)?;
            let f = rema_core::fit(&yi, &vi, &opts).map_err(|e| e.to_string())?;
            Ok(json!({"qm": f.qm, "qm_pval": f.qm_pval}))
        }
        Entry::TrimAndFill => {
            let (yi, vi, opts) = fit_input(&case.input)?;
            let tf = rema_core::trim_and_fill(&yi, &vi, &opts, None).map_err(|e| e.to_string())?;
            Ok(json!({"stat": tf.fit.estimate().stat}))
        }
        Entry::GlmmLoglik => {
            let x = &case.input;
            let points = x["points"].as_u64().ok_or("input.points")? as usize;
            let ll = rema_core::glmm_loglik(
                &numbers(&x["xi"])?,
                &numbers(&x["ni"])?,
                number(x, "mu")?,
                number(x, "tau2")?,
                points,
            );
            Ok(json!({ "loglik": ll }))
        }
        Entry::Conversion => conversion(&case.input).map(|v| json!({ "value": v })),
        Entry::Compare => {
            let (table, spec) = table_and_spec(root, case)?;
            let other = Case {
                spec: case.input["other"].clone(),
                ..case.clone()
            };
            let (_, other) = table_and_spec(root, &other)?;
            let a = rema_data::analyze(&table, &spec, "golden").map_err(|e| e.to_string())?;
            let b = rema_data::analyze(&table, &other, "golden").map_err(|e| e.to_string())?;
            let c = rema_data::compare(&a, "spec", &b, "input.other").map_err(|e| e.to_string())?;
            to_value(&c)
        }
        Entry::Supsmu => {
            let x = &case.input;
            // R's supsmu orders the points by x, then y.
            let mut pts: Vec<(f64, f64)> = numbers(&x["x"])?
                .into_iter()
                .zip(numbers(&x["y"])?)
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let (xs, ys): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
            let s = rema_core::supsmu::supsmu(&xs, &ys, number(x, "bass")?)
                .map_err(|e| e.to_string())?;
            // R returns the smooth once per distinct x.
            let smooth: Vec<f64> = s
                .iter()
                .enumerate()
                .filter(|(i, _)| *i == 0 || xs[*i] != xs[*i - 1])
                .map(|(_, v)| *v)
                .collect();
            Ok(json!({ "smooth": smooth }))
        }
        Entry::QqEnvelope => qq_envelope(&case.input),
    }
}

/// The [`Entry::QqEnvelope`] document.
fn qq_envelope(x: &Value) -> Result<Value, String> {
    use rema_core::resample::qq_envelope::{qq_envelope, QqEnvelopeOptions};
    let weights = numbers(&x["weights"])?;
    let flag = |key: &str| x[key].as_bool().ok_or(format!("input.{key}"));
    let seeds = x["seeds"].as_u64().ok_or("input.seeds")?;
    let mut runs = Vec::new();
    for seed in 1..=seeds {
        let opts = QqEnvelopeOptions {
            level: number(x, "level")?,
            reps: x["reps"].as_u64().ok_or("input.reps")? as usize,
            bonferroni: flag("bonferroni")?,
            smooth: flag("smooth")?,
            bass: number(x, "bass")?,
            seed,
        };
        runs.push(qq_envelope(&weights, &opts).map_err(|e| e.to_string())?);
    }
    let n = runs.len() as f64;
    let summary = |pick: &dyn Fn(&rema_core::resample::qq_envelope::QqEnvelope) -> &Vec<f64>| {
        let k = weights.len();
        let mut mean = vec![0.0; k];
        let mut mcse = vec![0.0; k];
        for i in 0..k {
            let v: Vec<f64> = runs.iter().map(|r| pick(r)[i]).collect();
            let m = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
            mean[i] = m;
            mcse[i] = (var / n).sqrt();
        }
        (mean, mcse)
    };
    let (lower, lower_mcse) = summary(&|r| &r.lower);
    let (upper, upper_mcse) = summary(&|r| &r.upper);
    Ok(json!({"lower": lower, "upper": upper, "lower_mcse": lower_mcse, "upper_mcse": upper_mcse}))
}

/// The boolean spec fields that default to true, whose CLI flags take a value.
const DEFAULT_TRUE: &[&str] = &["smd_correct", "selmodel_scaleprec"];

/// The command-line flags of `rema analyze` (and `rema bias`) for a case's
/// JSON spec: each key as `--kebab-case`, `true` as a bare flag, `false` and
/// null omitted (`false` of a field on by default, `smd_correct`, given as
/// `--smd-correct false`), a list comma-joined. The CLI's end-to-end tests run the
/// golden cases through the binary with these.
///
/// ```
/// let spec = serde_json::json!({"measure": "RR", "method": "REML", "tau2_ci": true,
///                               "mods": ["ablat", "year"], "level": 95.0, "influence": false});
/// assert_eq!(rema_golden::entry::cli_args(&spec).join(" "),
///            "--level 95 --measure RR --method REML --mods ablat,year --tau2-ci");
/// ```
pub fn cli_args(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(obj) = spec.as_object() else {
        return out;
    };
    for (key, v) in obj {
        let flag = format!("--{}", key.replace('_', "-"));
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
                _ => n.to_string(),
            },
            other => other.to_string(),
        };
        match v {
            // A flag that is on by default takes its value (`--smd-correct false`).
            Value::Bool(false) if DEFAULT_TRUE.contains(&key.as_str()) => {
                out.push(flag);
                out.push("false".to_string());
            }
            Value::Null | Value::Bool(false) => {}
            Value::Bool(true) => out.push(flag),
            Value::Array(a) => {
                out.push(flag);
                out.push(a.iter().map(text).collect::<Vec<_>>().join(","));
            }
            other => {
                out.push(flag);
                out.push(text(other));
            }
        }
    }
    out
}

fn to_value<T: serde::Serialize>(r: &T) -> Result<Value, String> {
    serde_json::to_value(r).map_err(|e| format!("serialising the result: {e}"))
}

/// The case's table (CSV file or inline rows) and its spec, through serde.
/// A null option in the spec is an option not set (R writes an absent value
/// as null).
fn table_and_spec(root: &Path, case: &Case) -> Result<(Table, AnalysisSpec), String> {
    let mut spec = case.spec.clone();
    if let Some(obj) = spec.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    let spec: AnalysisSpec = serde_json::from_value(spec).map_err(|e| format!("spec: {e}"))?;
    let table = match (&case.csv, &case.rows) {
        (Some(csv), None) => Table::read_path(&root.join(csv)).map_err(|e| e.to_string())?,
        (None, Some(rows)) => {
            Table::from_str(&rows_to_csv(rows)?, &case.id).map_err(|e| e.to_string())?
        }
        _ => return Err("a case needs exactly one of `csv` and `rows`".to_string()),
    };
    Ok((table, spec))
}

/// Inline rows as CSV text: a column for every key of any row (in name
/// order; rema reads columns by name), blank where a row has none.
fn rows_to_csv(rows: &[serde_json::Map<String, Value>]) -> Result<String, String> {
    if rows.is_empty() {
        return Err("`rows` is empty".to_string());
    }
    let cols: Vec<&String> = rows
        .iter()
        .flat_map(|r| r.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let cell = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => format!("\"{}\"", s.replace('"', "\"\"")),
        Some(v) => v.to_string(),
    };
    let mut out = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for r in rows {
        let line: Vec<String> = cols.iter().map(|c| cell(r.get(c.as_str()))).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok(out)
}

fn number(x: &Value, key: &str) -> Result<f64, String> {
    x[key]
        .as_f64()
        .ok_or_else(|| format!("input.{key}: not a number"))
}

/// An array of numbers; a lone number is an array of one (R writes a
/// length-1 vector as a scalar).
fn numbers(x: &Value) -> Result<Vec<f64>, String> {
    if let Some(v) = x.as_f64() {
        return Ok(vec![v]);
    }
    x.as_array()
        .ok_or_else(|| format!("{x}: not an array of numbers"))?
        .iter()
        .map(|v| v.as_f64().ok_or_else(|| format!("{v}: not a number")))
        .collect()
}

fn fit_input(x: &Value) -> Result<(Vec<f64>, Vec<f64>, FitOptions), String> {
    let method: Method = x["method"].as_str().ok_or("input.method")?.parse()?;
    let test: Test = x["test"].as_str().ok_or("input.test")?.parse()?;
    let opts = FitOptions {
        method,
        test,
        level: x["level"].as_f64().unwrap_or(95.0),
        ..FitOptions::default()
    };
    Ok((numbers(&x["yi"])?, numbers(&x["vi"])?, opts))
}

/// The conversions of `rema_core::convert`, by the name the R script uses.
fn conversion(x: &Value) -> Result<f64, String> {
    let f = x["function"].as_str().ok_or("input.function")?;
    let a = &x["args"];
    let g = |k: &str| {
        a[k].as_f64()
            .ok_or_else(|| format!("{f}: argument {k} missing"))
    };
    let r = match f {
        "sd_from_se" => se::sd_from_se(g("se")?, g("n")?),
        "sd_from_ci" => {
            ci::sd_from_ci(g("lower")?, g("upper")?, g("n")?, g("level")?).map(|c| c.sd)
        }
        "mean_from_ci" => ci::mean_from_ci(g("lower")?, g("upper")?),
        "luo2018_mean_range" => {
            luo2018::mean_from_range(g("min")?, g("median")?, g("max")?, g("n")?)
        }
        "luo2018_mean_quartiles" => {
            luo2018::mean_from_quartiles(g("q1")?, g("median")?, g("q3")?, g("n")?)
        }
        "luo2018_mean_five" => luo2018::mean_from_five(
            g("min")?,
            g("q1")?,
            g("median")?,
            g("q3")?,
            g("max")?,
            g("n")?,
        ),
        "wan2014_sd_range" => wan2014::sd_from_range(g("min")?, g("max")?, g("n")?),
        "wan2014_sd_quartiles" => wan2014::sd_from_quartiles(g("q1")?, g("q3")?, g("n")?),
        "wan2014_sd_five" => {
            wan2014::sd_from_five(g("min")?, g("q1")?, g("q3")?, g("max")?, g("n")?)
        }
        "hozo2005_mean" => hozo2005::mean(g("min")?, g("median")?, g("max")?, g("n")?),
        "hozo2005_sd" => hozo2005::sd(g("min")?, g("median")?, g("max")?, g("n")?),
        "walter_yao2007_sd_range" => walter_yao2007::sd_from_range(g("min")?, g("max")?, g("n")?),
        "expected_range" => Ok(walter_yao2007::expected_range(g("n")?)),
        "sd_change_from_p" => paired::sd_change_from_p(g("mean_change")?, g("p")?, g("n")?),
        "sd_change_from_t" => paired::sd_change_from_t(g("mean_change")?, g("t")?, g("n")?),
        "sd_from_two_group_p" => paired::sd_from_two_group_p(g("md")?, g("p")?, g("n1")?, g("n2")?),
        "implied_correlation" => {
            paired::implied_correlation(g("sd_pre")?, g("sd_post")?, g("sd_change")?)
        }
        other => return Err(format!("unknown conversion `{other}`")),
    };
    r.map_err(|e| format!("{f}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_rows_become_a_table_with_every_column() {
        let rows: Vec<serde_json::Map<String, Value>> = serde_json::from_str(
            r#"[{"study": "A \"x\"", "yi": 0.1, "vi": 0.02}, {"study": "B", "yi": -0.3, "vi": null, "x": 2}]"#,
        )
        .unwrap();
        let t = Table::from_str(&rows_to_csv(&rows).unwrap(), "t").unwrap();
        assert_eq!(t.headers, ["study", "vi", "x", "yi"]);
        assert_eq!(t.rows[0].cells, ["A \"x\"", "0.02", "", "0.1"]);
        assert_eq!(t.rows[1].cells, ["B", "", "2", "-0.3"]);
    }

    #[test]
    fn an_unknown_conversion_is_an_error_not_a_value() {
        let e = conversion(&json!({"function": "sd_from_magic", "args": {}})).unwrap_err();
        assert!(e.contains("sd_from_magic"), "{e}");
    }
}
