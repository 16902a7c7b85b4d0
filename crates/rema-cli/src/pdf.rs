//! `rema run --pdf`: prints `report.html` to `report.pdf` through headless
//! Chromium (the report's print stylesheet lays out the pages).
//!
//! Chromium is `$REMA_CHROMIUM`, else the first of `chromium`,
//! `chromium-browser`, `google-chrome` on PATH. It runs with a fresh
//! profile in a temporary folder (removed afterwards), no network
//! (`--disable-background-networking`, and the report loads nothing), and
//! is stopped after two minutes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::exit::{CliError, UNAVAILABLE};

/// The names looked for on PATH, in order.
const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// How long Chromium may take to print the report.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The Chromium to print with, if one is installed.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REMA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    NAMES.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn unavailable(message: String) -> CliError {
    CliError {
        message,
        code: UNAVAILABLE,
    }
}

/// Prints `html` (a file) to `pdf` with headless Chromium.
pub fn print_to_pdf(html: &Path, pdf: &Path) -> Result<PathBuf, CliError> {
    let chromium = find_chromium().ok_or_else(|| {
        unavailable(format!(
            "--pdf needs Chromium to print {}, and none was found ($REMA_CHROMIUM is unset and none of {} is on PATH); install it (apt-get install chromium) or set REMA_CHROMIUM=/path/to/chrome, or open report.html in a browser and print it",
            html.display(),
            NAMES.join(", ")
        ))
    })?;
    let html = std::fs::canonicalize(html)
        .map_err(|e| unavailable(format!("{}: cannot be read: {e}", html.display())))?;
    let profile = std::env::temp_dir().join(format!(
        "rema-pdf-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let _ = std::fs::remove_file(pdf);
    // A file, not a pipe: a chatty Chromium must not block on a full pipe.
    let log = profile.with_extension("log");
    let log_file = std::fs::File::create(&log)
        .map_err(|e| unavailable(format!("{}: cannot be created: {e}", log.display())))?;
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .map_err(|e| unavailable(format!("{}: cannot be started: {e}", chromium.display())))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&log);
                let _ = std::fs::remove_dir_all(&profile);
                return Err(unavailable(format!(
                    "{} did not print {} within {} s; it was stopped",
                    chromium.display(),
                    html.display(),
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                return Err(unavailable(format!("{}: {e}", chromium.display())));
            }
        }
    };
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_dir_all(&profile);
    let ok = std::fs::read(pdf)
        .map(|b| b.starts_with(b"%PDF"))
        .unwrap_or(false);
    if !status.success() || !ok {
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(unavailable(format!(
            "{} did not print {} to {} ({status}); its last messages: {}",
            chromium.display(),
            html.display(),
            pdf.display(),
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    Ok(pdf.to_path_buf())
}
