//! What produced a result.

use serde::{Deserialize, Serialize};

use crate::spec::AnalysisSpec;

/// What produced a result, so that it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    pub options: AnalysisSpec,
    /// SHA-256 of the input bytes, hex.
    pub input_sha256: String,
    pub input: String,
}

impl Provenance {
    /// The provenance of a result computed by this version of rema with
    /// `options` from the input `input` whose bytes hash to `input_sha256`.
    pub fn new(options: &AnalysisSpec, input_sha256: &str, input: &str) -> Provenance {
        Provenance {
            tool: "rema".to_string(),
            version: crate::VERSION.to_string(),
            options: options.clone(),
            input_sha256: input_sha256.to_string(),
            input: input.to_string(),
        }
    }
}
