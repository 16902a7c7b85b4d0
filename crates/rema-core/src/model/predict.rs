//! Predictions on the reporting scale, as metafor's `predict(res, transf = …)`:
//! the predicted value and the bounds of its confidence and prediction
//! intervals are mapped through the back-transformation; the standard error
//! has no meaning there and is dropped (metafor reports `NA`).

use crate::fit::Prediction;
use crate::measure::BackTransform;
use crate::transform::back_transform;

/// A [`Prediction`] mapped to the reporting scale.
///
/// Produced by [`Prediction::back_transform`] (see its example).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransformedPrediction {
    /// The transformed predicted value.
    pub pred: f64,
    /// Lower confidence bound, transformed (metafor `ci.lb`).
    pub ci_lower: f64,
    /// Upper confidence bound, transformed (metafor `ci.ub`); the bounds are
    /// transformed one by one and sorted (lower ≤ upper).
    pub ci_upper: f64,
    /// Lower prediction bound, transformed (metafor `pi.lb`).
    pub pi_lower: f64,
    /// Upper prediction bound, transformed (metafor `pi.ub`), sorted as the
    /// confidence bounds.
    pub pi_upper: f64,
}

impl Prediction {
    /// The prediction on the reporting scale of `kind`; `ni` are the study
    /// sample sizes, needed by the Freeman–Tukey inverse only. Bounds are
    /// put in increasing order, as metafor's `.psort`.
    ///
    /// ```
    /// use rema_core::{BackTransform, Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[-0.9, -1.6, -1.3, -1.4], &[0.33, 0.19, 0.42, 0.02])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let p = fit.predict()[0];
    /// let rr = p.back_transform(BackTransform::Exp, None);
    /// assert!((rr.pred - p.pred.exp()).abs() < 1e-15);
    /// assert!(rr.ci_lower < rr.pred && rr.pred < rr.ci_upper);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn back_transform(&self, kind: BackTransform, ni: Option<&[f64]>) -> TransformedPrediction {
        let t = |x: f64| back_transform(kind, x, ni);
        let (a, b) = (t(self.ci_lower), t(self.ci_upper));
        let (c, d) = (t(self.pi_lower), t(self.pi_upper));
        TransformedPrediction {
            pred: t(self.pred),
            ci_lower: a.min(b),
            ci_upper: a.max(b),
            pi_lower: c.min(d),
            pi_upper: c.max(d),
        }
    }
}
