//! The checked inputs of a fitted model: the studies (effects and sampling
//! variances) and the confidence level. Each is checked once, when it is
//! made, so that a fitted model and its follow-ups never see bad input.

use std::fmt;
use std::str::FromStr;

use crate::effect::EffectSizes;
use crate::error::{Error, Result};

/// Effects yᵢ and sampling variances vᵢ of k ≥ 1 studies, checked once:
/// as many variances as effects, every effect finite, every variance
/// positive and finite. An error names the study by its 0-based position.
///
/// ```
/// use rema_core::{Error, Studies};
/// let studies = Studies::new(&[0.1, 0.3, 0.35], &[0.01, 0.02, 0.015])?;
/// assert_eq!(studies.len(), 3);
/// let err = Studies::new(&[0.1, 0.3], &[0.01, 0.0]).unwrap_err();
/// assert_eq!(err, Error::InvalidVariance { study: 1, value: 0.0 });
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Studies {
    yi: Vec<f64>,
    vi: Vec<f64>,
}

impl Studies {
    /// Checks and keeps the effects `yi` and sampling variances `vi`.
    pub fn new(yi: &[f64], vi: &[f64]) -> Result<Studies> {
        crate::fit::validate(yi, vi)?;
        Ok(Studies {
            yi: yi.to_vec(),
            vi: vi.to_vec(),
        })
    }

    /// The effects yᵢ.
    pub fn yi(&self) -> &[f64] {
        &self.yi
    }

    /// The sampling variances vᵢ.
    pub fn vi(&self) -> &[f64] {
        &self.vi
    }

    /// The number of studies k (at least 1).
    pub fn len(&self) -> usize {
        self.yi.len()
    }

    /// Always false: a `Studies` holds at least one study.
    pub fn is_empty(&self) -> bool {
        self.yi.is_empty()
    }
}

/// The effect sizes of [`crate::effect_sizes`], checked as [`Studies::new`]
/// checks them (their fields are public, so they are checked again here).
///
/// ```
/// use rema_core::effect::BinaryStudy;
/// use rema_core::{effect_sizes, EffectOptions, Error, Measure, Studies, StudyData};
/// // The first two trials of dat.bcg: events and non-events in each arm.
/// let data = StudyData::Binary(vec![
///     BinaryStudy { ai: 4.0, bi: 119.0, ci: 11.0, di: 128.0 },
///     BinaryStudy { ai: 6.0, bi: 300.0, ci: 29.0, di: 274.0 },
/// ]);
/// let es = effect_sizes(Measure::Rr, &data, &EffectOptions::default())?;
/// let studies = Studies::try_from(&es)?;
/// assert_eq!(studies.yi(), &es.yi[..]);
/// # Ok::<(), Error>(())
/// ```
impl TryFrom<&EffectSizes> for Studies {
    type Error = Error;
    fn try_from(es: &EffectSizes) -> Result<Studies> {
        Studies::new(&es.yi, &es.vi)
    }
}

/// As `Studies::try_from(&es)`, keeping the vectors.
impl TryFrom<EffectSizes> for Studies {
    type Error = Error;
    fn try_from(es: EffectSizes) -> Result<Studies> {
        crate::fit::validate(&es.yi, &es.vi)?;
        Ok(Studies {
            yi: es.yi,
            vi: es.vi,
        })
    }
}

/// A confidence level, kept in percent and checked once.
///
/// [`Level::new`] takes a value in (0, 100): from 1 up it is a percentage
/// (`95` is the 95% level); below 1 it is a proportion (`0.95` is the 95%
/// level too), as metafor reads a `level` below 1. metafor 3.8 reads a
/// value of at most 0.5 as α instead (its `level = 0.05` is the 95% level);
/// rema reads every value below 1 as a proportion, so `0.05` is the 5% level.
///
/// ```
/// use rema_core::{Error, Level};
/// assert_eq!(Level::new(95.0)?, Level::new(0.95)?);
/// assert_eq!(Level::new(90.0)?.percent(), 90.0);
/// assert!((Level::new(95.0)?.alpha() - 0.05).abs() < 1e-15);
/// assert!(matches!(Level::new(100.0), Err(Error::InvalidOption { option: "level", .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Level(f64);

impl Level {
    /// The level of a percentage in [1, 100) or a proportion in (0, 1).
    pub fn new(level: f64) -> Result<Level> {
        if !(level > 0.0 && level < 100.0) {
            return Err(Error::InvalidOption {
                option: "level",
                message: format!(
                    "{level} must lie strictly between 0 and 100 (e.g. 95, or 0.95 as a proportion)"
                ),
            });
        }
        Ok(Level(if level < 1.0 { level * 100.0 } else { level }))
    }

    /// The level in percent, as [`crate::FitOptions::level`] holds it.
    pub fn percent(self) -> f64 {
        self.0
    }

    /// α = 1 − level/100.
    pub fn alpha(self) -> f64 {
        1.0 - self.0 / 100.0
    }
}

/// The 95% level, metafor's default.
impl Default for Level {
    fn default() -> Level {
        Level(95.0)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// Parses a number (an optional trailing `%` is allowed) and checks it as
/// [`Level::new`] does.
///
/// ```
/// use rema_core::Level;
/// assert_eq!("90".parse::<Level>().unwrap().percent(), 90.0);
/// assert_eq!("0.9".parse::<Level>().unwrap().percent(), 90.0);
/// assert!("ninety".parse::<Level>().is_err());
/// ```
impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Level, String> {
        let t = s.trim();
        let t = t.strip_suffix('%').unwrap_or(t).trim();
        let v: f64 = t
            .parse()
            .map_err(|_| format!("level `{s}` is not a number; give e.g. 95 or 0.95"))?;
        Level::new(v).map_err(|e| match e {
            Error::InvalidOption { message, .. } => format!("level {message}"),
            other => other.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_below_one_is_a_proportion() {
        assert_eq!(Level::new(0.9).unwrap().percent(), 90.0);
        assert_eq!(Level::new(1.0).unwrap().percent(), 1.0);
        assert_eq!(Level::new(99.9).unwrap().percent(), 99.9);
    }

    #[test]
    fn levels_outside_zero_to_hundred_are_refused() {
        for bad in [0.0, -5.0, 100.0, 250.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    Level::new(bad),
                    Err(Error::InvalidOption {
                        option: "level",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn studies_name_the_bad_study() {
        assert!(matches!(
            Studies::new(&[0.1, f64::NAN], &[0.1, 0.1]),
            Err(Error::InvalidEffect { study: 1, value }) if value.is_nan()
        ));
        assert!(matches!(
            Studies::new(&[0.1, 0.2], &[0.1]),
            Err(Error::LengthMismatch { .. })
        ));
        assert_eq!(Studies::new(&[], &[]).unwrap_err(), Error::NoStudies);
    }
}
