//! Random invalid data through rema-data's CSV path (`Table::from_bytes` and
//! `analyze`): an error or a result, never a panic; and an error is one line
//! that names the file.

use proptest::prelude::*;
use rema_data::{analyze, AnalysisSpec, Table};

const MEASURES: [&str; 14] = [
    "RR", "OR", "RD", "MD", "SMD", "MC", "SMCC", "SMCR", "PR", "PLN", "PLO", "PAS", "PFT", "GEN",
];
const COLUMNS: [&str; 16] = [
    "study", "ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "xi", "ni", "yi",
    "vi", "sei",
];

/// A cell: numbers of every sign and size, blanks, NA, text, non-finite.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1e6..1e6f64).prop_map(|x| x.to_string()),
        (0u32..200).prop_map(|x| x.to_string()),
        Just(String::new()),
        Just("NA".to_string()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e400".to_string()),
        Just("0".to_string()),
        Just("\"1,5\"".to_string()),
        "[a-z ;\"]{0,5}",
    ]
}

fn table() -> impl Strategy<Value = String> {
    (
        prop::sample::subsequence(COLUMNS.to_vec(), 1..8),
        prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..8),
        prop_oneof![Just(","), Just(";"), Just("\t")],
    )
        .prop_map(|(cols, rows, sep)| {
            let mut s = cols.join(sep);
            s.push('\n');
            for r in rows {
                s.push_str(&r.join(sep));
                s.push('\n');
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_invalid_tables_are_an_error_never_a_panic(text in table(), m in 0..MEASURES.len(), method in 0..9usize, knha in any::<bool>()) {
        let Ok(t) = Table::from_bytes(text.as_bytes(), "data.csv").map_err(|e| {
            let msg = e.to_string();
            assert!(msg.starts_with("data.csv") && msg.lines().count() == 1, "{msg}");
        }) else { return Ok(()) };
        let mut spec = AnalysisSpec::new(MEASURES[m].parse().unwrap());
        spec.method = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"][method].parse().unwrap();
        if knha { spec.test = rema_core::Test::Knha; }
        match analyze(&t, &spec, "sha") {
            Ok(r) => {
                prop_assert!(r.estimate.is_finite() || !r.notes.is_empty());
                prop_assert!(r.tau2 >= 0.0 || r.tau2.is_nan());
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty() && msg.lines().count() == 1, "{}", msg);
            }
        }
    }

    #[test]
    fn random_bytes_are_an_error_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), m in 0..MEASURES.len()) {
        if let Ok(t) = Table::from_bytes(&bytes, "data.csv") {
            let _ = analyze(&t, &AnalysisSpec::new(MEASURES[m].parse().unwrap()), "sha");
        }
    }
}

/// Found by `random_invalid_tables_are_an_error_never_a_panic`: a quoted cell
/// holding a line break made a two-line message. The cell is shown escaped.
#[test]
fn a_line_break_inside_a_quoted_cell_keeps_the_message_on_one_line() {
    let text = "study,ai,di,m1i,sd2i,yi,vi\n0,0,0,\"a\n\"1,5\",0,0\n";
    let t = Table::from_bytes(text.as_bytes(), "data.csv").unwrap();
    for measure in MEASURES {
        let spec = AnalysisSpec::new(measure.parse().unwrap());
        if let Err(e) = analyze(&t, &spec, "sha") {
            let msg = e.to_string();
            assert_eq!(msg.lines().count(), 1, "{measure}: {msg}");
        }
    }
}

/// Found by the property above: a quoted label with a line break in it
/// (`"NA\n1,5"`) is written escaped, so the message stays on one line.
#[test]
fn a_label_with_a_line_break_is_one_line_in_a_message() {
    let text = "study\tdi\tm1i\n\"\nNA\n\"1,5\"\t0\t\"1,5\"\n";
    let t = Table::from_bytes(text.as_bytes(), "data.csv").unwrap();
    let e = analyze(&t, &AnalysisSpec::new(MEASURES[3].parse().unwrap()), "sha").unwrap_err();
    let msg = e.to_string();
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(msg.contains("study `NA\\n1,5"), "{msg}");
}
