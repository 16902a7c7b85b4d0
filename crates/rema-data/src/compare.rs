//! `rema compare`: the likelihood-ratio test between two saved results of
//! nested models, as metafor 3.8-1's `anova(full, reduced)` (`anova.rma`
//! with `test = "LRT"`).
//!
//! The model with more parameters is the full one (whichever file comes
//! first). LRT = D_reduced − D_full, the difference of the deviances of the
//! full model's likelihood (REML when the full model is REML, else ML),
//! truncated at 0, on parms_full − parms_reduced df, p from χ². The
//! parameters are metafor's `parms`: p coefficients plus τ² (rma.uni other
//! than FE) or the variance components (rma.mv). Each model's fit
//! statistics are those of that likelihood; for rma.uni also τ² and the
//! pseudo-R² of metafor's `anova`: 100·max(0, (τ²_r − τ²_f)/τ²_r), or for
//! FE models the same with the residual variances QE/(k − p) of the
//! weighted regressions.
//!
//! What metafor checks, rema checks too, and a little more: both results
//! come from the same kind of model (rma.uni or rma.mv, not GLMM, MH or
//! PETO), the same data (input hash, the studies' labels, yi and vi, and
//! the sampling covariance), their parameter counts differ, the full model
//! is not FE when the reduced one has τ², ML is not compared with REML, and
//! (rema's own check) the reduced model is nested in the full one: its
//! coefficients and its variance components are among the full model's.
//! metafor only warns that REML likelihoods of models with different fixed
//! effects are not comparable; rema refuses, and says to refit both by ML.

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::result::{AnalysisResult, FitStatsResult};

/// One of the two models of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedModel {
    /// Where the result came from (the file name given to `rema compare`).
    pub source: String,
    /// `rma.uni` or `rma.mv`.
    pub model: String,
    /// The method of the fit (`REML`, `ML`, `FE`).
    pub method: String,
    /// The number of effects.
    pub k: usize,
    /// metafor's `parms`: coefficients plus τ² or the variance components.
    pub parameters: usize,
    /// The log-likelihood of the comparison's likelihood.
    pub loglik: f64,
    pub deviance: f64,
    pub aic: f64,
    pub bic: f64,
    pub aicc: f64,
    /// The test of residual heterogeneity (metafor `QE`).
    pub qe: f64,
    /// τ² (rma.uni only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2: Option<f64>,
    /// The names of the coefficients, intercept first.
    pub coefficients: Vec<String>,
    /// The grouping factors of the variance components (rma.mv).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
}

/// The likelihood-ratio test of a reduced model against a full one
/// (metafor `anova(full, reduced)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelComparison {
    /// The model with more parameters.
    pub full: ComparedModel,
    /// The model nested in it.
    pub reduced: ComparedModel,
    /// `REML` or `ML`: the likelihood compared (the full model's).
    pub likelihood: String,
    /// parms_full − parms_reduced.
    pub df: usize,
    /// The likelihood-ratio statistic D_reduced − D_full (at least 0).
    pub lrt: f64,
    /// Its p-value, from χ²(df).
    pub pval: f64,
    /// The proportional reduction of τ² in percent (rma.uni; metafor `R2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
    pub notes: Vec<String>,
}

/// What a comparison reads from one result.
struct Side<'a> {
    source: &'a str,
    r: &'a AnalysisResult,
    mv: bool,
    parameters: usize,
    coefficients: Vec<String>,
    components: Vec<String>,
}

fn refuse(message: String) -> DataError {
    DataError::NotComparable { message }
}

impl<'a> Side<'a> {
    fn new(source: &'a str, r: &'a AnalysisResult) -> Result<Side<'a>> {
        let coefficients = match &r.coefficients {
            Some(c) => c.iter().map(|c| c.name.clone()).collect(),
            None => vec!["intrcpt".to_string()],
        };
        if let Some(m) = &r.multilevel {
            // metafor's AIC is −2ℓ + 2·parms, so parms is read back from it
            // (it counts every estimated component, whatever the structure).
            let parameters = ((m.aic + 2.0 * m.loglik) / 2.0).round() as usize;
            return Ok(Side {
                source,
                r,
                mv: true,
                parameters,
                coefficients,
                components: m.components.iter().map(|c| c.factor.clone()).collect(),
            });
        }
        let Some(stats) = r.model.as_ref().and_then(|m| m.fit_stats.as_ref()) else {
            return Err(refuse(format!(
                "{source}: a result of method {} has no likelihood to compare (metafor's anova compares rma.uni and rma.mv fits, not GLMM, MH or PETO ones); fit the models by ML or REML",
                r.method
            )));
        };
        if !matches!(r.method.as_str(), "FE" | "ML" | "REML") {
            return Err(refuse(format!(
                "{source}: method {} is not a likelihood method; a likelihood-ratio test compares ML, REML or FE fits (metafor warns: \"LRTs should be based on ML/REML estimation\"); refit with --method ML or REML",
                r.method
            )));
        }
        Ok(Side {
            source,
            r,
            mv: false,
            parameters: stats.parameters,
            coefficients,
            components: Vec::new(),
        })
    }

    fn kind(&self) -> &'static str {
        if self.mv {
            "rma.mv"
        } else {
            "rma.uni"
        }
    }

    /// The fit statistics of the REML (`reml`) or ML likelihood.
    fn stats(&self, reml: bool) -> Result<(f64, f64, f64, f64, f64)> {
        if let Some(m) = &self.r.multilevel {
            return Ok((m.loglik, m.deviance, m.aic, m.bic, m.aicc));
        }
        let model = self.r.model.as_ref();
        let pick = |s: Option<&FitStatsResult>| {
            s.filter(|s| (s.likelihood == "REML") == reml)
                .map(|s| (s.log_lik, s.deviance, s.aic, s.bic, s.aicc))
        };
        pick(model.and_then(|m| m.fit_stats.as_ref()))
            .or_else(|| pick(model.and_then(|m| m.fit_stats_reml.as_ref())))
            .ok_or_else(|| {
                refuse(format!(
                    "{}: the result has no {} log-likelihood (it was fitted by {}); refit both models by the same method",
                    self.source,
                    if reml { "REML" } else { "ML" },
                    self.r.method
                ))
            })
    }

    fn model(&self, reml: bool) -> Result<ComparedModel> {
        let (loglik, deviance, aic, bic, aicc) = self.stats(reml)?;
        Ok(ComparedModel {
            source: self.source.to_string(),
            model: self.kind().to_string(),
            method: self.r.method.clone(),
            k: self.r.k,
            parameters: self.parameters,
            loglik,
            deviance,
            aic,
            bic,
            aicc,
            qe: self.r.q,
            tau2: (!self.mv).then_some(self.r.tau2),
            coefficients: self.coefficients.clone(),
            components: self.components.clone(),
        })
    }
}

/// The likelihood-ratio test between the results `a` and `b` (named by
/// `a_source` and `b_source` in messages), as metafor's `anova(a, b)`.
pub fn compare(
    a: &AnalysisResult,
    a_source: &str,
    b: &AnalysisResult,
    b_source: &str,
) -> Result<ModelComparison> {
    let (a, b) = (Side::new(a_source, a)?, Side::new(b_source, b)?);
    if a.mv != b.mv {
        return Err(refuse(format!(
            "{} is an {} fit and {} an {} fit; compare models of the same kind (metafor: \"Class of 'object1' must be the same as class of 'object2'\"), e.g. refit the rma.uni model as a multilevel model with one random term",
            a.source,
            a.kind(),
            b.source,
            b.kind()
        )));
    }
    if a.parameters == b.parameters {
        return Err(refuse(format!(
            "{} and {} both have {} parameters, so one cannot be nested in the other (metafor: \"Models have the same number of parameters. LRT not meaningful.\"); compare a model with one that adds moderators or variance components",
            a.source, b.source, a.parameters
        )));
    }
    let (full, reduced) = if a.parameters > b.parameters {
        (a, b)
    } else {
        (b, a)
    };
    same_data(&full, &reduced)?;
    let (fm, rm) = (full.r.method.as_str(), reduced.r.method.as_str());
    if fm == "FE" && rm != "FE" {
        return Err(refuse(format!(
            "the full model ({}) is a common-effect (FE) model and the reduced one ({}) a random-effects model of method {rm}; the model with tau^2 must be the full one",
            full.source, reduced.source
        )));
    }
    if (fm == "ML" && rm == "REML") || (fm == "REML" && rm == "ML") {
        return Err(refuse(format!(
            "the full model ({}) was fitted by {fm} and the reduced one ({}) by {rm}; fit both by the same method (metafor: \"Mismatch between the use of {fm} and {rm} estimation\")",
            full.source, reduced.source
        )));
    }
    nested(&full, &reduced)?;
    let reml = fm == "REML";
    if reml && full.coefficients != reduced.coefficients {
        return Err(refuse(format!(
            "both models are REML fits with different fixed effects ({} against {}): their restricted likelihoods are not comparable (metafor warns: \"REML comparisons not meaningful for models with different fixed effects\"); refit both with --method ML",
            full.coefficients.join(", "),
            reduced.coefficients.join(", ")
        )));
    }
    let (f, r) = (full.model(reml)?, reduced.model(reml)?);
    let df = full.parameters - reduced.parameters;
    let lrt = (r.deviance - f.deviance).max(0.0);
    let pval = rema_core::dist::chisq_sf(lrt, df as f64);
    let mut notes = Vec::new();
    if r.deviance < f.deviance {
        notes.push(format!(
            "the reduced model's deviance {} is below the full model's {}; the LRT is truncated at 0 (as metafor)",
            r.deviance, f.deviance
        ));
    }
    let r2 = (!full.mv).then(|| pseudo_r2(&full, &reduced));
    Ok(ModelComparison {
        full: f,
        reduced: r,
        likelihood: if reml { "REML" } else { "ML" }.to_string(),
        df,
        lrt,
        pval,
        r2,
        notes,
    })
}

/// metafor `anova`'s R²: the proportional reduction of τ², or for FE
/// models of the residual variance QE/(k − p) of the weighted regression.
fn pseudo_r2(full: &Side, reduced: &Side) -> f64 {
    let (f, r) = if full.r.method == "FE" {
        let s2 = |s: &Side| s.r.q / s.r.k.saturating_sub(s.coefficients.len()).max(1) as f64;
        (s2(full), s2(reduced))
    } else {
        (full.r.tau2, reduced.r.tau2)
    };
    if r == 0.0 {
        0.0
    } else {
        100.0 * ((r - f) / r).max(0.0)
    }
}

/// The same input bytes, the same studies with the same yi and vi, and
/// the same sampling covariance.
fn same_data(full: &Side, reduced: &Side) -> Result<()> {
    let (f, r) = (full.r, reduced.r);
    let differ = |what: String| {
        Err(refuse(format!(
            "{} and {} are not fitted to the same data: {what}; nested models must be fitted to the same studies (metafor: \"Observed outcomes and/or sampling variances not equal in the full and reduced model\")",
            full.source, reduced.source
        )))
    };
    if f.provenance.input_sha256 != r.provenance.input_sha256 {
        return differ(format!(
            "their inputs differ (SHA-256 {} and {})",
            short(&f.provenance.input_sha256),
            short(&r.provenance.input_sha256)
        ));
    }
    if f.studies.len() != r.studies.len() {
        return differ(format!(
            "{} has {} effects and {} has {}",
            full.source,
            f.studies.len(),
            reduced.source,
            r.studies.len()
        ));
    }
    for (a, b) in f.studies.iter().zip(&r.studies) {
        if a.study != b.study || a.yi != b.yi || a.vi != b.vi {
            return differ(format!(
                "study `{}` (yi {}, vi {}) against study `{}` (yi {}, vi {})",
                a.study, a.yi, a.vi, b.study, b.yi, b.vi
            ));
        }
    }
    let sampling =
        |r: &AnalysisResult| r.multilevel.as_ref().map(|m| m.sampling_covariance.clone());
    if sampling(f) != sampling(r) {
        return differ(format!(
            "their sampling covariances differ ({} against {})",
            sampling(f).unwrap_or_default(),
            sampling(r).unwrap_or_default()
        ));
    }
    Ok(())
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// The reduced model's coefficients and components are among the full
/// model's.
fn nested(full: &Side, reduced: &Side) -> Result<()> {
    let missing = |of: &[String], within: &[String]| -> Vec<String> {
        of.iter().filter(|n| !within.contains(n)).cloned().collect()
    };
    let extra = missing(&reduced.coefficients, &full.coefficients);
    if !extra.is_empty() {
        return Err(refuse(format!(
            "{} is not nested in {}: it has the coefficient(s) {}, which the full model lacks; the reduced model's moderators must be a subset of the full model's",
            reduced.source,
            full.source,
            extra.join(", ")
        )));
    }
    let extra = missing(&reduced.components, &full.components);
    if !extra.is_empty() {
        return Err(refuse(format!(
            "{} is not nested in {}: it has the variance component(s) {}, which the full model lacks; the reduced model's random terms must be a subset of the full model's",
            reduced.source,
            full.source,
            extra.join(", ")
        )));
    }
    Ok(())
}
