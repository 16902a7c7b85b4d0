//! Filling in means, SDs and pre/post correlations from what studies reported.
//!
//! Before the studies of a continuous or pre/post measure are read, each row
//! whose mean or SD cell is blank (or whose column is absent) gets an estimate
//! from the row's other summaries, with rema-core's [`rema_core::convert`]:
//!
//! | reported (arm 1; `2i`, `_pre`, `_post` alike) | mean | SD |
//! |---|---|---|
//! | `se1i` | | SD = SE·√n |
//! | `lower1i, upper1i` (a 95% CI) | midpoint | Cochrane 6.5.2.2 |
//! | `median1i, q1_1i, q3_1i` | Luo 2018 | Wan 2014 |
//! | `median1i, q1_1i, q3_1i, min1i, max1i` | Luo 2018 | Wan 2014 |
//! | `median1i, min1i, max1i` | Luo 2018 (or Hozo 2005) | Wan 2014 (or Hozo 2005, Walter & Yao 2007) |
//! | `min1i, max1i` | | Wan 2014 (or Walter & Yao 2007) |
//!
//! For pre/post measures a blank or absent `ri` comes from `p_change` or
//! `t_change` (the p-value or t of the paired test: SD of the change, then the
//! implied correlation, Cochrane 6.5.2.8), or else is the assumed correlation
//! of the analysis (default 0.5). Every value filled in is a [`Conversion`]
//! in the result and a note.

use rema_core::convert::{
    ci, hozo2005, luo2018, paired, se, walter_yao2007, wan2014, ConvertError, MeanMethod,
    SdRangeMethod,
};
use rema_core::{DataKind, Measure};
use serde::{Deserialize, Serialize};

use crate::columns::{parse_number, LABEL_COLUMNS};
use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// The default assumed pre/post correlation when none is reported.
pub const DEFAULT_ASSUMED_R: f64 = 0.5;

/// How missing means, SDs and correlations are estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConversionOptions {
    /// The pre/post correlation used when a study reports none.
    pub assumed_r: f64,
    pub mean_method: MeanMethod,
    pub sd_range_method: SdRangeMethod,
}

impl Default for ConversionOptions {
    fn default() -> Self {
        ConversionOptions {
            assumed_r: DEFAULT_ASSUMED_R,
            mean_method: MeanMethod::default(),
            sd_range_method: SdRangeMethod::default(),
        }
    }
}

/// One value that rema estimated for one study (docs/SCHEMA.md, `conversions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversion {
    pub study: String,
    pub line: Option<u64>,
    /// The column filled in, e.g. `sd1i`, `m_pre`, `ri`.
    pub column: String,
    pub value: f64,
    /// The reported columns it was estimated from, e.g. `median1i, q1_1i, q3_1i, n1i`.
    pub from: String,
    /// The method, e.g. `Wan et al. 2014 (quartiles)`, or `assumed` for `ri`.
    pub method: String,
}

/// A table with the estimated cells filled in, and what was done.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub table: Table,
    pub conversions: Vec<Conversion>,
    pub notes: Vec<String>,
}

/// Columns that hold reported summaries to convert (any arm).
pub fn conversion_columns() -> Vec<String> {
    let mut v = Vec::new();
    for s in ["1i", "2i", "_pre", "_post"] {
        let a = Arm::new(s, "");
        v.extend([a.se, a.lower, a.upper, a.median, a.q1, a.q3, a.min, a.max]);
    }
    v.extend(["p_change".to_string(), "t_change".to_string()]);
    v
}

struct Arm {
    m: String,
    sd: String,
    n: String,
    se: String,
    lower: String,
    upper: String,
    median: String,
    q1: String,
    q3: String,
    min: String,
    max: String,
}

impl Arm {
    /// `suffix` is `1i`, `2i`, `_pre` or `_post`; `n` the sample-size column.
    fn new(suffix: &str, n: &str) -> Arm {
        let q = if suffix.starts_with('_') {
            suffix.to_string()
        } else {
            format!("_{suffix}")
        };
        Arm {
            m: format!("m{suffix}"),
            sd: format!("sd{suffix}"),
            n: n.to_string(),
            se: format!("se{suffix}"),
            lower: format!("lower{suffix}"),
            upper: format!("upper{suffix}"),
            median: format!("median{suffix}"),
            q1: format!("q1{q}"),
            q3: format!("q3{q}"),
            min: format!("min{suffix}"),
            max: format!("max{suffix}"),
        }
    }
}

/// Fills in the means, SDs and correlations of `table` for `measure`.
pub fn apply(table: &Table, measure: Measure, opts: &ConversionOptions) -> Result<Converted> {
    let conv_cols = conversion_columns();
    let present: Vec<&String> = table
        .headers
        .iter()
        .filter(|h| conv_cols.contains(h))
        .collect();
    let kind = measure.data_kind();
    let arms: Vec<Arm> = match kind {
        DataKind::TwoGroupContinuous => vec![Arm::new("1i", "n1i"), Arm::new("2i", "n2i")],
        DataKind::PrePost => {
            if table.column("m1i").is_some() && table.column("m_pre").is_none() {
                vec![Arm::new("1i", "ni"), Arm::new("2i", "ni")]
            } else {
                vec![Arm::new("_pre", "ni"), Arm::new("_post", "ni")]
            }
        }
        _ => {
            if let Some(c) = present.first() {
                return Err(DataError::UnknownColumn {
                    file: table.source.clone(),
                    column: c.to_string(),
                    measure: measure.name().to_string(),
                    expected: "its own; conversion columns such as se1i, median1i, min1i are for the measures of means and SDs (MD, SMD, SMDH, SMD1, ROM, CVR, VR, MC, SMCC, SMCR) only".to_string(),
                });
            }
            return Ok(Converted {
                table: table.clone(),
                conversions: Vec::new(),
                notes: Vec::new(),
            });
        }
    };
    // Conversion columns of the wrong arm naming (e.g. `se_pre` for MD) are mistakes.
    let arm_cols: Vec<String> = arms
        .iter()
        .flat_map(|a| {
            [
                a.se.clone(),
                a.lower.clone(),
                a.upper.clone(),
                a.median.clone(),
                a.q1.clone(),
                a.q3.clone(),
                a.min.clone(),
                a.max.clone(),
            ]
        })
        .chain(
            (kind == DataKind::PrePost)
                .then(|| ["p_change".to_string(), "t_change".to_string()])
                .into_iter()
                .flatten(),
        )
        .collect();
    if let Some(c) = present.iter().find(|c| !arm_cols.contains(c)) {
        return Err(DataError::UnknownColumn {
            file: table.source.clone(),
            column: c.to_string(),
            measure: measure.name().to_string(),
            expected: format!(
                "conversion columns for {}: {}",
                measure.name(),
                arm_cols.join(", ")
            ),
        });
    }

    let mut out = table.clone();
    let mut conversions = Vec::new();
    let label_col = LABEL_COLUMNS.iter().find_map(|c| table.column(c));
    for r in 0..table.rows.len() {
        let line = table.rows[r].line;
        let label = match label_col {
            Some(c) if !table.rows[r].cells[c].trim().is_empty() => {
                table.rows[r].cells[c].trim().to_string()
            }
            _ => format!("Study {}", r + 1),
        };
        let mut cx = RowCtx {
            table: &mut out,
            r,
            line,
            label: &label,
            conversions: &mut conversions,
        };
        for arm in &arms {
            cx.arm(arm, opts)?;
        }
        if kind == DataKind::PrePost {
            cx.correlation(&arms, opts)?;
        }
    }
    let notes = conversions
        .iter()
        .map(|c| {
            if c.method == "assumed" {
                format!(
                    "study `{}`: {} = {} assumed (no correlation or paired test reported; set `ri` per analysis)",
                    c.study,
                    c.column,
                    fmt_num(c.value)
                )
            } else {
                format!(
                    "study `{}`: {} = {} estimated from {} ({})",
                    c.study,
                    c.column,
                    fmt_num(c.value),
                    c.from,
                    c.method
                )
            }
        })
        .collect();
    Ok(Converted {
        table: out,
        conversions,
        notes,
    })
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

struct RowCtx<'a> {
    table: &'a mut Table,
    r: usize,
    line: u64,
    label: &'a str,
    conversions: &'a mut Vec<Conversion>,
}

impl RowCtx<'_> {
    fn at(&self, column: &str) -> Location {
        Location {
            file: Some(self.table.source.clone()),
            line: Some(self.line),
            column: Some(column.to_string()),
            study: Some(self.label.to_string()),
        }
    }

    /// The number in `column`, or None when the column is absent or blank.
    fn get(&self, column: &str) -> Result<Option<f64>> {
        let Some(c) = self.table.column(column) else {
            return Ok(None);
        };
        parse_number(
            &self.table.rows[self.r].cells[c],
            self.table.decimal_comma,
            || self.at(column),
        )
    }

    fn set(&mut self, column: &str, value: f64, from: &[&str], method: &str) {
        let c = match self.table.column(column) {
            Some(c) => c,
            None => {
                self.table.headers.push(column.to_string());
                for row in &mut self.table.rows {
                    row.cells.push(String::new());
                }
                self.table.headers.len() - 1
            }
        };
        // Written with a decimal point: parse_number reads it back in any locale.
        self.table.rows[self.r].cells[c] = format!("{value:e}");
        self.conversions.push(Conversion {
            study: self.label.to_string(),
            line: Some(self.line),
            column: column.to_string(),
            value,
            from: from.join(", "),
            method: method.to_string(),
        });
    }

    fn fail(&self, column: &str, from: &[&str], e: ConvertError) -> DataError {
        DataError::Conversion {
            at: self.at(column),
            from: if from.is_empty() {
                "the reported summaries".to_string()
            } else {
                from.join(", ")
            },
            source: e,
        }
    }

    fn arm(&mut self, a: &Arm, opts: &ConversionOptions) -> Result<()> {
        let mean_blank = self.get(&a.m)?.is_none();
        let sd_blank = self.get(&a.sd)?.is_none();
        if !mean_blank && !sd_blank {
            return Ok(());
        }
        let se = self.get(&a.se)?;
        let (lower, upper) = (self.get(&a.lower)?, self.get(&a.upper)?);
        let median = self.get(&a.median)?;
        let (q1, q3) = (self.get(&a.q1)?, self.get(&a.q3)?);
        let (min, max) = (self.get(&a.min)?, self.get(&a.max)?);
        let anything = se.is_some()
            || lower.is_some()
            || upper.is_some()
            || median.is_some()
            || q1.is_some()
            || q3.is_some()
            || min.is_some()
            || max.is_some();
        if !anything {
            // Nothing to convert: read_studies reports the missing value.
            return Ok(());
        }
        let Some(n) = self.get(&a.n)? else {
            return Err(DataError::Missing { at: self.at(&a.n) });
        };
        let n_col = a.n.as_str();
        if mean_blank {
            let (m, from, method): (std::result::Result<f64, ConvertError>, Vec<&str>, &str) =
                match (median, q1, q3, min, max, lower, upper) {
                    (Some(md), Some(q1), Some(q3), Some(mn), Some(mx), _, _) => (
                        luo2018::mean_from_five(mn, q1, md, q3, mx, n),
                        vec![&a.min, &a.q1, &a.median, &a.q3, &a.max, n_col],
                        "Luo et al. 2018 (five numbers)",
                    ),
                    (Some(md), Some(q1), Some(q3), _, _, _, _) => (
                        luo2018::mean_from_quartiles(q1, md, q3, n),
                        vec![&a.median, &a.q1, &a.q3, n_col],
                        "Luo et al. 2018 (quartiles)",
                    ),
                    (Some(md), _, _, Some(mn), Some(mx), _, _) => match opts.mean_method {
                        MeanMethod::Luo2018 => (
                            luo2018::mean_from_range(mn, md, mx, n),
                            vec![&a.median, &a.min, &a.max, n_col],
                            "Luo et al. 2018 (range)",
                        ),
                        MeanMethod::Hozo2005 => (
                            hozo2005::mean(mn, md, mx, n),
                            vec![&a.median, &a.min, &a.max, n_col],
                            "Hozo et al. 2005",
                        ),
                    },
                    (_, _, _, _, _, Some(lo), Some(up)) => (
                        ci::mean_from_ci(lo, up),
                        vec![&a.lower, &a.upper],
                        "midpoint of the CI",
                    ),
                    _ => (Err(no_mean()), vec![], ""),
                };
            match m {
                Ok(v) => self.set(&a.m.clone(), v, &from, method),
                Err(e) if from.is_empty() => return Err(self.fail(&a.m, &[], e)),
                Err(e) => return Err(self.fail(&a.m, &from, e)),
            }
        }
        if sd_blank {
            let (sd, from, method): (std::result::Result<f64, ConvertError>, Vec<&str>, String) =
                match (se, lower, upper, median, q1, q3, min, max) {
                    (Some(se), ..) => (
                        se::sd_from_se(se, n),
                        vec![&a.se, n_col],
                        "SD = SE * sqrt(n)".to_string(),
                    ),
                    (None, Some(lo), Some(up), ..) => match ci::sd_from_ci(lo, up, n, 95.0) {
                        Ok(c) => (
                            Ok(c.sd),
                            vec![&a.lower, &a.upper, n_col],
                            format!(
                                "Cochrane Handbook 6.5.2.2, 95% CI width / {:.4} ({} quantile)",
                                c.divisor,
                                if c.t_quantile { "t" } else { "normal" }
                            ),
                        ),
                        Err(e) => (Err(e), vec![&a.lower, &a.upper, n_col], String::new()),
                    },
                    (None, _, _, _, Some(q1), Some(q3), Some(mn), Some(mx)) => (
                        wan2014::sd_from_five(mn, q1, q3, mx, n),
                        vec![&a.min, &a.q1, &a.q3, &a.max, n_col],
                        "Wan et al. 2014 (five numbers)".to_string(),
                    ),
                    (None, _, _, _, Some(q1), Some(q3), _, _) => (
                        wan2014::sd_from_quartiles(q1, q3, n),
                        vec![&a.q1, &a.q3, n_col],
                        "Wan et al. 2014 (quartiles)".to_string(),
                    ),
                    (None, _, _, md, _, _, Some(mn), Some(mx)) => match (opts.sd_range_method, md)
                    {
                        (SdRangeMethod::Wan2014, _) => (
                            wan2014::sd_from_range(mn, mx, n),
                            vec![&a.min, &a.max, n_col],
                            "Wan et al. 2014 (range)".to_string(),
                        ),
                        (SdRangeMethod::WalterYao2007, _) => (
                            walter_yao2007::sd_from_range(mn, mx, n),
                            vec![&a.min, &a.max, n_col],
                            "Walter & Yao 2007".to_string(),
                        ),
                        (SdRangeMethod::Hozo2005, Some(md)) => (
                            hozo2005::sd(mn, md, mx, n),
                            vec![&a.median, &a.min, &a.max, n_col],
                            "Hozo et al. 2005".to_string(),
                        ),
                        (SdRangeMethod::Hozo2005, None) => (
                            Err(ConvertError::Inconsistent {
                                message: format!(
                                    "Hozo et al. 2005 needs the median `{}` with the range; use sd_method wan2014 or walter_yao2007 for a range alone",
                                    a.median
                                ),
                            }),
                            vec![&a.min, &a.max],
                            String::new(),
                        ),
                    },
                    _ => (Err(no_sd()), vec![], String::new()),
                };
            match sd {
                Ok(v) => self.set(&a.sd.clone(), v, &from, &method),
                Err(e) => return Err(self.fail(&a.sd, &from, e)),
            }
        }
        Ok(())
    }

    fn correlation(&mut self, arms: &[Arm], opts: &ConversionOptions) -> Result<()> {
        if self.get("ri")?.is_some() {
            return Ok(());
        }
        let p = self.get("p_change")?;
        let t = self.get("t_change")?;
        if p.is_none() && t.is_none() {
            self.set("ri", opts.assumed_r, &[], "assumed");
            return Ok(());
        }
        // arms[0] is pre (or m2i), arms[1] post (or m1i) in the `_pre` layout;
        // in metafor's layout m1i is post and m2i pre.
        let (pre, post) = if arms[0].m == "m1i" {
            (&arms[1], &arms[0])
        } else {
            (&arms[0], &arms[1])
        };
        let need = |cx: &Self, c: &str| -> Result<f64> {
            cx.get(c)?
                .ok_or_else(|| DataError::Missing { at: cx.at(c) })
        };
        let n = need(self, "ni")?;
        let change = need(self, &post.m)? - need(self, &pre.m)?;
        let (sd_pre, sd_post) = (need(self, &pre.sd)?, need(self, &post.sd)?);
        let (src, sdc) = match (t, p) {
            (Some(t), _) => ("t_change", paired::sd_change_from_t(change, t, n)),
            (None, Some(p)) => ("p_change", paired::sd_change_from_p(change, p, n)),
            (None, None) => unreachable!("checked above"),
        };
        let from = [src, post.m.as_str(), pre.m.as_str(), "ni"];
        let sdc = sdc.map_err(|e| self.fail(src, &from, e))?;
        let r = paired::implied_correlation(sd_pre, sd_post, sdc)
            .map_err(|e| self.fail(src, &[src, &pre.sd, &post.sd], e))?;
        self.set(
            "ri",
            r,
            &[src, &post.m, &pre.m, &pre.sd, &post.sd, "ni"],
            &format!(
                "SD of the change {} from the paired test (RevMan calculator), then r (Cochrane Handbook 6.5.2.8)",
                fmt_num(sdc)
            ),
        );
        Ok(())
    }
}

fn no_mean() -> ConvertError {
    ConvertError::Inconsistent {
        message: "the mean is blank and cannot be estimated: give the median with the quartiles or the range, or a CI".to_string(),
    }
}

fn no_sd() -> ConvertError {
    ConvertError::Inconsistent {
        message:
            "the SD is blank and cannot be estimated: give the SE, a CI, the quartiles or the range"
                .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, AnalysisSpec};

    fn run(text: &str, spec: &AnalysisSpec) -> crate::AnalysisResult {
        analyze(&Table::from_str(text, "x.csv").unwrap(), spec, "0").unwrap()
    }

    /// An MD analysis with SDs from SE, CI, quartiles and range equals the
    /// same analysis with those SDs and means written out.
    #[test]
    fn converted_columns_give_the_analysis_of_the_converted_values() {
        let spec = AnalysisSpec::new(rema_core::Measure::Md);
        let reported = "study,m1i,sd1i,n1i,m2i,sd2i,n2i,se1i,lower2i,upper2i,median1i,q1_1i,q3_1i,min2i,max2i\n\
            A,10,,20,8,,25,0.5,,,,,,1,15\n\
            B,,,30,9,,30,,8,10,9,7,12,,\n";
        let r = run(reported, &spec);
        let sd_a1 = 0.5 * 20f64.sqrt();
        let sd_a2 = rema_core::convert::wan2014::sd_from_range(1.0, 15.0, 25.0).unwrap();
        let m_b1 = rema_core::convert::luo2018::mean_from_quartiles(7.0, 9.0, 12.0, 30.0).unwrap();
        let sd_b1 = rema_core::convert::wan2014::sd_from_quartiles(7.0, 12.0, 30.0).unwrap();
        let sd_b2 = rema_core::convert::ci::sd_from_ci(8.0, 10.0, 30.0, 95.0)
            .unwrap()
            .sd;
        let plain = format!(
            "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,10,{sd_a1:e},20,8,{sd_a2:e},25\nB,{m_b1:e},{sd_b1:e},30,9,{sd_b2:e},30\n"
        );
        let p = run(&plain, &spec);
        assert_eq!(r.estimate, p.estimate);
        assert_eq!(r.se, p.se);
        let cols: Vec<(&str, &str)> = r
            .conversions
            .iter()
            .map(|c| (c.study.as_str(), c.column.as_str()))
            .collect();
        assert_eq!(
            cols,
            [
                ("A", "sd1i"),
                ("A", "sd2i"),
                ("B", "m1i"),
                ("B", "sd1i"),
                ("B", "sd2i")
            ]
        );
        assert_eq!(r.conversions[2].method, "Luo et al. 2018 (quartiles)");
        assert!(
            r.notes.iter().any(|n| n.contains("study `A`: sd2i")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn range_methods_are_selectable() {
        let text = "study,m1i,sd1i,n1i,m2i,sd2i,n2i,median1i,min1i,max1i\nA,,,10,8,2,10,5,1,12\nB,6,2,12,5,2,12,,,\n";
        let mut spec = AnalysisSpec::new(rema_core::Measure::Md);
        spec.mean_method = Some("hozo2005".parse().unwrap());
        spec.sd_method = Some("hozo2005".parse().unwrap());
        let r = run(text, &spec);
        assert_eq!(r.conversions[0].value, (1.0 + 10.0 + 12.0) / 4.0);
        assert_eq!(r.conversions[1].method, "Hozo et al. 2005");
        spec.sd_method = Some("walter_yao2007".parse().unwrap());
        let r = run(text, &spec);
        let want = 11.0 / rema_core::convert::walter_yao2007::expected_range(10.0);
        assert_eq!(r.conversions[1].value, want);
    }

    #[test]
    fn unknown_correlations_are_assumed_and_flagged_or_taken_from_the_paired_test() {
        let text =
            "study,m_pre,sd_pre,m_post,sd_post,ni,t_change\nA,7,2,4,2,20,5\nB,8,1.5,5,1.9,15,\n";
        let r = run(text, &AnalysisSpec::new(rema_core::Measure::Mc));
        // A: SD of the change = |4 - 7| / 5 * sqrt(20); r from the three SDs.
        let sdc = 3.0 / 5.0 * 20f64.sqrt();
        let want = (4.0 + 4.0 - sdc * sdc) / (2.0 * 2.0 * 2.0);
        assert!((r.conversions[0].value - want).abs() < 1e-12);
        assert!((r.studies[0].vi - sdc * sdc / 20.0).abs() < 1e-12);
        assert_eq!(r.conversions[1].value, 0.5);
        assert_eq!(r.conversions[1].method, "assumed");
        assert!(r.notes.iter().any(|n| n.contains("ri = 0.5 assumed")));
        let mut spec = AnalysisSpec::new(rema_core::Measure::Mc);
        spec.ri = Some(0.7);
        let r = run(text, &spec);
        assert_eq!(r.conversions[1].value, 0.7);
        // p of the paired test, and pre/post summaries as medians and ranges.
        let text2 = "study,m_pre,sd_pre,m_post,sd_post,ni,p_change,median_post,min_post,max_post,se_pre\nA,7,,,,20,0.0001,4,1,9,0.4\n";
        let r = run(text2, &AnalysisSpec::new(rema_core::Measure::Mc));
        let c = &r.conversions;
        let m_post = rema_core::convert::luo2018::mean_from_range(1.0, 4.0, 9.0, 20.0).unwrap();
        let sd_post = rema_core::convert::wan2014::sd_from_range(1.0, 9.0, 20.0).unwrap();
        let sd_pre = 0.4 * 20f64.sqrt();
        let sdc = rema_core::convert::paired::sd_change_from_p(m_post - 7.0, 0.0001, 20.0).unwrap();
        assert_eq!(
            c.iter().map(|c| c.column.as_str()).collect::<Vec<_>>(),
            ["sd_pre", "m_post", "sd_post", "ri"]
        );
        let want_r = (sd_pre * sd_pre + sd_post * sd_post - sdc * sdc) / (2.0 * sd_pre * sd_post);
        assert!((c[3].value - want_r).abs() < 1e-12);
        assert!((r.studies[0].vi - sdc * sdc / 20.0).abs() < 1e-12);
        spec.ri = Some(1.5);
        let e = analyze(&Table::from_str(text, "x.csv").unwrap(), &spec, "0").unwrap_err();
        assert!(matches!(e, DataError::Option { .. }), "{e}");
    }
}
