//! The checks across a review's parts: unique study ids, every data row and
//! judgement naming a listed study, and data rows naming listed outcomes and
//! timepoints.

use std::collections::HashSet;

use super::Review;
use crate::error::{DataError, Location, Result};

impl Review {
    /// The ids of the listed studies.
    pub(super) fn study_ids(&self) -> HashSet<&str> {
        self.studies.iter().map(|s| s.id.as_str()).collect()
    }

    /// Data rows name outcomes and timepoints that the outcomes list (when given).
    pub(super) fn check_outcomes(&self, source: &str) -> Result<()> {
        if self.outcomes.is_empty() {
            return Ok(());
        }
        for d in &self.data {
            let Some(o) = self.outcomes.iter().find(|o| o.id == d.outcome) else {
                return Err(DataError::Plan {
                    file: source.to_string(),
                    message: format!(
                        "study `{}`: outcome `{}` is not in the outcomes file; known: {}",
                        d.study,
                        d.outcome,
                        self.outcome_ids()
                    ),
                });
            };
            if let Some(tp) = &d.timepoint {
                if !o.timepoints.is_empty() && !o.timepoints.contains(tp) {
                    return Err(DataError::Plan {
                        file: source.to_string(),
                        message: format!(
                            "study `{}`, outcome `{}`: timepoint `{tp}` is not among the outcome's timepoints ({})",
                            d.study,
                            d.outcome,
                            o.timepoints.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks a review read from JSON as the CSV readers do.
    pub fn validate(&self, source: &str) -> Result<()> {
        let mut seen = HashSet::new();
        for s in &self.studies {
            if !seen.insert(s.id.as_str()) {
                return Err(DataError::DuplicateStudy {
                    file: source.to_string(),
                    study: s.id.clone(),
                    first: 0,
                    second: 0,
                });
            }
        }
        let ids = self.study_ids();
        let unknown = self
            .data
            .iter()
            .map(|d| &d.study)
            .chain(self.risk_of_bias.judgements.iter().map(|j| &j.study))
            .find(|s| !ids.contains(s.as_str()));
        if let Some(s) = unknown {
            return Err(DataError::UnknownStudy {
                at: Location {
                    file: Some(source.to_string()),
                    ..Location::default()
                },
                study: s.clone(),
            });
        }
        self.check_outcomes(source)
    }
}
