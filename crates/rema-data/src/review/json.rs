//! The JSON form of a review: read (and checked as the CSV readers check)
//! and written back losslessly.

use super::Review;
use crate::error::{DataError, Location, Result};

impl Review {
    /// Reads a review from its JSON form and checks it as the CSV readers
    /// do (unique study ids, known studies, outcomes and timepoints).
    ///
    /// ```
    /// use rema_data::review::{Judgement, Review};
    ///
    /// let json = r#"{"studies": [{"id": "1", "label": "Smith 2001"}],
    ///   "risk_of_bias": {"domains": ["blinding"],
    ///     "judgements": [{"study": "1", "domain": "blinding", "judgement": "unclear"}]}}"#;
    /// let review = Review::from_json(json, "review.json").unwrap();
    /// assert_eq!(review.risk_of_bias.judgements[0].judgement, Judgement::Unclear);
    /// assert_eq!(Review::from_json(&review.to_json(), "again").unwrap(), review);
    /// ```
    pub fn from_json(text: &str, source: &str) -> Result<Review> {
        let review: Review = serde_json::from_str(text).map_err(|e| DataError::Csv {
            at: Location {
                file: Some(source.to_string()),
                line: Some(e.line() as u64),
                ..Location::default()
            },
            message: format!("not a valid review JSON: {e}"),
        })?;
        review.validate(source)?;
        Ok(review)
    }

    /// The review as pretty JSON (the form [`Review::from_json`] reads back).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a review serialises") + "\n"
    }
}
