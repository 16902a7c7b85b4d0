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
        })
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
            } => vec![mean1, sd1, total1, mean2, sd2, total2],
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

    /// [`csv_with`](Self::csv_with) without the subgroup column.
    pub(super) fn csv(&self, review: &Rm5, rows: &[&Row]) -> String {
        self.csv_with(review, rows, false)
    }

    /// The analysis spec.
    pub(super) fn spec(&self) -> Result<AnalysisSpec, String> {
        let mut spec = serde_json::json!({
            "measure": self.measure,
            "method": self.method,
            "level": self.level(),
        });
        if self.random {
            spec["random"] = Value::Bool(true);
        }
        serde_json::from_value(spec).map_err(|e| e.to_string())
    }
}

/// A CSV field, quoted.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
