//! Faults, on the real binary over loopback: a client that trickles its body
//! is cut off after the body timeout, and one that trickles its headers
//! after the header timeout; a client that disconnects mid-request
//! leaves nothing stored; kill -9 in a loop under concurrent writes leaves
//! the SQLite file consistent with every acknowledged (201) analysis in it.
//! Every server here requires a bearer token.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{bcg_body, create_token, request_with, Server, TempDir};

/// A server on a fresh `db` with a token, which it requires.
fn secured(db: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let token = create_token(db, "faults", "default");
    Server::start(db, env).with_token(&token)
}

fn total(server: &Server) -> u64 {
    let list = server.request("GET", "/v1/analyses?limit=1", None).json();
    list["total"].as_u64().unwrap()
}

/// Sends the headers and the first `sent` bytes of `body`, then returns the
/// open stream.
fn partial_post(server: &Server, body: &str, sent: usize) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "POST /v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.token.as_deref().unwrap(),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body.as_bytes()[..sent]).unwrap();
    s.flush().unwrap();
    s
}

#[test]
fn a_client_trickling_its_body_is_cut_off_with_408_and_nothing_is_stored() {
    let dir = TempDir::new("slow");
    let server = secured(&dir.0.join("rema.db"), &[("REMA_BODY_TIMEOUT_SECS", "1")]);
    let body = bcg_body();
    let mut s = partial_post(&server, &body, 10);
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // One byte every 200 ms: the whole body would take minutes.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    for b in body.as_bytes()[10..].iter() {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => continue,
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"body_timeout\""), "{text}");
    assert!(
        text.contains("the request body did not arrive within 1 s; send it at once, or ask the operator to raise REMA_BODY_TIMEOUT_SECS"),
        "{text}"
    );
    assert_eq!(total(&server), 0);
    // The server still serves others.
    assert_eq!(
        server.request("POST", "/v1/analyses", Some(&body)).status,
        201
    );
}

#[test]
fn a_client_trickling_its_headers_is_disconnected_after_the_header_timeout() {
    let dir = TempDir::new("slow-headers");
    let server = secured(&dir.0.join("rema.db"), &[("REMA_HEADER_TIMEOUT_SECS", "1")]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // One header byte every 200 ms, never the blank line that ends them:
    // the server closes the connection after about 1 s (within 15 here).
    let mut closed = false;
    let mut buf = [0u8; 1024];
    for _ in 0..75 {
        if s.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match s.read(&mut buf) {
            // EOF, or hyper's 408 before it closes: either way, cut off.
            Ok(_) => {
                closed = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(
        closed,
        "a connection trickling its headers was still open after 15 s"
    );
    // The server still serves others, and a client that sends its headers
    // at once is answered.
    assert_eq!(server.request("GET", "/healthz", None).status, 200);
}

#[test]
fn a_client_that_disconnects_mid_request_leaves_nothing_behind() {
    let dir = TempDir::new("disconnect");
    let server = secured(&dir.0.join("rema.db"), &[]);
    let body = bcg_body();
    for cut in [0, 1, body.len() / 2, body.len() - 1] {
        let s = partial_post(&server, &body, cut);
        s.shutdown(std::net::Shutdown::Both).unwrap();
        drop(s);
    }
    // Health answers, nothing was stored, and SIGTERM finds no request
    // still in flight to wait for: a clean exit.
    assert_eq!(server.request("GET", "/healthz", None).status, 200);
    assert_eq!(total(&server), 0, "a disconnected request stored nothing");
    server.stop_cleanly();
}

#[test]
fn kill_9_in_a_loop_under_concurrent_writes_loses_no_acknowledged_analysis() {
    let dir = TempDir::new("kill9");
    let db = dir.0.join("rema.db");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let token = create_token(&db, "kill9", "default");
    for cycle in 0..5 {
        let server = Server::start(&db, &[]).with_token(&token);
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (stop, acked, token) = (stop.clone(), acked.clone(), token.clone());
                std::thread::spawn(move || {
                    let body = bcg_body();
                    while !stop.load(Ordering::Relaxed) {
                        // A killed server answers nothing; only 201s count.
                        let Ok(res) = std::panic::catch_unwind(|| {
                            request_with(port, Some(&token), "POST", "/v1/analyses", Some(&body))
                        }) else {
                            break;
                        };
                        if res.status == 201 {
                            acked
                                .lock()
                                .unwrap()
                                .push(res.json()["id"].as_str().unwrap().into());
                        }
                    }
                })
            })
            .collect();
        // Let writes pile up, then kill -9 while they are in flight.
        let before = acked.lock().unwrap().len();
        while acked.lock().unwrap().len() < before + 10 + cycle {
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            let _ = w.join();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 50, "{} acknowledged", acked.len());

    // The file is consistent...
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    // ...and every acknowledged analysis is there after a restart.
    let server = Server::start(&db, &[]).with_token(&token);
    for id in &acked {
        let res = server.request("GET", &format!("/v1/analyses/{id}"), None);
        assert_eq!(res.status, 200, "acknowledged {id} lost to kill -9");
    }
    assert!(total(&server) >= acked.len() as u64);
}

/// Exit codes of `rema-server` (docs/SERVER.md): 0 after SIGTERM (tested
/// above and in e2e.rs), 2 for a bad flag, 1 for a configuration or startup
/// failure, each with a message that says what to fix.
#[test]
fn exit_codes_of_the_server_binary() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rema-server"))
            .args(args)
            .env("REMA_BIND", "127.0.0.1:0")
            .env_remove("REMA_DB")
            .output()
            .unwrap()
    };
    let out = run(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--bogus'"));
    let out = run(&["--compute-workers", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--compute-workers must be at least 1"));
    let out = run(&["--body-timeout-secs", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--body-timeout-secs must be a positive number"));
    let out = run(&["--db", "/no/such/dir/rema.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot open the database /no/such/dir/rema.db"));
    let out = run(&["--bind", "256.0.0.1:80", "--db", ":memory:"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on 256.0.0.1:80"));
}
