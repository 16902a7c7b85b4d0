//! `rema plot KIND`: the diagnostic plots of one analysis.

use clap::{Args, ValueEnum};
use rema_plot::adapt::diagnostic;
use rema_plot::{forest_svg, scatter_svg};

use crate::analyze::AnalyzeArgs;
use crate::exit::{self, CliError};
use crate::figure::{self, OutArgs};

/// Which plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Contribution to Q against influence on the result (metafor baujat).
    Baujat,
    /// Galbraith's radial plot, z against precision (metafor radial).
    Radial,
    /// L'Abbe plot of 2x2 data: treatment risk against control risk (metafor labbe).
    Labbe,
    /// Meta-regression on one --mods moderator: bubbles, fitted line, CI (metafor regplot).
    Bubble,
    /// Normal Q-Q plot of the studentized deleted residuals (metafor qqnorm).
    Qq,
    /// The (restricted) log-likelihood of tau^2 on a grid (metafor profile).
    Profile,
    /// Forest plot of the fits leaving out one study at a time (metafor leave1out).
    LeaveOneOut,
    /// Forest plot of the cumulative fits, in file order or --order (metafor cumul).
    Cumulative,
}

/// Draw a diagnostic plot (SVG or PNG) of the analysis of a CSV file.
///
/// Takes the file and the options of `rema analyze` (measure, method, test,
/// level, ...), fits the model the same way and draws:
///   baujat         each study's squared Pearson residual against its
///                  influence on the pooled estimate (leave-one-out shift)
///   radial         y/s against 1/s (s = sqrt(vi + tau^2)), the estimate as
///                  the slope through the origin, with a +-z band
///   labbe          treatment against control event risk of 2x2 data, bubble
///                  area by weight, the line of no effect and the pooled effect
///   bubble         effect against the one moderator of --mods, bubble area by
///                  weight, the fitted meta-regression line and its CI band
///   qq             sorted studentized deleted residuals against normal quantiles
///                  (with --envelope, metafor's simulated envelope)
///   profile        the (restricted) log-likelihood of tau^2 from 0 to twice
///                  its estimate, the estimate marked
///   leave-one-out  a forest plot of the model refitted without each study
///   cumulative     a forest plot of the model fitted to the first 1, 2, ... k
///                  studies (in file order, or by --order)
/// Labels are drawn beside the points where they fit, and every point has its
/// study as a tooltip in the SVG. (--format is ignored here.)
///
/// Examples:
///   rema plot baujat examples/bcg/bcg.csv --measure RR --out baujat.svg
///   rema plot labbe examples/bcg/bcg.csv -m RR --out labbe.png
///   rema plot bubble examples/bcg/bcg.csv -m RR --mods ablat --out bubble.png
///   rema plot cumulative examples/bcg/bcg.csv -m RR --cumulative --order year --out cumul.svg
///   rema plot qq examples/bcg/bcg.csv -m RR --envelope --seed 1 --reps 1000 --out qq.png
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PlotArgs {
    /// The plot to draw.
    #[arg(value_enum)]
    pub kind: Kind,
    #[command(flatten)]
    pub analysis: AnalyzeArgs,
    #[command(flatten)]
    pub out: OutArgs,
    /// qq: draw metafor's simulated pseudo-confidence envelope (qqnorm(res,
    /// envelope = TRUE)) at the model's --level, seeded by --seed (drawn and
    /// shown in the legend when not given).
    #[arg(long)]
    pub envelope: bool,
    /// qq: the envelope's replicates (metafor reps; default 1000).
    #[arg(long, value_name = "N")]
    pub reps: Option<usize>,
    /// qq: Bonferroni-corrected envelope bounds (metafor bonferroni = TRUE).
    #[arg(long)]
    pub bonferroni: bool,
    /// qq: the envelope's bounds as simulated, without metafor's super
    /// smoother (metafor smooth = FALSE).
    #[arg(long)]
    pub no_smooth: bool,
}

fn usage(message: String) -> CliError {
    CliError {
        message,
        code: exit::USAGE,
    }
}

pub fn run(args: &PlotArgs) -> Result<(), CliError> {
    figure::kind_of(&args.out.out)?;
    let mut spec = args.analysis.spec();
    match args.kind {
        Kind::Baujat | Kind::LeaveOneOut => spec.leave_one_out = true,
        Kind::Qq => spec.influence = true,
        Kind::Cumulative => spec.cumulative = true,
        Kind::Bubble if spec.mods.len() != 1 => {
            return Err(usage(format!(
                "rema plot bubble draws a meta-regression on one moderator: give one column with --mods (got {})",
                spec.mods.len()
            )))
        }
        _ => {}
    }
    if args.kind != Kind::Bubble && !spec.mods.is_empty() {
        return Err(usage(format!(
            "--mods: the {:?} plot is drawn for the model without moderators; drop --mods (or draw `rema plot bubble`)",
            args.kind
        )));
    }
    let envelope_flags = [
        ("--reps", args.reps.is_some()),
        ("--bonferroni", args.bonferroni),
        ("--no-smooth", args.no_smooth),
    ];
    if args.kind != Kind::Qq && args.envelope {
        return Err(usage(format!(
            "--envelope: the simulated envelope belongs to the Q-Q plot; drop --envelope or draw `rema plot qq` (not {:?})",
            args.kind
        )));
    }
    if let Some((flag, _)) = envelope_flags.iter().find(|(_, on)| *on) {
        if !args.envelope {
            return Err(usage(format!(
                "{flag} is an option of the Q-Q envelope; add --envelope (with `rema plot qq`) or drop {flag}"
            )));
        }
    }
    let (table, sha) = args.analysis.model.read_table(&args.analysis.file)?;
    let result = rema_data::analyze(&table, &spec, &sha)?;
    let fail = |m: String| CliError {
        message: m,
        code: exit::ESTIMATION,
    };
    let chart = match args.kind {
        Kind::Baujat => diagnostic::baujat(&result).map_err(fail)?.chart(),
        Kind::Radial => diagnostic::radial(&result).chart(),
        Kind::Qq => {
            let mut d = diagnostic::qq(&result).map_err(fail)?;
            if args.envelope {
                let opts = rema_core::resample::qq_envelope::QqEnvelopeOptions {
                    level: result.level,
                    reps: args.reps.unwrap_or(1000),
                    bonferroni: args.bonferroni,
                    smooth: !args.no_smooth,
                    bass: 0.0,
                    seed: args
                        .analysis
                        .seed
                        .unwrap_or_else(crate::progress::fresh_seed),
                };
                d.envelope = Some(diagnostic::qq_envelope(&result, &opts).map_err(usage)?);
            }
            d.chart()
        }
        Kind::Profile => diagnostic::profile(&result).map_err(fail)?.chart(),
        Kind::Labbe => diagnostic::labbe(&table, &result).map_err(usage)?.chart(),
        Kind::Bubble => diagnostic::bubble(&table, &result, &spec.mods[0])
            .map_err(fail)?
            .chart(),
        Kind::LeaveOneOut | Kind::Cumulative => {
            let which = if args.kind == Kind::LeaveOneOut {
                diagnostic::Refits::LeaveOneOut
            } else {
                diagnostic::Refits::Cumulative
            };
            let mut d = diagnostic::refits_forest(&result, which).map_err(fail)?;
            d.title = args.out.title.clone();
            d.options.width = args.out.width;
            d.options.height = args.out.height;
            return figure::write(&forest_svg(&d), &args.out);
        }
    };
    let mut chart = chart;
    chart.title = args.out.title.clone();
    if let Some(w) = args.out.width {
        chart.width = w.max(240.0);
    }
    if let Some(h) = args.out.height {
        chart.height = h.max(240.0);
    }
    figure::write(&scatter_svg(&chart), &args.out)
}
