//! A whole systematic review as data: studies, risk of bias, selection flow,
//! outcomes and the per-study summary data, read from CSV files or JSON and
//! written back to JSON losslessly.
//!
//! CSV layouts (each file read by [`Table`], so BOMs, CRLF, semicolons and
//! quotes are fine):
//! - studies: an id column (`study`, `study_id`, `id` or `ref`), optional
//!   `label` (else `first_author` and `year`, else the id), `year`, `design`,
//!   `etiology`; every other column is a user-defined characteristic.
//! - arms: `study, arm, unit, n` (one line per arm and unit, e.g. patients and
//!   levels).
//! - risk of bias: wide (an id column and one column per domain) or long
//!   (`study, domain, judgement`); judgements on one of two scales per domain:
//!   `yes / no / not_reported` or `low / some_concerns / high`.
//! - flow: `step, count, note`, and optionally `box`, a PRISMA 2020 box.
//! - outcomes: `outcome, label, timepoints` (timepoints separated by `|`), optional `unit`.
//! - data: `study, outcome`, optional `timepoint, status, unit, note`, and the
//!   summary columns of `rema analyze` (`xi, ni`, `m_pre, sd_pre, ...`,
//!   `median1i, ...`): blank means unknown. `status` is `reported`
//!   (default), `inferred` or `unknown` (some needed numbers are not
//!   recoverable: analyses including the row are not run).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::columns::parse_number;
use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// A systematic review.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Review {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub studies: Vec<Study>,
    #[serde(default)]
    pub risk_of_bias: RiskOfBias,
    #[serde(default)]
    pub flow: Vec<FlowStep>,
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    #[serde(default)]
    pub data: Vec<DataRow>,
}

/// One included study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etiology: Option<String>,
    /// Any other characteristics, as written.
    #[serde(default)]
    pub characteristics: BTreeMap<String, String>,
    #[serde(default)]
    pub arms: Vec<Arm>,
}

/// One arm of a study and its sizes by unit (patients, levels, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub name: String,
    #[serde(default)]
    pub sizes: BTreeMap<String, f64>,
}

/// Risk-of-bias judgements per study and domain.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskOfBias {
    /// Domains in the order of the source.
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub judgements: Vec<RobJudgement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RobJudgement {
    pub study: String,
    pub domain: String,
    pub judgement: Judgement,
}

/// A judgement on one of two scales: checklist items (yes / no / not
/// reported) or RoB 2-style levels (low / some concerns / high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    Yes,
    No,
    NotReported,
    Low,
    SomeConcerns,
    High,
}

/// The two scales of [`Judgement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Checklist,
    Level,
}

impl Judgement {
    pub fn parse(s: &str) -> Option<Judgement> {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match k.as_str() {
            "yes" | "y" => Judgement::Yes,
            "no" | "n" => Judgement::No,
            "not_reported" | "nr" => Judgement::NotReported,
            "low" => Judgement::Low,
            "some_concerns" => Judgement::SomeConcerns,
            "high" => Judgement::High,
            _ => return None,
        })
    }

    pub fn scale(self) -> Scale {
        match self {
            Judgement::Yes | Judgement::No | Judgement::NotReported => Scale::Checklist,
            _ => Scale::Level,
        }
    }
}

/// The boxes of the PRISMA 2020 flow diagram (new reviews, databases and
/// registers, plus other sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrismaBox {
    RecordsIdentified,
    DuplicatesRemoved,
    RecordsRemovedOther,
    RecordsScreened,
    RecordsExcluded,
    ReportsSought,
    ReportsNotRetrieved,
    ReportsAssessed,
    ReportsExcluded,
    OtherSourcesIdentified,
    StudiesIncluded,
    ReportsIncluded,
}

impl PrismaBox {
    pub const ALL: [PrismaBox; 12] = [
        PrismaBox::RecordsIdentified,
        PrismaBox::DuplicatesRemoved,
        PrismaBox::RecordsRemovedOther,
        PrismaBox::RecordsScreened,
        PrismaBox::RecordsExcluded,
        PrismaBox::ReportsSought,
        PrismaBox::ReportsNotRetrieved,
        PrismaBox::ReportsAssessed,
        PrismaBox::ReportsExcluded,
        PrismaBox::OtherSourcesIdentified,
        PrismaBox::StudiesIncluded,
        PrismaBox::ReportsIncluded,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PrismaBox::RecordsIdentified => "records_identified",
            PrismaBox::DuplicatesRemoved => "duplicates_removed",
            PrismaBox::RecordsRemovedOther => "records_removed_other",
            PrismaBox::RecordsScreened => "records_screened",
            PrismaBox::RecordsExcluded => "records_excluded",
            PrismaBox::ReportsSought => "reports_sought",
            PrismaBox::ReportsNotRetrieved => "reports_not_retrieved",
            PrismaBox::ReportsAssessed => "reports_assessed",
            PrismaBox::ReportsExcluded => "reports_excluded",
            PrismaBox::OtherSourcesIdentified => "other_sources_identified",
            PrismaBox::StudiesIncluded => "studies_included",
            PrismaBox::ReportsIncluded => "reports_included",
        }
    }

    pub fn parse(s: &str) -> Option<PrismaBox> {
        PrismaBox::ALL.into_iter().find(|b| b.name() == s.trim())
    }
}

/// One step of the selection flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    pub step: String,
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, rename = "box", skip_serializing_if = "Option::is_none")]
    pub prisma_box: Option<PrismaBox>,
}

/// An outcome and the timepoints at which it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub timepoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// How a row's numbers were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// As printed in the study's report.
    #[default]
    Reported,
    /// Not printed, but the only value consistent with what was (say how in the note).
    Inferred,
    /// Some of the numbers an analysis needs are not recoverable (they are
    /// blank; others, e.g. the total, may be known). Analyses that include
    /// the row are not run.
    Unknown,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Inferred => "inferred",
            Status::Unknown => "unknown",
        }
    }
}

/// The summary data of one study for one outcome at one timepoint, in the
/// form reported: the values under `rema analyze`'s column names, `null` when
/// unknown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DataRow {
    /// The line of the data file the row came from, for messages (not data:
    /// neither serialised nor compared).
    #[serde(skip)]
    pub line: Option<u64>,
    pub study: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timepoint: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub values: BTreeMap<String, Option<f64>>,
}

impl PartialEq for DataRow {
    fn eq(&self, o: &DataRow) -> bool {
        self.study == o.study
            && self.outcome == o.outcome
            && self.timepoint == o.timepoint
            && self.status == o.status
            && self.unit == o.unit
            && self.note == o.note
            && self.values == o.values
    }
}

/// The CSV files of a review (paths as given; `studies` is required).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewFiles {
    pub studies: String,
    #[serde(default)]
    pub arms: Option<String>,
    #[serde(default)]
    pub risk_of_bias: Option<String>,
    #[serde(default)]
    pub flow: Option<String>,
    #[serde(default)]
    pub outcomes: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
}

const ID_COLUMNS: [&str; 4] = ["study", "study_id", "id", "ref"];

fn cell(t: &Table, r: usize, c: Option<usize>) -> Option<String> {
    c.map(|c| t.rows[r].cells[c].trim().to_string())
        .filter(|s| !s.is_empty())
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

    /// Reads a review from its JSON form.
    pub fn from_json(text: &str, source: &str) -> Result<Review> {
        let review: Review = serde_json::from_str(text).map_err(|e| DataError::Csv {
            at: Location {
                file: Some(source.to_string()),
                line: Some(e.line() as u64),
                ..Location::default()
            },
            message: format!("not a valid review JSON: {e}"),
        })?;
        review.validate(source)?;
        Ok(review)
    }

    /// The review as pretty JSON (the form [`Review::from_json`] reads back).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a review serialises") + "\n"
    }

    fn study_ids(&self) -> HashSet<&str> {
        self.studies.iter().map(|s| s.id.as_str()).collect()
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

    fn check_study(&self, t: &Table, r: usize, column: &str, id: &str) -> Result<()> {
        if self.study_ids().contains(id) {
            Ok(())
        } else {
            Err(DataError::UnknownStudy {
                at: loc(t, r, column, Some(id)),
                study: id.to_string(),
            })
        }
    }

    pub fn add_arms(&mut self, t: &Table) -> Result<()> {
        let idc = id_column(t)?;
        let c = require(t, &["arm", "unit", "n"], "arms")?;
        for r in 0..t.rows.len() {
            let id = cell(t, r, Some(idc)).unwrap_or_default();
            self.check_study(t, r, &t.headers[idc], &id)?;
            let arm = cell(t, r, Some(c[0])).ok_or_else(|| DataError::Missing {
                at: loc(t, r, "arm", Some(&id)),
            })?;
            let unit = cell(t, r, Some(c[1])).ok_or_else(|| DataError::Missing {
                at: loc(t, r, "unit", Some(&id)),
            })?;
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

    pub fn add_risk_of_bias(&mut self, t: &Table) -> Result<()> {
        let idc = id_column(t)?;
        let long = t.column("domain").is_some() && t.column("judgement").is_some();
        let mut rob = RiskOfBias::default();
        let push = |rob: &mut RiskOfBias,
                    r: usize,
                    id: &str,
                    domain: &str,
                    raw: &str,
                    col: &str| {
            let judgement = Judgement::parse(raw).ok_or_else(|| DataError::Judgement {
                at: loc(t, r, col, Some(id)),
                value: raw.to_string(),
            })?;
            if !rob.domains.iter().any(|d| d == domain) {
                rob.domains.push(domain.to_string());
            }
            if let Some(other) = rob
                .judgements
                .iter()
                .find(|j| j.domain == domain && j.judgement.scale() != judgement.scale())
            {
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
        };
        for r in 0..t.rows.len() {
            let id = cell(t, r, Some(idc)).unwrap_or_default();
            self.check_study(t, r, &t.headers[idc], &id)?;
            if long {
                let d = cell(t, r, t.column("domain")).unwrap_or_default();
                let j = cell(t, r, t.column("judgement")).unwrap_or_default();
                push(&mut rob, r, &id, &d, &j, "judgement")?;
            } else {
                for (c, h) in t.headers.iter().enumerate() {
                    if c != idc {
                        let raw = t.rows[r].cells[c].trim().to_string();
                        push(&mut rob, r, &id, h, &raw, h)?;
                    }
                }
            }
        }
        self.risk_of_bias = rob;
        Ok(())
    }

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

    pub fn add_outcomes(&mut self, t: &Table) -> Result<()> {
        let c = require(t, &["outcome"], "outcomes")?;
        for r in 0..t.rows.len() {
            let id = cell(t, r, Some(c[0])).ok_or_else(|| DataError::Missing {
                at: loc(t, r, "outcome", None),
            })?;
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
            let id = cell(t, r, Some(idc)).unwrap_or_default();
            self.check_study(t, r, &t.headers[idc], &id)?;
            let outcome = cell(t, r, Some(c[0])).ok_or_else(|| DataError::Missing {
                at: loc(t, r, "outcome", Some(&id)),
            })?;
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

    /// Data rows name outcomes and timepoints that the outcomes list (when given).
    fn check_outcomes(&self, source: &str) -> Result<()> {
        if self.outcomes.is_empty() {
            return Ok(());
        }
        for d in &self.data {
            let Some(o) = self.outcomes.iter().find(|o| o.id == d.outcome) else {
                return Err(DataError::Plan {
                    file: source.to_string(),
                    message: format!(
                        "study `{}`: outcome `{}` is not in the outcomes file; known: {}",
                        d.study,
                        d.outcome,
                        self.outcome_ids()
                    ),
                });
            };
            if let Some(tp) = &d.timepoint {
                if !o.timepoints.is_empty() && !o.timepoints.contains(tp) {
                    return Err(DataError::Plan {
                        file: source.to_string(),
                        message: format!(
                            "study `{}`, outcome `{}`: timepoint `{tp}` is not among the outcome's timepoints ({})",
                            d.study,
                            d.outcome,
                            o.timepoints.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The outcome ids, for messages.
    pub fn outcome_ids(&self) -> String {
        let mut ids: Vec<&str> = self.outcomes.iter().map(|o| o.id.as_str()).collect();
        if ids.is_empty() {
            ids = self.data.iter().map(|d| d.outcome.as_str()).collect();
            ids.dedup();
        }
        ids.join(", ")
    }

    /// Checks a review read from JSON as the CSV readers do.
    pub fn validate(&self, source: &str) -> Result<()> {
        let mut seen = HashSet::new();
        for s in &self.studies {
            if !seen.insert(s.id.as_str()) {
                return Err(DataError::DuplicateStudy {
                    file: source.to_string(),
                    study: s.id.clone(),
                    first: 0,
                    second: 0,
                });
            }
        }
        let ids = self.study_ids();
        let unknown = self
            .data
            .iter()
            .map(|d| &d.study)
            .chain(self.risk_of_bias.judgements.iter().map(|j| &j.study))
            .find(|s| !ids.contains(s.as_str()));
        if let Some(s) = unknown {
            return Err(DataError::UnknownStudy {
                at: Location {
                    file: Some(source.to_string()),
                    ..Location::default()
                },
                study: s.clone(),
            });
        }
        self.check_outcomes(source)
    }

    pub fn study(&self, id: &str) -> Option<&Study> {
        self.studies.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str, name: &str) -> Table {
        Table::from_str(text, name).unwrap()
    }

    fn sample() -> Review {
        let mut r = Review::from_studies(&t(
            "ref,first_author,year,design,etiology,country\n1,Smith,2001,rct,myeloma,UK\n2,Jones,2003,cohort,\"mixed; other\",US\n",
            "studies.csv",
        ))
        .unwrap();
        r.add_arms(&t(
            "study,arm,unit,n\n1,bkp,patients,20\n1,bkp,levels,31\n2,bkp,patients,12\n",
            "arms.csv",
        ))
        .unwrap();
        r.add_risk_of_bias(&t(
            "ref,blinding,random\n1,yes,not_reported\n2,no,not reported\n",
            "rob.csv",
        ))
        .unwrap();
        r.add_flow(&t(
            "step,count,note,box\nidentified,208,,records_identified\nincluded,2,refs 1 2,studies_included\n",
            "flow.csv",
        ))
        .unwrap();
        r.add_outcomes(&t(
            "outcome,label,timepoints\nvas,Pain VAS,post|end\nleak,Cement leakage,\n",
            "outcomes.csv",
        ))
        .unwrap();
        r.add_data(&t(
            "study,outcome,timepoint,status,m_pre,sd_pre,m_post,median_post,ni,xi,note\n1,vas,post,reported,7.1,1.2,3.3,,20,,\n2,vas,post,reported,6.9,0.1234567890123,,3,12,,median\n1,leak,,inferred,,,,,31,0,\n2,leak,,unknown,,,,,,,not recoverable\n",
            "data.csv",
        ))
        .unwrap();
        r
    }

    #[test]
    fn csv_review_round_trips_through_json_losslessly() {
        let r = sample();
        assert_eq!(r.studies[0].label, "Smith 2001");
        assert_eq!(r.studies[1].etiology.as_deref(), Some("mixed; other"));
        assert_eq!(r.studies[0].characteristics["country"], "UK");
        assert_eq!(r.studies[0].arms[0].sizes["levels"], 31.0);
        assert_eq!(r.risk_of_bias.domains, ["blinding", "random"]);
        assert_eq!(
            r.risk_of_bias.judgements[3].judgement,
            Judgement::NotReported
        );
        assert_eq!(r.flow[0].prisma_box, Some(PrismaBox::RecordsIdentified));
        assert_eq!(r.data[3].status, Status::Unknown);
        assert_eq!(r.data[0].values["m_post"], Some(3.3));
        assert_eq!(r.data[1].values["m_post"], None);
        let json = r.to_json();
        let back = Review::from_json(&json, "review.json").unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_json(), json);
    }

    #[test]
    fn review_errors_name_the_problem() {
        let r = sample();
        let e = r
            .clone()
            .add_data(&t("study,outcome,xi,ni\n9,leak,1,2\n", "d.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::UnknownStudy { .. }), "{e}");
        let e = r
            .clone()
            .add_risk_of_bias(&t("ref,blinding\n1,maybe\n", "rob.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::Judgement { .. }), "{e}");
        let e = r
            .clone()
            .add_risk_of_bias(&t("ref,blinding\n1,yes\n2,high\n", "rob.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::Invalid { .. }), "{e}");
        let e = Review::from_studies(&t("ref,year\n1,2001\n1,2002\n", "s.csv")).unwrap_err();
        assert!(matches!(e, DataError::DuplicateStudy { .. }), "{e}");
        let e = r
            .clone()
            .add_data(&t("study,outcome,status,xi\n1,leak,maybe,3\n", "d.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::Invalid { .. }), "{e}");
        let e = r
            .clone()
            .add_data(&t("study,outcome,xi\n1,nope,3\n", "d.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::Plan { .. }), "{e}");
        let e = r
            .clone()
            .add_data(&t("study,outcome,xi\n1,leak,NaN\n", "d.csv"))
            .unwrap_err();
        assert!(matches!(e, DataError::NotFinite { .. }), "{e}");
    }
}
