//! Writing the outputs of a plan run into a folder.

use std::path::{Path, PathBuf};

use super::summary::{summary_csv, summary_markdown};
use super::RunOutput;
use crate::error::{DataError, Result};

/// Writes `results.json`, `summary.md`, `summary.csv` and (for a review)
/// `review.json` into `dir`, creating it. Returns the paths written.
pub fn write_outputs(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |path: &Path| {
        let p = path.display().to_string();
        move |source| DataError::Io { path: p, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut files = vec![
        (
            dir.join("results.json"),
            serde_json::to_string_pretty(&out.results).expect("results serialise") + "\n",
        ),
        (dir.join("summary.md"), summary_markdown(&out.results)),
        (dir.join("summary.csv"), summary_csv(&out.results)),
    ];
    if let Some(r) = &out.review {
        files.push((dir.join("review.json"), r.to_json()));
    }
    let mut written = Vec::new();
    for (path, text) in files {
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}
