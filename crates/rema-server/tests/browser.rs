//! The web page in a real browser: Debian's `chromium`, headless, driven by
//! the page's own link parameters (`?csv=...&measure=RR&run=1` fills the
//! form as a paste would and presses Run). `--dump-dom` prints the page after
//! its JS has run, and the test reads the result table from it.
//!
//! With a token the page is driven as a person would, over the DevTools
//! protocol ([`Devtools`]): the token typed into its field, Run pressed; the
//! test reads the response headers the browser got and checks that the token
//! went into the `Authorization` header only, never into a URL, storage or
//! the DOM.
//!
//! The full analysis is driven over the same protocol
//! ([`the_page_runs_a_full_analysis_from_an_uploaded_file`]): the file
//! uploaded into the file input, options chosen with the keyboard, the
//! tables, plots and methods text read from the page and compared with the
//! library's numbers for the same input, a download saved to disk, no
//! console error, and screenshots at 1280 and 390 px wide saved under
//! `target/tmp/screenshots/` for a person to look at.
//!
//! Chromium is required: CI installs it in `.ci/run`. Without it the tests
//! fail with a message, unless `REMA_SKIP_BROWSER=1` is set.
//! `REMA_CHROMIUM` may name another binary.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{create_token, Server, TempDir, BCG};
use rema_data::AnalysisResult;
use rema_server::{app, AppState};
use serde_json::{json, Value};

/// What makes the page wider than a phone's 390 px, for the failure message:
/// elements whose right edge lies beyond it while their parent's does not,
/// unless the parent scrolls them (the page's `.scroll` boxes round wide
/// tables), and elements whose own text overflows them (a long unbroken word
/// such as a hash).
const WIDER_THAN_390: &str = "Array.from(document.querySelectorAll('body *')).filter(e => { const p = e.parentElement; const scrolls = x => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(x).overflowX); const beyond = e.getBoundingClientRect().right > 391 && p && p.getBoundingClientRect().right <= 391 && !scrolls(p); const text = !scrolls(e) && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0; return beyond || text; }).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth).join(', ')";

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

/// Headless Chromium with a profile of its own in `profile`.
fn headless(chrome: &PathBuf, profile: &TempDir) -> Command {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
    ])
    .arg(format!("--user-data-dir={}", profile.0.display()));
    cmd
}

/// The DOM of `url` after its scripts ran (virtual time lets the fetches finish).
fn dump_dom(chrome: &PathBuf, url: &str) -> String {
    let profile = TempDir::new("chromium");
    let mut child = headless(chrome, &profile)
        .args(["--virtual-time-budget=10000", "--dump-dom"])
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

#[test]
fn an_open_server_says_so_on_its_page() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser-open");
    let server = Server::start(&dir.0.join("rema.db"), &[]);
    let dom = dump_dom(&chrome, &format!("http://127.0.0.1:{}/", server.port));
    assert!(dom.contains("data-access=\"open\""), "{dom}");
    let notice = dom.split("id=\"open-notice\"").nth(1).unwrap();
    assert!(
        !notice[..notice.find('>').unwrap()].contains("hidden"),
        "{dom}"
    );
    assert!(notice.contains("anyone who can connect to it"), "{dom}");
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

/// Headless Chromium driven over the DevTools protocol (a WebSocket to its
/// page target): commands answered in order, events kept for the test.
struct Devtools {
    child: Child,
    ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
    _profile: TempDir,
}

/// `GET /json/list` of DevTools' HTTP endpoint, which keeps the connection
/// open: the body is read by its `Content-Length`.
fn devtools_targets(port: u16) -> Value {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut length = 0;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

impl Devtools {
    fn launch(chrome: &PathBuf) -> Devtools {
        let profile = TempDir::new("chromium-cdp");
        let mut child = headless(chrome, &profile)
            .args(["--remote-debugging-port=0", "about:blank"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…"
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let port: u16 = loop {
            let line = lines
                .next()
                .expect("chromium says where DevTools listens")
                .unwrap();
            if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let start = Instant::now();
        let page = loop {
            let list = devtools_targets(port);
            if let Some(p) = list
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "page")
            {
                break p["webSocketDebuggerUrl"].as_str().unwrap().to_string();
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no page target");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(page).expect("the DevTools WebSocket opens");
        Devtools {
            child,
            ws,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    /// Sends a command and waits for its answer; events read meanwhile are kept.
    fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    /// [`Devtools::call`], answering the protocol's error instead of failing.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(tungstenite::Message::text(msg)).unwrap();
        loop {
            let text = match self.ws.read().expect("DevTools answers") {
                tungstenite::Message::Text(t) => t,
                _ => continue,
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                return match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                };
            }
            self.events.push(v);
        }
    }

    /// The value of a JS expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Polls `expression` until it is true (at most 60 s).
    fn wait_for(&mut self, expression: &str) {
        let start = Instant::now();
        while self.eval(expression) != Value::Bool(true) {
            if start.elapsed() > Duration::from_secs(60) {
                let seen = self.eval(
                    "['error', 'columns-info', 'status'].map((id) => id + ': ' + document.getElementById(id)?.textContent).join(' | ')",
                );
                panic!("never true: {expression}; the page shows {seen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of the element `id`.
    fn text(&mut self, id: &str) -> String {
        let v = self.eval(&format!("document.getElementById('{id}').textContent"));
        v.as_str().unwrap_or_default().to_string()
    }

    /// Whether the element `id` is hidden (its own `hidden` or an ancestor's).
    fn hidden(&mut self, id: &str) -> bool {
        self.eval(&format!(
            "document.getElementById('{id}').closest('[hidden]') !== null"
        )) == Value::Bool(true)
    }

    /// Puts `file` into the file input `selector`, as a person choosing it
    /// in the file dialog (the input's `change` event fires).
    fn upload(&mut self, selector: &str, file: &std::path::Path) {
        let doc = self.call("DOM.getDocument", json!({}));
        let node = self.call(
            "DOM.querySelector",
            json!({"nodeId": doc["root"]["nodeId"], "selector": selector}),
        );
        self.call(
            "DOM.setFileInputFiles",
            json!({"nodeId": node["nodeId"], "files": [file.display().to_string()]}),
        );
    }

    /// Focuses the element `id` and presses `key` on it (`" "`, `"Enter"`,
    /// `"Tab"`), as the keyboard does.
    fn press(&mut self, id: Option<&str>, key: &str) {
        if let Some(id) = id {
            self.eval(&format!("document.getElementById('{id}').focus()"));
        }
        let (code, vk, text) = match key {
            " " => ("Space", 32, " "),
            "Enter" => ("Enter", 13, "\r"),
            "Tab" => ("Tab", 9, ""),
            other => panic!("no key code for {other}"),
        };
        let mut down = json!({"type": "keyDown", "key": key, "code": code,
            "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk});
        if !text.is_empty() {
            down["text"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down);
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": code,
                "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}),
        );
    }

    /// Sets the page's width (and a height) in CSS pixels.
    fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
    }

    /// A screenshot of the whole page as PNG bytes.
    fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        base64_decode(shot["data"].as_str().unwrap())
    }

    /// The console errors, uncaught exceptions and failed loads seen so far.
    fn console_errors(&mut self) -> Vec<String> {
        self.eval("1"); // reads the events that came in meanwhile
        self.events
            .iter()
            .filter_map(|e| match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(e["params"]["exceptionDetails"].to_string()),
                "Runtime.consoleAPICalled" if e["params"]["type"] == "error" => {
                    Some(e["params"]["args"].to_string())
                }
                "Log.entryAdded" if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect()
    }
}

/// Decodes standard base64 (DevTools' screenshots).
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | (u32::from(*v) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Where the screenshots go: `target/tmp/screenshots/NAME.png`.
fn save_screenshot(name: &str, png: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

impl Drop for Devtools {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

#[test]
fn with_a_token_the_page_asks_for_it_keeps_it_in_memory_under_the_security_headers() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser-token");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "browser", "default");
    let server = Server::start(&db, &[]).with_token(&token);
    let mut dt = Devtools::launch(&chrome);
    dt.call("Network.enable", json!({}));
    // The link carries the data and options, never the token (no `run=1`).
    let url = format!(
        "http://127.0.0.1:{}/?measure=RR&method=REML&test=z&tau2_ci=1&csv={}",
        server.port,
        encode(BCG)
    );
    dt.call("Page.navigate", json!({ "url": url }));
    dt.wait_for("document.readyState === 'complete' && document.body.dataset.access === 'token'");
    assert_eq!(
        dt.eval("document.getElementById('open-notice').hidden"),
        true
    );

    // The headers the browser got with the page and its script.
    for (kind, path) in [("Document", "/"), ("Script", "/app.js")] {
        let res = dt
            .events
            .iter()
            .filter(|e| e["method"] == "Network.responseReceived")
            .map(|e| &e["params"])
            .find(|p| p["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} response: {:?}", dt.events));
        let headers = &res["response"]["headers"];
        assert!(res["response"]["url"].as_str().unwrap().contains(path));
        let csp = header(headers, "content-security-policy").unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{kind}: {csp}");
        }
        assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"));
    }

    // Run without the token: the server's 401, shown.
    dt.eval("document.getElementById('run').click()");
    dt.wait_for("document.body.dataset.state === 'error'");
    let text = dt.eval("document.getElementById('error').textContent");
    assert!(text.as_str().unwrap().contains("unauthorized"), "{text}");

    // Type the token as a person would, and press Run.
    dt.eval("document.getElementById('token').focus()");
    dt.call("Input.insertText", json!({ "text": token }));
    dt.eval("document.getElementById('run').click()");
    dt.wait_for("document.body.dataset.state === 'done'");
    let dom = dt.eval("document.documentElement.outerHTML");
    let dom = dom.as_str().unwrap();
    assert!(dom.contains("<td>-0.7145</td>"), "{dom}");
    assert!(dom.contains("0.3132 [0.1197, 1.1115]"), "{dom}");
    assert!(
        dom.contains("<svg"),
        "the forest plot, fetched with the token"
    );
    let link = dom.split("id=\"download-svg\"").nth(1).unwrap();
    assert!(
        link[..link.find('>').unwrap()].contains("href=\"blob:"),
        "{link}"
    );

    // The token is in memory only.
    assert!(!dom.contains(&token), "the token is not in the DOM");
    let kept = dt.eval(
        "location.href + '|' + document.cookie + '|' + localStorage.length + sessionStorage.length",
    );
    assert_eq!(kept.as_str().unwrap().split('|').nth(1), Some(""));
    assert!(kept.as_str().unwrap().ends_with("|00"), "{kept}");
    assert!(!kept.as_str().unwrap().contains(&token));
    let sent: Vec<&Value> = dt
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .map(|e| &e["params"]["request"])
        .collect();
    assert!(sent
        .iter()
        .all(|r| !r["url"].as_str().unwrap().contains(&token)));
    let bearer = format!("Bearer {token}");
    let with_token: Vec<&str> = sent
        .iter()
        .filter(|r| header(&r["headers"], "authorization") == Some(bearer.as_str()))
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert!(
        with_token.iter().any(|u| u.ends_with("/v1/analyses"))
            && with_token.iter().any(|u| u.ends_with("/forest.svg")),
        "{with_token:?}"
    );
    let list = server.request("GET", "/v1/analyses", None).json();
    assert_eq!(list["total"], 1, "the analysis the page ran is stored");
}

/// What the page shows for a number (4 decimals) and a p-value (4 decimals,
/// `<.0001` below), as the text output prints them.
fn shown(x: f64) -> String {
    format!("{x:.4}")
}

fn shown_p(p: f64) -> String {
    if p < 1e-4 {
        "<.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

/// Waits for the run that `start` begins to end; panics with the page's
/// error when it ends in one (unless `error` is expected).
fn run_and_wait(dt: &mut Devtools, start: impl FnOnce(&mut Devtools), error: bool) {
    dt.eval("document.body.dataset.state = 'idle'");
    start(dt);
    dt.wait_for("['done', 'error'].includes(document.body.dataset.state)");
    let state = dt.eval("document.body.dataset.state");
    if !error && state != "done" {
        panic!("the run failed: {}", dt.text("error"));
    }
    if error {
        assert_eq!(state, "error", "the run was meant to fail");
    }
}

/// The page's output as a person reads it (no markup).
fn output_text(dt: &mut Devtools) -> String {
    dt.eval("document.getElementById('output').innerText")
        .as_str()
        .unwrap()
        .to_string()
}

/// Lets the page download into `dir` (where the protocol allows it).
fn allow_downloads(dt: &mut Devtools, dir: &std::path::Path) {
    let params = json!({"behavior": "allow", "downloadPath": dir.display().to_string()});
    if dt
        .try_call("Browser.setDownloadBehavior", params.clone())
        .is_err()
    {
        dt.call("Page.setDownloadBehavior", params);
    }
}

/// The one file that appears in `dir` (a finished download).
fn downloaded(dir: &std::path::Path) -> (String, Vec<u8>) {
    let start = Instant::now();
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none_or(|e| e != "crdownload"))
            .collect();
        if let [file] = files.as_slice() {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            return (name, std::fs::read(file).unwrap());
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no download in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_page_runs_a_full_analysis_from_an_uploaded_file() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser-full");
    let server = Server::start(&dir.0.join("rema.db"), &[]);
    let mut dt = Devtools::launch(&chrome);
    for domain in ["Runtime.enable", "Log.enable", "Page.enable", "DOM.enable"] {
        dt.call(domain, json!({}));
    }
    dt.viewport(1280, 900);
    let downloads = dir.0.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    allow_downloads(&mut dt, &downloads);
    let url = format!("http://127.0.0.1:{}/", server.port);
    dt.call("Page.navigate", json!({ "url": url }));
    dt.wait_for("document.readyState === 'complete' && document.body.dataset.access === 'open'");

    // Every control has a label a screen reader reads out.
    let unlabelled = dt.eval(
        "Array.from(document.querySelectorAll('input, select, textarea, button'))
           .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                          && !(e.tagName === 'BUTTON' && e.textContent.trim()))
           .map((e) => e.id)",
    );
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // Upload the file: its columns become the choices.
    let file = dir.0.join("bcg.csv");
    std::fs::write(&file, BCG).unwrap();
    dt.upload("#file", &file);
    dt.wait_for("document.querySelectorAll('#mods-list input').length === 8");
    let info = dt.text("columns-info");
    assert!(
        info.contains("bcg.csv: 13 studies") && info.contains("ablat, alloc"),
        "{info}"
    );
    let by = dt.eval("Array.from(document.getElementById('by').options).map((o) => o.value)");
    assert_eq!(
        by,
        json!(["", "study", "year", "ai", "bi", "ci", "di", "ablat", "alloc"])
    );

    // Options: the subgroup column chosen, the check boxes ticked and Run
    // pressed with the keyboard.
    dt.eval("(() => { const s = document.getElementById('by'); s.value = 'alloc'; s.dispatchEvent(new Event('change', {bubbles: true})); })()");
    dt.press(Some("tau2ci"), " ");
    dt.press(Some("bias"), " ");
    assert_eq!(
        dt.eval(
            "[document.getElementById('tau2ci').checked, document.getElementById('bias').checked]"
        ),
        json!([true, true])
    );
    // Tab from the last control (the permutations' seed) reaches Run.
    dt.eval("document.getElementById('seed').focus()");
    dt.press(None, "Tab");
    assert_eq!(
        dt.eval("document.activeElement.id"),
        "run",
        "Tab reaches Run"
    );
    run_and_wait(&mut dt, |dt| dt.press(None, "Enter"), false);

    // What the page shows is what the library computes for the same input.
    let table = rema_data::Table::from_str(BCG, "bcg.csv").unwrap();
    let spec = |v: Value| -> rema_data::AnalysisSpec { serde_json::from_value(v).unwrap() };
    let sub = rema_data::analyze(
        &table,
        &spec(json!({"measure": "RR", "tau2_ci": true, "by": "alloc"})),
        "0",
    )
    .unwrap();
    let bias = rema_data::bias(&table, &spec(json!({"measure": "RR"})), "0").unwrap();
    let summary = dt.text("summary");
    // metafor: rma(measure = "RR", ...) on dat.bcg: -0.7145, tau2 0.3132 [0.1197, 1.1115].
    assert!(summary.contains("-0.7145"), "{summary}");
    assert!(summary.contains("0.3132 [0.1197, 1.1115]"), "{summary}");
    assert!(summary.contains(&shown_p(sub.pval)), "{summary}");
    let subgroups = dt.text("subgroups");
    for g in sub.subgroups.as_ref().unwrap() {
        assert!(subgroups.contains(&g.level), "{subgroups}");
        assert!(subgroups.contains(&shown(g.estimate)), "{subgroups}");
    }
    let test = dt.text("subgroup-test");
    assert!(
        test.contains(&format!(
            "Q = {}, df = 2, p = {}",
            shown(sub.q_between.unwrap()),
            shown_p(sub.q_between_pval.unwrap())
        )),
        "{test}"
    );
    let small = dt.text("bias-table");
    let egger = bias.egger.as_ref().unwrap();
    assert!(small.contains("Egger"), "{small}");
    assert!(small.contains(&shown_p(egger.pval)), "{small}");
    let tf = bias.trimfill.as_ref().unwrap();
    assert!(
        small.contains(&format!("{} studies filled", tf.k0)),
        "{small}"
    );
    let fsn = bias.fsn.as_ref().unwrap();
    assert!(
        small.contains(&format!("N = {}", fsn.rosenthal.fsnum.unwrap())),
        "{small}"
    );
    // p-values as the text output prints them, never in exponent notation.
    let text = output_text(&mut dt);
    assert!(text.contains("<.0001"), "{text}");
    assert!(
        !text
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|w| w.contains("e-") && w.chars().next().is_some_and(|c| c.is_ascii_digit())),
        "a number in exponent notation: {text}"
    );
    assert!(dt.eval("document.querySelector('#forest svg') !== null") == true);
    assert!(dt.eval("document.querySelector('#funnel svg') !== null") == true);
    let methods = dt.text("methods");
    assert!(
        methods.contains("Effect sizes were computed as") && methods.contains("REML"),
        "{methods}"
    );

    // The downloads: every format offered; the CSV saved to disk is the API's.
    for id in [
        "download-json",
        "download-csv",
        "download-svg",
        "download-png",
        "download-funnel-svg",
        "download-funnel-png",
    ] {
        assert!(!dt.hidden(id), "{id} is offered");
    }
    dt.eval("document.getElementById('download-csv').click()");
    let (name, bytes) = downloaded(&downloads);
    let list = server.request("GET", "/v1/analyses", None).json();
    assert_eq!(list["total"], 1, "the analysis the page ran is stored");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(name, format!("rema-{id}.csv"));
    let csv = server.request("GET", &format!("/v1/analyses/{id}/result.csv"), None);
    assert_eq!(String::from_utf8(bytes).unwrap(), csv.body);

    // Screenshots at a desktop's and a phone's width; nothing wider than the phone.
    let wide = dt.screenshot();
    assert_eq!(png_size(&wide).0, 1280);
    save_screenshot("page-1280", &wide);
    dt.viewport(390, 844);
    let width = dt.eval("document.documentElement.scrollWidth");
    assert!(
        width.as_u64().unwrap() <= 390,
        "the page is {width} px wide at 390; too wide: {}",
        dt.eval(WIDER_THAN_390)
    );
    let narrow = dt.screenshot();
    assert_eq!(png_size(&narrow).0, 390);
    save_screenshot("page-390", &narrow);
    dt.viewport(1280, 900);

    // A meta-regression, chosen with the keyboard: no subgroups, no
    // small-study tests, the moderator ticked with Space, Enter in Level.
    dt.eval("(() => { const s = document.getElementById('by'); s.value = ''; s.dispatchEvent(new Event('change', {bubbles: true})); })()");
    dt.press(Some("bias"), " ");
    let ablat = dt.eval("document.querySelector('#mods-list input[value=ablat]').id");
    dt.press(Some(ablat.as_str().unwrap()), " ");
    // With a seeded permutation test of the moderator.
    dt.eval("(() => { document.getElementById('permutations').value = '200'; document.getElementById('seed').value = '7'; })()");
    run_and_wait(&mut dt, |dt| dt.press(Some("level"), "Enter"), false);
    let reg = rema_data::analyze(
        &table,
        &spec(json!({"measure": "RR", "tau2_ci": true, "mods": ["ablat"], "permutations": "200", "seed": 7})),
        "0",
    )
    .unwrap();
    let perm = reg.permutation.as_ref().unwrap();
    let shown_perm = dt.text("permutation-text");
    assert!(
        shown_perm.contains(&format!(
            "Permutation test of the test of moderators: p = {} (200 permutations, seed 7)",
            shown_p(perm.qm_pval)
        )),
        "{shown_perm}"
    );
    assert!(!dt.hidden("perm-section") && dt.hidden("loo-section"));
    let coefficients = dt.text("coefficients");
    for c in reg.coefficients.as_ref().unwrap() {
        assert!(coefficients.contains(&c.name), "{coefficients}");
        assert!(coefficients.contains(&shown(c.estimate)), "{coefficients}");
        assert!(coefficients.contains(&shown_p(c.pval)), "{coefficients}");
    }
    // metafor: rma(yi, vi, mods = ~ ablat): slope -0.0291.
    assert!(coefficients.contains("-0.0291"), "{coefficients}");
    assert!(dt.text("moderator-test").contains(&format!(
        "QM = {}, df = 1, p = {}",
        shown(reg.qm.unwrap()),
        shown_p(reg.qm_pval.unwrap())
    )));
    assert!(
        dt.hidden("funnel-section"),
        "no funnel of a meta-regression"
    );
    assert!(dt.hidden("subgroups-section") && dt.hidden("bias-section"));
    save_screenshot("page-metaregression-1280", &dt.screenshot());

    // Leave-one-out, ticked with the keyboard, on the model without the
    // moderator and without permutations.
    dt.press(Some(ablat.as_str().unwrap()), " ");
    dt.eval("document.getElementById('permutations').value = '0'");
    dt.press(Some("loo"), " ");
    run_and_wait(&mut dt, |dt| dt.press(Some("level"), "Enter"), false);
    let loo = rema_data::analyze(
        &table,
        &spec(json!({"measure": "RR", "tau2_ci": true, "leave_one_out": true})),
        "0",
    )
    .unwrap();
    let loo_table = dt.text("loo-table");
    let rows = loo.leave_one_out.as_ref().unwrap();
    assert_eq!(rows.len(), 13);
    for l in rows {
        assert!(loo_table.contains(&l.omitted), "{loo_table}");
        assert!(loo_table.contains(&shown(l.fit.estimate)), "{loo_table}");
    }
    assert!(dt.hidden("perm-section") && !dt.hidden("loo-section"));
    save_screenshot("page-leave-one-out-390", &{
        dt.viewport(390, 844);
        let png = dt.screenshot();
        dt.viewport(1280, 900);
        png
    });
    dt.press(Some("loo"), " ");

    assert_eq!(dt.console_errors(), Vec::<String>::new(), "console errors");

    // A bad option: the server's error next to the control that caused it.
    dt.eval("(() => { const l = document.getElementById('level'); l.value = ''; l.focus(); })()");
    dt.call("Input.insertText", json!({"text": "150"}));
    run_and_wait(&mut dt, |dt| dt.press(Some("level"), "Enter"), true);
    assert!(!dt.hidden("err-level"));
    let next_to = dt.text("err-level");
    assert!(
        next_to.contains("invalid_option") && next_to.contains("150"),
        "{next_to}"
    );
    assert_eq!(
        dt.eval("document.getElementById('level').getAttribute('aria-invalid')"),
        "true"
    );
    assert!(
        dt.eval("document.getElementById('level').getAttribute('aria-describedby').includes('err-level')") == true
    );
    dt.eval("document.getElementById('error-link').click()");
    assert_eq!(dt.eval("document.activeElement.id"), "level");
    dt.viewport(390, 844);
    save_screenshot("page-error-390", &dt.screenshot());
    // The one error the console saw is the 422 the test asked for.
    let errors = dt.console_errors();
    assert!(
        errors.len() == 1 && errors[0].contains("\"network\"") && errors[0].contains("422"),
        "{errors:?}"
    );
}

#[test]
fn an_uploaded_workbook_is_read_and_analysed_as_its_sheet() {
    let Some(chrome) = chromium() else { return };
    let dir = TempDir::new("browser-xlsx");
    let server = Server::start(&dir.0.join("rema.db"), &[]);
    let mut dt = Devtools::launch(&chrome);
    for domain in ["Runtime.enable", "Log.enable", "DOM.enable"] {
        dt.call(domain, json!({}));
    }
    let url = format!("http://127.0.0.1:{}/", server.port);
    dt.call("Page.navigate", json!({ "url": url }));
    dt.wait_for("document.readyState === 'complete' && document.body.dataset.access === 'open'");
    let workbook = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/r/files.xlsx")
        .canonicalize()
        .unwrap();
    dt.upload("#file", &workbook);
    dt.wait_for("document.getElementById('columns-info').textContent.includes('sheet `bcg`')");
    let csv = dt.eval("document.getElementById('csv').value");
    let bytes = std::fs::read(&workbook).unwrap();
    let sheet = rema_data::xlsx::read_any(&bytes, "files.xlsx", None).unwrap();
    assert!(
        csv.as_str().unwrap().starts_with(&sheet.headers.join(",")),
        "{csv}"
    );
    dt.eval("document.getElementById('measure').value = 'GEN'");
    run_and_wait(
        &mut dt,
        |dt| {
            dt.eval("document.getElementById('run').click()");
        },
        false,
    );
    let direct = rema_data::analyze(
        &sheet,
        &serde_json::from_value(json!({"measure": "GEN"})).unwrap(),
        "0",
    )
    .unwrap();
    let summary = dt.text("summary");
    assert!(summary.contains(&shown(direct.estimate)), "{summary}");
    assert!(summary.contains(&shown(direct.tau2)), "{summary}");

    // Another sheet by name; an unknown one is named next to the sheet field.
    dt.eval("document.getElementById('sheet').value = 'Studies'; document.getElementById('sheet').dispatchEvent(new Event('change'))");
    dt.wait_for("!document.getElementById('err-sheet').hidden");
    let e = dt.text("err-sheet");
    assert!(e.contains("its sheets are `bcg`, `lee2004`"), "{e}");
    dt.eval("document.getElementById('sheet').value = 'lee2004'; document.getElementById('sheet').dispatchEvent(new Event('change'))");
    dt.wait_for("document.getElementById('columns-info').textContent.includes('sheet `lee2004`')");
    assert!(dt.hidden("err-sheet"));
    // The failed read of sheet `Studies` is the only error the console saw.
    let errors = dt.console_errors();
    assert!(
        errors.len() == 1 && errors[0].contains("\"network\"") && errors[0].contains("422"),
        "{errors:?}"
    );
}
