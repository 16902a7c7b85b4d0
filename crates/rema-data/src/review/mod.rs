//! A whole systematic review as data: studies, risk of bias, selection flow,
//! outcomes and the per-study summary data, read from CSV files or JSON and
//! written back to JSON losslessly.
//!
//! CSV layouts (each file read by [`Table`](crate::Table), so BOMs, CRLF, semicolons and
//! quotes are fine):
//! - studies: an id column (`study`, `study_id`, `id` or `ref`), optional
//!   `label` (else `first_author` and `year`, else the id), `year`, `design`,
//!   `etiology`; every other column is a user-defined characteristic.
//! - arms: `study, arm, unit, n` (one line per arm and unit, e.g. patients and
//!   levels).
//! - risk of bias: wide (an id column and one column per domain) or long
//!   (`study, domain, judgement`); judgements on one of two scales per domain:
//!   `yes / no / not_reported` or `low / some_concerns / high`, and `unclear`
//!   or `na` in a domain of either (see [`Judgement::parse`]).
//! - flow: `step, count, note`, and optionally `box`, a PRISMA 2020 box.
//! - outcomes: `outcome, label, timepoints` (timepoints separated by `|`), optional `unit`.
//! - data: `study, outcome`, optional `timepoint, status, unit, note`, and the
//!   summary columns of `rema analyze` (`xi, ni`, `m_pre, sd_pre, ...`,
//!   `median1i, ...`): blank means unknown. `status` is `reported`
//!   (default), `inferred` or `unknown` (some needed numbers are not
//!   recoverable: analyses including the row are not run).
//!
//! The types are here; `csv.rs` has one reader per file, `json.rs` the JSON
//! round trip, and `check.rs` the checks across the parts (known studies,
//! outcomes and timepoints).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod check;
mod csv;
mod json;
#[cfg(test)]
mod tests;

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

/// A risk-of-bias judgement: a checklist answer (yes / no / not reported),
/// a RoB 2-style level (low / some concerns / high), or unclear or not
/// applicable, which belong to neither scale and may stand in either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// Checklist: the item is met.
    Yes,
    /// Checklist: the item is not met.
    No,
    /// Checklist: the report does not say.
    NotReported,
    /// Low risk of bias.
    Low,
    /// Some concerns.
    SomeConcerns,
    /// High risk of bias.
    High,
    /// Unclear (RoB 1's third level); either scale.
    Unclear,
    /// The item does not apply to the study; either scale.
    NotApplicable,
}

/// The two scales of [`Judgement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Checklist items: yes / no / not reported.
    Checklist,
    /// RoB 2-style levels: low / some concerns / high.
    Level,
}

impl Judgement {
    /// Parses `yes` (or `y`), `no` (`n`), `not_reported` (`nr`), `low`,
    /// `some_concerns` (`some`), `high`, `unclear` (`?`) and
    /// `not_applicable` (`na`), case-insensitive, with spaces and hyphens
    /// read as `_` (`Not reported`, `some-concerns`).
    ///
    /// ```
    /// use rema_data::review::Judgement;
    ///
    /// assert_eq!(Judgement::parse("Not reported"), Some(Judgement::NotReported));
    /// assert_eq!(Judgement::parse("some"), Some(Judgement::SomeConcerns));
    /// assert_eq!(Judgement::parse("NA"), Some(Judgement::NotApplicable));
    /// assert_eq!(Judgement::parse("maybe"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Judgement> {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match k.as_str() {
            "yes" | "y" => Judgement::Yes,
            "no" | "n" => Judgement::No,
            "not_reported" | "nr" => Judgement::NotReported,
            "low" => Judgement::Low,
            "some_concerns" | "some" => Judgement::SomeConcerns,
            "high" => Judgement::High,
            "unclear" | "?" => Judgement::Unclear,
            "na" | "not_applicable" => Judgement::NotApplicable,
            _ => return None,
        })
    }

    /// The scale of the judgement; `None` for unclear and not applicable,
    /// which may stand in a domain of either scale.
    pub fn scale(self) -> Option<Scale> {
        match self {
            Judgement::Yes | Judgement::No | Judgement::NotReported => Some(Scale::Checklist),
            Judgement::Low | Judgement::SomeConcerns | Judgement::High => Some(Scale::Level),
            Judgement::Unclear | Judgement::NotApplicable => None,
        }
    }

    /// The judgement in words, as figures and tables show it.
    pub fn label(self) -> &'static str {
        match self {
            Judgement::Yes => "Yes",
            Judgement::No => "No",
            Judgement::NotReported => "Not reported",
            Judgement::Low => "Low risk",
            Judgement::SomeConcerns => "Some concerns",
            Judgement::High => "High risk",
            Judgement::Unclear => "Unclear",
            Judgement::NotApplicable => "Not applicable",
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

impl Review {
    /// The study with id `id`.
    pub fn study(&self, id: &str) -> Option<&Study> {
        self.studies.iter().find(|s| s.id == id)
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
}
