//! From a rema-data [`Review`] to the figures and tables that show it: the
//! PRISMA 2020 flow ([`flow_counts`]), the risk-of-bias traffic lights
//! ([`risk_of_bias`]) and the table of study characteristics
//! ([`characteristics`]).
//!
//! Nothing is worked out here: a flow box is drawn only when the review gives
//! its count, and every judgement and characteristic is shown as written.

use rema_data::review::{PrismaBox, Review};

use crate::flow::{FlowCount, FlowCounts};
use crate::rob::RiskOfBias;
use crate::table::TableData;

/// The PRISMA 2020 boxes given in the review's flow (steps without a `box`
/// are left out: no count is worked out); `None` when no step has a box.
///
/// ```
/// use rema_data::review::{FlowStep, PrismaBox, Review};
/// use rema_plot::adapt::review::flow_counts;
///
/// let mut review = Review::default();
/// review.flow.push(FlowStep {
///     step: "studies included".into(),
///     count: Some(7),
///     note: None,
///     prisma_box: Some(PrismaBox::StudiesIncluded),
/// });
/// let c = flow_counts(&review).unwrap();
/// assert_eq!(c.included.unwrap().n, 7);
/// assert_eq!(c.labels, [("included".to_string(), "Studies included".to_string())]);
/// ```
pub fn flow_counts(review: &Review) -> Option<FlowCounts> {
    let mut c = FlowCounts::default();
    let mut any = false;
    for step in &review.flow {
        let (Some(b), Some(n)) = (step.prisma_box, step.count) else {
            continue;
        };
        any = true;
        let count = match &step.note {
            Some(note) => FlowCount::with_note(n, note),
            None => FlowCount::new(n),
        };
        match b {
            PrismaBox::RecordsIdentified => c.identified = Some(count),
            PrismaBox::OtherSourcesIdentified => c.other_sources = Some(count),
            PrismaBox::DuplicatesRemoved => c.duplicates_removed = Some(count),
            PrismaBox::RecordsScreened => c.screened = Some(count),
            PrismaBox::RecordsExcluded => c.excluded = Some(count),
            PrismaBox::ReportsAssessed | PrismaBox::ReportsSought => c.assessed = Some(count),
            PrismaBox::ReportsExcluded
            | PrismaBox::ReportsNotRetrieved
            | PrismaBox::RecordsRemovedOther => {
                // The box's title is the step; the reason line is its note.
                let reason = step.note.clone().unwrap_or_else(|| step.step.clone());
                c.excluded_reasons.push((reason, n));
            }
            PrismaBox::StudiesIncluded | PrismaBox::ReportsIncluded => c.included = Some(count),
        }
        c.labels
            .push((box_key(b).to_string(), capitalise(&step.step)));
    }
    any.then_some(c)
}

/// The key of the flow box a PRISMA box is drawn in (see
/// [`FlowCounts::labels`]).
fn box_key(b: PrismaBox) -> &'static str {
    match b {
        PrismaBox::RecordsIdentified => "identified",
        PrismaBox::OtherSourcesIdentified => "other_sources",
        PrismaBox::DuplicatesRemoved => "duplicates_removed",
        PrismaBox::RecordsScreened => "screened",
        PrismaBox::RecordsExcluded => "excluded",
        PrismaBox::ReportsAssessed | PrismaBox::ReportsSought => "assessed",
        PrismaBox::ReportsExcluded
        | PrismaBox::ReportsNotRetrieved
        | PrismaBox::RecordsRemovedOther => "excluded_reasons",
        PrismaBox::StudiesIncluded | PrismaBox::ReportsIncluded => "included",
    }
}

/// `s` with its first letter in upper case.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A column name as a heading: `followup_pct` → `Follow-up %`.
fn humanise(s: &str) -> String {
    capitalise(
        &s.replace("pct", "%")
            .replace("followup", "follow-up")
            .replace('_', " "),
    )
}

/// The label of study `id`, or the id when the review does not list it.
fn label_of(review: &Review, id: &str) -> String {
    review
        .study(id)
        .map(|s| s.label.clone())
        .unwrap_or_else(|| id.to_string())
}

/// The traffic-light data of the review's risk-of-bias judgements: studies
/// in the order of their first judgement, domains as headings; `None`
/// without judgements.
pub fn risk_of_bias(review: &Review) -> Option<RiskOfBias> {
    let rob = &review.risk_of_bias;
    if rob.judgements.is_empty() {
        return None;
    }
    let mut studies: Vec<String> = Vec::new();
    for j in &rob.judgements {
        if !studies.contains(&j.study) {
            studies.push(j.study.clone());
        }
    }
    let judgements = studies
        .iter()
        .map(|s| {
            rob.domains
                .iter()
                .map(|d| {
                    rob.judgements
                        .iter()
                        .find(|j| &j.study == s && &j.domain == d)
                        .map(|j| j.judgement)
                })
                .collect()
        })
        .collect();
    Some(RiskOfBias {
        title: Some("Risk of bias".to_string()),
        studies: studies.iter().map(|s| label_of(review, s)).collect(),
        domains: rob.domains.iter().map(|d| humanise(d)).collect(),
        judgements,
    })
}

/// The table of study characteristics: label, year, design, etiology, then
/// every other characteristic in order of first appearance; `None` without
/// studies.
pub fn characteristics(review: &Review) -> Option<TableData> {
    if review.studies.is_empty() {
        return None;
    }
    let mut keys: Vec<&String> = Vec::new();
    for s in &review.studies {
        for k in s.characteristics.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut headers = vec![
        "Study".to_string(),
        "Year".to_string(),
        "Design".to_string(),
        "Etiology".to_string(),
    ];
    headers.extend(keys.iter().map(|k| humanise(k)));
    let rows = review
        .studies
        .iter()
        .map(|s| {
            let mut row = vec![
                s.label.clone(),
                s.year.map(|y| y.to_string()).unwrap_or_default(),
                s.design.clone().unwrap_or_default(),
                s.etiology.clone().unwrap_or_default(),
            ];
            row.extend(
                keys.iter()
                    .map(|k| s.characteristics.get(*k).cloned().unwrap_or_default()),
            );
            row
        })
        .collect();
    let mut t = TableData::new(headers, rows);
    t.title = Some("Characteristics of the included studies".to_string());
    Some(t)
}

#[cfg(test)]
mod tests {
    use rema_data::review::Judgement;
    use rema_data::{Review, Table};

    use super::*;
    use crate::rob::risk_of_bias_svg;

    fn review() -> Review {
        let t = |text: &str| Table::from_str(text, "t.csv").unwrap();
        let mut r = Review::from_studies(&t(
            "ref,first_author,year,followup_pct\n1,Smith,2001,90\n2,Jones,2003,\n",
        ))
        .unwrap();
        r.add_risk_of_bias(&t(
            "study,domain,judgement\n2,blinding,unclear\n1,blinding,yes\n1,followup,na\n",
        ))
        .unwrap();
        r
    }

    /// Regression guard for the one judgement vocabulary: a review's
    /// judgements reach the figure unchanged, unclear and not applicable
    /// included, studies in the order of their first judgement.
    #[test]
    fn risk_of_bias_keeps_every_judgement() {
        let rob = risk_of_bias(&review()).unwrap();
        assert_eq!(rob.studies, ["Jones 2003", "Smith 2001"]);
        assert_eq!(rob.domains, ["Blinding", "Follow-up"]);
        assert_eq!(
            rob.judgements,
            [
                vec![Some(Judgement::Unclear), None],
                vec![Some(Judgement::Yes), Some(Judgement::NotApplicable)],
            ]
        );
        let svg = risk_of_bias_svg(&rob);
        assert!(svg.contains("data-judgement=\"Not applicable\""));
        assert!(svg.contains("data-judgement=\"Unclear\""));
    }

    #[test]
    fn characteristics_list_every_characteristic() {
        let t = characteristics(&review()).unwrap();
        assert_eq!(
            t.headers,
            [
                "Study",
                "Year",
                "Design",
                "Etiology",
                "First author",
                "Follow-up %"
            ]
        );
        assert_eq!(t.rows[0], ["Smith 2001", "2001", "", "", "Smith", "90"]);
        assert_eq!(t.rows[1][5], "");
        assert!(flow_counts(&review()).is_none());
    }
}
