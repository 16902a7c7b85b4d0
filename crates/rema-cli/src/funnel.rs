//! `rema funnel`: a funnel plot of one analysis.

use clap::Args;
use rema_plot::{funnel_svg, FunnelData};

use crate::analyze::AnalyzeArgs;
use crate::exit::{self, CliError};
use crate::figure::{self, OutArgs};

/// Draw a funnel plot (SVG or PNG): each study's effect against its standard
/// error (0 at the top), with 90/95/99% pseudo-confidence contours around the
/// pooled estimate, or with --significance the shaded contour-enhanced funnel
/// around the null (Peters et al. 2008). Ratios are drawn on the log scale
/// with ratio tick labels. (--format is ignored here.)
///
/// With --trimfill, the studies that trim-and-fill (metafor `trimfill`, L0,
/// as `rema bias`) imputes are drawn hollow, with the adjusted estimate as a
/// dashed line.
///
/// Examples:
///   rema funnel examples/bcg/bcg.csv --measure RR --out funnel.svg
///   rema funnel examples/bcg/bcg.csv -m RR --significance --out funnel.png
///   rema funnel examples/bcg/bcg.csv -m RR --trimfill --out funnel.png
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct FunnelArgs {
    #[command(flatten)]
    pub analysis: AnalyzeArgs,
    #[command(flatten)]
    pub out: OutArgs,
    /// Contour levels in percent, comma-separated.
    #[arg(long, default_value = "90,95,99")]
    pub contours: String,
    /// Shade significance contours around the null (0 on the analysis scale)
    /// instead of pseudo-confidence lines around the estimate.
    #[arg(long)]
    pub significance: bool,
    /// Draw the studies imputed by trim-and-fill and the adjusted estimate.
    #[arg(long)]
    pub trimfill: bool,
    /// With --trimfill: centre the pseudo-CI contours on the adjusted
    /// estimate instead of the pooled one.
    #[arg(long, requires = "trimfill")]
    pub contours_on_adjusted: bool,
}

pub fn run(args: &FunnelArgs) -> Result<(), CliError> {
    figure::kind_of(&args.out.out)?;
    let levels: Option<Vec<f64>> = args
        .contours
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|l| *l > 0.0 && *l < 100.0)
        })
        .collect();
    let Some(levels) = levels else {
        return Err(CliError {
            message: format!(
                "--contours \"{}\": give levels in percent between 0 and 100, e.g. \"90,95,99\"",
                args.contours
            ),
            code: exit::USAGE,
        });
    };
    let (table, result) = figure::analysis(&args.analysis)?;
    let mut f = FunnelData::from(&result);
    f.contours = levels;
    f.contour_center = args.significance.then_some(0.0);
    f.title = args.out.title.clone();
    if let Some(w) = args.out.width {
        f.width = w.max(200.0);
    }
    if let Some(h) = args.out.height {
        f.height = h.max(200.0);
    }
    if args.trimfill {
        let b = rema_data::bias::bias(
            &table,
            &args.analysis.spec(),
            &result.provenance.input_sha256,
        )?;
        if let Some(tf) = &b.trimfill {
            f.add_trimfill(tf);
            f.contours_on_adjusted = args.contours_on_adjusted;
        }
    }
    figure::write(&funnel_svg(&f), &args.out)
}
