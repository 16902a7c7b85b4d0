//! `rema analyze --method MH|PETO`, `--random` and `--preset` end to end:
//! the JSON against RevMan 5.0.23's stored results for Fleiss (1993)
//! (`Fleiss1993.rm5` in the R package meta), the method's label, and the
//! flags refused with these methods.

mod common;

use common::*;
use serde_json::Value;

const FLEISS: &str = "study,ai,n1i,ci,n2i\nMRC-1,49,615,67,624\nCDP,44,758,64,771\nMRC-2,102,832,126,850\nGASP,32,317,38,309\nPARIS,85,810,52,406\nAMIS,246,2267,219,2257\nISIS-2,1570,8587,1720,8600\n";

fn json(file: &str, flags: &[&str]) -> Value {
    common::json(&analyze(
        file,
        "OR",
        &[flags, &["--format", "json"]].concat(),
    ))
}

#[test]
fn mh_reproduces_revman_and_presets_fill_what_is_not_given() {
    let tmp = scratch("pooling");
    let f = write_file(&tmp, "fleiss.csv", FLEISS);
    let r = json(&f, &["--method", "MH"]);
    // RevMan stores 10 significant digits and more.
    for (key, revman) in [
        ("estimate", 0.8968655609130709),
        ("ci_lower", 0.8405144008917793),
        ("ci_upper", 0.9569947088336491),
    ] {
        let x = r["transformed"][key].as_f64().unwrap();
        assert!(close(x, revman, 1e-12), "{key}: {x}");
    }
    assert!(close(r["q"].as_f64().unwrap(), 9.946055983220074, 1e-12));
    assert!(close(
        r["stat"].as_f64().unwrap().abs(),
        3.287633061337987,
        1e-12
    ));
    assert!(close(
        r["pval"].as_f64().unwrap(),
        0.0010103343130005407,
        1e-9
    ));
    assert_eq!(r["pooling"]["label"], "M-H, Fixed, 95% CI");
    assert!(r["pooling"]["tarone"]["statistic"].is_f64());
    // The preset picks MH for an odds ratio; --random makes it RevMan's M-H, Random.
    let p = json(&f, &["--preset", "revman5", "--random"]);
    assert_eq!(
        (p["method"].as_str(), p["pooling"]["model"].as_str()),
        (Some("MH"), Some("random"))
    );
    assert!(p["tau2"].as_f64().unwrap() > 0.0);
    assert_eq!(
        p["notes"][0],
        "preset revman5 (RevMan 5's defaults): method MH, test z, pi_dist test"
    );
    // An explicit --method overrides it.
    let o = json(&f, &["--preset", "revman5", "--method", "DL"]);
    assert_eq!(o["method"], "DL");
    assert!(o["pooling"].is_null());
    assert_eq!(o["provenance"]["options"]["preset"], "revman5");
    // Refused combinations are bad usage of an option, with the reason.
    let out = analyze(&f, "OR", &["--method", "PETO", "--random"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("fixed-effect method"));
    let out = analyze(&f, "SMD", &["--method", "MH"]);
    assert_ne!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&tmp).ok();
}
