//! The command line's part of the bad-input catalogue (docs/ERRORS.md, "Flags
//! of `rema`"): each bad invocation gets its exit code and a first line of
//! standard error that the catalogue quotes verbatim, and never a panic.

mod common;

use common::{rema, root};

/// (name, arguments separated by spaces, exit code)
const CASES: &[(&str, &str, i32)] = &[
    ("no subcommand", "", 2),
    (
        "unknown flag",
        "analyze examples/bcg/bcg.csv --measure RR --bogus",
        2,
    ),
    (
        "unknown measure on the command line",
        "analyze examples/bcg/bcg.csv --measure XYZ",
        2,
    ),
    (
        "unknown method on the command line",
        "analyze examples/bcg/bcg.csv --measure RR --method QUICK",
        2,
    ),
    ("missing --measure", "analyze examples/bcg/bcg.csv", 2),
    (
        "seed that is not a number",
        "analyze examples/bcg/bcg.csv --measure RR --mods ablat --permutations 100 --seed abc",
        2,
    ),
    (
        "too few permutations",
        "analyze examples/bcg/bcg.csv --measure RR --mods ablat --permutations 1",
        2,
    ),
    (
        "moderator that is not a column",
        "analyze examples/bcg/bcg.csv --measure RR --mods latitude",
        3,
    ),
    (
        "plan file that does not exist",
        "run no/such/plan.toml --out no/such/out",
        3,
    ),
];

/// The words of a case's arguments.
fn split(args: &str) -> Vec<&str> {
    args.split_whitespace().collect()
}

/// The line that says what is wrong: the first `error: ` line, or (for a
/// bare `rema`, which prints its help) the usage line.
fn first_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find(|l| l.starts_with("error: "))
        .or_else(|| err.lines().find(|l| l.starts_with("Usage: ")))
        .unwrap_or("")
        .to_string()
}

#[test]
fn each_bad_invocation_gets_its_exit_code_and_no_panic() {
    for (name, args, code) in CASES {
        let out = rema(&split(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{name}: {err}");
        let line = first_line(&out);
        assert!(
            line.starts_with("error: ") || line.starts_with("Usage: rema"),
            "{name}: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "{name}: {err}"
        );
        assert!(
            out.stdout.is_empty() || *code == 2,
            "{name}: nothing on stdout"
        );
    }
}

#[test]
fn errors_md_quotes_every_flag_error() {
    let doc = std::fs::read_to_string(root().join("docs/ERRORS.md")).unwrap();
    let mut missing = Vec::new();
    for (name, args, code) in CASES {
        let line = first_line(&rema(&split(args)));
        let line = line.strip_prefix("error: ").unwrap_or(&line).to_string();
        let heading = format!("## {name}\n");
        let section = doc.split(&heading).nth(1).unwrap_or("");
        if section.is_empty()
            || !section.contains(&line)
            || !section.contains(&format!("Exit code {code}."))
        {
            missing.push(format!("## {name} (exit {code})\n{line}"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/ERRORS.md lacks:\n{}",
        missing.join("\n")
    );
}
