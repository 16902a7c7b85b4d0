//! What `rema forest` and `rema funnel` share: reading and analysing the
//! file, the output path (SVG or PNG by extension) and writing it.

use std::path::{Path, PathBuf};

use clap::Args;
use rema_data::{analyze, AnalysisResult, Table};

use crate::analyze::AnalyzeArgs;
use crate::exit::{self, CliError};

/// Output options of a figure.
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Where to write the figure: PATH.svg or PATH.png (by extension).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Width of the figure in px (the plot panel takes what the text leaves).
    #[arg(long)]
    pub width: Option<f64>,
    /// Height of the figure in px (rows are spread out to fill it; never squeezed).
    #[arg(long)]
    pub height: Option<f64>,
    /// Title printed above the figure.
    #[arg(long)]
    pub title: Option<String>,
    /// Pixels per SVG unit of a PNG (2 gives print quality).
    #[arg(long, default_value_t = 2.0)]
    pub png_scale: f32,
}

/// SVG or PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Svg,
    Png,
}

pub fn kind_of(path: &Path) -> Result<Kind, CliError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => Ok(Kind::Svg),
        Some("png") => Ok(Kind::Png),
        _ => Err(CliError {
            message: format!(
                "--out {}: the file name must end in .svg or .png",
                path.display()
            ),
            code: exit::USAGE,
        }),
    }
}

/// Reads `args.file` and runs the analysis, as `rema analyze` does.
pub fn analysis(args: &AnalyzeArgs) -> Result<(Table, AnalysisResult), CliError> {
    let (table, sha) = args.model.read_table(&args.file)?;
    let result = analyze(&table, &args.spec(), &sha)?;
    Ok((table, result))
}

/// Writes `svg` (as SVG or PNG by the extension of `out.out`).
pub fn write(svg: &str, out: &OutArgs) -> Result<(), CliError> {
    let kind = kind_of(&out.out)?;
    let bytes = match kind {
        Kind::Svg => svg.as_bytes().to_vec(),
        Kind::Png => rema_plot::svg_to_png(svg, out.png_scale).map_err(|e| CliError {
            message: e.to_string(),
            code: exit::INTERNAL,
        })?,
    };
    std::fs::write(&out.out, bytes).map_err(|e| CliError {
        message: format!("cannot write {}: {e}", out.out.display()),
        code: exit::DATA,
    })?;
    eprintln!("wrote {}", out.out.display());
    Ok(())
}
