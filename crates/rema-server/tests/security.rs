//! Authentication, isolation and the other protections, on the real binary
//! over loopback: no token and a wrong token are 401 with `WWW-Authenticate`;
//! a project's token reading, listing or deleting another project's analysis
//! gets 404; a revoked token is 401; failed attempts and a token's requests
//! are rate-limited (429, `Retry-After`); a project's store is capped; a
//! non-loopback address without a token refuses to start; only the token's
//! hash is stored; retention, the audit log, the security headers, CORS and
//! TLS.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use common::{admin, bcg_body, create_token, Server, TempDir};
use serde_json::Value;

fn post(server: &Server, token: Option<&str>) -> common::Response {
    server.request_as(token, "POST", "/v1/analyses", Some(&bcg_body()))
}

fn stored_id(res: &common::Response) -> String {
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_string()
}

fn assert_unauthorized(res: &common::Response, challenge: &str) {
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(res.header("www-authenticate"), Some(challenge));
    let e = &res.json()["error"];
    assert_eq!(e["code"], "unauthorized");
    assert!(e["message"].as_str().unwrap().contains("Bearer"), "{e}");
    assert!(e.get("field").is_some(), "the server's error format: {e}");
}

#[test]
fn tokens_are_required_verified_scoped_to_their_project_and_revocable() {
    let dir = TempDir::new("auth");
    let db = dir.0.join("rema.db");
    let a = create_token(&db, "alice", "trial-a");
    let b = create_token(&db, "bob", "trial-b");
    let server = Server::start(&db, &[]);
    assert_eq!(
        server.request("GET", "/healthz", None).json()["access"],
        "token"
    );

    // No token, a malformed header, a wrong token: 401 on every route.
    for (method, path) in [
        ("GET", "/v1/analyses"),
        ("POST", "/v1/analyses"),
        ("GET", "/v1/analyses/0123456789abcdef0123456789abcdef"),
        ("DELETE", "/v1/analyses/0123456789abcdef0123456789abcdef"),
        ("GET", "/v1/audit-log"),
    ] {
        let res = server.request_as(None, method, path, Some(&bcg_body()));
        assert_unauthorized(&res, "Bearer realm=\"rema\"");
    }
    let mut wrong = a.clone();
    wrong.replace_range(a.len() - 4.., "0000");
    for bad in [wrong.as_str(), "rema_nonsense", &b[..b.len() - 1]] {
        let res = server.request_as(Some(bad), "GET", "/v1/analyses", None);
        assert_unauthorized(&res, "Bearer realm=\"rema\", error=\"invalid_token\"");
    }

    // Each project sees its own analyses only; another project's id is 404,
    // with the very answer an unknown id gets.
    let id_a = stored_id(&post(&server, Some(&a)));
    let id_b = stored_id(&post(&server, Some(&b)));
    assert_eq!(id_a.len(), 32, "128 random bits: {id_a}");
    assert!(id_a.bytes().all(|c| c.is_ascii_hexdigit()));
    let unknown = "f".repeat(32);
    for path in [
        format!("/v1/analyses/{id_b}"),
        format!("/v1/analyses/{id_b}/summary.txt"),
        format!("/v1/analyses/{id_b}/forest.svg"),
    ] {
        let res = server.request_as(Some(&a), "GET", &path, None);
        assert_eq!(res.status, 404, "{path}: {}", res.body);
        let other = server.request_as(Some(&a), "GET", &path.replace(&id_b, &unknown), None);
        assert_eq!(
            res.body.replace(&id_b, &unknown),
            other.body,
            "another project's id reads as an unknown id"
        );
    }
    let res = server.request_as(Some(&a), "DELETE", &format!("/v1/analyses/{id_b}"), None);
    assert_eq!(res.status, 404, "{}", res.body);
    let list = server
        .request_as(Some(&a), "GET", "/v1/analyses", None)
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id_a.as_str());
    let res = server.request_as(Some(&b), "GET", &format!("/v1/analyses/{id_b}"), None);
    assert_eq!(res.status, 200, "b's analysis is untouched");

    // DELETE: 204, then gone.
    let res = server.request_as(Some(&a), "DELETE", &format!("/v1/analyses/{id_a}"), None);
    assert_eq!(res.status, 204, "{}", res.body);
    let res = server.request_as(Some(&a), "GET", &format!("/v1/analyses/{id_a}"), None);
    assert_eq!(res.status, 404);

    // Revoked while the server runs: refused from the next request on.
    let out = admin(&db, &["token", "revoke", "bob"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = server.request_as(Some(&b), "GET", "/v1/analyses", None);
    assert_unauthorized(&res, "Bearer realm=\"rema\", error=\"invalid_token\"");
    let out = admin(&db, &["token", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("alice") && listed.contains("bob"),
        "{listed}"
    );
    assert!(
        !listed.contains(&a) && !listed.contains(&a[18..]),
        "no secret listed"
    );

    // The audit log: who, what, when, outcome, refused requests included.
    let log = server.request_as(Some(&a), "GET", "/v1/audit-log?limit=100", None);
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.json()["items"].as_array().unwrap().clone();
    assert!(items.iter().all(|e| e["project"] == "trial-a"), "{items:?}");
    let created = items
        .iter()
        .find(|e| e["method"] == "POST" && e["status"] == 201)
        .expect("the POST is logged");
    assert_eq!(created["token_name"], "alice");
    assert_eq!(created["analysis_id"], id_a.as_str());
    assert_eq!(created["address"], "127.0.0.1");
    assert!(created["at"].as_str().unwrap().ends_with('Z'));
    assert!(items.iter().any(|e| e["method"] == "DELETE"
        && e["analysis_id"] == id_b.as_str()
        && e["outcome"] == "not_found"));
    let out = admin(&db, &["audit-log", "--limit", "500"]);
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(
        all.lines()
            .any(|l| l.contains(" - - 127.0.0.1 GET /v1/analyses - 401 unauthorized")),
        "a refused request has no token and no project: {all}"
    );
    server.stop_cleanly();
}

#[test]
fn failed_attempts_from_an_address_are_limited_then_refused_with_429() {
    let dir = TempDir::new("auth-failures");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "t", "default");
    let server = Server::start(&db, &[("REMA_AUTH_FAILURES_PER_MINUTE", "3")]);
    for _ in 0..3 {
        let res = server.request_as(Some("rema_wrong"), "GET", "/v1/analyses", None);
        assert_eq!(res.status, 401);
    }
    // The address is now blocked, even with the right token.
    for t in ["rema_wrong", token.as_str()] {
        let res = server.request_as(Some(t), "GET", "/v1/analyses", None);
        assert_eq!(res.status, 429, "{}", res.body);
        assert_eq!(res.json()["error"]["code"], "too_many_failures");
        let after: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=20).contains(&after), "{after}");
    }
}

#[test]
fn a_token_past_its_rate_gets_429_with_retry_after_and_a_full_project_409() {
    let dir = TempDir::new("rate");
    let db = dir.0.join("rema.db");
    let a = create_token(&db, "a", "p");
    let b = create_token(&db, "b", "q");
    let server = Server::start(
        &db,
        &[
            ("REMA_RATE_LIMIT_PER_MINUTE", "3"),
            ("REMA_MAX_ANALYSES_PER_PROJECT", "1"),
        ],
    );
    stored_id(&post(&server, Some(&a)));
    let res = post(&server, Some(&a));
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.json()["error"]["code"], "project_full");
    stored_id(&post(&server, Some(&b)));
    assert_eq!(
        server
            .request_as(Some(&a), "GET", "/v1/analyses", None)
            .status,
        200
    );
    let res = server.request_as(Some(&a), "GET", "/v1/analyses", None);
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(res.json()["error"]["code"], "rate_limited");
    assert_eq!(res.header("retry-after"), Some("20"));
    // Another token has its own budget.
    assert_eq!(
        server
            .request_as(Some(&b), "GET", "/v1/analyses", None)
            .status,
        200
    );
}

#[test]
fn only_the_hash_of_a_token_is_stored() {
    let dir = TempDir::new("hash");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "t", "default");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (id, hash): (String, String) = conn
        .query_row("SELECT id, sha256 FROM tokens", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_ne!(hash, token);
    assert_eq!(hash, rema_data::sha256_hex(token.as_bytes()));
    assert!(token.contains(&id), "the public id is part of the token");
    drop(conn);
    let bytes = std::fs::read(&db).unwrap();
    let secret = &token.as_bytes()[18..];
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret),
        "the secret is nowhere in the database file"
    );
}

#[test]
fn without_a_token_only_a_loopback_address_runs_open_and_says_so() {
    let dir = TempDir::new("open");
    let db = dir.0.join("rema.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rema-server"))
        .env("REMA_DB", &db)
        .env("REMA_BIND", "0.0.0.0:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without authentication")
            && err.contains("--insecure-open"),
        "{err}"
    );

    let server = Server::start(&db, &[]);
    let said = server
        .log
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert!(said.contains("open mode"), "{said}");
    assert_eq!(
        server.request("GET", "/healthz", None).json()["access"],
        "open"
    );
    stored_id(&post(&server, None));
    // A token created while it runs closes it.
    create_token(&db, "t", "default");
    assert_eq!(
        server.request("GET", "/healthz", None).json()["access"],
        "token"
    );
    assert_eq!(post(&server, None).status, 401);
}

#[test]
fn retention_removes_analyses_older_than_the_setting() {
    let dir = TempDir::new("retain");
    let db = dir.0.join("rema.db");
    let token = create_token(&db, "t", "default");
    let server = Server::start(&db, &[]).with_token(&token);
    let old = stored_id(&server.request("POST", "/v1/analyses", Some(&bcg_body())));
    let new = stored_id(&server.request("POST", "/v1/analyses", Some(&bcg_body())));
    server.stop_cleanly();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE analyses SET created_at = '2001-01-01T00:00:00.000Z' WHERE id = ?1",
        [&old],
    )
    .unwrap();
    drop(conn);
    let server = Server::start(&db, &[("REMA_RETAIN_DAYS", "30")]).with_token(&token);
    let get = |id: &str| {
        server
            .request("GET", &format!("/v1/analyses/{id}"), None)
            .status
    };
    assert_eq!(get(&old), 404);
    assert_eq!(get(&new), 200);
}

#[test]
fn every_response_carries_the_security_headers_and_cors_is_off_by_default() {
    let dir = TempDir::new("headers");
    let db = dir.0.join("rema.db");
    let server = Server::start(&db, &[]);
    for path in [
        "/",
        "/app.js",
        "/app.css",
        "/healthz",
        "/v1/analyses",
        "/nope",
    ] {
        let res = server.request("GET", path, None);
        let csp = res.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(res.header("access-control-allow-origin"), None, "{path}");
    }
    let preflight = |server: &Server| {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.write_all(
            b"OPTIONS /v1/analyses HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
              Origin: https://review.example.org\r\nAccess-Control-Request-Method: POST\r\n\
              Access-Control-Request-Headers: authorization, content-type\r\n\r\n",
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.to_ascii_lowercase()
    };
    assert!(!preflight(&server).contains("access-control-allow-origin"));
    drop(server);
    let server = Server::start(&db, &[("REMA_CORS_ORIGIN", "https://review.example.org")]);
    let answer = preflight(&server);
    assert!(
        answer.contains("access-control-allow-origin: https://review.example.org")
            && answer.contains("authorization"),
        "{answer}"
    );
}

/// A TLS connection to the server, trusting the test CA only.
fn https_get(port: u16, path: &str) -> String {
    let ca = include_bytes!("tls/ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    // The server may close without close_notify after the answer.
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn tls_serves_https_from_pem_files_and_refuses_plain_http() {
    let dir = TempDir::new("tls");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls");
    let cert = format!("{fixtures}/cert.pem");
    let key = format!("{fixtures}/key.pem");
    let server = Server::start(
        &dir.0.join("rema.db"),
        &[("REMA_TLS_CERT", &cert), ("REMA_TLS_KEY", &key)],
    );
    let answer = https_get(server.port, "/healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).contains("\"status\":\"ok\""));

    // A key that does not match, or a missing file: exit 1 naming it.
    let run = |cert: &str, key: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rema-server"))
            .env("REMA_DB", dir.0.join("x.db"))
            .env("REMA_BIND", "127.0.0.1:0")
            .env("REMA_TLS_CERT", cert)
            .env("REMA_TLS_KEY", key)
            .output()
            .unwrap()
    };
    let out = run("/no/such/cert.pem", &key);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/cert.pem"));
    let out = run(&format!("{fixtures}/ca.pem"), &key);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("do not make a valid pair"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
