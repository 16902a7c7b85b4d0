//! The web page in a real browser: Debian's `chromium`, headless, driven by
//! the page's own link parameters (`?csv=...&measure=RR&run=1` fills the
//! form as a paste would and presses Run). `--dump-dom` prints the page after
//! its JS has run, and the test reads the result table from it.
//!
//! Chromium is required: CI installs it in `.ci/run`. Without it the tests
//! fail with a message, unless `REMA_SKIP_BROWSER=1` is set.
//! `REMA_CHROMIUM` may name another binary.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, TempDir, BCG};
use rema_data::AnalysisResult;
use rema_server::{app, AppState};

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("REMA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    if std::env::var("REMA_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("skipped: no chromium on PATH and REMA_SKIP_BROWSER=1");
        return None;
    }
    panic!(
        "the browser test needs Debian's `chromium` on PATH (apt-get install -y chromium; \
         .ci/run installs it). Set REMA_SKIP_BROWSER=1 to skip it on a machine without one."
    );
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The DOM of `url` after its scripts ran (virtual time lets the fetches finish).
fn dump_dom(chrome: &PathBuf, url: &str) -> String {
    let profile = TempDir::new("chromium");
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

fn page_url(port: u16, csv: &str, measure: &str) -> String {
    format!(
        "http://127.0.0.1:{port}/?measure={measure}&method=REML&test=z&tau2_ci=1&run=1&csv={}",
        encode(csv)
    )
}

#[test]
fn the_page_runs_an_analysis_and_shows_the_table() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser");
    let server = Server::start(&dir.0.join("rema.db"), &[]);
    let dom = dump_dom(&chrome, &page_url(server.port, BCG, "RR"));
    assert!(dom.contains("data-state=\"done\""), "{dom}");
    // The per-study table and the pooled estimate (metafor: -0.7145, tau2 0.3132).
    assert!(dom.contains("<td>Aronson 1948</td>"), "{dom}");
    assert!(dom.contains("<td>Comstock et al 1976</td>"), "{dom}");
    assert!(dom.contains("<td>-0.7145</td>"), "{dom}");
    assert!(dom.contains("0.3132 [0.1197, 1.1115]"), "{dom}");
    assert!(
        dom.contains("href=\"blob:"),
        "the JSON download is offered: {dom}"
    );
    // The forest plot, or the server's word that this build has none.
    assert!(
        dom.contains("<svg") || dom.contains("id=\"forest-unavailable\""),
        "{dom}"
    );
    // The analysis the page ran is stored.
    let list = server.request("GET", "/v1/analyses", None).json();
    assert_eq!(list["total"], 1);
}

#[test]
fn the_page_shows_the_servers_error_naming_the_column() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser-err");
    let server = Server::start(&dir.0.join("rema.db"), &[]);
    let csv = "study,ai,bi,ci,di\nA,4,119,x,128\nB,6,300,29,274\n";
    let dom = dump_dom(&chrome, &page_url(server.port, csv, "RR"));
    assert!(dom.contains("data-state=\"error\""), "{dom}");
    assert!(dom.contains("invalid_data"), "{dom}");
    assert!(dom.contains("column `ci`"), "{dom}");
}

/// A stand-in forest plot, to check the page's plot path until the plotting
/// crate is wired into `rema_server::plots`.
fn fixture_svg(r: &AnalysisResult) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"fixture-forest\" width=\"200\" height=\"40\"><text x=\"5\" y=\"25\">{} studies</text></svg>",
        r.k
    )
}

#[test]
fn the_page_shows_and_offers_the_svg_when_the_server_draws_one() {
    let Some(chrome) = chromium() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut state = AppState::in_memory();
    state.forest = Some(fixture_svg);
    rt.spawn(async move { axum::serve(listener, app(state)).await });
    let dom = dump_dom(&chrome, &page_url(port, BCG, "RR"));
    assert!(dom.contains("data-state=\"done\""), "{dom}");
    assert!(dom.contains("id=\"fixture-forest\""), "{dom}");
    assert!(dom.contains("13 studies"), "{dom}");
    let link = dom.split("id=\"download-svg\"").nth(1).unwrap();
    let link = &link[..link.find('>').unwrap()];
    assert!(
        link.contains("/forest.svg\"") && !link.contains("hidden"),
        "{link}"
    );
}
