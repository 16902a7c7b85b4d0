//! One group's mean, SD and size: the mean, the log mean, the log
//! coefficient of variation, the log SD and the standardised mean.
//!
//! Matches metafor 3.8-1 `escalc(measure = ..., mi, sdi, ni)` with the
//! default `vtype = "LS"`:
//! - MN: yᵢ = mᵢ, vᵢ = sdᵢ²/nᵢ;
//! - MNLN: yᵢ = ln mᵢ, vᵢ = sdᵢ²/(nᵢmᵢ²) (the delta method);
//! - CVLN: yᵢ = ln(sdᵢ/mᵢ) + 1/(2(nᵢ − 1)), vᵢ = 1/(2(nᵢ − 1)) + sdᵢ²/(nᵢmᵢ²)
//!   (Nakagawa et al. 2015);
//! - SDLN: yᵢ = ln sdᵢ + 1/(2(nᵢ − 1)), vᵢ = 1/(2(nᵢ − 1)) (Nakagawa et al.
//!   2015; needs no mean);
//! - SMN: yᵢ = c(nᵢ − 1)·mᵢ/sdᵢ with Hedges' correction c,
//!   vᵢ = 1/nᵢ + yᵢ²/(2nᵢ).
//!
//! metafor refuses negative means for MNLN and CVLN and gives −∞ at a zero
//! mean; rema refuses both, naming the study and `mi`.

use super::{check, hedges_correction, EffectSizes, SingleGroupStudy};
use crate::error::{Error, Result};
use crate::measure::Measure;

pub(super) fn compute(measure: Measure, studies: &[SingleGroupStudy]) -> Result<EffectSizes> {
    let (min_n, why_n) = match measure {
        Measure::Cvln => (
            1.0,
            "CVLN needs ni > 1 for its bias correction 1/(2(ni - 1))",
        ),
        Measure::Sdln => (
            1.0,
            "SDLN needs ni > 1 for its bias correction 1/(2(ni - 1))",
        ),
        Measure::Smn => (2.0, "SMN needs ni > 2 for Hedges' correction c(ni - 1)"),
        _ => (0.0, "a sample size must be a finite number > 0"),
    };
    let mut yi = Vec::with_capacity(studies.len());
    let mut vi = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        check(
            i,
            "sdi",
            s.sd,
            s.sd > 0.0,
            "an SD must be a finite number > 0",
        )?;
        check(i, "ni", s.n, s.n > min_n, why_n)?;
        let (sd, n) = (s.sd, s.n);
        if measure == Measure::Sdln {
            let b = 0.5 / (n - 1.0);
            yi.push(sd.ln() + b);
            vi.push(b);
            continue;
        }
        let Some(m) = s.mean else {
            return Err(Error::InvalidValue {
                study: i,
                column: "mi",
                value: f64::NAN,
                allowed: "the mean is needed by MN, MNLN, CVLN and SMN",
            });
        };
        let positive = !matches!(measure, Measure::Mnln | Measure::Cvln) || m > 0.0;
        let allowed = match measure {
            Measure::Mnln => "MNLN takes the log of the mean: it must be > 0",
            Measure::Cvln => "CVLN takes the log of SD/mean: the mean must be > 0",
            _ => "a mean must be a finite number",
        };
        check(i, "mi", m, positive, allowed)?;
        let cv2 = sd * sd / (n * m * m);
        let (y, v) = match measure {
            Measure::Mn => (m, sd * sd / n),
            Measure::Mnln => (m.ln(), cv2),
            Measure::Cvln => {
                let b = 0.5 / (n - 1.0);
                ((sd / m).ln() + b, b + cv2)
            }
            Measure::Smn => {
                let g = hedges_correction(n - 1.0) * m / sd;
                (g, 1.0 / n + g * g / (2.0 * n))
            }
            _ => unreachable!("single::compute called with {measure}"),
        };
        yi.push(y);
        vi.push(v);
    }
    let ni = studies.iter().map(|s| s.n).collect();
    Ok(EffectSizes::plain(measure, yi, vi, ni))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study(mean: Option<f64>, sd: f64, n: f64) -> SingleGroupStudy {
        SingleGroupStudy { mean, sd, n }
    }

    /// metafor 3.8-1: escalc(measure, mi = 20, sdi = 5, ni = 30) for each measure.
    #[test]
    fn matches_escalc() {
        let s = [study(Some(20.0), 5.0, 30.0)];
        let cases = [
            (Measure::Mn, 20.0, 0.8333333333333334),
            (Measure::Mnln, 2.995732273553991, 0.002083333333333333),
            (Measure::Cvln, -1.369052981809546, 0.01932471264367816),
            (Measure::Sdln, 1.626679291744445, 0.01724137931034483),
            (Measure::Smn, 3.895499938386902, 0.2862486628328725),
        ];
        for (m, y, v) in cases {
            let es = compute(m, &s).unwrap();
            assert!(
                (es.yi[0] - y).abs() < 1e-12 * y.abs().max(1.0),
                "{m} yi {}",
                es.yi[0]
            );
            assert!((es.vi[0] - v).abs() < 1e-12, "{m} vi {}", es.vi[0]);
        }
    }

    /// A zero or negative mean has no log: refused, naming `mi` (metafor
    /// gives -Inf at 0 and refuses a negative mean).
    #[test]
    fn log_of_a_mean_that_is_not_positive_is_refused() {
        for m in [Measure::Mnln, Measure::Cvln] {
            for mean in [0.0, -1.5] {
                let err = compute(
                    m,
                    &[study(Some(3.0), 1.0, 10.0), study(Some(mean), 1.0, 10.0)],
                )
                .unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::InvalidValue {
                            study: 1,
                            column: "mi",
                            ..
                        }
                    ),
                    "{m} {mean}: {err:?}"
                );
            }
        }
        // MN and SMN take any mean.
        assert!(compute(Measure::Mn, &[study(Some(-1.5), 1.0, 10.0)]).is_ok());
        assert!(compute(Measure::Smn, &[study(Some(0.0), 1.0, 10.0)]).is_ok());
    }

    /// SDLN needs no mean; the others say which column is missing.
    #[test]
    fn the_mean_is_needed_except_by_sdln() {
        assert!(compute(Measure::Sdln, &[study(None, 2.0, 10.0)]).is_ok());
        let err = compute(Measure::Mn, &[study(None, 2.0, 10.0)]).unwrap_err();
        assert!(matches!(err, Error::InvalidValue { column: "mi", .. }));
    }

    /// Sizes the bias corrections cannot take, and SDs that are not positive.
    #[test]
    fn small_samples_and_bad_sds_are_refused() {
        for (m, n) in [
            (Measure::Cvln, 1.0),
            (Measure::Sdln, 1.0),
            (Measure::Smn, 2.0),
            (Measure::Mn, 0.0),
        ] {
            let err = compute(m, &[study(Some(3.0), 1.0, n)]).unwrap_err();
            assert!(
                matches!(err, Error::InvalidValue { column: "ni", .. }),
                "{m}: {err:?}"
            );
        }
        let err = compute(Measure::Mn, &[study(Some(3.0), 0.0, 10.0)]).unwrap_err();
        assert!(matches!(err, Error::InvalidValue { column: "sdi", .. }));
    }
}
