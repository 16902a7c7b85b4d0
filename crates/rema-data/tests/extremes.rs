//! Numerical extremes through the whole analysis path (CSV text → table →
//! effect sizes → fit): each gives finite numbers, with a note for every
//! adjustment, or a clear error; never a panic and never a silent NaN.

use rema_data::{analyze, AnalysisResult, AnalysisSpec, DataError, Table};

const METHODS: [&str; 9] = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"];

fn run(csv: &str, measure: &str, method: &str) -> Result<AnalysisResult, DataError> {
    let table = Table::from_str(csv, "data.csv")?;
    let mut spec = AnalysisSpec::new(measure.parse().unwrap());
    spec.method = method.parse().unwrap();
    analyze(&table, &spec, "sha")
}

/// Every summary number is finite, or a note says why it is not.
fn assert_finite_or_noted(r: &AnalysisResult, what: &str) {
    let fields = [
        ("estimate", r.estimate),
        ("se", r.se),
        ("ci_lower", r.ci_lower),
        ("ci_upper", r.ci_upper),
        ("tau2", r.tau2),
        ("i2", r.i2),
        ("h2", r.h2),
        ("q", r.q),
        ("pi_lower", r.pi_lower),
        ("pi_upper", r.pi_upper),
    ];
    for (name, v) in fields {
        assert!(
            v.is_finite() || !r.notes.is_empty(),
            "{what}: {name} = {v} without a note"
        );
    }
    for (name, v) in [("estimate", r.estimate), ("se", r.se), ("tau2", r.tau2)] {
        assert!(v.is_finite(), "{what}: {name} = {v}");
    }
    assert!(
        r.ci_lower <= r.estimate && r.estimate <= r.ci_upper,
        "{what}"
    );
    assert!(
        (0.0..=100.0).contains(&r.i2) || r.i2.is_nan(),
        "{what}: i2 {}",
        r.i2
    );
}

fn counts(rows: &[(u32, u32, u32, u32)]) -> String {
    let mut s = "study,ai,n1i,ci,n2i\n".to_string();
    for (i, (a, n1, c, n2)) in rows.iter().enumerate() {
        s.push_str(&format!("S{i},{a},{n1},{c},{n2}\n"));
    }
    s
}

/// As metafor's `escalc` (`add = 1/2, to = "only0", drop00 = FALSE`): 0.5 is
/// added to every cell of each study, with a note, and the numbers are finite.
#[test]
fn all_zero_events_get_the_continuity_correction_and_a_note() {
    let csv = counts(&[(0, 10, 0, 12), (0, 20, 0, 18), (0, 15, 0, 15)]);
    for m in ["RR", "OR", "RD"] {
        for method in METHODS {
            let r = run(&csv, m, method).unwrap();
            assert_finite_or_noted(&r, &format!("{m} {method}, all zero"));
            assert!(
                r.notes
                    .iter()
                    .any(|n| n.contains("0.5 added to each cell of 3 studies")),
                "{m} {method}: {:?}",
                r.notes
            );
        }
    }
    // Without the correction a zero count is a clear error naming the study.
    let table = Table::from_str(&csv, "data.csv").unwrap();
    let mut spec = AnalysisSpec::new(rema_core::Measure::Or);
    spec.add = Some(0.0);
    let e = analyze(&table, &spec, "sha").unwrap_err();
    assert!(
        e.to_string().contains("study `S0`") && e.to_string().contains("continuity correction"),
        "{e}"
    );
}

#[test]
fn events_equal_to_n_get_a_correction_and_a_note() {
    let csv = counts(&[(10, 10, 12, 12), (20, 20, 17, 18), (15, 15, 15, 15)]);
    for m in ["RR", "OR", "RD", "PR", "PLO"] {
        let csv = if m.starts_with('P') {
            "study,xi,ni\nA,10,10\nB,20,20\nC,14,15\n".to_string()
        } else {
            csv.clone()
        };
        for method in METHODS {
            match run(&csv, m, method) {
                Ok(r) => assert_finite_or_noted(&r, &format!("{m} {method}")),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("study") || msg.contains("zero"),
                        "{m} {method}: {msg}"
                    );
                }
            }
        }
    }
}

#[test]
fn one_and_two_studies_give_finite_numbers_with_notes() {
    for method in METHODS {
        let r = run("study,yi,vi\nA,0.3,0.02\n", "GEN", method).unwrap();
        assert_eq!(r.k, 1);
        assert_eq!(r.estimate, 0.3);
        assert_eq!(r.tau2, 0.0);
        if method != "FE" {
            assert!(
                r.notes.iter().any(|n| n.contains("one study")),
                "{method}: {:?}",
                r.notes
            );
        }
        assert_finite_or_noted(&r, method);
        let r = run("study,yi,vi\nA,0.3,0.02\nB,-0.1,0.05\n", "GEN", method).unwrap();
        assert_eq!(r.k, 2);
        assert_finite_or_noted(&r, method);
    }
}

#[test]
fn a_hundred_thousand_studies() {
    let mut csv = String::with_capacity(3_000_000);
    csv.push_str("study,yi,vi\n");
    // A deterministic spread of effects and variances.
    for i in 0..100_000u64 {
        let u = ((i.wrapping_mul(2654435761) % 1000) as f64) / 1000.0;
        let v = 0.01 + ((i * 7919) % 97) as f64 / 100.0;
        csv.push_str(&format!("S{i},{},{v}\n", u - 0.5));
    }
    for method in ["FE", "DL", "REML", "PM"] {
        let r = run(&csv, "GEN", method).unwrap();
        assert_eq!(r.k, 100_000);
        assert_finite_or_noted(&r, method);
        assert!(r.q.is_finite() && r.q_pval.is_finite(), "{method}");
    }
}

#[test]
fn variances_from_1e_minus_12_to_1e12_in_one_analysis() {
    let csv = "study,yi,vi\nA,0.1,1e-12\nB,0.5,1e-6\nC,-0.2,1\nD,2,1e6\nE,0.3,1e12\n";
    for method in METHODS {
        let r = run(csv, "GEN", method).unwrap();
        assert_finite_or_noted(&r, method);
        assert!(
            r.notes.iter().any(|n| n.contains("variance")),
            "{method}: the ratio of variances is noted: {:?}",
            r.notes
        );
    }
}

#[test]
fn identical_studies_give_zero_tau2_and_finite_numbers() {
    let csv = "study,yi,vi\nA,0.4,0.02\nB,0.4,0.02\nC,0.4,0.02\nD,0.4,0.02\n";
    for method in METHODS {
        let r = run(csv, "GEN", method).unwrap();
        assert_eq!(r.tau2, 0.0, "{method}");
        assert!((r.estimate - 0.4).abs() < 1e-12, "{method}");
        assert_eq!(r.i2, 0.0, "{method}");
        assert_finite_or_noted(&r, method);
    }
}

/// `--format text` says which digits to trust against metafor's defaults
/// where rema reports exact roots (PM, the Q-profile bounds), and only there.
#[test]
fn text_output_says_which_digits_agree_with_metafor_defaults() {
    let csv = "study,yi,vi\nA,0.1,0.02\nB,0.5,0.03\nC,-0.2,0.01\nD,0.3,0.04\n";
    let text = |method: &str, tau2_ci: bool| {
        let table = Table::from_str(csv, "data.csv").unwrap();
        let mut spec = AnalysisSpec::new("GEN".parse().unwrap());
        spec.method = method.parse().unwrap();
        spec.tau2_ci = tau2_ci;
        rema_data::render::text(&analyze(&table, &spec, "sha").unwrap())
    };
    let tail = " exact roots; metafor's defaults (uniroot tol = 1.2e-4 on the tau^2\n  scale) agree with them to about 3 significant digits (to 1.2e-4 absolute near 0).";
    assert!(text("PM", false).contains(&format!("  Note: the PM estimate is{tail}")));
    assert!(text("REML", true).contains(&format!("  Note: the tau^2 CI bounds are{tail}")));
    assert!(text("PM", true)
        .contains("  Note: the PM estimate and the tau^2 CI bounds are exact roots"));
    assert!(!text("REML", false).contains("exact roots"));
}
