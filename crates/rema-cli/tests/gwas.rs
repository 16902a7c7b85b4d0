//! `rema gwas` end to end: a METAL script of the golden suite run by the
//! binary (the table has METAL's header and markers, the log is written),
//! the same analysis from flags, and the exit codes of bad scripts and flags.

use std::path::{Path, PathBuf};
use std::process::Command;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/gwas")
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rema-cli-gwas-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rema(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rema"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn a_metal_script_writes_metals_table_and_a_log() {
    let dir = tempdir("script");
    let script = std::fs::read_to_string(suite().join("stderr_het.metal"))
        .unwrap()
        .replace("PROCESS ", &format!("PROCESS {}/", suite().display()))
        .replace("OUTFILE metal/stderr_het", "OUTFILE out");
    std::fs::write(dir.join("s.metal"), script).unwrap();
    for threads in ["1", "2"] {
        let out = rema(
            &[
                "gwas",
                "--script",
                "s.metal",
                "--palindromic",
                "keep",
                "--threads",
                threads,
            ],
            &dir,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = std::fs::read_to_string(dir.join("out1.tbl")).unwrap();
        let metal = std::fs::read_to_string(suite().join("metal/stderr_het1.tbl")).unwrap();
        assert_eq!(ours.lines().next(), metal.lines().next());
        assert_eq!(ours.lines().count(), metal.lines().count());
        let log = std::fs::read_to_string(dir.join("out1.tbl.log")).unwrap();
        assert!(
            log.contains("cohort 3:") && log.contains("[bad_alleles]"),
            "{log}"
        );
    }
    // The flags give the same table for one file format (cohort 1 alone).
    let out = rema(
        &[
            "gwas",
            &suite().join("cohort1.tsv").display().to_string(),
            "--scheme",
            "stderr",
            "--marker",
            "SNP",
            "--allele",
            "A1",
            "A2",
            "--effect",
            "BETA",
            "--stderr",
            "SE",
            "--freq",
            "FREQ",
            "--separator",
            "tab",
            "--heterogeneity",
            "--random",
            "DL",
            "--out",
            "flags.tbl",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = std::fs::read_to_string(dir.join("flags.tbl")).unwrap();
    assert!(t.starts_with("MarkerName\tAllele1\tAllele2\tEffect\tStdErr\tP-value\tDirection\tHetISq\tHetChiSq\tHetDf\tHetPVal\tTau2_DL\tEffect_DL\tStdErr_DL\tP-value_DL\n"));
}

#[test]
fn bad_scripts_and_flags_exit_with_their_codes() {
    let dir = tempdir("bad");
    std::fs::write(dir.join("bad.metal"), "SCHEME STDERR\nTRACKPOSITIONS ON\n").unwrap();
    let out = rema(&["gwas", "--script", "bad.metal"], &dir);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.metal line 2") && err.contains("not supported"),
        "{err}"
    );
    let out = rema(&["gwas", "x.txt", "--random", "PM"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let out = rema(&["gwas", "--script", "bad.metal", "--marker", "SNP"], &dir);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file flag with --script is refused"
    );
}
