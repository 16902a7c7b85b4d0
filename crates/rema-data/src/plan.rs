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
//! ```
//!
//! Relative paths are taken from the plan's folder.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

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
];

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
            // Options that do not go together: a usage error (exit 2).
            a.spec.check().map_err(|e| match e {
                DataError::Option { option, message } => DataError::Option {
                    option,
                    message: format!("{source}: analysis `{}`: {message}", a.id),
                },
                other => other,
            })?;
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
}
