//! `rema bias`: tests for small-study effects (funnel-plot asymmetry).

use std::path::PathBuf;

use clap::Args;
use rema_core::bias::{
    Alternative, Estimator, FsnTest, Predictor, RegModel, SelPrec, SelType, TesTest,
};
use rema_core::Side;
use rema_data::bias::{bias_with, BiasOptions};

use crate::analyze::Format;
use crate::exit::CliError;
use crate::model_args::ModelArgs;

/// Small-study effects and publication bias, as metafor 3.8-1's regtest(),
/// ranktest(), trimfill(), fsn(), tes() and selmodel().
///
/// Runs, on the rma() model of the given measure, method and test:
///   - Egger's regression test: the standard error as a moderator in the same
///     model (metafor regtest(), model = "rma", predictor = "sei"), with the
///     limit estimate at standard error 0; with --predictor or --model, also
///     that regression test (Peters' test is --predictor ninv);
///   - PET-PEESE: weighted least squares on the standard error (PET) and
///     the variance (PEESE), and the conditional estimate (PEESE when PET's
///     intercept differs from 0, one-tailed at --petpeese-alpha);
///   - Begg and Mazumdar's rank correlation (ranktest()): Kendall's tau
///     between standardised effects and variances, exact p-value without ties
///     (unless --exact false);
///   - trim and fill (trimfill(), --estimator L0, R0 or Q0; --side, or
///     chosen as metafor does), with the imputed studies;
///   - the fail-safe N (fsn()) of Rosenthal (Stouffer's or, with --fsn-test
///     Fisher, Fisher's combined p-value), Orwin (--fsn-target) and Rosenberg;
///   - the test of excess significance (tes());
///   - with --selmodel, a selection model (selmodel()) fitted by maximum
///     likelihood: stepfun with --steps, beta, halfnorm, negexp, logistic or
///     power, one-sided p-values (--alternative greater by default); the
///     last four may depend on each study's precision (--selmodel-prec), and
///     any delta may be fixed (--selmodel-delta NA,1 fixes the second).
///
/// The CSV columns are those of `rema analyze` (see `rema analyze --help`).
///
/// Examples:
///   rema bias examples/bcg/bcg.csv --measure RR
///   rema bias data.csv --measure GEN --method DL --test knha --format json
///   rema bias data.csv --measure OR --predictor ninv --model lm
///   rema bias data.csv --measure SMD --selmodel stepfun --steps 0.025
///   rema bias data.csv --measure OR --selmodel negexp --selmodel-prec sei
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BiasArgs {
    /// The CSV file (comma, semicolon or tab separated; UTF-8; R's write.csv
    /// and write.csv2 output as it is) or Excel workbook (.xlsx, see --sheet).
    pub file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub methods: BiasFlags,
    /// Output format (csv prints the text summary).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The options of the methods, named after metafor's arguments.
#[derive(Debug, Args)]
pub struct BiasFlags {
    /// The regression test's predictor (metafor regtest(predictor)): sei
    /// (default), vi, ni, ninv (Peters' test), sqrtni, sqrtninv; the ni
    /// predictors need a measure with sample sizes.
    #[arg(long, value_parser = |s: &str| s.parse::<Predictor>())]
    pub predictor: Option<Predictor>,
    /// The regression test's model (metafor regtest(model)): rma (default,
    /// the meta-regression) or lm (weighted least squares).
    #[arg(long, value_parser = |s: &str| s.parse::<RegModel>())]
    pub model: Option<RegModel>,
    /// The exact p-value of the rank correlation without ties (metafor
    /// ranktest(exact)); false for the normal approximation.
    #[arg(long, value_name = "BOOL")]
    pub exact: Option<bool>,
    /// The trim-and-fill estimator (metafor trimfill(estimator)): L0
    /// (default), R0 or Q0.
    #[arg(long, value_parser = |s: &str| s.parse::<Estimator>())]
    pub estimator: Option<Estimator>,
    /// The side trim and fill imputes on (left or right); default: from
    /// Egger's slope, as metafor.
    #[arg(long, value_parser = |s: &str| s.parse::<Side>())]
    pub side: Option<Side>,
    /// The level of the fail-safe N (metafor fsn(alpha); default 0.05).
    #[arg(long, value_name = "ALPHA")]
    pub fsn_alpha: Option<f64>,
    /// Orwin's target effect (metafor fsn(target)); default half the mean effect.
    #[arg(long, value_name = "EFFECT", allow_hyphen_values = true)]
    pub fsn_target: Option<f64>,
    /// Orwin's mean effect weighted by inverse variance (metafor fsn(weighted)).
    #[arg(long)]
    pub fsn_weighted: bool,
    /// How Rosenthal's fail-safe N combines the p-values (metafor
    /// fsn(test)): Stouffer (default) or Fisher.
    #[arg(long, value_parser = |s: &str| s.parse::<FsnTest>())]
    pub fsn_test: Option<FsnTest>,
    /// The one-tailed level of PET's test that chooses PEESE (default 0.05).
    #[arg(long, value_name = "ALPHA")]
    pub petpeese_alpha: Option<f64>,
    /// The null value of each study's test in the test of excess
    /// significance (metafor tes(H0); default 0).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub tes_h0: Option<f64>,
    /// The sidedness of each study's test (metafor tes(alternative)):
    /// two.sided (default), greater, less.
    #[arg(long, value_parser = |s: &str| s.parse::<Alternative>())]
    pub tes_study_alternative: Option<Alternative>,
    /// The level of each study's test (metafor tes(alpha); default 0.05).
    #[arg(long, value_name = "ALPHA")]
    pub tes_alpha: Option<f64>,
    /// The true effect of the power calculations (metafor tes(theta));
    /// default the common-effect estimate.
    #[arg(long, value_name = "EFFECT", allow_hyphen_values = true)]
    pub tes_theta: Option<f64>,
    /// The test of observed against expected (metafor tes(test)): chi2,
    /// binom or exact; default metafor's choice.
    #[arg(long, value_parser = |s: &str| s.parse::<TesTest>())]
    pub tes_test: Option<TesTest>,
    /// The alternative of that test (metafor tes(tes.alternative)): greater
    /// (default), two.sided, less.
    #[arg(long, value_parser = |s: &str| s.parse::<Alternative>())]
    pub tes_alternative: Option<Alternative>,
    /// The heterogeneity the powers average over (metafor tes(tau2), e.g.
    /// the model's tau^2 as tes(res) uses); default none.
    #[arg(long, value_name = "TAU2")]
    pub tes_tau2: Option<f64>,
    /// The level of theta_lim, the true effect at which the test of excess
    /// significance is just significant (metafor tes(tes.alpha); default 0.1).
    #[arg(long, value_name = "ALPHA")]
    pub tes_limit_alpha: Option<f64>,
    /// A selection model to fit (metafor selmodel(type)): stepfun (with
    /// --steps), beta, halfnorm, negexp, logistic or power.
    #[arg(long, value_parser = |s: &str| s.parse::<SelType>())]
    pub selmodel: Option<SelType>,
    /// The selection model's p-value cut-points, comma separated (metafor
    /// selmodel(steps)), e.g. 0.025 or 0.025,0.5.
    #[arg(long, value_delimiter = ',', value_name = "P")]
    pub steps: Vec<f64>,
    /// The sidedness of the selection model's p-values (metafor
    /// selmodel(alternative)): greater (default), less, two.sided.
    #[arg(long, value_parser = |s: &str| s.parse::<Alternative>())]
    pub alternative: Option<Alternative>,
    /// The measure of (im)precision in the selection function (metafor
    /// selmodel(prec)): sei, vi, ninv or sqrtninv (the last two need sample
    /// sizes); for halfnorm, negexp, logistic and power only.
    #[arg(long, value_parser = |s: &str| s.parse::<SelPrec>())]
    pub selmodel_prec: Option<SelPrec>,
    /// Divide the precision by its largest value (metafor
    /// selmodel(scaleprec); default true).
    #[arg(long, value_name = "BOOL")]
    pub selmodel_scaleprec: Option<bool>,
    /// Fixed selection parameters, comma separated, NA for one estimated
    /// (metafor selmodel(delta)), e.g. 0 (no selection), or NA,1 for the
    /// beta model's second; one value fixes every delta.
    #[arg(long, value_delimiter = ',', value_name = "DELTA",
          value_parser = parse_delta, allow_hyphen_values = true)]
    pub selmodel_delta: Vec<Option<f64>>,
}

/// One value of --selmodel-delta: a number, or NA (also null) to estimate it.
fn parse_delta(s: &str) -> Result<Option<f64>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    t.parse::<f64>()
        .map(Some)
        .map_err(|_| format!("`{s}` is not a number or NA"))
}

impl BiasFlags {
    /// The options, metafor's defaults where a flag is not given.
    pub fn options(&self) -> BiasOptions {
        let d = BiasOptions::default();
        BiasOptions {
            predictor: self.predictor.unwrap_or(d.predictor),
            model: self.model.unwrap_or(d.model),
            exact: self.exact.unwrap_or(d.exact),
            estimator: self.estimator.unwrap_or(d.estimator),
            side: self.side,
            fsn_alpha: self.fsn_alpha.unwrap_or(d.fsn_alpha),
            fsn_target: self.fsn_target,
            fsn_weighted: self.fsn_weighted,
            fsn_test: self.fsn_test.unwrap_or(d.fsn_test),
            petpeese_alpha: self.petpeese_alpha.unwrap_or(d.petpeese_alpha),
            tes_h0: self.tes_h0.unwrap_or(d.tes_h0),
            tes_study_alternative: self
                .tes_study_alternative
                .unwrap_or(d.tes_study_alternative),
            tes_alpha: self.tes_alpha.unwrap_or(d.tes_alpha),
            tes_theta: self.tes_theta,
            tes_test: self.tes_test,
            tes_alternative: self.tes_alternative.unwrap_or(d.tes_alternative),
            tes_tau2: self.tes_tau2,
            tes_limit_alpha: self.tes_limit_alpha.unwrap_or(d.tes_limit_alpha),
            selmodel: self.selmodel,
            steps: self.steps.clone(),
            alternative: self.alternative.unwrap_or(d.alternative),
            selmodel_prec: self.selmodel_prec,
            selmodel_scaleprec: self.selmodel_scaleprec.unwrap_or(d.selmodel_scaleprec),
            selmodel_delta: self.selmodel_delta.clone(),
        }
    }
}

pub fn run(args: &BiasArgs) -> Result<(), CliError> {
    let (table, sha) = args.model.read_table(&args.file)?;
    let result = bias_with(&table, &args.model.spec(), &args.methods.options(), &sha)?;
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&result).expect("results serialise") + "\n",
        Format::Text | Format::Csv => rema_data::render::bias_text(&result),
    };
    print!("{out}");
    Ok(())
}
