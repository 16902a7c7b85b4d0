//! The figures and the HTML report of `rema run`: rema-plot draws them from
//! the run's output ([`rema_plot::adapt::run::run_report`]); this writes
//! them, each figure as SVG and PNG.

use std::path::{Path, PathBuf};

use rema_data::run::RunOutput;
use rema_plot::adapt::run::run_report;
use rema_plot::{render_report, svg_to_png};

use crate::exit::{CliError, DATA, INTERNAL};

fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError {
        message: format!("{}: cannot write: {e}", path.display()),
        code: DATA,
    })?;
    Ok(path.to_path_buf())
}

/// Writes `name.svg` and `name.png` into `dir`.
fn write_figure(
    dir: &Path,
    name: &str,
    svg: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    written.push(write(&dir.join(format!("{name}.svg")), svg.as_bytes())?);
    let png = svg_to_png(svg, 2.0).map_err(|e| CliError {
        message: format!("rendering {name}.png: {e}"),
        code: INTERNAL,
    })?;
    written.push(write(&dir.join(format!("{name}.png")), &png)?);
    Ok(())
}

/// Writes the figures (SVG and PNG) into `dir/figures` and `report.html`
/// into `dir`; returns the files written.
pub fn write_report(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let fig_dir = dir.join("figures");
    std::fs::create_dir_all(&fig_dir).map_err(|e| CliError {
        message: format!("{}: cannot create: {e}", fig_dir.display()),
        code: DATA,
    })?;
    let run = run_report(out);
    let mut written = Vec::new();
    for f in &run.figures {
        write_figure(&fig_dir, &f.stem, &f.svg, &mut written)?;
    }
    written.push(write(
        &dir.join("report.html"),
        render_report(&run.report).as_bytes(),
    )?);
    Ok(written)
}
