//! From the bytes of a `.rm5` file to [`Rm5`]: the text is decoded as its
//! XML declaration says (RevMan 5 writes ISO-8859-1), parsed by roxmltree,
//! and walked once; each number is read from its attribute with the element,
//! line, outcome and study at hand for the message.

use std::path::Path;

use roxmltree::{Document, Node};

use super::{
    Comparison, DataType, Outcome, PoolMethod, QualityItem, Rm5, Rm5Study, Row, RowData, Settings,
    Stored,
};
use crate::error::{DataError, Location, Result};

/// The children of an outcome element that carry no data this reader needs
/// (labels of the forest plot, footnotes, RevMan's own bookkeeping).
const OUTCOME_EXTRAS: [&str; 7] = [
    "NAME",
    "GROUP_LABEL_1",
    "GROUP_LABEL_2",
    "GRAPH_LABEL_1",
    "GRAPH_LABEL_2",
    "FOOTNOTE",
    "FEEDBACK",
];

impl Rm5 {
    /// Reads a `.rm5` file.
    pub fn read(path: &Path) -> Result<Rm5> {
        let bytes = std::fs::read(path).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Rm5::parse(&bytes, &path.display().to_string())
    }

    /// Parses the bytes of a `.rm5` file; `source` names it in messages.
    ///
    /// ```
    /// use rema_data::rm5::{DataType, Rm5, RowData};
    /// let xml = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
    /// <COCHRANE_REVIEW REVMAN_VERSION="5" REVMAN_SUB_VERSION="5.0.23">
    /// <ANALYSES_AND_DATA>
    /// <COMPARISON ID="CMP-001" NO="1"><NAME>Aspirin vs placebo</NAME>
    /// <DICH_OUTCOME ID="CMP-001.01" NO="1" EFFECT_MEASURE="OR" METHOD="MH" RANDOM="NO"
    ///   CI_TOTAL="95" CI_STUDY="95" EFFECT_SIZE="0.72" CHI2="" I2="">
    /// <NAME>Death</NAME>
    /// <DICH_DATA STUDY_ID="STD-MRC-1" EVENTS_1="49" TOTAL_1="615" EVENTS_2="67" TOTAL_2="624" WEIGHT="100"/>
    /// </DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>"#;
    /// let review = Rm5::parse(xml.as_bytes(), "example.rm5").unwrap();
    /// let outcome = &review.comparisons[0].outcomes[0];
    /// assert_eq!((outcome.data_type, outcome.stored.effect, outcome.stored.chi2),
    ///            (DataType::Dichotomous, Some(0.72), None));
    /// assert_eq!(outcome.rows[0].data,
    ///            RowData::Dichotomous { events1: 49.0, total1: 615.0, events2: 67.0, total2: 624.0 });
    ///
    /// let bad = xml.replace(r#"EVENTS_1="49""#, r#"EVENTS_1="4x9""#);
    /// let err = Rm5::parse(bad.as_bytes(), "example.rm5").unwrap_err().to_string();
    /// assert!(err.starts_with("example.rm5, line 8, column `EVENTS_1`, study `STD-MRC-1`"), "{err}");
    /// ```
    pub fn parse(bytes: &[u8], source: &str) -> Result<Rm5> {
        let text = decode(bytes, source)?;
        let doc = Document::parse(&text).map_err(|e| DataError::Invalid {
            at: Location {
                file: Some(source.to_string()),
                line: Some(u64::from(e.pos().row)),
                ..Location::default()
            },
            message: format!("the file is not well-formed XML ({e}); is it a RevMan 5 file?"),
        })?;
        Reader { doc: &doc, source }.review()
    }
}

/// The text of the file, decoded by the XML declaration's encoding.
fn decode(bytes: &[u8], source: &str) -> Result<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let latin1 = head.contains("encoding=\"iso-8859-1\"")
        || head.contains("encoding='iso-8859-1'")
        || head.contains("encoding=\"windows-1252\"");
    if latin1 {
        // Each byte is the code point of the same number in ISO-8859-1.
        return Ok(bytes.iter().map(|&b| char::from(b)).collect());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        DataError::NotUtf8 {
            file: source.to_string(),
            line: 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64,
        }
    })
}

struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
    source: &'a str,
}

impl<'a, 'input> Reader<'a, 'input> {
    fn line(&self, node: Node) -> u32 {
        self.doc.text_pos_at(node.range().start).row
    }

    fn fail(&self, node: Node, column: &str, study: Option<&str>, message: String) -> DataError {
        DataError::Invalid {
            at: Location {
                file: Some(self.source.to_string()),
                line: Some(u64::from(self.line(node))),
                column: Some(column.to_string()),
                study: study.map(str::to_string),
            },
            message,
        }
    }

    fn review(&self) -> Result<Rm5> {
        let root = self.doc.root_element();
        if root.tag_name().name() != "COCHRANE_REVIEW" {
            return Err(self.fail(
                root,
                root.tag_name().name(),
                None,
                format!(
                    "the root element is <{}>, not <COCHRANE_REVIEW>: this is not a RevMan 5 review",
                    root.tag_name().name()
                ),
            ));
        }
        let revman_version = root
            .attribute("REVMAN_SUB_VERSION")
            .or(root.attribute("REVMAN_VERSION"))
            .map(str::to_string);
        let title = descendant(root, "COVER_SHEET")
            .and_then(|c| child(c, "TITLE"))
            .map(text);
        let studies = descendant(root, "INCLUDED_STUDIES")
            .map(|inc| {
                children(inc, "STUDY")
                    .map(|s| Rm5Study {
                        id: s.attribute("ID").unwrap_or_default().to_string(),
                        name: s.attribute("NAME").unwrap_or_default().to_string(),
                        year: s
                            .attribute("YEAR")
                            .filter(|y| !y.is_empty())
                            .map(str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let quality = descendant(root, "QUALITY_ITEMS")
            .map(|q| {
                children(q, "QUALITY_ITEM")
                    .map(|item| QualityItem {
                        name: child(item, "NAME").map(text).unwrap_or_default(),
                        entries: item
                            .descendants()
                            .filter(|e| e.has_tag_name("QUALITY_ITEM_DATA_ENTRY"))
                            .filter_map(|e| {
                                Some((
                                    e.attribute("STUDY_ID")?.to_string(),
                                    e.attribute("RESULT")?.to_string(),
                                ))
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut notes = Vec::new();
        let mut comparisons = Vec::new();
        let Some(analyses) = descendant(root, "ANALYSES_AND_DATA") else {
            return Err(self.fail(
                root,
                "ANALYSES_AND_DATA",
                None,
                "the review has no <ANALYSES_AND_DATA>: there is nothing to analyse".to_string(),
            ));
        };
        for node in analyses.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "COMPARISON" => comparisons.push(self.comparison(node, &mut notes)?),
                other => notes.push(format!(
                    "line {}: <{other}> in <ANALYSES_AND_DATA> is not read",
                    self.line(node)
                )),
            }
        }
        Ok(Rm5 {
            source: self.source.to_string(),
            title,
            revman_version,
            studies,
            comparisons,
            quality,
            notes,
        })
    }

    fn comparison(&self, node: Node, notes: &mut Vec<String>) -> Result<Comparison> {
        let id = self.required(node, "ID", None)?.to_string();
        let mut outcomes = Vec::new();
        for child in node.children().filter(Node::is_element) {
            let tag = child.tag_name().name();
            if let Some(kind) = DataType::ALL.into_iter().find(|k| k.elements().0 == tag) {
                outcomes.push(self.outcome(child, kind, notes)?);
            } else if tag != "NAME" && tag != "FOOTNOTE" {
                notes.push(format!(
                    "line {}: <{tag}> in comparison {id} is not read{}",
                    self.line(child),
                    if tag == "OTHER_OUTCOME" {
                        " (RevMan's \"other data\" have no pooled analysis)"
                    } else {
                        ""
                    }
                ));
            }
        }
        Ok(Comparison {
            name: child(node, "NAME").map(text).unwrap_or_default(),
            id,
            outcomes,
        })
    }

    fn outcome(&self, node: Node, kind: DataType, notes: &mut Vec<String>) -> Result<Outcome> {
        let id = self.required(node, "ID", None)?.to_string();
        let (_, subgroup_tag, row_tag) = kind.elements();
        let mut rows = Vec::new();
        let mut subgroups = Vec::new();
        for c in node.children().filter(Node::is_element) {
            let tag = c.tag_name().name();
            if tag == row_tag {
                rows.push(self.row(c, kind, None, &id)?);
            } else if tag == subgroup_tag {
                let name = child(c, "NAME").map(text).unwrap_or_default();
                for r in children(c, row_tag) {
                    rows.push(self.row(r, kind, Some(&name), &id)?);
                }
                for other in c.children().filter(Node::is_element) {
                    let t = other.tag_name().name();
                    if t != row_tag && t != "NAME" && t != "FOOTNOTE" {
                        notes.push(format!(
                            "line {}: <{t}> in subgroup `{name}` of outcome {id} is not read",
                            self.line(other)
                        ));
                    }
                }
                subgroups.push((name, self.stored(c, &id)?));
            } else if !OUTCOME_EXTRAS.contains(&tag) {
                notes.push(format!(
                    "line {}: <{tag}> in outcome {id} is not read",
                    self.line(c)
                ));
            }
        }
        let method = match node.attribute("METHOD").unwrap_or("IV") {
            "MH" => PoolMethod::MantelHaenszel,
            "PETO" => PoolMethod::Peto,
            "IV" => PoolMethod::InverseVariance,
            other => {
                return Err(self.fail(
                    node,
                    "METHOD",
                    None,
                    format!("outcome {id}: METHOD `{other}` is not one of MH, IV, PETO"),
                ))
            }
        };
        let yes = |attr: &str| node.attribute(attr) == Some("YES");
        let level =
            |attr: &str| -> Result<f64> { Ok(self.number(node, attr, None, &id)?.unwrap_or(95.0)) };
        let settings = Settings {
            effect_measure: node
                .attribute("EFFECT_MEASURE")
                .unwrap_or(if kind == DataType::OMinusE {
                    "PETO_OR"
                } else {
                    ""
                })
                .to_string(),
            method: if kind == DataType::OMinusE && node.attribute("METHOD").is_none() {
                PoolMethod::Peto
            } else {
                method
            },
            random: yes("RANDOM"),
            level: level("CI_TOTAL")?,
            study_level: level("CI_STUDY")?,
            swap_events: yes("SWAP_EVENTS"),
            log_data: yes("LOG_DATA"),
        };
        Ok(Outcome {
            name: child(node, "NAME").map(text).unwrap_or_default(),
            data_type: kind,
            settings,
            groups: (
                child(node, "GROUP_LABEL_1").map(text).unwrap_or_default(),
                child(node, "GROUP_LABEL_2").map(text).unwrap_or_default(),
            ),
            stored: self.stored(node, &id)?,
            line: self.line(node),
            id,
            rows,
            subgroups,
        })
    }

    fn row(
        &self,
        node: Node,
        kind: DataType,
        subgroup: Option<&str>,
        outcome: &str,
    ) -> Result<Row> {
        let study = self.required(node, "STUDY_ID", None)?;
        let num = |attr: &str| -> Result<f64> {
            self.number(node, attr, Some(study), outcome)?.ok_or_else(|| {
                self.fail(
                    node,
                    attr,
                    Some(study),
                    format!(
                        "outcome {outcome}: <{}> has no {attr}; RevMan needs it for the study's data",
                        node.tag_name().name()
                    ),
                )
            })
        };
        let data = match kind {
            DataType::Dichotomous => RowData::Dichotomous {
                events1: num("EVENTS_1")?,
                total1: num("TOTAL_1")?,
                events2: num("EVENTS_2")?,
                total2: num("TOTAL_2")?,
            },
            DataType::Continuous => RowData::Continuous {
                mean1: num("MEAN_1")?,
                sd1: num("SD_1")?,
                total1: num("TOTAL_1")?,
                mean2: num("MEAN_2")?,
                sd2: num("SD_2")?,
                total2: num("TOTAL_2")?,
            },
            DataType::GenericInverseVariance => RowData::GenericInverseVariance {
                estimate: num("EFFECT_SIZE")?,
                se: num("SE")?,
            },
            DataType::OMinusE => RowData::OMinusE {
                o_e: num("O_E")?,
                var: num("VAR")?,
            },
        };
        Ok(Row {
            study: study.to_string(),
            subgroup: subgroup.map(str::to_string),
            data,
            weight: self.number(node, "WEIGHT", Some(study), outcome)?,
            effect: if kind == DataType::GenericInverseVariance {
                None
            } else {
                self.number(node, "EFFECT_SIZE", Some(study), outcome)?
            },
            line: self.line(node),
        })
    }

    fn stored(&self, node: Node, outcome: &str) -> Result<Stored> {
        let n = |attr: &str| self.number(node, attr, None, outcome);
        Ok(Stored {
            effect: n("EFFECT_SIZE")?,
            ci_start: n("CI_START")?,
            ci_end: n("CI_END")?,
            z: n("Z")?,
            p_z: n("P_Z")?,
            chi2: n("CHI2")?,
            df: n("DF")?,
            p_chi2: n("P_CHI2")?,
            i2: n("I2")?,
            tau2: n("TAU2")?,
            studies: n("STUDIES")?,
            q_subgroups: n("Q")?,
            p_q_subgroups: n("P_Q")?,
            i2_subgroups: n("I2_Q")?,
        })
    }

    /// A numeric attribute: `None` when absent or empty, an error naming it
    /// when it is not a finite number.
    fn number(
        &self,
        node: Node,
        attr: &str,
        study: Option<&str>,
        outcome: &str,
    ) -> Result<Option<f64>> {
        let Some(raw) = node
            .attribute(attr)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(self.fail(
                node,
                attr,
                study,
                format!(
                    "outcome {outcome}: {attr}=\"{raw}\" of <{}> is not a finite number; RevMan writes plain numbers such as 0.85",
                    node.tag_name().name()
                ),
            )),
        }
    }

    fn required<'n>(
        &self,
        node: Node<'n, 'input>,
        attr: &str,
        study: Option<&str>,
    ) -> Result<&'n str>
    where
        'input: 'n,
    {
        node.attribute(attr).ok_or_else(|| {
            self.fail(
                node,
                attr,
                study,
                format!(
                    "<{}> has no {attr} attribute, which RevMan 5 always writes",
                    node.tag_name().name()
                ),
            )
        })
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, tag: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(tag))
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    tag: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| c.has_tag_name(tag))
}

fn descendant<'a, 'i>(node: Node<'a, 'i>, tag: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|c| c.has_tag_name(tag))
}

/// The text of an element and its children, trimmed.
fn text(node: Node) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect::<String>()
        .trim()
        .to_string()
}
