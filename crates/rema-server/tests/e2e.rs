//! End to end: the real `rema-server` binary on a loopback port with a
//! temporary database. It answers the BCG data with metafor's numbers,
//! refuses malformed bodies with JSON errors, serves 200 concurrent analyses,
//! loses nothing to a kill -9, and stops cleanly on SIGTERM, all with a
//! bearer token.

mod common;

use std::time::Instant;

use common::{bcg_body, create_token, request_with, Server, TempDir, BCG};
use serde_json::{json, Value};

/// Relative tolerance for iterative quantities (REML), as the golden suite.
const ITERATIVE: f64 = 1e-4;

fn rel_close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1e-12) || (got - want).abs() < 1e-10
}

/// metafor's expected numbers for BCG, RR, REML, z (tests/golden/core.json):
/// the case's expected values, rebuilt from their JSON pointers into the shape
/// of the result (`/studies/3/weight` becomes `studies[3].weight`).
fn metafor_bcg_reml() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/core.json"
    ))
    .unwrap();
    let golden: Value = serde_json::from_str(&text).unwrap();
    let case = golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "bcg_RR/REML/z")
        .unwrap();
    let mut out = Value::Null;
    for (pointer, v) in case["expect"].as_object().unwrap() {
        let mut at = &mut out;
        for token in pointer.split('/').skip(1) {
            at = match token.parse::<usize>() {
                Ok(i) => {
                    if !at.is_array() {
                        *at = Value::Array(Vec::new());
                    }
                    let a = at.as_array_mut().unwrap();
                    if a.len() <= i {
                        a.resize(i + 1, Value::Null);
                    }
                    &mut a[i]
                }
                Err(_) => {
                    if !at.is_object() {
                        *at = Value::Object(serde_json::Map::new());
                    }
                    at.as_object_mut()
                        .unwrap()
                        .entry(token)
                        .or_insert(Value::Null)
                }
            };
        }
        *at = v.clone();
    }
    out
}

#[test]
fn the_binary_serves_metafors_numbers_refuses_bad_input_and_survives_kill_9() {
    let dir = TempDir::new("e2e");
    let db = dir.0.join("rema.db");
    assert!(!db.exists());
    let server = Server::start(&db, &[("REMA_MAX_BODY_BYTES", "65536")]);
    assert!(db.exists(), "the database file is created on first start");
    assert_eq!(server.request("GET", "/healthz", None).status, 200);
    // A token created while the server runs turns authentication on.
    let token = create_token(&db, "e2e", "default");
    let server = server.with_token(&token);

    // BCG by REML: metafor's numbers.
    let res = server.request("POST", "/v1/analyses", Some(&bcg_body()));
    assert_eq!(res.status, 201, "{}", res.body);
    let first = res.json();
    let want = metafor_bcg_reml();
    let got = &first["result"];
    for key in [
        "estimate", "se", "ci_lower", "ci_upper", "pval", "tau2", "i2", "h2", "q", "pi_lower",
        "pi_upper",
    ] {
        let (g, w) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
        assert!(rel_close(g, w, ITERATIVE), "{key}: rema {g}, metafor {w}");
    }
    for (i, w) in want["studies"].as_array().unwrap().iter().enumerate() {
        let g = got["studies"][i]["weight"].as_f64().unwrap();
        assert!(
            rel_close(g, w["weight"].as_f64().unwrap(), ITERATIVE),
            "weight {i}"
        );
    }
    let t = want["transformed"]["estimate"].as_f64().unwrap();
    assert!(rel_close(
        got["transformed"]["estimate"].as_f64().unwrap(),
        t,
        ITERATIVE
    ));
    assert!(db.with_extension("db-wal").exists(), "WAL mode");

    // Malformed bodies: JSON errors, 4xx, never 5xx.
    let bad: [(&str, u16, &str); 5] = [
        ("{\"csv\": ", 400, "invalid_json"),
        ("[1, 2, 3]", 422, "invalid_request"),
        (
            "{\"csv\": 5, \"spec\": {\"measure\": \"RR\"}}",
            422,
            "invalid_request",
        ),
        (
            "{\"csv\": \"ai,bi,ci,di\\n1,2,x,4\\n\", \"spec\": {\"measure\": \"RR\"}}",
            422,
            "invalid_data",
        ),
        (
            "{\"csv\": \"yi,vi\\n1,1\\n\", \"spec\": {\"measure\": \"NOPE\"}}",
            422,
            "invalid_option",
        ),
    ];
    for (body, status, code) in bad {
        let res = server.request("POST", "/v1/analyses", Some(body));
        assert_eq!(res.status, status, "{body}: {}", res.body);
        assert_eq!(res.json()["error"]["code"], code, "{body}");
    }
    let huge = json!({"csv": "x".repeat(100_000), "spec": {"measure": "RR"}}).to_string();
    let res = server.request("POST", "/v1/analyses", Some(&huge));
    assert_eq!(
        res.status, 413,
        "REMA_MAX_BODY_BYTES is read from the environment"
    );
    assert_eq!(res.json()["error"]["code"], "body_too_large");

    // 200 concurrent analyses, all answered 201.
    let port = server.port;
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let token = token.clone();
            std::thread::spawn(move || {
                let method = ["REML", "DL", "PM", "FE"][i % 4];
                let body = json!({"csv": BCG, "spec": {"measure": "RR", "method": method}});
                let res = request_with(
                    port,
                    Some(&token),
                    "POST",
                    "/v1/analyses",
                    Some(&body.to_string()),
                );
                assert_eq!(res.status, 201, "{}", res.body);
                res.json()
            })
        })
        .collect();
    let mut answered: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    answered.push(first);
    let list = server.request("GET", "/v1/analyses?limit=1", None).json();
    assert_eq!(list["total"], 201);

    // kill -9 and restart: every answered analysis is still there, unchanged.
    server.kill9();
    let server = Server::start(&db, &[]).with_token(&token);
    for a in &answered {
        let id = a["id"].as_str().unwrap();
        let res = server.request("GET", &format!("/v1/analyses/{id}"), None);
        assert_eq!(res.status, 200, "{id} lost after kill -9");
        let stored = res.json();
        assert_eq!(stored["result"], a["result"]);
        assert_eq!(stored["created_at"], a["created_at"]);
        assert_eq!(stored["input"]["csv"], BCG);
    }

    // SIGTERM: a clean exit.
    server.stop_cleanly();
}

/// `result` is the JSON of `rema analyze --format json`, byte for byte after
/// parsing. Needs the `rema` binary, which `cargo test --workspace` builds
/// next to `rema-server`; with `cargo test -p rema-server` alone it may be
/// absent, and the comparison is skipped with a message.
#[test]
fn result_equals_the_cli_json_for_the_same_file() {
    let server_exe = std::path::Path::new(env!("CARGO_BIN_EXE_rema-server"));
    let cli = server_exe.with_file_name(format!("rema{}", std::env::consts::EXE_SUFFIX));
    if !cli.exists() {
        eprintln!(
            "skipped: {} not built (run `cargo test --workspace`)",
            cli.display()
        );
        return;
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/bcg/bcg.csv");
    let out = std::process::Command::new(&cli)
        .args([
            "analyze",
            file,
            "--measure",
            "RR",
            "--method",
            "PM",
            "--test",
            "knha",
            "--tau2-ci",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_json: Value = serde_json::from_slice(&out.stdout).unwrap();

    let dir = TempDir::new("cli");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "cli", "default");
    let server = Server::start(&db, &[]).with_token(&token);
    let body = json!({
        "csv": std::fs::read_to_string(file).unwrap(),
        "name": file,
        "spec": {"measure": "RR", "method": "PM", "test": "knha", "tau2_ci": true},
    });
    let res = server.request("POST", "/v1/analyses", Some(&body.to_string()));
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["result"], cli_json);
}

/// A bounded load run: `REMA_LOAD_REQUESTS` (default 2000) analyses of BCG
/// at 32 concurrent clients, each on a new connection. Zero errors allowed;
/// throughput and p99 latency are printed (run with `--nocapture`), not
/// asserted. Figures are recorded in docs/SERVER.md.
#[test]
fn load_run_2000_requests_at_32_concurrent_without_errors() {
    let total: usize = std::env::var("REMA_LOAD_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let clients = 32;
    let dir = TempDir::new("load");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "load", "default");
    // One token sends every request: its rate limit is lifted for the run.
    let server = Server::start(&db, &[("REMA_RATE_LIMIT_PER_MINUTE", "0")]).with_token(&token);
    let port = server.port;
    let body = bcg_body();
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (body, token) = (body.clone(), token.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                for _ in (c..total).step_by(clients) {
                    let t = Instant::now();
                    let res = request_with(port, Some(&token), "POST", "/v1/analyses", Some(&body));
                    latencies.push(t.elapsed());
                    if res.status != 201 {
                        errors.push(format!("{} {}", res.status, res.body));
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for t in threads {
        let (l, e) = t.join().unwrap();
        latencies.extend(l);
        errors.extend(e);
    }
    let wall = start.elapsed();
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(latencies.len(), total);
    latencies.sort();
    let pct = |p: f64| latencies[((p * total as f64).ceil() as usize).clamp(1, total) - 1];
    println!(
        "load run: {total} POST /v1/analyses (BCG, REML) at {clients} concurrent: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, 0 errors",
        total as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies[total - 1].as_secs_f64() * 1e3,
    );
    let list = server.request("GET", "/v1/analyses?limit=1", None).json();
    assert_eq!(list["total"], total as u64);
}

/// SIGTERM while a request is in flight: that request is answered 201, a new
/// connection gets no answer, and the server then exits 0. The request is
/// held in flight by sending its body in two parts; the server's debug log
/// says when it has started processing it, so nothing depends on timing.
#[test]
fn sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones() {
    use std::io::{Read, Write};
    let dir = TempDir::new("sigterm");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "sigterm", "default");
    let server = Server::start(&db, &[("RUST_LOG", "info,tower_http=debug")]);
    let body = bcg_body();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        conn,
        "POST /v1/analyses HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    let wait_for = |what: &str| loop {
        let line = server
            .log
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server never logged `{what}`"));
        if line.contains(what) {
            break;
        }
    };
    wait_for("started processing request");
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    wait_for("shutting down");

    // New connections are no longer served. The log line comes just before
    // axum stops accepting, and a connection the kernel queued in that instant
    // may still be answered, so allow the accept loop a moment to stop: within
    // 5 s a new connection must be refused or left unanswered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let served = match std::net::TcpStream::connect(("127.0.0.1", server.port)) {
            Err(_) => false,
            Ok(mut late) => {
                late.set_read_timeout(Some(std::time::Duration::from_secs(2)))
                    .unwrap();
                let _ = late
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut got = Vec::new();
                let _ = late.read_to_end(&mut got);
                String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200")
            }
        };
        if !served {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "connections opened after SIGTERM were still served after 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // The request in flight finishes.
    conn.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let (status, log) = server.terminate_wait();
    assert!(status.success(), "{status:?}: {log:?}");
}
