//! What the selection flow shows: the PRISMA 2020 counts, each with an
//! optional note, and labels overriding the default box titles.

/// A count with an optional note (sources, definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCount {
    pub n: u64,
    pub note: Option<String>,
}

impl FlowCount {
    /// A count without a note.
    pub fn new(n: u64) -> FlowCount {
        FlowCount { n, note: None }
    }
    /// A count with a note (sources, definitions), printed small under it.
    pub fn with_note(n: u64, note: &str) -> FlowCount {
        FlowCount {
            n,
            note: Some(note.to_string()),
        }
    }
}

/// The PRISMA 2020 boxes. Each is drawn only when present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowCounts {
    /// Records identified from databases and registers.
    pub identified: Option<FlowCount>,
    /// Records identified from other sources (hand searching, citations).
    pub other_sources: Option<FlowCount>,
    /// Records removed before screening (duplicates).
    pub duplicates_removed: Option<FlowCount>,
    pub screened: Option<FlowCount>,
    /// Records excluded on title and abstract.
    pub excluded: Option<FlowCount>,
    /// Reports (full texts) assessed for eligibility.
    pub assessed: Option<FlowCount>,
    /// Reports excluded at full text, with reasons.
    pub excluded_reasons: Vec<(String, u64)>,
    /// Studies included in the review.
    pub included: Option<FlowCount>,
    /// Labels overriding the default box titles, by box key
    /// (`identified`, `screened`, `assessed`, `included`, ...).
    pub labels: Vec<(String, String)>,
}

impl FlowCounts {
    /// The title of box `key`: the label given in [`FlowCounts::labels`],
    /// else `default`.
    pub(super) fn label<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or(default)
    }
}
