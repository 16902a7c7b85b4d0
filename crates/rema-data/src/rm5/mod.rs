//! RevMan 5 review files (`.rm5`): the analyses and data of a Cochrane
//! review, with the results RevMan stored for each outcome.
//!
//! [`Rm5::parse`] reads the `ANALYSES_AND_DATA` part of the XML (comparisons,
//! outcomes, subgroups and the per-study rows of the four data types:
//! dichotomous, continuous, generic inverse variance, and O − E with
//! variance) and the study names of `STUDIES_AND_REFERENCES`. Every number
//! RevMan stored is kept as written (`None` where the attribute is empty, as
//! RevMan leaves it for an outcome it has not computed). An element of
//! `ANALYSES_AND_DATA` that this reader does not know is listed in
//! [`Rm5::notes`], never dropped silently; a malformed number or a missing
//! attribute is an error that names the element, its line, the outcome and
//! the study. [`reproduce`] recomputes each outcome with its own settings and
//! compares the figures with RevMan's.

mod import;
mod map;
mod parse;
mod reproduce;

pub use import::{import, Imported};
pub use reproduce::{reproduce, Check, OutcomeReport, Verdict};

/// The analyses and data of a RevMan 5 review.
#[derive(Debug, Clone, PartialEq)]
pub struct Rm5 {
    /// The file, for messages.
    pub source: String,
    /// The review's title (`COVER_SHEET/TITLE`).
    pub title: Option<String>,
    /// RevMan's version that wrote the file (`REVMAN_VERSION.REVMAN_SUB_VERSION`).
    pub revman_version: Option<String>,
    /// Included studies by id (`STUDY ID` → `NAME` and `YEAR`).
    pub studies: Vec<Rm5Study>,
    /// The comparisons, in the file's order.
    pub comparisons: Vec<Comparison>,
    /// The risk-of-bias domains (`QUALITY_ITEM`) and their judgements.
    pub quality: Vec<QualityItem>,
    /// What was read but not imported (unknown elements, outcome types).
    pub notes: Vec<String>,
}

/// An included study.
#[derive(Debug, Clone, PartialEq)]
pub struct Rm5Study {
    /// RevMan's id (`STD-...`).
    pub id: String,
    /// The study's name as RevMan shows it (e.g. "ISIS-2").
    pub name: String,
    /// Its year, as written.
    pub year: Option<String>,
}

/// A risk-of-bias domain and its judgement per study.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityItem {
    /// The domain's question ("Allocation concealment?").
    pub name: String,
    /// `(study id, RESULT)`: `YES` (low risk), `NO` (high risk) or `UNKNOWN`.
    pub entries: Vec<(String, String)>,
}

/// A comparison and its outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// RevMan's id (`CMP-001`).
    pub id: String,
    /// The comparison's name.
    pub name: String,
    /// Its outcomes.
    pub outcomes: Vec<Outcome>,
}

/// The four kinds of outcome data RevMan 5 holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Events and totals per group (`DICH_OUTCOME`).
    Dichotomous,
    /// Means, SDs and totals per group (`CONT_OUTCOME`).
    Continuous,
    /// Effect estimates with their standard errors (`IV_OUTCOME`).
    GenericInverseVariance,
    /// O − E and variance, from individual patient data (`IPD_OUTCOME`).
    OMinusE,
}

impl DataType {
    /// The element names of the outcome, its subgroups and its rows.
    fn elements(self) -> (&'static str, &'static str, &'static str) {
        match self {
            DataType::Dichotomous => ("DICH_OUTCOME", "DICH_SUBGROUP", "DICH_DATA"),
            DataType::Continuous => ("CONT_OUTCOME", "CONT_SUBGROUP", "CONT_DATA"),
            DataType::GenericInverseVariance => ("IV_OUTCOME", "IV_SUBGROUP", "IV_DATA"),
            DataType::OMinusE => ("IPD_OUTCOME", "IPD_SUBGROUP", "IPD_DATA"),
        }
    }

    /// All four.
    const ALL: [DataType; 4] = [
        DataType::Dichotomous,
        DataType::Continuous,
        DataType::GenericInverseVariance,
        DataType::OMinusE,
    ];
}

/// RevMan's pooling method (`METHOD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMethod {
    /// Mantel–Haenszel (`MH`).
    MantelHaenszel,
    /// Inverse variance (`IV`).
    InverseVariance,
    /// Peto (`PETO`).
    Peto,
}

/// An outcome's analysis settings, as RevMan stored them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `EFFECT_MEASURE`: OR, RR, RD, PETO_OR, MD, SMD, or a name of the user's
    /// for generic inverse-variance data.
    pub effect_measure: String,
    /// `METHOD`.
    pub method: PoolMethod,
    /// `RANDOM="YES"`: the random-effects model (DerSimonian–Laird).
    pub random: bool,
    /// `CI_TOTAL`: the level of the pooled interval, in percent.
    pub level: f64,
    /// `CI_STUDY`: the level of the studies' intervals, in percent.
    pub study_level: f64,
    /// `SWAP_EVENTS="YES"`: RevMan analyses non-events instead of events.
    pub swap_events: bool,
    /// `LOG_DATA="YES"` (generic inverse variance): effects are on the log scale.
    pub log_data: bool,
}

/// An outcome: its settings, rows (by subgroup) and RevMan's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// RevMan's id (`CMP-001.01`).
    pub id: String,
    /// The outcome's name.
    pub name: String,
    /// The kind of data.
    pub data_type: DataType,
    /// The settings of its analysis.
    pub settings: Settings,
    /// The labels of the two groups (`GROUP_LABEL_1`, `GROUP_LABEL_2`).
    pub groups: (String, String),
    /// The rows; `subgroup` is set when the outcome has subgroups.
    pub rows: Vec<Row>,
    /// The subgroups' names and their stored results, in order.
    pub subgroups: Vec<(String, Stored)>,
    /// The overall results RevMan stored.
    pub stored: Stored,
    /// The line of the outcome's element.
    pub line: u32,
}

/// One study's data in an outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The study's id (`STUDY_ID`).
    pub study: String,
    /// The subgroup's name, if the outcome has subgroups.
    pub subgroup: Option<String>,
    /// The numbers.
    pub data: RowData,
    /// RevMan's weight of the study, in percent (`WEIGHT`).
    pub weight: Option<f64>,
    /// RevMan's effect of the study (`EFFECT_SIZE`, ratio scale for ratios).
    pub effect: Option<f64>,
    /// The line of the row's element.
    pub line: u32,
}

/// The numbers of a row, by data type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowData {
    /// Events and totals.
    Dichotomous {
        /// `EVENTS_1`.
        events1: f64,
        /// `TOTAL_1`.
        total1: f64,
        /// `EVENTS_2`.
        events2: f64,
        /// `TOTAL_2`.
        total2: f64,
    },
    /// Means, SDs and totals.
    Continuous {
        /// `MEAN_1`.
        mean1: f64,
        /// `SD_1`.
        sd1: f64,
        /// `TOTAL_1`.
        total1: f64,
        /// `MEAN_2`.
        mean2: f64,
        /// `SD_2`.
        sd2: f64,
        /// `TOTAL_2`.
        total2: f64,
    },
    /// An estimate and its standard error.
    GenericInverseVariance {
        /// `EFFECT_SIZE` (on the log scale when the outcome's `LOG_DATA` is set).
        estimate: f64,
        /// `SE`.
        se: f64,
    },
    /// O − E and its variance.
    OMinusE {
        /// `O_E`.
        o_e: f64,
        /// `VAR`.
        var: f64,
    },
}

/// The results RevMan stored for an outcome or subgroup (each `None` when
/// the attribute is empty).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stored {
    /// `EFFECT_SIZE`: the pooled effect (ratio scale for OR and RR).
    pub effect: Option<f64>,
    /// `CI_START`.
    pub ci_start: Option<f64>,
    /// `CI_END`.
    pub ci_end: Option<f64>,
    /// `Z`.
    pub z: Option<f64>,
    /// `P_Z`.
    pub p_z: Option<f64>,
    /// `CHI2`: the heterogeneity statistic.
    pub chi2: Option<f64>,
    /// `DF`.
    pub df: Option<f64>,
    /// `P_CHI2`.
    pub p_chi2: Option<f64>,
    /// `I2`, in percent.
    pub i2: Option<f64>,
    /// `TAU2`.
    pub tau2: Option<f64>,
    /// `STUDIES`.
    pub studies: Option<f64>,
    /// `Q`: the test for subgroup differences (an outcome's, with subgroups).
    pub q_subgroups: Option<f64>,
    /// `P_Q`: its p-value.
    pub p_q_subgroups: Option<f64>,
    /// `I2_Q`: its I², in percent.
    pub i2_subgroups: Option<f64>,
}

impl Rm5 {
    /// The name of study `id`, or the id when the file has no such study.
    pub fn study_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.studies
            .iter()
            .find(|s| s.id == id)
            .map_or(id, |s| s.name.as_str())
    }
}
