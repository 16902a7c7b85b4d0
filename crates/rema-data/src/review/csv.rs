//! The CSV readers of a review, one per file: studies, arms, risk of bias,
//! flow, outcomes and data. Each checks what it reads (ids, counts, scales,
//! known studies and outcomes) and names the file, line and column of a
//! problem.

use std::collections::BTreeMap;
use std::path::Path;

use super::{
    Arm, DataRow, FlowStep, Judgement, Outcome, PrismaBox, Review, ReviewFiles, RiskOfBias,
    RobJudgement, Status, Study,
};
use crate::columns::parse_number;
use crate::error::{DataError, Location, Result};
use crate::table::Table;

const ID_COLUMNS: [&str; 4] = ["study", "study_id", "id", "ref"];

fn cell(t: &Table, r: usize, c: Option<usize>) -> Option<String> {
    c.map(|c| t.rows[r].cells[c].trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The trimmed cell of row `r` in column `c` (named `column`), which must
/// not be blank.
fn required(t: &Table, r: usize, c: usize, column: &str, study: Option<&str>) -> Result<String> {
    cell(t, r, Some(c)).ok_or_else(|| DataError::Missing {
        at: loc(t, r, column, study),
    })
}

fn id_column(t: &Table) -> Result<usize> {
    ID_COLUMNS
        .iter()
        .find_map(|c| t.column(c))
        .ok_or_else(|| DataError::MissingColumns {
            file: t.source.clone(),
            measure: "review".to_string(),
            missing: "`study`".to_string(),
            hint: "a review file needs a study id column named study, study_id, id or ref"
                .to_string(),
        })
}

fn loc(t: &Table, r: usize, column: &str, study: Option<&str>) -> Location {
    Location {
        file: Some(t.source.clone()),
        line: Some(t.rows[r].line),
        column: Some(column.to_string()),
        study: study.map(str::to_string),
    }
}

fn require(t: &Table, cols: &[&str], what: &str) -> Result<Vec<usize>> {
    let missing: Vec<String> = cols
        .iter()
        .filter(|c| t.column(c).is_none())
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(DataError::MissingColumns {
            file: t.source.clone(),
            measure: what.to_string(),
            missing: missing.join(", "),
            hint: format!("a {what} file needs the columns {}", cols.join(", ")),
        });
    }
    Ok(cols.iter().map(|c| t.column(c).expect("checked")).collect())
}

/// Adds study `id`'s judgement `raw` in `domain` (line `r`, column `col`),
/// refusing a judgement on the other scale than the domain's.
fn push_judgement(
    rob: &mut RiskOfBias,
    t: &Table,
    r: usize,
    id: &str,
    domain: &str,
    raw: &str,
    col: &str,
) -> Result<()> {
    let judgement = Judgement::parse(raw).ok_or_else(|| DataError::Judgement {
        at: loc(t, r, col, Some(id)),
        value: raw.to_string(),
    })?;
    if !rob.domains.iter().any(|d| d == domain) {
        rob.domains.push(domain.to_string());
    }
    if let Some(other) = rob.judgements.iter().find(|j| {
        j.domain == domain
            && matches!((j.judgement.scale(), judgement.scale()), (Some(a), Some(b)) if a != b)
    }) {
        return Err(DataError::Invalid {
            at: loc(t, r, col, Some(id)),
            message: format!(
                "`{raw}` mixes scales in domain `{domain}` (study `{}` is judged on the other scale); a domain uses either yes/no/not_reported or low/some_concerns/high",
                other.study
            ),
        });
    }
    rob.judgements.push(RobJudgement {
        study: id.to_string(),
        domain: domain.to_string(),
        judgement,
    });
    Ok(())
}

impl Review {
    /// Reads the review from its CSV files; relative paths are taken from `base`.
    pub fn read_csv(files: &ReviewFiles, base: &Path) -> Result<Review> {
        let read = |p: &str| Table::read_path(&base.join(p));
        let mut review = Review::from_studies(&read(&files.studies)?)?;
        if let Some(p) = &files.arms {
            review.add_arms(&read(p)?)?;
        }
        if let Some(p) = &files.risk_of_bias {
            review.add_risk_of_bias(&read(p)?)?;
        }
        if let Some(p) = &files.flow {
            review.add_flow(&read(p)?)?;
        }
        if let Some(p) = &files.outcomes {
            review.add_outcomes(&read(p)?)?;
        }
        if let Some(p) = &files.data {
            review.add_data(&read(p)?)?;
        }
        Ok(review)
    }

    /// The studies of a table: one row per study.
    pub fn from_studies(t: &Table) -> Result<Review> {
        let idc = id_column(t)?;
        let col = |n: &str| t.column(n);
        let mut studies: Vec<Study> = Vec::new();
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        for r in 0..t.rows.len() {
            let Some(id) = cell(t, r, Some(idc)) else {
                return Err(DataError::Missing {
                    at: loc(t, r, &t.headers[idc], None),
                });
            };
            if let Some(&first) = seen.get(&id) {
                return Err(DataError::DuplicateStudy {
                    file: t.source.clone(),
                    study: id,
                    first,
                    second: t.rows[r].line,
                });
            }
            seen.insert(id.clone(), t.rows[r].line);
            let year = match cell(t, r, col("year")) {
                Some(y) => Some(y.parse::<i32>().map_err(|_| DataError::NotANumber {
                    at: loc(t, r, "year", Some(&id)),
                    value: y.clone(),
                })?),
                None => None,
            };
            let label = cell(t, r, col("label")).unwrap_or_else(|| {
                match (cell(t, r, col("first_author")), year) {
                    (Some(a), Some(y)) => format!("{a} {y}"),
                    (Some(a), None) => a,
                    _ => id.clone(),
                }
            });
            let fixed = [
                t.headers[idc].as_str(),
                "label",
                "year",
                "design",
                "etiology",
            ];
            let characteristics = t
                .headers
                .iter()
                .enumerate()
                .filter(|(_, h)| !fixed.contains(&h.as_str()))
                .filter_map(|(c, h)| cell(t, r, Some(c)).map(|v| (h.clone(), v)))
                .collect();
            studies.push(Study {
                id,
                label,
                year,
                design: cell(t, r, col("design")),
                etiology: cell(t, r, col("etiology")),
                characteristics,
                arms: Vec::new(),
            });
        }
        Ok(Review {
            studies,
            ..Review::default()
        })
    }

    /// The study id of row `r` (column `idc`), which must be a listed study.
    fn listed_study(&self, t: &Table, r: usize, idc: usize) -> Result<String> {
        let id = cell(t, r, Some(idc)).unwrap_or_default();
        if self.study_ids().contains(id.as_str()) {
            Ok(id)
        } else {
            Err(DataError::UnknownStudy {
                at: loc(t, r, &t.headers[idc], Some(&id)),
                study: id,
            })
        }
    }

    /// Adds the arms (`study, arm, unit, n`: one line per arm and unit) to
    /// their studies.
    pub fn add_arms(&mut self, t: &Table) -> Result<()> {
        let idc = id_column(t)?;
        let c = require(t, &["arm", "unit", "n"], "arms")?;
        for r in 0..t.rows.len() {
            let id = self.listed_study(t, r, idc)?;
            let arm = required(t, r, c[0], "arm", Some(&id))?;
            let unit = required(t, r, c[1], "unit", Some(&id))?;
            let n = parse_number(&t.rows[r].cells[c[2]], t.decimal_comma, || {
                loc(t, r, "n", Some(&id))
            })?
            .ok_or_else(|| DataError::Missing {
                at: loc(t, r, "n", Some(&id)),
            })?;
            if !(n >= 0.0 && n.fract() == 0.0) {
                return Err(DataError::Invalid {
                    at: loc(t, r, "n", Some(&id)),
                    message: format!("{n} is not a count; an arm size is a whole number >= 0"),
                });
            }
            let study = self
                .studies
                .iter_mut()
                .find(|s| s.id == id)
                .expect("checked");
            match study.arms.iter_mut().find(|a| a.name == arm) {
                Some(a) => {
                    a.sizes.insert(unit, n);
                }
                None => study.arms.push(Arm {
                    name: arm,
                    sizes: BTreeMap::from([(unit, n)]),
                }),
            }
        }
        Ok(())
    }

    /// Adds the risk-of-bias judgements: wide (the id column and one column
    /// per domain) or long (`study, domain, judgement`). Within a domain the
    /// judgements keep to one scale.
    pub fn add_risk_of_bias(&mut self, t: &Table) -> Result<()> {
        let idc = id_column(t)?;
        let long = t.column("domain").is_some() && t.column("judgement").is_some();
        let mut rob = RiskOfBias::default();
        for r in 0..t.rows.len() {
            let id = self.listed_study(t, r, idc)?;
            if long {
                let d = cell(t, r, t.column("domain")).unwrap_or_default();
                let j = cell(t, r, t.column("judgement")).unwrap_or_default();
                push_judgement(&mut rob, t, r, &id, &d, &j, "judgement")?;
            } else {
                for (c, h) in t.headers.iter().enumerate() {
                    if c != idc {
                        let raw = t.rows[r].cells[c].trim().to_string();
                        push_judgement(&mut rob, t, r, &id, h, &raw, h)?;
                    }
                }
            }
        }
        self.risk_of_bias = rob;
        Ok(())
    }

    /// Adds the selection flow (`step, count`, optional `note` and `box`,
    /// a PRISMA 2020 box).
    pub fn add_flow(&mut self, t: &Table) -> Result<()> {
        let c = require(t, &["step", "count"], "flow")?;
        for r in 0..t.rows.len() {
            let step = cell(t, r, Some(c[0])).unwrap_or_default();
            let count = parse_number(&t.rows[r].cells[c[1]], t.decimal_comma, || {
                loc(t, r, "count", None)
            })?;
            let count = match count {
                Some(v) if v >= 0.0 && v.fract() == 0.0 => Some(v as u64),
                Some(v) => {
                    return Err(DataError::Invalid {
                        at: loc(t, r, "count", None),
                        message: format!("{v} is not a count; write a whole number >= 0"),
                    })
                }
                None => None,
            };
            let prisma_box = match cell(t, r, t.column("box")) {
                Some(b) => Some(PrismaBox::parse(&b).ok_or_else(|| DataError::Invalid {
                    at: loc(t, r, "box", None),
                    message: format!(
                        "`{b}` is not a PRISMA 2020 box; allowed: {}",
                        PrismaBox::ALL.map(|b| b.name()).join(", ")
                    ),
                })?),
                None => None,
            };
            self.flow.push(FlowStep {
                step,
                count,
                note: cell(t, r, t.column("note")),
                prisma_box,
            });
        }
        Ok(())
    }

    /// Adds the outcomes (`outcome`, optional `label`, `timepoints`
    /// separated by `|`, `unit`); ids are unique.
    pub fn add_outcomes(&mut self, t: &Table) -> Result<()> {
        let c = require(t, &["outcome"], "outcomes")?;
        for r in 0..t.rows.len() {
            let id = required(t, r, c[0], "outcome", None)?;
            if self.outcomes.iter().any(|o| o.id == id) {
                return Err(DataError::Invalid {
                    at: loc(t, r, "outcome", None),
                    message: format!("outcome `{id}` is listed twice; outcome ids must be unique"),
                });
            }
            let timepoints = cell(t, r, t.column("timepoints"))
                .map(|s| s.split('|').map(|p| p.trim().to_string()).collect())
                .unwrap_or_default();
            self.outcomes.push(Outcome {
                label: cell(t, r, t.column("label")).unwrap_or_else(|| id.clone()),
                id,
                timepoints,
                unit: cell(t, r, t.column("unit")),
            });
        }
        Ok(())
    }

    /// Adds the summary data (`study, outcome`, optional `timepoint,
    /// status, unit, note`, every other column a value, blank when unknown):
    /// one row per study, outcome and timepoint, naming listed studies and
    /// (when there is an outcomes list) its outcomes and timepoints.
    pub fn add_data(&mut self, t: &Table) -> Result<()> {
        let idc = id_column(t)?;
        let c = require(t, &["outcome"], "data")?;
        let text = [
            t.headers[idc].as_str(),
            "outcome",
            "timepoint",
            "status",
            "unit",
            "note",
        ];
        let value_cols: Vec<(usize, &String)> = t
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| !text.contains(&h.as_str()))
            .collect();
        let mut seen: BTreeMap<(String, String, Option<String>), u64> = BTreeMap::new();
        for r in 0..t.rows.len() {
            let id = self.listed_study(t, r, idc)?;
            let outcome = required(t, r, c[0], "outcome", Some(&id))?;
            let timepoint = cell(t, r, t.column("timepoint"));
            let status = match cell(t, r, t.column("status")).as_deref() {
                None | Some("reported") => Status::Reported,
                Some("inferred") => Status::Inferred,
                Some("unknown") => Status::Unknown,
                Some(other) => {
                    return Err(DataError::Invalid {
                        at: loc(t, r, "status", Some(&id)),
                        message: format!(
                            "`{other}` is not a status; write reported, inferred or unknown"
                        ),
                    })
                }
            };
            let key = (id.clone(), outcome.clone(), timepoint.clone());
            if let Some(&first) = seen.get(&key) {
                return Err(DataError::Invalid {
                    at: loc(t, r, "study", Some(&id)),
                    message: format!(
                        "study `{id}` has a second row for outcome `{outcome}` at the same timepoint (first on line {first}); one row per study, outcome and timepoint"
                    ),
                });
            }
            seen.insert(key, t.rows[r].line);
            let mut values = BTreeMap::new();
            for &(ci, name) in &value_cols {
                let v = parse_number(&t.rows[r].cells[ci], t.decimal_comma, || {
                    loc(t, r, name, Some(&id))
                })?;
                values.insert(name.clone(), v);
            }
            self.data.push(DataRow {
                line: Some(t.rows[r].line),
                study: id,
                outcome,
                timepoint,
                status,
                unit: cell(t, r, t.column("unit")),
                note: cell(t, r, t.column("note")),
                values,
            });
        }
        self.check_outcomes(&t.source)
    }
}
