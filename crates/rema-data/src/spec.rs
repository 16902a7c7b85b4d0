//! The options of one analysis: shared by the CLI, the server and plans.

use rema_core::{AddTo, Control, EffectOptions, FitOptions, Measure, Method, Test};
use serde::{Deserialize, Serialize};

use crate::convert::ConversionOptions;
use crate::error::{DataError, Result};

/// What to compute. Strings are metafor's names; they are parsed into
/// rema-core's enums by [`AnalysisSpec::fit_options`] and friends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    pub measure: String,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_test")]
    pub test: String,
    /// Confidence level in percent.
    #[serde(default = "default_level")]
    pub level: f64,
    /// Add the Q-profile confidence intervals of tau^2, I^2 and H^2.
    #[serde(default)]
    pub tau2_ci: bool,
    /// Continuity correction (metafor `add`); `None` for metafor's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<f64>,
    /// Where the correction goes (metafor `to`): only0, all, if0all, none.
    #[serde(default = "default_to")]
    pub to: String,
    /// The pre/post correlation assumed where a study reports none (and no
    /// paired p or t): default 0.5. Flagged per study in the notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ri: Option<f64>,
    /// Mean from median and range: `luo2018` (default) or `hozo2005`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_method: Option<String>,
    /// SD from a range: `wan2014` (default), `hozo2005` or `walter_yao2007`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd_method: Option<String>,
    /// Leave-one-out analysis (metafor `leave1out`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub leave_one_out: bool,
    /// Influence diagnostics (metafor `influence`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub influence: bool,
    /// Cumulative meta-analysis (metafor `cumul`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cumulative: bool,
    /// Column whose ascending values order the cumulative analysis; input
    /// order when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Subgroup analysis by the levels of this column (`--by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Subgroups share one tau^2 (`--tau2-common`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tau2_common: bool,
    /// Moderator columns of a meta-regression (`--mods`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mods: Vec<String>,
    /// Permutation tests: a number of iterations or `exact` (`--permutations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permutations: Option<String>,
    /// Bootstrap replicates (`--bootstrap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<u64>,
    /// nonparametric or parametric (`--bootstrap-type`).
    #[serde(default = "default_bootstrap_type")]
    pub bootstrap_type: String,
    /// Seed of the permutation tests and the bootstrap (`--seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn default_bootstrap_type() -> String {
    "nonparametric".to_string()
}

fn default_method() -> String {
    "REML".to_string()
}
fn default_test() -> String {
    "z".to_string()
}
fn default_level() -> f64 {
    95.0
}
fn default_to() -> String {
    "only0".to_string()
}

impl AnalysisSpec {
    pub fn new(measure: &str) -> AnalysisSpec {
        AnalysisSpec {
            measure: measure.to_string(),
            method: default_method(),
            test: default_test(),
            level: default_level(),
            tau2_ci: false,
            add: None,
            to: default_to(),
            ri: None,
            mean_method: None,
            sd_method: None,
            leave_one_out: false,
            influence: false,
            cumulative: false,
            order: None,
            by: None,
            tau2_common: false,
            mods: Vec::new(),
            permutations: None,
            bootstrap: None,
            bootstrap_type: default_bootstrap_type(),
            seed: None,
        }
    }

    /// How missing means, SDs and correlations are estimated.
    pub fn conversion_options(&self) -> Result<ConversionOptions> {
        let mut o = ConversionOptions::default();
        if let Some(r) = self.ri {
            if !(-1.0..=1.0).contains(&r) {
                return Err(DataError::Option {
                    message: format!(
                        "ri = {r}: an assumed correlation must lie in [-1, 1], e.g. 0.5"
                    ),
                });
            }
            o.assumed_r = r;
        }
        if let Some(m) = &self.mean_method {
            o.mean_method = m.parse().map_err(|message| DataError::Option { message })?;
        }
        if let Some(m) = &self.sd_method {
            o.sd_range_method = m.parse().map_err(|message| DataError::Option { message })?;
        }
        Ok(o)
    }

    /// True for `method = "GLMM"`, the binomial-normal model of rema-core's
    /// `glmm` module (not one of rma.uni's tau^2 estimators).
    pub fn is_glmm(&self) -> bool {
        self.method.trim().eq_ignore_ascii_case("GLMM")
    }

    /// The permutation iterations, if asked for.
    pub fn permutation_iterations(&self) -> Result<Option<rema_core::resample::Iterations>> {
        use rema_core::resample::Iterations;
        let Some(p) = &self.permutations else {
            return Ok(None);
        };
        let p = p.trim();
        if p.eq_ignore_ascii_case("exact") {
            return Ok(Some(Iterations::Exact));
        }
        match p.parse::<u64>() {
            Ok(n) if n >= 2 => Ok(Some(Iterations::Random(n))),
            _ => Err(DataError::Option {
                message: format!(
                    "permutations `{p}`: give a whole number of at least 2, or `exact`"
                ),
            }),
        }
    }

    /// The bootstrap type.
    pub fn bootstrap_kind(&self) -> Result<rema_core::resample::bootstrap::BootstrapType> {
        self.bootstrap_type
            .parse()
            .map_err(|message| DataError::Option { message })
    }

    pub fn measure(&self) -> Result<Measure> {
        self.measure
            .parse()
            .map_err(|message| DataError::Option { message })
    }

    pub fn fit_options(&self) -> Result<FitOptions> {
        let method: Method = self
            .method
            .parse()
            .map_err(|message| DataError::Option { message })?;
        let test: Test = self
            .test
            .parse()
            .map_err(|message| DataError::Option { message })?;
        if !(self.level > 0.0 && self.level < 100.0) {
            return Err(DataError::Option {
                message: format!(
                    "level {} must lie strictly between 0 and 100, e.g. 95",
                    self.level
                ),
            });
        }
        Ok(FitOptions {
            method,
            test,
            level: self.level,
            control: Control::default(),
        })
    }

    pub fn effect_options(&self) -> Result<EffectOptions> {
        let to = match self.to.as_str() {
            "only0" => AddTo::OnlyZero,
            "all" => AddTo::All,
            "if0all" => AddTo::IfAnyZero,
            "none" => AddTo::None,
            other => {
                return Err(DataError::Option {
                    message: format!(
                        "unknown `to` value `{other}`; expected only0, all, if0all or none"
                    ),
                })
            }
        };
        if let Some(a) = self.add {
            if !(a.is_finite() && a >= 0.0) {
                return Err(DataError::Option {
                    message: format!("add = {a} must be a finite number >= 0"),
                });
            }
        }
        Ok(EffectOptions { add: self.add, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Specs written before subgroups, moderators and resampling still parse.
    #[test]
    fn older_specs_parse_with_defaults() {
        let s: AnalysisSpec = serde_json::from_str(
            r#"{"measure":"RR","method":"DL","test":"z","level":95.0,"tau2_ci":false,"to":"only0"}"#,
        )
        .unwrap();
        assert_eq!(s, {
            let mut n = AnalysisSpec::new("RR");
            n.method = "DL".to_string();
            n
        });
    }

    #[test]
    fn permutations_parse_numbers_and_exact() {
        use rema_core::resample::Iterations;
        let mut s = AnalysisSpec::new("RR");
        s.permutations = Some("exact".into());
        assert_eq!(s.permutation_iterations().unwrap(), Some(Iterations::Exact));
        s.permutations = Some("999".into());
        assert_eq!(
            s.permutation_iterations().unwrap(),
            Some(Iterations::Random(999))
        );
        s.permutations = Some("1".into());
        assert!(matches!(
            s.permutation_iterations(),
            Err(DataError::Option { .. })
        ));
    }
}
