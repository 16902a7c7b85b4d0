//! A RevMan 5 review as rema's own files: the review (`review.json`), one
//! CSV per outcome in `rema analyze`'s columns, and a plan that `rema run`
//! runs with each outcome's own settings.

use std::collections::BTreeMap;

use super::map::OutcomeAnalysis;
use super::{Rm5, Row};
use crate::review::{
    DataRow, Judgement, Outcome as ReviewOutcome, RiskOfBias, RobJudgement, Status, Study,
};
use crate::Review;

/// What [`import`] makes of a RevMan 5 file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Studies, risk of bias, outcomes and data rows.
    pub review: Review,
    /// `(file name, CSV text)`: one table per outcome, with a `subgroup`
    /// column when the outcome has subgroups.
    pub tables: Vec<(String, String)>,
    /// The plan (TOML) with one analysis per outcome, reading `review.json`.
    pub plan: String,
    /// What was not carried over, and why.
    pub notes: Vec<String>,
}

/// Converts a parsed RevMan 5 file into a review, tables and a plan.
///
/// ```
/// use rema_data::rm5::{import, Rm5};
/// let xml = r#"<COCHRANE_REVIEW><COVER_SHEET><TITLE>Aspirin</TITLE></COVER_SHEET>
/// <STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>
/// <STUDY ID="STD-1" NAME="MRC-1" YEAR="1974"/><STUDY ID="STD-2" NAME="CDP" YEAR="1976"/>
/// </INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>
/// <ANALYSES_AND_DATA><COMPARISON ID="CMP-001"><NAME>Aspirin vs placebo</NAME>
/// <DICH_OUTCOME ID="CMP-001.01" EFFECT_MEASURE="OR" METHOD="MH" RANDOM="YES" CI_TOTAL="95">
/// <NAME>Death</NAME>
/// <DICH_DATA STUDY_ID="STD-1" EVENTS_1="49" TOTAL_1="615" EVENTS_2="67" TOTAL_2="624"/>
/// <DICH_DATA STUDY_ID="STD-2" EVENTS_1="44" TOTAL_1="758" EVENTS_2="64" TOTAL_2="771"/>
/// </DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>"#;
/// let out = import(&Rm5::parse(xml.as_bytes(), "a.rm5").unwrap());
/// assert_eq!(out.review.studies[1].label, "CDP");
/// assert_eq!(out.tables[0].0, "CMP-001.01.csv");
/// assert_eq!(out.tables[0].1, "study,ai,n1i,ci,n2i\n\"MRC-1\",49,615,67,624\n\"CDP\",44,758,64,771\n");
/// assert!(out.plan.contains("measure = \"OR\"\nmethod = \"MH\"\nlevel = 95\nrandom = true\n"));
/// ```
pub fn import(rm5: &Rm5) -> Imported {
    let mut notes = Vec::new();
    // The studies' names are their ids in the review (they label the rows of
    // every table and figure), unless two share a name: then RevMan's ids.
    let mut names: Vec<&str> = rm5.studies.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let by_name = !names.is_empty()
        && names.iter().all(|n| !n.trim().is_empty())
        && names.windows(2).all(|w| w[0] != w[1]);
    let id_of = |revman_id: &str| -> String {
        if by_name {
            rm5.study_name(revman_id).to_string()
        } else {
            revman_id.to_string()
        }
    };
    let mut studies: Vec<Study> = rm5
        .studies
        .iter()
        .map(|s| Study {
            id: id_of(&s.id),
            label: s.name.clone(),
            year: s.year.as_deref().and_then(|y| y.trim().parse().ok()),
            design: None,
            etiology: None,
            characteristics: BTreeMap::new(),
            arms: Vec::new(),
        })
        .collect();
    let mut domains = Vec::new();
    let mut judgements = Vec::new();
    for item in rm5.quality.iter().filter(|q| !q.entries.is_empty()) {
        domains.push(item.name.clone());
        for (study, result) in &item.entries {
            let judgement = match result.as_str() {
                "YES" => Judgement::Low,
                "NO" => Judgement::High,
                "UNKNOWN" => Judgement::Unclear,
                other => {
                    notes.push(format!(
                        "risk of bias `{}` of study {study}: RESULT `{other}` is not YES, NO or UNKNOWN; left out",
                        item.name
                    ));
                    continue;
                }
            };
            judgements.push(RobJudgement {
                study: id_of(study),
                domain: item.name.clone(),
                judgement,
            });
        }
    }
    let mut outcomes = Vec::new();
    let mut data = Vec::new();
    let mut tables = Vec::new();
    let mut plan = format!(
        "# Written by `rema import` from {}{}.\n",
        rm5.source,
        rm5.revman_version
            .as_deref()
            .map(|v| format!(" (RevMan {v})"))
            .unwrap_or_default()
    );
    if let Some(t) = &rm5.title {
        plan += &format!("title = {}\n", toml_string(t));
    }
    plan += "\n[data]\nreview = \"review.json\"\n";
    for comparison in &rm5.comparisons {
        for o in &comparison.outcomes {
            let analysis = match OutcomeAnalysis::of(o) {
                Ok(a) => a,
                Err(why) => {
                    notes.push(format!(
                        "outcome {} ({}) is not imported: {why}",
                        o.id, o.name
                    ));
                    continue;
                }
            };
            if o.rows.is_empty() {
                notes.push(format!(
                    "outcome {} ({}) has no studies; not imported",
                    o.id, o.name
                ));
                continue;
            }
            outcomes.push(ReviewOutcome {
                id: o.id.clone(),
                label: o.name.clone(),
                timepoints: Vec::new(),
                unit: None,
            });
            for r in &o.rows {
                let values = analysis
                    .columns
                    .iter()
                    .zip(analysis.cells(r))
                    .map(|(c, v)| (c.to_string(), Some(v)))
                    .collect();
                data.push(DataRow {
                    line: None,
                    study: id_of(&r.study),
                    outcome: o.id.clone(),
                    timepoint: None,
                    status: Status::Reported,
                    unit: None,
                    note: None,
                    values,
                });
            }
            let rows: Vec<&Row> = o.rows.iter().collect();
            let file = format!("{}.csv", o.id);
            tables.push((
                file.clone(),
                analysis.csv_with(rm5, &rows, !o.subgroups.is_empty()),
            ));
            let by = if o.subgroups.is_empty() {
                None
            } else {
                subgroup_characteristic(o, &mut studies, &id_of, &mut notes)
            };
            if let Some(by) = &by {
                notes.push(format!(
                    "outcome {} has subgroups: the plan's analysis has `subgroup` the study characteristic `{by}` (each subgroup pooled, the test for subgroup differences, one analysis per subgroup); {file} has them in its `subgroup` column",
                    o.id
                ));
            }
            if o.data_type == super::DataType::Continuous && analysis.measure == "SMD" {
                notes.push(format!(
                    "outcome {}: the plan pools metafor's SMD (Hedges' g with the exact correction); RevMan 5's own approximation, which `rema reproduce` uses, differs slightly",
                    o.id
                ));
            }
            plan += &format!(
                "\n[[analysis]]\nid = {}\noutcome = {}\ncomparison = {}\nmeasure = {}\nmethod = {}\nlevel = {}\n",
                toml_string(&o.id),
                toml_string(&o.id),
                toml_string(&comparison.name),
                toml_string(analysis.measure),
                toml_string(analysis.method),
                analysis.level(),
            );
            if analysis.random {
                plan += "random = true\n";
            }
            if let Some(by) = &by {
                plan += &format!("subgroup = {}\n", toml_string(by));
            }
        }
    }
    Imported {
        review: Review {
            title: rm5.title.clone(),
            studies,
            risk_of_bias: RiskOfBias {
                domains,
                judgements,
            },
            flow: Vec::new(),
            outcomes,
            data,
        },
        tables,
        plan,
        notes,
    }
}

/// Records each study's subgroup of outcome `o` as its characteristic
/// `subgroup <outcome id>` and returns that name; `None`, with a note, when
/// a study is in two subgroups of the outcome (one value per study cannot
/// say so).
fn subgroup_characteristic(
    o: &super::Outcome,
    studies: &mut [Study],
    id_of: &dyn Fn(&str) -> String,
    notes: &mut Vec<String>,
) -> Option<String> {
    let key = format!("subgroup {}", o.id);
    let mut of_study: BTreeMap<String, &str> = BTreeMap::new();
    for r in &o.rows {
        let sub = r.subgroup.as_deref().unwrap_or("");
        let id = id_of(&r.study);
        if let Some(prev) = of_study.insert(id.clone(), sub) {
            if prev != sub {
                notes.push(format!(
                    "outcome {}: study {id} is in subgroups `{prev}` and `{sub}`; the plan pools the outcome without subgroups",
                    o.id
                ));
                return None;
            }
        }
    }
    for s in studies.iter_mut() {
        if let Some(sub) = of_study.get(&s.id) {
            s.characteristics.insert(key.clone(), sub.to_string());
        }
    }
    Some(key)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if c.is_control() => out += &format!("\\u{:04X}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
