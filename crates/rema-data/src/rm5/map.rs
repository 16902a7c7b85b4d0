//! How a RevMan 5 outcome maps onto rema's analysis: its columns, measure,
//! method and level (the table in docs/METHODS.md, "Reproducing a RevMan 5
//! review"); shared by `import` and `reproduce`.

use serde_json::Value;

use super::{DataType, Outcome, PoolMethod, Rm5, Row, RowData, Settings};
use crate::AnalysisSpec;

/// An outcome as rema analyses it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OutcomeAnalysis<'a> {
    settings: &'a Settings,
    /// The data columns, as `rema analyze` reads them.
    pub(super) columns: &'static [&'static str],
    /// metafor's name of the measure.
    pub(super) measure: &'static str,
    /// rema's method.
    pub(super) method: &'static str,
    /// RevMan 5's "M-H, Random" (method MH with `random`).
    pub(super) random: bool,
    /// Whether RevMan reports the effect on the ratio scale.
    pub(super) ratio: bool,
    /// An SMD outcome as RevMan 5 computes it ([`revman_smd`]), given to
    /// rema as `yi, vi`.
    revman_smd: bool,
}

/// RevMan 5's standardised mean difference of two groups: Hedges' g with
/// the approximate correction J = 1 − 3/(4N − 9) and the variance
/// N/(n₁n₂) + g²/(2(N − 3.94)), N = n₁ + n₂, s the pooled SD (RevMan 5's
/// statistical algorithms, Deeks & Higgins 2010; R meta's `metacont(sm =
/// "SMD", method.smd = "Hedges", exact.smd = FALSE)`). metafor's SMD, which
/// rema's measure follows, uses the exact correction and 1/n₁ + 1/n₂ +
/// g²/(2N).
fn revman_smd(m1: f64, sd1: f64, n1: f64, m2: f64, sd2: f64, n2: f64) -> (f64, f64) {
    let n = n1 + n2;
    let s = (((n1 - 1.0) * sd1 * sd1 + (n2 - 1.0) * sd2 * sd2) / (n - 2.0)).sqrt();
    let g = (m1 - m2) / s * (1.0 - 3.0 / (4.0 * n - 9.0));
    (g, n / (n1 * n2) + g * g / (2.0 * (n - 3.94)))
}

impl<'a> OutcomeAnalysis<'a> {
    /// The analysis of `o`, or why rema cannot compute it.
    pub(super) fn of(o: &'a Outcome) -> Result<OutcomeAnalysis<'a>, String> {
        let s = &o.settings;
        let m = s.effect_measure.to_ascii_uppercase();
        let (columns, measure, ratio): (&'static [&'static str], &'static str, bool) = match o
            .data_type
        {
            DataType::Dichotomous => {
                let measure = match m.as_str() {
                        "OR" | "PETO_OR" => "OR",
                        "RR" => "RR",
                        "RD" => "RD",
                        other => {
                            return Err(format!(
                                "effect measure {other} of dichotomous data is not one of OR, RR, RD, PETO_OR"
                            ))
                        }
                    };
                (&["ai", "n1i", "ci", "n2i"], measure, measure != "RD")
            }
            DataType::Continuous => {
                let measure = match m.as_str() {
                    "MD" => "MD",
                    "SMD" => "SMD",
                    other => {
                        return Err(format!(
                            "effect measure {other} of continuous data is not one of MD, SMD"
                        ))
                    }
                };
                (
                    &["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
                    measure,
                    false,
                )
            }
            DataType::GenericInverseVariance => (&["yi", "sei"], "GEN", s.log_data),
            DataType::OMinusE => (&["yi", "vi"], "GEN", true),
        };
        let method = match (s.method, s.random, o.data_type) {
            (PoolMethod::Peto, _, DataType::OMinusE) => "FE",
            (PoolMethod::Peto, _, _) => "PETO",
            (PoolMethod::MantelHaenszel, _, DataType::Dichotomous) => "MH",
            (PoolMethod::MantelHaenszel, _, _) => {
                return Err("Mantel-Haenszel needs dichotomous data".to_string())
            }
            (PoolMethod::InverseVariance, true, _) => "DL",
            (PoolMethod::InverseVariance, false, _) => "FE",
        };
        Ok(OutcomeAnalysis {
            settings: s,
            columns,
            measure,
            method,
            random: s.random && method == "MH",
            ratio,
            revman_smd: false,
        })
    }

    /// The analysis of `o` that reproduces RevMan's figures: [`of`](Self::of),
    /// except that an SMD of continuous data is RevMan's own
    /// ([`revman_smd`]), pooled as `yi, vi`.
    pub(super) fn revman(o: &'a Outcome) -> Result<OutcomeAnalysis<'a>, String> {
        let a = OutcomeAnalysis::of(o)?;
        if o.data_type == DataType::Continuous && a.measure == "SMD" {
            return Ok(OutcomeAnalysis {
                columns: &["yi", "vi"],
                measure: "GEN",
                revman_smd: true,
                ..a
            });
        }
        Ok(a)
    }

    /// The level of the pooled interval, in percent.
    pub(super) fn level(&self) -> f64 {
        self.settings.level
    }

    /// The cells of `row` under [`columns`](Self::columns) (events swapped
    /// with `SWAP_EVENTS`; O − E as Peto's (O − E)/V and 1/V).
    pub(super) fn cells(&self, row: &Row) -> Vec<f64> {
        match row.data {
            RowData::Dichotomous {
                events1,
                total1,
                events2,
                total2,
            } => {
                if self.settings.swap_events {
                    vec![total1 - events1, total1, total2 - events2, total2]
                } else {
                    vec![events1, total1, events2, total2]
                }
            }
            RowData::Continuous {
                mean1,
                sd1,
                total1,
                mean2,
                sd2,
                total2,
            } => {
                if self.revman_smd {
                    let (g, v) = revman_smd(mean1, sd1, total1, mean2, sd2, total2);
                    vec![g, v]
                } else {
                    vec![mean1, sd1, total1, mean2, sd2, total2]
                }
            }
            RowData::GenericInverseVariance { estimate, se } => vec![estimate, se],
            RowData::OMinusE { o_e, var } => vec![o_e / var, 1.0 / var],
        }
    }

    /// The rows as a CSV table with a `study` column (the studies' names)
    /// and, when `subgroups`, a `subgroup` column.
    pub(super) fn csv_with(&self, review: &Rm5, rows: &[&Row], subgroups: bool) -> String {
        let mut csv = format!(
            "study,{}{}\n",
            if subgroups { "subgroup," } else { "" },
            self.columns.join(",")
        );
        for r in rows {
            let cells: Vec<String> = self.cells(r).iter().map(f64::to_string).collect();
            csv += &format!(
                "{}{},{}\n",
                quote(review.study_name(&r.study)),
                if subgroups {
                    format!(",{}", quote(r.subgroup.as_deref().unwrap_or("")))
                } else {
                    String::new()
                },
                cells.join(",")
            );
        }
        csv
    }

    /// The analysis spec, with subgroups `by` the named column.
    pub(super) fn spec_by(&self, by: Option<&str>) -> Result<AnalysisSpec, String> {
        let mut spec = serde_json::json!({
            "measure": self.measure,
            "method": self.method,
            "level": self.level(),
        });
        if self.random {
            spec["random"] = Value::Bool(true);
        }
        if let Some(by) = by {
            spec["by"] = Value::String(by.to_string());
        }
        serde_json::from_value(spec).map_err(|e| e.to_string())
    }
}

/// A CSV field, quoted.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::revman_smd;

    /// RevMan 5's formulas evaluated in R 4.2.2: n1 = 20, n2 = 25, N = 45,
    /// s = sqrt((19 * 4 + 24 * 6.25) / 43), g = (10 - 9) / s * (1 - 3 / 171),
    /// v = 45 / 500 + g^2 / (2 * 41.06).
    #[test]
    fn revman_smd_is_revmans_approximation() {
        let (g, v) = revman_smd(10.0, 2.0, 20.0, 9.0, 2.5, 25.0);
        assert!((g - 0.4285417902385007_f64).abs() < 1e-14, "{g}");
        assert!((v - 0.0922363378711741_f64).abs() < 1e-14, "{v}");
    }
}
