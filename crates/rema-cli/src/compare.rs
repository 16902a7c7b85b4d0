//! `rema compare`: the likelihood-ratio test between two saved results
//! (metafor `anova(full, reduced)`); the numbers come from
//! [`rema_data::compare`].

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rema_data::compare::ComparedModel;
use rema_data::{AnalysisResult, ModelComparison};

use crate::exit::{CliError, DATA, INTERNAL};

/// Test two nested models against each other by their likelihoods, as
/// metafor's anova(full, reduced).
///
/// A and B are results saved by `rema analyze --format json`, fitted to the
/// same data (the same input file and studies) by the same likelihood (ML
/// with ML, REML with REML; an FE model may be the reduced model of either).
/// The model with more parameters is the full one, whichever comes first.
/// The reduced model's coefficients and variance components must be among
/// the full model's; REML fits must have the same moderators (refit both
/// with --method ML to compare moderators). Both must be rma.uni fits or
/// both multilevel (--random) fits.
///
/// Prints each model's parameters, log-likelihood, deviance, AIC, BIC,
/// AICc and QE, then the LRT, its df and p-value (and R^2 for rma.uni).
///
/// Examples:
///   rema analyze dat.csv --measure GEN --random "~ 1 | district/school" --method ML --format json > full.json
///   rema analyze dat.csv --measure GEN --random "~ 1 | district" --method ML --format json > reduced.json
///   rema compare full.json reduced.json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CompareArgs {
    /// One result (JSON of `rema analyze --format json`).
    pub a: PathBuf,
    /// The other result.
    pub b: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
}

fn read(path: &Path) -> Result<AnalysisResult, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError {
        message: format!("{}: cannot read the file: {e}", path.display()),
        code: DATA,
    })?;
    serde_json::from_str(&text).map_err(|e| CliError {
        message: format!(
            "{}: not a result of `rema analyze --format json` ({e}); save each model with --format json",
            path.display()
        ),
        code: DATA,
    })
}

pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let (a, b) = (read(&args.a)?, read(&args.b)?);
    let c = rema_data::compare(
        &a,
        &args.a.display().to_string(),
        &b,
        &args.b.display().to_string(),
    )?;
    match args.format {
        CompareFormat::Json => {
            let text = serde_json::to_string_pretty(&c).map_err(|e| CliError {
                message: format!("serialising the comparison: {e}"),
                code: INTERNAL,
            })?;
            println!("{text}");
        }
        CompareFormat::Text => print!("{}", text(&c)),
    }
    Ok(())
}

/// The comparison as metafor prints `anova(full, reduced)`.
fn text(c: &ModelComparison) -> String {
    let row = |role: &str, m: &ComparedModel| {
        format!(
            "{role:<8} {:>5} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4}  {}\n",
            m.parameters, m.loglik, m.deviance, m.aic, m.bic, m.aicc, m.qe, m.source
        )
    };
    let mut out = format!(
        "Likelihood-ratio test ({} likelihood; metafor anova(full, reduced))\n\n{:<8} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
        c.likelihood, "", "df", "logLik", "deviance", "AIC", "BIC", "AICc", "QE"
    );
    out.push_str(&row("Full", &c.full));
    out.push_str(&row("Reduced", &c.reduced));
    out.push_str(&format!(
        "\nLRT = {:.4}, df = {}, p = {:.4e}\n",
        c.lrt, c.df, c.pval
    ));
    if let (Some(r2), Some(tf), Some(tr)) = (c.r2, c.full.tau2, c.reduced.tau2) {
        out.push_str(&format!(
            "tau^2: full {tf:.4}, reduced {tr:.4}; R^2 = {r2:.2}%\n"
        ));
    }
    for n in &c.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
