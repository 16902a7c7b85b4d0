//! Any text as a moderators formula (`parse_mods`) and as a random-effects
//! formula (`parse_random`): an error or a formula, never a panic. A
//! moderators formula that parses prints (`Display`) as a formula that
//! parses to the same terms (each the same set of variables).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::formula::{parse_mods, parse_random};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_random(text);
    let Ok(f) = parse_mods(text) else { return };
    let _ = f.columns();
    let again = parse_mods(&f.to_string()).expect("a printed formula parses");
    let labels = |f: &rema_data::formula::ModsFormula| -> Vec<Vec<String>> {
        f.terms
            .iter()
            .map(|t| {
                let mut v: Vec<String> =
                    t.variables.iter().map(|&i| f.variables[i].label.clone()).collect();
                v.sort();
                v
            })
            .collect()
    };
    assert_eq!(labels(&again), labels(&f), "{text:?} printed as {f}");
    assert_eq!(again.intercept, f.intercept);
});
