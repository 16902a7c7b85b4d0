//! Helpers of the end-to-end tests: the real `rema-server` binary on a
//! loopback port with a temporary database, and a minimal HTTP/1.1 client
//! (one request per connection) so the tests need no HTTP client crate.
//! [`create_token`] runs `rema-server token create`; a [`Server`] given a
//! token ([`Server::with_token`]) sends it with every request.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BCG: &str = include_str!("../../../../examples/bcg/bcg.csv");

/// A fresh directory under the system's temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("rema-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `rema-server`.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Lines the server logs after it started listening.
    pub log: mpsc::Receiver<String>,
    /// The bearer token [`Server::request`] sends, if any.
    pub token: Option<String>,
}

/// Runs `rema-server` with `args` on the database `db`.
pub fn admin(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rema-server"))
        .args(args)
        .env("REMA_DB", db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("rema-server runs")
}

/// `rema-server token create --name NAME --project PROJECT` on `db`: the
/// token it prints.
pub fn create_token(db: &Path, name: &str, project: &str) -> String {
    let out = admin(
        db,
        &["token", "create", "--name", name, "--project", project],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("rema_"), "{token}");
    token
}

impl Server {
    /// Starts the binary on 127.0.0.1, port 0, with `db` and extra env vars,
    /// and waits for the log line that says which port it got.
    pub fn start(db: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rema-server"));
        cmd.env("REMA_BIND", "127.0.0.1:0")
            .env("REMA_DB", db)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("rema-server starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let port = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("rema-server logs `listening` within a minute");
            if let Some(rest) = line.split("bind=127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse().unwrap();
            }
        };
        Server {
            child,
            port,
            log: rx,
            token: None,
        }
    }

    /// This server, sending `token` with every [`Server::request`].
    pub fn with_token(mut self, token: &str) -> Server {
        self.token = Some(token.to_string());
        self
    }

    /// A request with this server's token, if it has one.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        request_with(self.port, self.token.as_deref(), method, path, body)
    }

    /// A request with `token` (or none), whatever this server's token.
    pub fn request_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Response {
        request_with(self.port, token, method, path, body)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the exit status.
    pub fn terminate(self) -> (ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        self.terminate_wait()
    }

    /// SIGTERM, asserting a clean exit: status 0 and `rema-server stopped`
    /// in the log.
    pub fn stop_cleanly(self) {
        let (status, log) = self.terminate();
        assert!(status.success(), "{status:?}: {log:?}");
        assert!(
            log.iter().any(|l| l.contains("rema-server stopped")),
            "{log:?}"
        );
    }

    /// Waits for the exit of a server already signalled; returns its log.
    pub fn terminate_wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.child.wait().unwrap();
        let log = self.log.try_iter().collect();
        (status, log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on its own connection (`Connection: close`), no token.
pub fn request(port: u16, method: &str, path: &str, body: Option<&str>) -> Response {
    request_with(port, None, method, path, body)
}

/// One request on its own connection, with `Authorization: Bearer <token>`
/// when `token` is given.
pub fn request_with(
    port: u16,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // The server may answer (413) and close before reading a large body:
    // a failed write is not an error, the answer is what counts.
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|_| s.write_all(body.as_bytes()));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The body of a BCG analysis by REML, as JSON text.
pub fn bcg_body() -> String {
    serde_json::json!({"csv": BCG, "spec": {"measure": "RR", "method": "REML"}}).to_string()
}
