//! `rema audit`: the consistency audit (rema_core::audit) of every row of a
//! published table of pooled results.
//!
//! Columns: `id, measure, estimate, ci_lower, ci_upper, p_reported`, and
//! optionally `n`, `i2`, `q`, `df`. Other columns are ignored. Ratio measures
//! (RR, OR, HR, IRR, ROM) are audited on the log scale; differences and
//! proportions on their own scale.

use rema_core::audit::{audit_i2, audit_result, AuditScale, Printed, PrintedP};
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// The audit of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub id: String,
    pub measure: String,
    /// `log` or `identity`.
    pub scale: String,
    pub implied_se: f64,
    pub implied_z: f64,
    pub implied_p: f64,
    pub p_reported: Option<String>,
    /// `consistent` or `inconsistent`.
    pub status: String,
    pub message: String,
}

const RATIOS: [&str; 5] = ["RR", "OR", "HR", "IRR", "ROM"];
const OWN_SCALE: [&str; 14] = [
    "MD",
    "WMD",
    "SMD",
    "RD",
    "PR",
    "PROPORTION",
    "PERCENT",
    "%",
    "GEN",
    "MC",
    "SMCC",
    "SMCR",
    "COR",
    "ZCOR",
];

/// The audit scale of a measure name; the first word counts, so
/// `proportion (reported as RR)` is a proportion.
pub fn scale_of(measure: &str) -> Option<AuditScale> {
    let first = measure
        .split(|c: char| c.is_whitespace() || c == '(')
        .find(|w| !w.is_empty())?
        .to_ascii_uppercase();
    if RATIOS.contains(&first.as_str()) {
        Some(AuditScale::Log)
    } else if OWN_SCALE.contains(&first.as_str()) {
        Some(AuditScale::Identity)
    } else {
        None
    }
}

/// Audits every row of `table` at confidence `level` (percent).
pub fn audit_table(table: &Table, level: f64) -> Result<Vec<AuditRecord>> {
    let col = |name: &str| table.column(name);
    let required = [
        "id",
        "measure",
        "estimate",
        "ci_lower",
        "ci_upper",
        "p_reported",
    ];
    let missing: Vec<_> = required
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(DataError::MissingColumns {
            file: table.source.clone(),
            measure: "audit".to_string(),
            missing: missing.join(", "),
            hint: "an audit table needs id, measure, estimate, ci_lower, ci_upper, p_reported (and optionally n, i2, q, df)".to_string(),
        });
    }
    let idx = |c: &str| col(c).expect("checked");
    let mut out = Vec::new();
    for row in &table.rows {
        let cell = |c: &str| row.cells[idx(c)].trim().to_string();
        let opt = |c: &str| {
            col(c)
                .map(|i| row.cells[i].trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let id = cell("id");
        let at = |column: &str| Location {
            file: Some(table.source.clone()),
            line: Some(row.line),
            column: Some(column.to_string()),
            study: Some(id.clone()),
        };
        let num = |c: &str| -> Result<Printed> {
            let s = cell(c);
            if s.is_empty() {
                return Err(DataError::Missing { at: at(c) });
            }
            Printed::parse(&s).ok_or_else(|| DataError::NotANumber {
                at: at(c),
                value: s.clone(),
            })
        };
        let measure = cell("measure");
        let scale = scale_of(&measure).ok_or_else(|| DataError::Invalid {
            at: at("measure"),
            message: format!(
                "unknown measure `{measure}`: ratios ({}) are audited on the log scale, differences and proportions ({}) on their own",
                RATIOS.join(", "),
                OWN_SCALE.join(", ")
            ),
        })?;
        let p = match opt("p_reported") {
            None => None,
            Some(s) => Some(PrintedP::parse(&s).ok_or_else(|| DataError::Invalid {
                at: at("p_reported"),
                message: format!("`{s}` is not a p-value; write forms such as .03, 0.030, <.001, < 0.05, p=.04 or NS"),
            })?),
        };
        let audit = audit_result(
            scale,
            num("estimate")?,
            num("ci_lower")?,
            num("ci_upper")?,
            p,
            level,
        )
        .map_err(|e| DataError::Invalid {
            at: at("estimate"),
            message: e.to_string(),
        })?;
        let mut consistent = audit.consistent;
        let mut message = audit.message.clone();
        if let (Some(i2), Some(q), Some(df)) = (opt("i2"), opt("q"), opt("df")) {
            let i2p = Printed::parse(&i2).ok_or_else(|| DataError::NotANumber {
                at: at("i2"),
                value: i2.clone(),
            })?;
            let qp = Printed::parse(&q).ok_or_else(|| DataError::NotANumber {
                at: at("q"),
                value: q.clone(),
            })?;
            let dfv: f64 = df.parse().map_err(|_| DataError::NotANumber {
                at: at("df"),
                value: df.clone(),
            })?;
            let (implied, ok) = audit_i2(i2p, qp, dfv);
            if ok {
                message.push_str(&format!(
                    "; I^2 {i2}% agrees with Q = {q} on {df} df ({implied:.1}%)"
                ));
            } else {
                consistent = false;
                message.push_str(&format!(
                    "; I^2 {i2}% disagrees with Q = {q} on {df} df, which give {implied:.1}%"
                ));
            }
        }
        out.push(AuditRecord {
            id,
            measure,
            scale: match scale {
                AuditScale::Log => "log",
                AuditScale::Identity => "identity",
            }
            .to_string(),
            implied_se: audit.implied_se,
            implied_z: audit.implied_z,
            implied_p: audit.implied_p,
            p_reported: opt("p_reported"),
            status: if consistent {
                "consistent"
            } else {
                "inconsistent"
            }
            .to_string(),
            message,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportion_reported_as_rr_is_a_proportion() {
        assert_eq!(
            scale_of("proportion (reported as RR)"),
            Some(AuditScale::Identity)
        );
        assert_eq!(scale_of("OR"), Some(AuditScale::Log));
        assert_eq!(scale_of("hazard"), None);
    }

    #[test]
    fn planted_errors_are_found() {
        let csv = "id,measure,estimate,ci_lower,ci_upper,p_reported,i2,q,df\n\
                   good_md,MD,-2.10,-3.50,-0.70,.003,,,\n\
                   bad_p,SMD,0.40,0.10,0.70,<.001,,,\n\
                   good_or,OR,0.50,0.30,0.83,.007,,,\n\
                   wrong_scale,MD,0.50,0.30,0.83,.007,,,\n\
                   bad_i2,RR,0.80,0.70,0.91,<.001,90,20.0,4\n\
                   ns,RD,0.02,-0.01,0.05,NS,,,\n";
        let t = Table::from_str(csv, "t.csv").unwrap();
        let r = audit_table(&t, 95.0).unwrap();
        let status: Vec<_> = r
            .iter()
            .map(|r| (r.id.as_str(), r.status.as_str()))
            .collect();
        assert_eq!(
            status,
            [
                ("good_md", "consistent"),
                ("bad_p", "inconsistent"),
                ("good_or", "consistent"),
                ("wrong_scale", "inconsistent"),
                ("bad_i2", "inconsistent"),
                ("ns", "consistent")
            ]
        );
    }

    #[test]
    fn unknown_measure_names_the_row() {
        let t = Table::from_str(
            "id,measure,estimate,ci_lower,ci_upper,p_reported\nx,FOO,1,0,2,.5\n",
            "t.csv",
        )
        .unwrap();
        let err = audit_table(&t, 95.0).unwrap_err();
        assert!(
            err.to_string().contains("line 2") && err.to_string().contains("FOO"),
            "{err}"
        );
    }
}
