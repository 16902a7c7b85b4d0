//! The catalogue of bad input (docs/ERRORS.md): each input gets one error
//! variant and one message naming the file, line, column and study, what is
//! wrong and what is allowed. The messages are checked verbatim against
//! docs/ERRORS.md, so the document stays true.

use std::path::Path;

use rema_core::convert::ConvertError;
use rema_data::{analyze, AnalysisSpec, DataError, Level, Model, Plan, Table};

fn run(text: &str, measure: &str) -> DataError {
    run_bytes(text.as_bytes(), measure, |_| {})
}

fn run_bytes(bytes: &[u8], measure: &str, edit: impl FnOnce(&mut AnalysisSpec)) -> DataError {
    let mut spec = match measure.parse() {
        Ok(m) => AnalysisSpec::new(m),
        Err(message) => {
            return DataError::Option {
                option: "measure",
                message,
            }
        }
    };
    edit(&mut spec);
    let table = match Table::from_bytes(bytes, "data.csv") {
        Ok(t) => t,
        Err(e) => return e,
    };
    analyze(&table, &spec, "0").expect_err("bad input must be an error")
}

/// The error of an option value refused where it is parsed (by serde or clap).
fn option<T: std::fmt::Debug>(option: &'static str, parsed: Result<T, String>) -> DataError {
    DataError::Option {
        option,
        message: parsed.expect_err("a bad option value"),
    }
}

fn plan_error(plan: &str, name: &str) -> DataError {
    // Tests run in parallel and each builds the catalogue: a directory per call.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("rema-bad-input-{}-{n}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("t.csv"),
        "study,ai,bi,ci,di,alloc\nA,1,9,2,8,x\nB,2,8,3,7,y\n",
    )
    .unwrap();
    std::fs::write(dir.join("s.csv"), "study,design\nA,rct\nB,rct\n").unwrap();
    std::fs::write(
        dir.join("d.csv"),
        "study,outcome,xi,ni\nA,leak,1,10\nB,leak,2,12\n",
    )
    .unwrap();
    std::fs::write(dir.join("p.toml"), plan).unwrap();
    let e = rema_data::run_plan(&dir.join("p.toml")).expect_err("bad plan must be an error");
    let _ = std::fs::remove_dir_all(&dir);
    e
}

/// The error of `rema bias` on three generic studies with `opts`.
fn bias_error(opts: rema_data::BiasOptions) -> DataError {
    let table = Table::from_bytes(
        b"study,yi,vi\nA,0.1,0.01\nB,0.3,0.04\nC,0.5,0.09\n",
        "data.csv",
    )
    .unwrap();
    let spec = AnalysisSpec::new(rema_core::Measure::Gen);
    rema_data::bias_with(&table, &spec, &opts, "0").expect_err("bad bias options must be an error")
}

/// (name, error) for every bad input of the catalogue.
fn catalogue() -> Vec<(&'static str, DataError)> {
    let two = "study,m1i,sd1i,n1i,m2i,sd2i,n2i\n";
    vec![
        (
            "sample-size predictor without sample sizes",
            bias_error(rema_data::BiasOptions {
                predictor: rema_core::bias::Predictor::Ninv,
                ..Default::default()
            }),
        ),
        (
            "steps without a selection model",
            bias_error(rema_data::BiasOptions {
                steps: vec![0.025],
                ..Default::default()
            }),
        ),
        (
            "selection-model precision for a type without one",
            bias_error(rema_data::BiasOptions {
                selmodel: Some(rema_core::bias::SelType::Beta),
                selmodel_prec: Some(rema_core::bias::SelPrec::Sei),
                ..Default::default()
            }),
        ),
        (
            "selection-model delta of the wrong length",
            bias_error(rema_data::BiasOptions {
                selmodel: Some(rema_core::bias::SelType::Negexp),
                selmodel_delta: vec![None, Some(1.0)],
                ..Default::default()
            }),
        ),
        ("empty file", run("", "RR")),
        ("header only", run("study,ai,bi,ci,di\n\n", "RR")),
        ("missing column", run("study,ai,bi,ci\nA,1,2,3\n", "RR")),
        (
            "two column sets that disagree",
            run("study,yi,vi,sei\nA,0.1,0.04,0.2\nB,0.3,0.09,0.2\n", "GEN"),
        ),
        (
            "missing values with missing = fail",
            run_bytes(
                b"study,yi,vi,x\nA,0.1,0.04,1\nB,0.3,,2\nC,0.2,0.01,NA\n",
                "GEN",
                |s| {
                    s.missing = rema_data::MissingAction::Fail;
                    s.mods = vec!["x".into()];
                },
            ),
        ),
        (
            "a missing value in every study",
            run("study,yi,vi\nA,0.1,\nB,NA,0.2\n", "GEN"),
        ),
        (
            "workbook that cannot be read",
            rema_data::xlsx::read_any(b"PK\x03\x04 cut short", "data.xlsx", None).unwrap_err(),
        ),
        (
            "sheet for a CSV file",
            rema_data::xlsx::read_any(b"study,yi,vi\nA,1,1\n", "data.csv", Some("Studies")).unwrap_err(),
        ),
        (
            "unnamed column with values",
            run("study,yi,,vi\nA,0.1,x,0.02\n", "GEN"),
        ),
        (
            "column name twice",
            run("study,yi,vi,yi\nA,0.1,0.02,0.2\n", "GEN"),
        ),
        (
            "moderator with one level",
            run_bytes(b"study,yi,vi,g\nA,0.1,0.02,x\nB,0.3,0.04,x\nC,0.2,0.01,x\n", "GEN", |s| {
                s.mods = vec!["g".into()]
            }),
        ),
        ("ragged row", run("study,ai,bi,ci,di\nA,1,2,3,4\nB,1,2,3\n", "RR")),
        ("text for a number", run("study,ai,bi,ci,di\nA,1,two,3,4\n", "RR")),
        ("NaN for a number", run("study,yi,vi\nA,NaN,0.1\n", "GEN")),
        ("Inf for a number", run("study,yi,vi\nA,0.2,inf\n", "GEN")),
        (
            "negative SD",
            run(&format!("{two}A,1,-2,10,2,1,10\n"), "MD"),
        ),
        ("zero SD", run(&format!("{two}A,1,2,10,2,0,10\n"), "MD")),
        ("zero variance", run("study,yi,vi\nA,0.2,0\n", "GEN")),
        ("negative standard error", run("study,yi,sei\nA,0.2,-1\n", "GEN")),
        (
            "n < 2 for a pre/post variance",
            run("study,m_pre,sd_pre,m_post,sd_post,ni,ri\nA,5,1,4,1,1,0.5\n", "MC"),
        ),
        (
            "n < 2 for an SD from a range",
            run(&format!("{two}A,1,,1,2,1,10\n").replace(
                "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,,1,2,1,10",
                "study,m1i,sd1i,n1i,m2i,sd2i,n2i,min1i,max1i\nA,1,,1,2,1,10,0,3",
            ), "MD"),
        ),
        (
            "events above the total (two groups)",
            run("study,ai,n1i,ci,n2i\nA,12,10,3,10\n", "RR"),
        ),
        ("events above the total (one group)", run("study,xi,ni\nA,12,10\n", "PR")),
        (
            "log of a mean that is not positive",
            run("study,mi,sdi,ni\nA,0,0.9,15\nB,3.1,1.2,20\n", "MNLN"),
        ),
        ("unknown measure", run("study,yi,vi\nA,1,1\n", "XYZ")),
        (
            "unknown method",
            option("method", "QUICK".parse::<Model>()),
        ),
        (
            "inconsistent quartiles",
            run("study,m1i,sd1i,n1i,m2i,sd2i,n2i,median1i,q1_1i,q3_1i\nA,,,20,2,1,10,5,6,9\n", "MD"),
        ),
        (
            "not UTF-8",
            run_bytes(b"study,yi,vi\nA,1,1\n\xe9t\xe9,1,1\n", "GEN", |_| {}),
        ),
        (
            "missing file",
            Table::read_path(Path::new("no/such/file.csv")).unwrap_err(),
        ),
        (
            "plan names an unknown column",
            plan_error(
                "[data]\ntable = 't.csv'\n[[analysis]]\nid = 'rr'\nmeasure = 'RR'\nsubset = { colour = 'red' }\n",
                "col",
            ),
        ),
        (
            "plan names an unknown outcome",
            plan_error(
                "[data]\nstudies = 's.csv'\ndata = 'd.csv'\n[[analysis]]\nid = 'pain'\noutcome = 'vas'\nmeasure = 'PR'\n",
                "outcome",
            ),
        ),
        (
            "plan with an unknown field",
            Plan::from_toml(
                "[data]\ntable = 't.csv'\n[[analysis]]\nid = 'rr'\nmeasure = 'RR'\nmethdo = 'DL'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan that is not TOML",
            Plan::from_toml("[data\ntable = 't.csv'\n", "p.toml").unwrap_err(),
        ),
        (
            "plan with two data sources",
            Plan::from_toml(
                "[data]\ntable = 't.csv'\nreview = 'r.json'\n[[analysis]]\nid = 'rr'\nmeasure = 'RR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan with review files but no data file",
            Plan::from_toml(
                "[data]\nstudies = 's.csv'\n[[analysis]]\nid = 'rr'\noutcome = 'x'\nmeasure = 'RR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan without analyses",
            Plan::from_toml("[data]\ntable = 't.csv'\n", "p.toml").unwrap_err(),
        ),
        (
            "plan with a duplicate analysis id",
            Plan::from_toml(
                "[data]\ntable = 't.csv'\n[[analysis]]\nid = 'rr'\nmeasure = 'RR'\n[[analysis]]\nid = 'rr'\nmeasure = 'OR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan with a slash in an analysis id",
            Plan::from_toml(
                "[data]\ntable = 't.csv'\n[[analysis]]\nid = 'a/b'\nmeasure = 'RR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan with an unknown measure",
            Plan::from_toml(
                "[data]\ntable = 't.csv'\n[[analysis]]\nid = 'rr'\nmeasure = 'RRR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan analysis of a review without an outcome",
            Plan::from_toml(
                "[data]\nstudies = 's.csv'\ndata = 'd.csv'\n[[analysis]]\nid = 'pr'\nmeasure = 'PR'\n",
                "p.toml",
            )
            .unwrap_err(),
        ),
        (
            "plan naming a missing table",
            plan_error(
                "[data]\ntable = 'nothere.csv'\n[[analysis]]\nid = 'rr'\nmeasure = 'RR'\n",
                "missing",
            ),
        ),
        (
            "confidence level out of range",
            option("level", Level::new(150.0)),
        ),
        (
            "correlation out of range",
            run_bytes(
                b"study,m_pre,sd_pre,m_post,sd_post,ni\nA,5,1,4,1,10\n",
                "MC",
                |s| s.ri = Some(-2.0),
            ),
        ),
        (
            "unknown test",
            option("test", "wald".parse::<rema_core::Test>()),
        ),
        (
            "zero cells without a continuity correction",
            run_bytes(b"study,ai,bi,ci,di\nA,0,10,3,7\n", "OR", |s| s.add = Some(0.0)),
        ),
        (
            "Mantel-Haenszel for a measure it does not pool",
            run_bytes(two.as_bytes(), "SMD", |s| s.method = Model::MantelHaenszel),
        ),
        (
            "Peto with random effects",
            run_bytes(b"study,ai,bi,ci,di\nA,1,10,3,7\n", "OR", |s| {
                s.method = Model::Peto;
                s.random = true;
            }),
        ),
        (
            "Mantel-Haenszel with an option of the rma.uni methods",
            run_bytes(b"study,ai,bi,ci,di\nA,1,10,3,7\n", "OR", |s| {
                s.method = Model::MantelHaenszel;
                s.influence = true;
            }),
        ),
        (
            "unknown preset",
            option("preset", "cochran".parse::<rema_data::spec::Preset>()),
        ),
        (
            "test of tau^2 = 0 with the common-effect model",
            run_bytes(b"study,yi,vi\nA,0.1,0.01\nB,0.4,0.02\nC,0.2,0.03\n", "GEN", |s| {
                s.method = "FE".parse().unwrap();
                s.tau2_test = Some(1000);
            }),
        ),
        (
            "permutation intervals without permutations",
            run_bytes(b"study,yi,vi\nA,0.1,0.01\nB,0.4,0.02\nC,0.2,0.03\n", "GEN", |s| {
                s.permci = true
            }),
        ),
    ]
}

/// Whether an error is of the variant a catalogue entry must give.
type IsVariant = fn(&DataError) -> bool;

/// A core `InvalidValue` error about `column`.
fn core_value(e: &DataError, column: &str) -> bool {
    matches!(e, DataError::Core { source: rema_core::Error::InvalidValue { column: c, .. }, .. } if *c == column)
}

#[test]
fn each_bad_input_is_its_own_error_variant() {
    use rema_core::Error as E;
    use ConvertError as C;
    use DataError as D;
    let cat = catalogue();
    let kind = |name: &str| {
        cat.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| e)
            .unwrap()
    };
    // Each input and the variant it must give.
    let variants: &[(&str, IsVariant)] = &[
        ("empty file", |e| matches!(e, D::Empty { .. })),
        ("header only", |e| matches!(e, D::NoRows { .. })),
        ("missing column", |e| matches!(e, D::MissingColumns { .. })),
        ("two column sets that disagree", |e| {
            matches!(e, D::AmbiguousColumns { .. })
        }),
        ("missing values with missing = fail", |e| {
            matches!(
                e,
                D::MissingValues {
                    every_study: false,
                    ..
                }
            )
        }),
        ("a missing value in every study", |e| {
            matches!(
                e,
                D::MissingValues {
                    every_study: true,
                    ..
                }
            )
        }),
        ("workbook that cannot be read", |e| {
            matches!(e, D::Workbook { .. })
        }),
        ("sheet for a CSV file", |e| {
            matches!(
                e,
                D::Option {
                    option: "sheet",
                    ..
                }
            )
        }),
        ("unnamed column with values", |e| matches!(e, D::Csv { .. })),
        ("column name twice", |e| matches!(e, D::Csv { .. })),
        ("moderator with one level", |e| {
            matches!(e, D::Invalid { .. })
        }),
        ("ragged row", |e| {
            matches!(
                e,
                D::Ragged {
                    found: 4,
                    expected: 5,
                    ..
                }
            )
        }),
        ("text for a number", |e| matches!(e, D::NotANumber { .. })),
        ("NaN for a number", |e| matches!(e, D::NotFinite { .. })),
        ("Inf for a number", |e| matches!(e, D::NotFinite { .. })),
        ("negative SD", |e| core_value(e, "sd1i")),
        ("zero SD", |e| core_value(e, "sd2i")),
        ("zero variance", |e| {
            matches!(
                e,
                D::Core {
                    source: E::InvalidVariance { .. },
                    ..
                }
            )
        }),
        ("negative standard error", |e| {
            matches!(e, D::Invalid { .. })
        }),
        ("n < 2 for a pre/post variance", |e| core_value(e, "ni")),
        ("n < 2 for an SD from a range", |e| {
            matches!(
                e,
                D::Conversion {
                    source: C::InvalidInput { quantity: "n", .. },
                    ..
                }
            )
        }),
        ("events above the total (two groups)", |e| {
            matches!(e, D::Invalid { .. })
        }),
        ("events above the total (one group)", |e| {
            core_value(e, "xi")
        }),
        ("log of a mean that is not positive", |e| {
            core_value(e, "mi")
        }),
        ("unknown measure", |e| matches!(e, D::Option { .. })),
        ("unknown method", |e| matches!(e, D::Option { .. })),
        ("sample-size predictor without sample sizes", |e| {
            matches!(
                e,
                D::Option {
                    option: "predictor",
                    ..
                }
            )
        }),
        ("selection-model precision for a type without one", |e| {
            matches!(
                e,
                D::Option {
                    option: "selmodel_prec",
                    ..
                }
            )
        }),
        ("selection-model delta of the wrong length", |e| {
            matches!(
                e,
                D::Option {
                    option: "selmodel_delta",
                    ..
                }
            )
        }),
        ("steps without a selection model", |e| {
            matches!(
                e,
                D::Option {
                    option: "steps",
                    ..
                }
            )
        }),
        ("inconsistent quartiles", |e| {
            matches!(
                e,
                D::Conversion {
                    source: C::Inconsistent { .. },
                    ..
                }
            )
        }),
        ("not UTF-8", |e| matches!(e, D::NotUtf8 { line: 3, .. })),
        ("missing file", |e| matches!(e, D::Io { .. })),
        ("plan names an unknown column", |e| {
            matches!(
                e,
                D::UnknownPlanColumn {
                    field: "subset",
                    ..
                }
            )
        }),
        ("plan names an unknown outcome", |e| {
            matches!(
                e,
                D::UnknownOutcome {
                    what: "outcome",
                    ..
                }
            )
        }),
        ("plan with an unknown field", |e| {
            matches!(e, D::Plan { .. })
        }),
        ("plan with an unknown measure", |e| {
            matches!(e, D::Option { .. })
        }),
        ("plan naming a missing table", |e| matches!(e, D::Io { .. })),
    ];
    for (name, is) in variants {
        let e = kind(name);
        assert!(is(e), "{name}: {e:?}");
    }
    for plan in [
        "plan that is not TOML",
        "plan with two data sources",
        "plan with review files but no data file",
        "plan without analyses",
        "plan with a duplicate analysis id",
        "plan with a slash in an analysis id",
        "plan analysis of a review without an outcome",
    ] {
        assert!(matches!(kind(plan), DataError::Plan { .. }), "{plan}");
    }
    for option in [
        "confidence level out of range",
        "correlation out of range",
        "unknown test",
    ] {
        assert!(matches!(kind(option), DataError::Option { .. }), "{option}");
    }
    assert!(
        matches!(
            kind("zero cells without a continuity correction"),
            DataError::Core { .. }
        ),
        "{:?}",
        kind("zero cells without a continuity correction")
    );
}

/// Messages are one line; those about a row name the file, line, column and study.
#[test]
fn messages_are_one_line_and_say_where() {
    for (name, e) in catalogue() {
        let m = e.to_string();
        assert_eq!(m.lines().count(), 1, "{name}: {m}");
        if matches!(
            e,
            DataError::NotANumber { .. }
                | DataError::NotFinite { .. }
                | DataError::Conversion { .. }
        ) || matches!(&e, DataError::Core { at, .. } if at.column.is_some())
        {
            assert!(
                m.contains("data.csv, line 2, column `") && m.contains("study `A`"),
                "{name}: {m}"
            );
        }
    }
}

/// docs/ERRORS.md quotes every message of the catalogue verbatim.
#[test]
fn errors_md_quotes_every_message() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ERRORS.md"))
            .unwrap();
    let tmp = std::env::temp_dir().display().to_string();
    let mut missing = Vec::new();
    for (name, e) in catalogue() {
        // Temporary folders differ between machines: the doc writes them as TMP.
        let m = e.to_string().replace(&tmp, "TMP");
        let m = regex_pid(&m);
        if !doc.contains(&m) {
            missing.push(format!("| {name} | `{m}` |"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/ERRORS.md lacks:\n{}",
        missing.join("\n")
    );
}

/// Replaces the process id and call counter in the temporary folder names by PID.
fn regex_pid(m: &str) -> String {
    let marker = format!("rema-bad-input-{}-", std::process::id());
    let mut out = String::new();
    let mut rest = m;
    while let Some(i) = rest.find(&marker) {
        out.push_str(&rest[..i]);
        out.push_str("rema-bad-input-PID-");
        let after = &rest[i + marker.len()..];
        let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
        rest = after[digits..]
            .strip_prefix('-')
            .unwrap_or(&after[digits..]);
    }
    out.push_str(rest);
    out
}

/// What spreadsheets write is read as it is: BOM, CRLF, semicolons with
/// decimal commas, quoted fields with delimiters inside, blank trailing lines.
#[test]
fn real_world_files_are_read_as_they_are() {
    let plain = "study,yi,vi\nSmith; 2001,0.5,0.1\nJones,0.25,0.2\n";
    let excel = "\u{feff}study;yi;vi\r\n\"Smith; 2001\";0,5;0,1\r\nJones;0,25;0,2\r\n\r\n\r\n";
    let spec = AnalysisSpec::new(rema_core::Measure::Gen);
    let a = analyze(&Table::from_str(plain, "a.csv").unwrap(), &spec, "0");
    // The plain file's unquoted `Smith; 2001` is one field: commas delimit.
    let a = a.unwrap();
    let b = analyze(&Table::from_str(excel, "b.csv").unwrap(), &spec, "0").unwrap();
    assert_eq!(a.estimate, b.estimate);
    assert_eq!(b.studies[0].study, "Smith; 2001");
    assert_eq!(b.k, 2);
}
