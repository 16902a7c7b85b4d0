//! rema-core's multilevel model (`rema_core::mv`) on what `rema analyze`
//! does not reach: the t test and F omnibus test (metafor `rma.mv(test =
//! "t")`), and the block structure's invariants. The reference numbers are
//! metafor 3.8-1's, printed by
//! `rma.mv(yi, vi, mods = ~ I(year - mean(year)), random = ~ 1 | district/school,
//! data = dat.konstantopoulos2011, method = "ML", test = "t")`.

use rema_core::mv::{rma_mv, MvData, MvMethod, MvOptions, MvTest, RandomTerm};
use rema_core::Design;

const DATA: &str = include_str!("../../../tests/golden/data/mv_konstantopoulos2011.csv");

/// The district and district/school labels, and year_c, yi, vi.
type Columns = (Vec<String>, Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>);

/// The columns of dat.konstantopoulos2011.
fn data() -> Columns {
    let (mut d, mut s, mut x, mut y, mut v) = (vec![], vec![], vec![], vec![], vec![]);
    for line in DATA.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(|c| c.trim_matches('"')).collect();
        d.push(f[1].to_string());
        s.push(format!("{}/{}", f[1], f[2]));
        x.push(f[3].parse().unwrap());
        y.push(f[4].parse().unwrap());
        v.push(f[5].parse().unwrap());
    }
    (d, s, x, y, v)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn ml_with_t_tests_matches_metafor() {
    let (d, s, x, y, v) = data();
    let k = y.len();
    let design = Design::from_row_major(k, 2, x.iter().flat_map(|&x| [1.0, x]).collect()).unwrap();
    let terms = vec![
        RandomTerm::from_labels("district", &d),
        RandomTerm::from_labels("district/school", &s),
    ];
    let data = MvData::new(&y, &v, design, terms).unwrap();
    assert_eq!(data.n_blocks(), 11);
    let opts = MvOptions {
        method: MvMethod::Ml,
        test: MvTest::T,
        ..MvOptions::default()
    };
    let f = rma_mv(&data, &opts).unwrap();
    let checks = [
        (f.components[0].sigma2, 0.056462852181),
        (f.components[1].sigma2, 0.032939031984),
        (f.coefficients[0].estimate, 0.1780267871998),
        (f.coefficients[1].estimate, 0.0050737206294),
        (f.coefficients[0].se, 0.08046684606840),
        (f.coefficients[1].se, 0.00851135412421),
        (f.qm, 0.355349558526),
        (f.qm_pval, 0.553591059046),
        (f.stats.loglik, -8.21814256584),
        (f.stats.deviance, 161.09279825167),
        (f.stats.aic, 24.43628513169),
        (f.stats.bic, 32.53769189463),
        (f.stats.aicc, 25.22059885718),
    ];
    for (i, (got, want)) in checks.iter().enumerate() {
        assert!(rel(*got, *want) < 1e-4, "check {i}: {got} against {want}");
    }
    assert_eq!((f.df, f.qm_df), (Some(54.0), (1.0, Some(54.0))));
}

#[test]
fn a_variance_at_zero_is_a_boundary_estimate_with_a_note() {
    // Effects that vary less than their sampling variances say: no
    // between-cluster variance.
    let y = [0.10, 0.11, 0.09, 0.10, 0.12, 0.08];
    let v = [0.04; 6];
    let t = RandomTerm::from_labels("cluster", &["a", "a", "b", "b", "c", "c"]);
    let data = MvData::new(&y, &v, Design::intercept(6), vec![t]).unwrap();
    let f = rma_mv(&data, &MvOptions::default()).unwrap();
    assert_eq!(f.components[0].sigma2, 0.0);
    assert!(
        f.notes.iter().any(|n| n.contains("boundary")),
        "{:?}",
        f.notes
    );
    let ci = f.confint().unwrap();
    assert_eq!(ci[0].lower, Some(0.0));
}
