//! `rema analyze`: one meta-analysis of one CSV file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rema_core::convert::{MeanMethod, SdRangeMethod};
use rema_core::resample::bootstrap::BootstrapType;
use rema_core::robust::RobustType;
use rema_core::PermutationStat;
use rema_data::spec::Permutations;
use rema_data::{analyze_with, AnalysisSpec};

use crate::exit::CliError;
use crate::model_args::{self, ModelArgs};

/// Pool the studies of a CSV file, as metafor's rma().
///
/// The CSV has a header with metafor's column names and an optional `study`
/// column:
///   RR, OR, RD, AS, PHI, YUQ, YUY, OR2DN, OR2DL
///                         ai, bi, ci, di   (or ai, n1i, ci, n2i)
///   MD, SMD, SMDH, SMD1, ROM, CVR, VR
///                         m1i, sd1i, n1i, m2i, sd2i, n2i
///   MN, MNLN, CVLN, SDLN, SMN  mi, sdi, ni   (one group; SDLN needs no mi)
///   MC, SMCC, SMCR        m_pre, sd_pre, m_post, sd_post, ni, ri
///                         (or metafor's m1i = post, m2i = pre, sd1i, sd2i, ni, ri)
///   PR, PLN, PLO, PAS, PFT  xi, ni
///   COR, UCOR, ZCOR       ri, ni
///   PCOR, ZPCOR, SPCOR    ti, ni, mi   (SPCOR also r2i: the model's R^2)
///   IRR, IRD, IRSD        x1i, t1i, x2i, t2i   (events, person-time)
///   IR, IRLN, IRS, IRFT   xi, ti
///   GEN                   yi, vi   (or yi, sei)
///
/// A blank or absent mean or SD is estimated from what the study reported,
/// and each estimate is listed in the notes (arm 1 shown; 2i, _pre, _post alike):
///   se1i                        SD = SE * sqrt(n)
///   lower1i, upper1i            95% CI of the mean (Cochrane Handbook 6.5.2.2)
///   median1i, q1_1i, q3_1i      mean Luo 2018, SD Wan 2014
///   median1i, min1i, max1i      mean Luo 2018 (--mean-method hozo2005), SD Wan 2014
///   min1i, max1i                SD Wan 2014 (--sd-method walter_yao2007 or hozo2005)
///   p_change / t_change         pre/post: ri from the paired test (RevMan calculator)
/// A blank or absent ri without p_change/t_change is assumed (--ri, default 0.5).
///
/// Examples:
///   rema analyze examples/bcg/bcg.csv --measure RR --method REML
///   rema analyze data.csv --measure SMD --method DL --test knha --tau2-ci --format json
///   rema analyze data.csv --measure RR --leave-one-out --influence
///   rema analyze data.csv --measure RR --cumulative --order year
///   rema analyze leaks.csv --measure PLO --method GLMM
///
/// --method GLMM (with --measure PLO only) fits the binomial-normal
/// random-intercept model by maximum likelihood with 7-point adaptive
/// Gauss-Hermite quadrature, as metafor's rma.glmm(measure = "PLO"); it suits
/// rare events and studies with zero events. With --mods it fits the
/// meta-regression, as rma.glmm(measure = "PLO", mods = ~ A + B).
///
/// Heterogeneity (other columns of the file are study characteristics):
///   rema analyze bcg.csv -m RR --by alloc                 subgroups, separate tau^2
///   rema analyze bcg.csv -m RR --by alloc --tau2-common   subgroups, one tau^2
///   rema analyze bcg.csv -m RR --mods ablat,year,alloc    meta-regression
///   rema analyze bcg.csv -m RR --mods "~ ablat*year + relevel(alloc, ref = 'random')"
///   rema analyze bcg.csv -m RR --mods ablat --permutations 1000 --seed 42
///   rema analyze bcg.csv -m RR --permutations exact       exact sign-flip test
///   rema analyze bcg.csv -m RR --permutations exact --permutation-stat coef --permci
///   rema analyze bcg.csv -m RR --tau2-test 1000 --seed 42  test of tau^2 = 0
///   rema analyze bcg.csv -m RR --bootstrap 5000 --seed 7 --bootstrap-type parametric
///   rema analyze bcg.csv -m RR --mods ablat --bootstrap 5000 --seed 7   bootstrap of a meta-regression
///
/// Resampling runs in parallel (RAYON_NUM_THREADS sets the threads); a given
/// --seed gives identical output at any number of threads. Without --seed a
/// seed is drawn and recorded in the JSON output (provenance.options.seed).
/// A progress bar is shown on a terminal; Ctrl-C stops a run cleanly.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AnalyzeArgs {
    /// The CSV file (comma, semicolon or tab separated; UTF-8; R's write.csv
    /// and write.csv2 output as it is) or Excel workbook (.xlsx, see --sheet).
    pub file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Add Q-profile confidence intervals for tau^2, I^2 and H^2 (metafor confint()).
    #[arg(long)]
    pub tau2_ci: bool,
    /// Pre/post correlation assumed where `ri` is blank or absent and no
    /// `p_change`/`t_change` is given (default 0.5; flagged in the notes).
    #[arg(long)]
    pub ri: Option<f64>,
    /// Mean from median and range: luo2018 (default) or hozo2005.
    #[arg(long, value_parser = model_args::mean_methods())]
    pub mean_method: Option<MeanMethod>,
    /// SD from a range: wan2014 (default), hozo2005 or walter_yao2007.
    #[arg(long, value_parser = model_args::sd_methods())]
    pub sd_method: Option<SdRangeMethod>,
    /// Subgroup analysis: a fit within each level of COLUMN and the test for
    /// subgroup differences (Q-between of the subgroup estimates).
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// With --by: one tau^2 common to all subgroups (metafor
    /// rma(mods = ~ factor(by) - 1)) instead of a separate tau^2 per subgroup.
    #[arg(long, requires = "by")]
    pub tau2_common: bool,
    /// Meta-regression on these columns (comma-separated), as metafor
    /// rma(mods = ~ A + B), or on an R formula starting with ~:
    /// --mods "~ ablat + factor(alloc)", with factor(), relevel(x, ref =
    /// "level"), I(arithmetic), log(), sqrt(), exp(), interactions a:b and
    /// a*b, and - 1 or 0 + for no intercept. Numeric columns enter as they
    /// are; text columns are dummy-coded against their first level (sorted
    /// as R's factor()).
    #[arg(long, value_name = "A,B|~ FORMULA")]
    pub mods: Vec<String>,
    /// With --mods: predictions at new moderator values (metafor
    /// predict(res, newmods = ...)), by column: --newmods "ablat=10,30,50";
    /// several columns separated by ';' ("ablat=10,30; alloc=random,random"),
    /// one value serving every prediction. The values go through the --mods
    /// formula as the studies' cells do.
    #[arg(long, value_name = "COL=V1,V2;...", requires = "mods")]
    pub newmods: Option<String>,
    /// Permutation tests (metafor permutest): a number of iterations
    /// (counting the observed data), or `exact` for complete enumeration. An
    /// exact test is run whenever it needs no more iterations than asked.
    /// Adds a test of subgroup differences with --by.
    #[arg(long, value_name = "N|exact", value_parser = model_args::permutations)]
    pub permutations: Option<Permutations>,
    /// The statistic the permutation test compares per coefficient: test
    /// (the z or t statistic, metafor's default) or coef (the coefficient
    /// itself, as Follmann & Proschan 1999; metafor stat = "coef").
    #[arg(long, default_value = "test", requires = "permutations", value_parser = model_args::permutation_stats())]
    pub permutation_stat: PermutationStat,
    /// With --permutations: confidence intervals of the coefficients by
    /// inverting the permutation test (metafor permutest(permci = TRUE)).
    #[arg(long, requires = "permutations")]
    pub permci: bool,
    /// Test tau^2 = 0 by parametric resampling: N draws from the fitted
    /// model with tau^2 = 0 (the observed data counted), refitted with the
    /// same estimator; p is the share with tau^2* >= tau^2.
    #[arg(long, value_name = "N")]
    pub tau2_test: Option<u64>,
    /// Bootstrap with N replicates: percentile and BCa intervals for the
    /// pooled estimate, tau^2, I^2 and H^2. With --mods, for every
    /// coefficient and the residual tau^2, I^2 and H^2 (studies resampled
    /// with their moderators; parametric: y* = X b + N(0, vi + tau^2)).
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<u64>,
    /// How bootstrap replicates are drawn.
    #[arg(long, default_value = "nonparametric", value_parser = model_args::bootstrap_types())]
    pub bootstrap_type: BootstrapType,
    /// Seed of the permutation tests and the bootstrap.
    #[arg(long)]
    pub seed: Option<u64>,
    /// With --random FORMULA: effects with the same value of COLUMN have
    /// correlated sampling errors, cov = rho * sqrt(vi * vj) (metafor vcalc,
    /// clubSandwich impute_covariance_matrix); needs --rho.
    #[arg(long, value_name = "COLUMN", requires = "rho")]
    pub cluster: Option<String>,
    /// The correlation of sampling errors within a --cluster.
    #[arg(long, value_name = "R", requires = "cluster")]
    pub rho: Option<f64>,
    /// With --random FORMULA: known sampling covariances from a long CSV
    /// table with columns row, col, cov (metafor rma.mv's V), where row and
    /// col are 1-based study rows of the data file (1 = the first study
    /// line); pairs not given are 0, a diagonal entry must equal vi. Not
    /// with --cluster/--rho.
    #[arg(long, value_name = "FILE", value_parser = model_args::vcov_file, conflicts_with = "cluster")]
    pub vcov: Option<model_args::VcovFile>,
    /// The variance structure of a --random "~ inner | outer" term (metafor
    /// rma.mv struct): CS (one tau^2 and one rho; metafor's default), HCS
    /// (a tau^2 per inner level, one rho), UN (a tau^2 per level and a rho
    /// per pair), DIAG (a tau^2 per level, no correlation) or ID (one
    /// tau^2). Example: --random "~ outcome | trial" --struct UN.
    #[arg(long = "struct", value_name = "STRUCT", value_parser = model_args::var_structs())]
    pub var_struct: Option<rema_core::mv::VarStruct>,
    /// Cluster-robust tests of the coefficients by the levels of COLUMN,
    /// for rma and multilevel models (metafor robust(); clubSandwich).
    #[arg(long, value_name = "COLUMN")]
    pub robust: Option<String>,
    /// The cluster-robust correction: CR2 (default; clubSandwich with
    /// Satterthwaite df and the HTZ test) or CR1 (metafor robust()).
    #[arg(long, value_parser = model_args::robust_types(), requires = "robust")]
    pub robust_type: Option<RobustType>,
    /// With --robust and a multilevel model with moderators: the cluster
    /// wild bootstrap test of the moderators (omnibus) and of each
    /// coefficient, N replicates with Rademacher weights by the clusters of
    /// --robust (Joshi, Pustejovsky & Beretvas 2022; wildmeta
    /// Wald_test_cwb); seeded by --seed.
    #[arg(long, value_name = "N", requires = "robust")]
    pub wild_bootstrap: Option<u64>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Refit without each study in turn (metafor leave1out()); with --mods,
    /// the meta-regression without each study.
    #[arg(long)]
    pub leave_one_out: bool,
    /// Influence diagnostics per study: rstudent, dffits, Cook's distance,
    /// covratio, tau^2 and Q without the study, hat, weight, influential flag
    /// (metafor influence()).
    #[arg(long)]
    pub influence: bool,
    /// Cumulative meta-analysis, adding one study at a time (metafor cumul());
    /// with --mods, the cumulative meta-regression (a step with too few
    /// studies for the model has no numbers, and says why).
    #[arg(long)]
    pub cumulative: bool,
    /// Column whose ascending values order --cumulative (e.g. year); ties keep
    /// the file's order. Default: the file's order.
    #[arg(long, value_name = "COL", requires = "cumulative")]
    pub order: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary like metafor's print.rma.
    Text,
    /// One JSON object (schema in docs/SCHEMA.md).
    Json,
    /// One header line and one line of results; with --mods, --by,
    /// --leave-one-out, --influence, --cumulative or --bootstrap, a table
    /// with one line per part (columns part, label, term; docs/CLI.md).
    Csv,
}

impl AnalyzeArgs {
    /// The spec of the flags; a seed is drawn (and recorded in the output)
    /// when resampling is asked for without --seed.
    pub fn spec(&self) -> AnalysisSpec {
        AnalysisSpec {
            tau2_ci: self.tau2_ci,
            ri: self.ri,
            mean_method: self.mean_method,
            sd_method: self.sd_method,
            leave_one_out: self.leave_one_out,
            influence: self.influence,
            cumulative: self.cumulative,
            order: self.order.clone(),
            by: self.by.clone(),
            tau2_common: self.tau2_common,
            mods: model_args::mods_terms(&self.mods),
            newmods: self.newmods.clone(),
            permutations: self.permutations,
            permutation_stat: self.permutation_stat,
            permci: self.permci,
            tau2_test: self.tau2_test,
            bootstrap: self.bootstrap,
            bootstrap_type: self.bootstrap_type,
            cluster: self.cluster.clone(),
            rho: self.rho,
            robust: self.robust.clone(),
            robust_type: self.robust_type,
            wild_bootstrap: self.wild_bootstrap,
            var_struct: self.var_struct,
            vcov: self.vcov.as_ref().map(|v| v.0.clone()).unwrap_or_default(),
            seed: self.seed.or_else(|| {
                (self.permutations.is_some()
                    || self.tau2_test.is_some()
                    || self.bootstrap.is_some()
                    || self.wild_bootstrap.is_some())
                .then(crate::progress::fresh_seed)
            }),
            ..self.model.spec()
        }
    }
}

pub fn run(args: &AnalyzeArgs) -> Result<(), CliError> {
    let (table, sha) = args.model.read_table(&args.file)?;
    let spec = args.spec();
    let long = spec.permutations.is_some() || spec.tau2_test.is_some() || spec.bootstrap.is_some();
    let result =
        crate::progress::with_hooks(long, |hooks| analyze_with(&table, &spec, &sha, hooks))?;
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&result).expect("results serialise") + "\n",
        Format::Text => rema_data::render::text(&result),
        Format::Csv => rema_data::render::csv(&result),
    };
    print!("{out}");
    Ok(())
}
