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
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
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
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never true: {expression}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
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
