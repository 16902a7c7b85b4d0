//! Analysis plans: a TOML file naming the data and the analyses to run
//! (`rema run PLAN.toml --out DIR`).
//!
//! ```toml
//! title = "BCG vaccine trials"
//!
//! [data]
//! table = "bcg.csv"            # one flat CSV with `rema analyze`'s columns, or
//! # review = "review.json"     # a review in JSON, or the review's CSV files:
//! # studies = "studies.csv"    # (required with the CSV files)
//! # arms = "arms.csv"
//! # risk_of_bias = "quality.csv"
//! # flow = "flow.csv"
//! # outcomes = "outcomes.csv"
//! # data = "data.csv"
//!
//! [[analysis]]
//! id = "rr_reml"               # unique; names the result
//! outcome = "tb"               # an outcome of the review (a free label with `table`)
//! timepoints = ["post"]        # or timepoint = "post"; default: all
//! comparison = "vaccine vs control"   # label of the summary's comparison column
//! measure = "RR"
//! method = "REML"              # default REML
//! test = "z"                   # default z; knha
//! level = 95
//! tau2_ci = false
//! add = 0.5                    # continuity correction (metafor add/to)
//! to = "only0"
//! ri = 0.5                     # assumed pre/post correlation where none is reported
//! mean_method = "luo2018"      # or hozo2005
//! sd_method = "wan2014"        # or hozo2005, walter_yao2007
//! smd_correct = true           # false: SMD as Cohen's d, without Hedges' correction
//! subset = { alloc = ["random", "alternate"] }   # keep rows whose column matches
//! subgroup = "alloc"           # subgroups + Q-between (as --by), and one analysis per level
//! # Every option of `rema analyze` (AnalysisSpec), with its name and type:
//! mods = ["ablat"]             # or "~ ablat + factor(alloc)"
//! leave_one_out = true         # influence, cumulative, permutations, bootstrap, seed, ...
//! bias = true                  # the small-study tests of `rema bias` (or a table of its options)
//! favours = ["vaccine", "control"]   # the forest plot's "Favours ..." labels
//!
//! [analysis.grade]             # one row of the GRADE summary of findings
//! control_risk = 0.07          # assumed risk without the intervention (a proportion)
//! risk_of_bias = { rating = "not serious", reason = "allocation concealed in most trials" }
//! inconsistency = { rating = "serious", reason = "I² 92%, effects in both directions" }
//! indirectness = "not serious" # a rating alone is allowed
//! imprecision = "not serious"
//! publication_bias = "undetected"
//! ```
//!
//! Relative paths are taken from the plan's folder.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bias::BiasOptions;
use crate::error::{read_file, utf8, DataError, Result};
use crate::review::ReviewFiles;
use crate::spec::AnalysisSpec;

/// A parsed plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub data: PlanData,
    #[serde(rename = "analysis", default)]
    pub analyses: Vec<PlannedAnalysis>,
}

/// The data a plan names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studies: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_of_bias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// Where a plan's studies come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One flat CSV of `rema analyze`.
    Table(String),
    /// A review in JSON.
    ReviewJson(String),
    /// A review's CSV files.
    ReviewCsv(ReviewFiles),
}

/// A value in a `subset` filter: text or a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl Scalar {
    /// Whether a cell holds this value (numbers compare as numbers).
    pub fn matches(&self, cell: &str) -> bool {
        let cell = cell.trim();
        let num = |x: f64| cell.parse::<f64>().map(|c| c == x).unwrap_or(false);
        match self {
            Scalar::Int(i) => num(*i as f64),
            Scalar::Float(f) => num(*f),
            Scalar::Bool(b) => cell.eq_ignore_ascii_case(&b.to_string()),
            Scalar::Text(s) => cell == s.trim(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// One value or a list of allowed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum OneOrMany {
    One(Scalar),
    Many(Vec<Scalar>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<&Scalar> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v.iter().collect(),
        }
    }

    pub fn matches(&self, cell: &str) -> bool {
        self.values().iter().any(|s| s.matches(cell))
    }
}

/// One analysis of a plan: which studies (outcome, timepoints, subset,
/// subgroup) and the options of `rema analyze` ([`AnalysisSpec`], flattened:
/// `measure = "RR"`, `method = "REML"`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAnalysis {
    /// Unique; names the result.
    pub id: String,
    /// An outcome of the review (a free label with `table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Label of the summary's comparison column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<String>,
    /// One timepoint (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timepoint: Option<String>,
    /// Several timepoints (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timepoints: Vec<String>,
    /// Keep only the rows whose column matches (all conditions must hold).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subset: BTreeMap<String, OneOrMany>,
    /// A column whose levels are also analysed one by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subgroup: Option<String>,
    /// The small-study tests of `rema bias` on the same studies and model:
    /// `bias = true` (metafor's defaults) or a table of [`BiasOptions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<PlanBias>,
    /// The forest plot's labels left and right of no effect: `["BKP",
    /// "control"]` prints "Favours BKP" and "Favours control".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favours: Option<[String; 2]>,
    /// A row of the GRADE summary of findings for this analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<GradePlan>,
    /// The options of the analysis.
    #[serde(flatten)]
    pub spec: AnalysisSpec,
    /// Keys that are neither of the above: refused when the plan is read
    /// (`flatten` cannot be combined with `deny_unknown_fields`).
    #[serde(flatten, skip_serializing)]
    pub rest: BTreeMap<String, toml::Value>,
}

/// The fields of [`PlannedAnalysis`] besides the spec's.
const ANALYSIS_FIELDS: &[&str] = &[
    "id",
    "outcome",
    "comparison",
    "timepoint",
    "timepoints",
    "subset",
    "subgroup",
    "bias",
    "favours",
    "grade",
];

/// `bias = true` or `bias = { predictor = "ni", selmodel = "stepfun", steps = [0.025] }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PlanBias {
    /// `true`: metafor's defaults; `false`: not run.
    On(bool),
    /// The options of `rema bias`, named after metafor's arguments.
    With(BiasOptions),
}

impl PlanBias {
    /// The options to run with, `None` for `bias = false`.
    pub fn options(&self) -> Option<BiasOptions> {
        match self {
            PlanBias::On(true) => Some(BiasOptions::default()),
            PlanBias::On(false) => None,
            PlanBias::With(o) => Some(o.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for PlanBias {
    /// A boolean, or a table read as [`BiasOptions`] (so that its errors
    /// name the option).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<PlanBias, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PlanBias;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false or a table of the small-study options (predictor, estimator, selmodel, ...)")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> std::result::Result<PlanBias, E> {
                Ok(PlanBias::On(b))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> std::result::Result<PlanBias, A::Error> {
                BiasOptions::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(PlanBias::With)
            }
        }
        d.deserialize_any(V)
    }
}

/// A GRADE rating of one certainty domain (GRADE handbook 5.2): how much a
/// concern lowers the certainty of the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rating {
    /// No concern (publication bias: "undetected").
    #[serde(rename = "not serious")]
    NotSerious,
    /// Lowers the certainty one level (publication bias: "strongly suspected").
    #[serde(rename = "serious")]
    Serious,
    /// Lowers it two levels.
    #[serde(rename = "very serious")]
    VerySerious,
}

impl Rating {
    /// The levels of certainty this rating takes away.
    pub fn downgrade(self) -> u8 {
        match self {
            Rating::NotSerious => 0,
            Rating::Serious => 1,
            Rating::VerySerious => 2,
        }
    }

    /// The rating as GRADEpro prints it.
    pub fn name(self) -> &'static str {
        match self {
            Rating::NotSerious => "not serious",
            Rating::Serious => "serious",
            Rating::VerySerious => "very serious",
        }
    }
}

impl std::str::FromStr for Rating {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Rating, String> {
        let t = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        match t.as_str() {
            "not serious" | "no" | "none" | "undetected" => Ok(Rating::NotSerious),
            "serious" | "strongly suspected" => Ok(Rating::Serious),
            "very serious" => Ok(Rating::VerySerious),
            _ => Err(format!(
                "unknown rating `{s}`; expected \"not serious\", \"serious\" or \"very serious\" (publication bias also \"undetected\" or \"strongly suspected\")"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Rating, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One domain's judgement: a rating and the reason for it (the footnote of
/// the summary-of-findings table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub rating: Rating,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl<'de> Deserialize<'de> for Judgement {
    /// `"serious"` or `{ rating = "serious", reason = "..." }`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Judgement, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            rating: Rating,
            #[serde(default)]
            reason: String,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Rating(String),
            Full(Full),
        }
        match Either::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "a judgement is a rating (\"serious\") or a table { rating = \"serious\", reason = \"...\" }",
            )
        })? {
            Either::Rating(s) => Ok(Judgement {
                rating: s.parse().map_err(serde::de::Error::custom)?,
                reason: String::new(),
            }),
            Either::Full(f) => Ok(Judgement {
                rating: f.rating,
                reason: f.reason,
            }),
        }
    }
}

/// Where the certainty of a body of evidence starts (GRADE handbook 5.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// Randomised trials.
    #[default]
    High,
    /// Observational studies.
    Low,
}

/// The plan's part of a GRADE summary-of-findings row: the assumed risk
/// without the intervention and the reviewers' judgements. rema computes the
/// rest (relative and absolute effects, participants, studies) and only
/// suggests the inconsistency and imprecision ratings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradePlan {
    /// The outcome's name in the table (default: the analysis's outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The assumed risk without the intervention, a proportion in (0, 1):
    /// needed for the absolute effects of RR, OR and RD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_risk: Option<f64>,
    /// Where the certainty starts: `high` (randomised trials, default) or `low`.
    #[serde(default)]
    pub start: Start,
    /// The relative risk reduction the optimal information size is computed
    /// for (GRADE guidelines 6: 25% by default; 20% to 30% are usual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ois_rrr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_of_bias: Option<Judgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconsistency: Option<Judgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indirectness: Option<Judgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imprecision: Option<Judgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_bias: Option<Judgement>,
}

impl GradePlan {
    /// Checks the numbers: a risk strictly between 0 and 1, an RRR in (0, 1).
    fn check(&self) -> std::result::Result<(), String> {
        if let Some(r) = self.control_risk {
            if !(r > 0.0 && r < 1.0) {
                return Err(format!(
                    "grade.control_risk = {r}: give the assumed risk as a proportion between 0 and 1 (0.07 for 70 per 1,000)"
                ));
            }
        }
        if let Some(r) = self.ois_rrr {
            if !(r > 0.0 && r < 1.0) {
                return Err(format!(
                    "grade.ois_rrr = {r}: give the relative risk reduction as a proportion between 0 and 1 (0.25 for 25%)"
                ));
            }
        }
        Ok(())
    }
}

impl PlannedAnalysis {
    /// The options of the analysis, as `rema analyze` takes them.
    pub fn spec(&self) -> AnalysisSpec {
        self.spec.clone()
    }

    /// The timepoints asked for (empty: all).
    pub fn timepoints(&self) -> Vec<String> {
        let mut v: Vec<String> = self.timepoint.iter().cloned().collect();
        v.extend(self.timepoints.iter().cloned());
        v
    }
}

/// A plan as TOML has it, each analysis still a table (with its place in the
/// file), so that an error in one analysis can name it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    title: Option<String>,
    data: PlanData,
    #[serde(rename = "analysis", default)]
    analyses: Vec<toml::Spanned<toml::Table>>,
}

/// `line L, column C: ` of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.matches('\n').count();
    let column = 1 + before.len() - before.rfind('\n').map_or(0, |i| i + 1);
    format!("line {line}, column {column}: ")
}

/// The offset of the line that sets `key`, at or after `from`.
fn key_offset(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start + line.len() <= from {
            continue;
        }
        let t = line.trim_start();
        let rest = t
            .strip_prefix(key)
            .or_else(|| t.strip_prefix(&format!("\"{key}\"")))
            .or_else(|| t.strip_prefix(&format!("'{key}'")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(start + line.len() - t.len());
        }
    }
    None
}

impl PlannedAnalysis {
    /// Reads analysis `t` (at byte `at` of `text`) of the plan `source`.
    fn from_table(t: toml::Table, at: usize, text: &str, source: &str) -> Result<PlannedAnalysis> {
        let id = t
            .get("id")
            .and_then(toml::Value::as_str)
            .unwrap_or("")
            .to_string();
        let plan_error = |key: Option<&str>, message: String| {
            let pos = key
                .and_then(|k| key_offset(text, at, k))
                .map(|o| position(text, o))
                .unwrap_or_else(|| position(text, at));
            DataError::Plan {
                file: source.to_string(),
                message: format!("{pos}not a valid plan: {message}"),
            }
        };
        // The spec alone first: flattened fields have no path in serde's
        // errors, so a bad option is found (and named) here.
        let spec_only: toml::Table = t
            .iter()
            .filter(|(k, _)| crate::spec::spec_field(k).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(e) =
            serde_path_to_error::deserialize::<_, AnalysisSpec>(toml::Value::Table(spec_only))
        {
            let path = e.path().to_string();
            let message = e.into_inner().message().trim_end().replace('\n', "; ");
            let field = path.split(['.', '[']).next().unwrap_or("");
            return Err(match crate::spec::spec_field(field) {
                Some(option) if !crate::spec::is_shape_error(&message) => DataError::Option {
                    option,
                    message: format!("{source}: analysis `{id}`: {message}"),
                },
                _ => plan_error(crate::spec::spec_field(field), message),
            });
        }
        let a: PlannedAnalysis =
            serde_path_to_error::deserialize(toml::Value::Table(t)).map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().message().trim_end().replace('\n', "; ");
                let field = path.split(['.', '[']).next().unwrap_or("");
                plan_error((!field.is_empty()).then_some(field), message)
            })?;
        if let Some(key) = a.rest.keys().next() {
            let expected: Vec<String> = ANALYSIS_FIELDS
                .iter()
                .chain(crate::spec::SPEC_FIELDS)
                .map(|f| format!("`{f}`"))
                .collect();
            return Err(plan_error(
                Some(key),
                format!(
                    "unknown field `{key}`, expected one of {}",
                    expected.join(", ")
                ),
            ));
        }
        Ok(a)
    }
}

impl Plan {
    /// Parses a plan; `source` names it in messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Plan> {
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            // One line: where (from the error's span) and toml's message.
            let at = e.span().map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = 1 + before.matches('\n').count();
                let column = 1 + before.len() - before.rfind('\n').map_or(0, |i| i + 1);
                format!("line {line}, column {column}: ")
            });
            DataError::Plan {
                file: source.to_string(),
                message: format!(
                    "{}not a valid plan: {}",
                    at.unwrap_or_default(),
                    e.message().trim_end().replace('\n', "; ")
                ),
            }
        })?;
        let analyses = raw
            .analyses
            .into_iter()
            .map(|t| {
                let at = t.span().start;
                PlannedAnalysis::from_table(t.into_inner(), at, text, source)
            })
            .collect::<Result<Vec<_>>>()?;
        let plan = Plan {
            title: raw.title,
            data: raw.data,
            analyses,
        };
        plan.check(source)?;
        Ok(plan)
    }

    /// Reads a plan file.
    pub fn read_path(path: &Path) -> Result<(Plan, Vec<u8>)> {
        let name = path.display().to_string();
        let bytes = read_file(path)?;
        let text = utf8(&bytes, &name)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Ok((Plan::from_toml(text, &name)?, bytes))
    }

    /// Where the studies come from.
    pub fn source(&self) -> Source {
        let d = &self.data;
        if let Some(t) = &d.table {
            Source::Table(t.clone())
        } else if let Some(r) = &d.review {
            Source::ReviewJson(r.clone())
        } else {
            Source::ReviewCsv(ReviewFiles {
                studies: d.studies.clone().unwrap_or_default(),
                arms: d.arms.clone(),
                risk_of_bias: d.risk_of_bias.clone(),
                flow: d.flow.clone(),
                outcomes: d.outcomes.clone(),
                data: d.data.clone(),
            })
        }
    }

    fn check(&self, source: &str) -> Result<()> {
        let err = |message: String| DataError::Plan {
            file: source.to_string(),
            message,
        };
        let d = &self.data;
        let review_csv = d.studies.is_some()
            || d.arms.is_some()
            || d.risk_of_bias.is_some()
            || d.flow.is_some()
            || d.outcomes.is_some()
            || d.data.is_some();
        let n = [d.table.is_some(), d.review.is_some(), review_csv]
            .iter()
            .filter(|b| **b)
            .count();
        if n != 1 {
            return Err(err(
                "[data] must name exactly one source: `table` (one CSV), `review` (a review JSON), or the review's CSV files (`studies`, `data`, ...)".to_string(),
            ));
        }
        if review_csv && (d.studies.is_none() || d.data.is_none()) {
            return Err(err(
                "[data] with a review's CSV files needs at least `studies` and `data`".to_string(),
            ));
        }
        if self.analyses.is_empty() {
            return Err(err(
                "the plan has no analyses; add at least one [[analysis]] with an id and a measure"
                    .to_string(),
            ));
        }
        let mut ids = HashSet::new();
        for a in &self.analyses {
            if a.id.trim().is_empty() || a.id.contains(['/', '\\']) {
                return Err(err(format!(
                    "analysis id `{}` must be non-empty and contain no slash",
                    a.id
                )));
            }
            if !ids.insert(a.id.as_str()) {
                return Err(err(format!(
                    "analysis id `{}` appears twice; ids must be unique",
                    a.id
                )));
            }
            // Options that do not go together: a usage error (exit 2). The
            // subgroup column is the `by` of the analysis over all levels.
            let mut spec = a.spec.clone();
            if a.subgroup.is_some() {
                spec.by = a.subgroup.clone();
            }
            spec.check().map_err(|e| match e {
                DataError::Option { option, message } => DataError::Option {
                    option,
                    message: format!("{source}: analysis `{}`: {message}", a.id),
                },
                other => other,
            })?;
            if let Some(g) = &a.grade {
                g.check()
                    .map_err(|m| err(format!("analysis `{}`: {m}", a.id)))?;
            }
            if let Some(opts) = a.bias.as_ref().and_then(PlanBias::options) {
                crate::bias::check_options(&a.spec, &opts).map_err(|e| match e {
                    DataError::Option { option, message } => DataError::Option {
                        option,
                        message: format!("{source}: analysis `{}`: bias: {message}", a.id),
                    },
                    other => other,
                })?;
            }
            if d.table.is_none() && a.outcome.is_none() {
                return Err(err(format!(
                    "analysis `{}` names no outcome; with a review every analysis needs `outcome`",
                    a.id
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plan_with_subsets_and_defaults() {
        let p = Plan::from_toml(
            r#"
[data]
table = "bcg.csv"
[[analysis]]
id = "a"
measure = "rr"
subset = { alloc = ["random", "alternate"], year = 1948 }
subgroup = "alloc"
"#,
            "p.toml",
        )
        .unwrap();
        let a = &p.analyses[0];
        assert_eq!(a.spec.method.name(), "REML");
        assert_eq!(a.spec().measure.name(), "RR");
        assert!(a.subset["alloc"].matches("random"));
        assert!(a.subset["year"].matches("1948.0"));
        assert!(!a.subset["year"].matches("1949"));
        assert_eq!(p.source(), Source::Table("bcg.csv".to_string()));
    }

    #[test]
    fn unknown_measures_and_methods_are_option_errors() {
        for (text, needle) in [
            (
                "[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='XYZ'\n",
                "unknown measure `XYZ`",
            ),
            (
                "[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='RR'\nmethod='BAD'\n",
                "unknown method `BAD`",
            ),
            (
                "[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='MD'\nsd_method='guess'\n",
                "unknown sd-from-range conversion",
            ),
        ] {
            let e = Plan::from_toml(text, "p.toml").unwrap_err();
            assert!(matches!(e, DataError::Option { .. }), "{e}");
            assert!(
                e.to_string()
                    .to_lowercase()
                    .contains(&needle.to_lowercase()),
                "{needle}: {e}"
            );
            assert!(e.to_string().contains("p.toml: analysis `a`"), "{e}");
        }
    }

    #[test]
    fn bad_plans_are_plan_errors() {
        for (text, needle) in [
            ("[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='RR'\n[[analysis]]\nid='a'\nmeasure='OR'\n", "twice"),
            ("[data]\ntable='x'\n", "no analyses"),
            ("[data]\ntable='x'\nreview='y'\n[[analysis]]\nid='a'\nmeasure='RR'\n", "exactly one"),
            ("[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='RR'\ncolour='red'\n", "unknown field"),
            ("[data]\nstudies='s'\ndata='d'\n[[analysis]]\nid='a'\nmeasure='RR'\n", "no outcome"),
            ("[data\n", "not a valid plan"),
        ] {
            let e = Plan::from_toml(text, "p.toml").unwrap_err();
            assert!(matches!(e, DataError::Plan { .. }), "{e}");
            assert!(e.to_string().to_lowercase().contains(needle), "{needle}: {e}");
        }
    }

    /// Every option of `rema analyze` (every field of the shared
    /// `AnalysisSpec`) and every plan field is accepted under its name.
    #[test]
    fn a_plan_takes_every_option_of_analyze() {
        let text = r#"
[data]
table = "bcg.csv"

[[analysis]]
id = "mr"
outcome = "tb"
comparison = "vaccine vs control"
timepoints = ["end"]
subset = { alloc = ["random", "alternate", "systematic"] }
measure = "RR"
method = "REML"
test = "knha"
level = 90
tau2_ci = true
add = 0.5
to = "only0"
mods = "~ ablat"
newmods = "ablat=10,30,50"
permutations = 100
permutation_stat = "coef"
permci = true
bootstrap = 50
bootstrap_type = "parametric"
seed = 7
pi_dist = "t"
missing = "fail"
favours = ["vaccine", "control"]

[[analysis]]
id = "sens"
outcome = "tb"
timepoint = "end"
subgroup = "alloc"
measure = "RR"
preset = "cochrane"
leave_one_out = true
influence = true
cumulative = true
order = "year"
tau2_common = true
tau2_test = 20
bias = { predictor = "ninv", estimator = "R0", selmodel = "stepfun", steps = [0.025] }

[analysis.grade]
outcome = "Tuberculosis"
control_risk = 0.07
start = "high"
ois_rrr = 0.2
risk_of_bias = { rating = "not serious", reason = "concealed" }
inconsistency = "serious"
indirectness = "not serious"
imprecision = "not serious"
publication_bias = "undetected"

[[analysis]]
id = "mh"
outcome = "tb"
by = "alloc"
measure = "OR"
method = "MH"
random = true
bias = false

[[analysis]]
id = "ml"
outcome = "tb"
measure = "RR"
random_terms = ["~ 1 | alloc/study"]
cluster = "alloc"
rho = 0.5
robust = "alloc"
robust_type = "CR1"

[[analysis]]
id = "conv"
outcome = "bp"
measure = "MD"
mean_method = "hozo2005"
sd_method = "walter_yao2007"

[[analysis]]
id = "pp"
outcome = "score"
measure = "SMCR"
ri = 0.6
sheet = "Sheet1"

[[analysis]]
id = "cohen"
outcome = "pain"
measure = "SMD"
smd_correct = false

[[analysis]]
id = "mv"
outcome = "tb"
measure = "GEN"
random_terms = ["~ outcome | trial"]
struct = "UN"
vcov = [{ row = 1, col = 2, cov = 0.01 }]

[[analysis]]
id = "wild"
outcome = "tb"
measure = "GEN"
random_terms = ["~ 1 | trial/es"]
mods = ["x"]
robust = "trial"
wild_bootstrap = 99
"#;
        let plan = Plan::from_toml(text, "p.toml").unwrap();
        let mut keys: std::collections::BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
            .filter(|k| {
                !matches!(
                    k.as_str(),
                    "table"
                        | "title"
                        | "start"
                        | "control_risk"
                        | "ois_rrr"
                        | "risk_of_bias"
                        | "inconsistency"
                        | "indirectness"
                        | "imprecision"
                        | "publication_bias"
                )
            })
            .collect();
        if text.contains("[analysis.grade]") {
            keys.insert("grade".to_string());
        }
        let want: std::collections::BTreeSet<String> = ANALYSIS_FIELDS
            .iter()
            .chain(crate::spec::SPEC_FIELDS)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(keys, want, "the test plan names every field once");
        let [mr, sens, mh, ml, ..] = &plan.analyses[..] else {
            panic!("six analyses")
        };
        assert_eq!(mr.spec.mods, ["~ ablat"]);
        assert_eq!(mr.spec.seed, Some(7));
        assert_eq!(mr.favours.as_ref().unwrap()[0], "vaccine");
        assert!(sens.spec.leave_one_out && sens.spec.influence && sens.spec.cumulative);
        let b = sens.bias.as_ref().unwrap().options().unwrap();
        assert_eq!(
            (b.predictor.name(), b.steps.as_slice()),
            ("ninv", &[0.025][..])
        );
        let g = sens.grade.as_ref().unwrap();
        assert_eq!(g.inconsistency.as_ref().unwrap().rating, Rating::Serious);
        assert_eq!(g.risk_of_bias.as_ref().unwrap().reason, "concealed");
        assert!(mh.spec.random && mh.bias.as_ref().unwrap().options().is_none());
        assert_eq!(ml.spec.robust.as_deref(), Some("alloc"));
    }

    #[test]
    fn bad_bias_and_grade_tables_name_the_key() {
        for (extra, needle) in [
            (
                "bias = { predicter = 'sei' }\n",
                "unknown field `predicter`",
            ),
            ("bias = 'yes'\n", "true, false or a table"),
            ("[analysis.grade]\ncontrol_risk = 7\n", "between 0 and 1"),
            ("[analysis.grade]\ninconsistency = 'bad'\n", "rating"),
            (
                "[analysis.grade]\ncolour = 'red'\n",
                "unknown field `colour`",
            ),
        ] {
            let text = format!("[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='RR'\n{extra}");
            let e = Plan::from_toml(&text, "p.toml").unwrap_err().to_string();
            assert!(e.contains(needle), "{extra}: {e}");
        }
        // Option pairs of the small-study tests are checked when the plan is read.
        let e = Plan::from_toml(
            "[data]\ntable='x'\n[[analysis]]\nid='a'\nmeasure='RR'\nmods='ablat'\nbias=true\n",
            "p.toml",
        )
        .unwrap_err();
        assert!(matches!(e, DataError::Option { option: "mods", .. }), "{e}");
    }
}
