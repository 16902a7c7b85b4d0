//! rema-core knows nothing of the command line: its messages and docs name
//! options as the library spells them (`method`, `permutations`), never as a
//! CLI flag (`--method`); the CLI and the server translate.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `--` followed by a lower-case letter: a long flag.
fn flags(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("--") {
        let after = &rest[at + 2..];
        if after.starts_with(|c: char| c.is_ascii_lowercase()) {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(after.len());
            found.push(&rest[at..at + 2 + end]);
        }
        rest = after;
    }
    found
}

#[test]
fn the_flag_finder_finds_flags() {
    assert_eq!(
        flags("try another --method, or --max-iter"),
        vec!["--method", "--max-iter"]
    );
    assert!(flags("x -- y, a --> b, --5").is_empty());
}

#[test]
fn no_source_file_names_a_cli_flag() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable source file");
        for (n, line) in text.lines().enumerate() {
            for flag in flags(line) {
                hits.push(format!("{}:{}: {flag}", f.display(), n + 1));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "CLI flags in rema-core:\n{}",
        hits.join("\n")
    );
}
