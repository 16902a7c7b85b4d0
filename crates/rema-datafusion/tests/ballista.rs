//! A Ballista cluster on 127.0.0.1 (one scheduler, two executors, all
//! `rema-ballista`) runs the query over Parquet and gives the same bytes as
//! the local run. Bounded in time: every wait has a deadline and the
//! processes are killed when the test ends.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{generic, scratch};
use rema_arrow::output::OutputFormat;

/// Kills its processes when dropped (a failing assertion included).
struct Cluster(Vec<Child>);

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, deadline: Instant) {
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "port {port} did not open in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn(args: &[String], log: &Path) -> Child {
    let f = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rema-ballista"))
        .args(args)
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs rema-sql with a deadline; returns (success, stdout, stderr).
/// Output goes to files: a piped stdout that nobody reads while the child
/// runs fills at 64 KiB and blocks it.
fn rema_sql(args: &[&str], limit: Duration) -> (bool, String, String) {
    let tag = format!("{}-{}", std::process::id(), args.len());
    let (o, e) = (
        std::env::temp_dir().join(format!("rema-sql-{tag}.out")),
        std::env::temp_dir().join(format!("rema-sql-{tag}.err")),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_rema-sql"))
        .args(args)
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    (
        status.success(),
        std::fs::read_to_string(&o).unwrap_or_default(),
        std::fs::read_to_string(&e).unwrap_or_default(),
    )
}

#[test]
fn a_scheduler_and_two_executors_give_the_local_bytes() {
    let dir = scratch("ballista");
    let file = dir.join("long.parquet");
    generic(500, 31).write(&file, OutputFormat::Parquet);
    let q = format!(
        "SELECT analysis_id, rma(yi, vi, 'REML', study) FROM '{}' GROUP BY analysis_id ORDER BY analysis_id",
        file.display()
    );
    let (ok, local, err) = rema_sql(&["--partitions", "1", &q], Duration::from_secs(60));
    assert!(ok, "local run: {err}");
    assert_eq!(local.lines().count(), 501);

    let deadline = Instant::now() + Duration::from_secs(60);
    let sched = free_port();
    let mut cluster = Cluster(vec![spawn(
        &["scheduler".into(), "--port".into(), sched.to_string()],
        &dir.join("scheduler.log"),
    )]);
    wait_for_port(sched, deadline);
    let mut flights = Vec::new();
    for e in 0..2 {
        let (port, grpc) = (free_port(), free_port());
        let work = dir.join(format!("executor{e}"));
        std::fs::create_dir_all(&work).unwrap();
        cluster.0.push(spawn(
            &[
                "executor".into(),
                "--port".into(),
                port.to_string(),
                "--grpc-port".into(),
                grpc.to_string(),
                "--scheduler-host".into(),
                "127.0.0.1".into(),
                "--scheduler-port".into(),
                sched.to_string(),
                "--concurrent-tasks".into(),
                "2".into(),
                "--work-dir".into(),
                work.display().to_string(),
            ],
            &dir.join(format!("executor{e}.log")),
        ));
        flights.push(port);
    }
    for p in flights {
        wait_for_port(p, deadline);
    }
    let url = format!("df://127.0.0.1:{sched}");
    let (ok, remote, err) = rema_sql(
        &["--scheduler", &url, "--partitions", "4", &q],
        Duration::from_secs(120),
    );
    let logs = || {
        ["scheduler.log", "executor0.log", "executor1.log"]
            .iter()
            .map(|l| {
                format!(
                    "--- {l}\n{}",
                    std::fs::read_to_string(dir.join(l)).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(ok, "remote run failed: {err}\n{}", logs());
    assert!(
        remote == local,
        "the cluster's output differs from the local run\n{}",
        logs()
    );
    drop(cluster);
}
