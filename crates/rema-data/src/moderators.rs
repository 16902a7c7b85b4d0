//! Moderators and subgroups from the columns of a table.
//!
//! A moderator column is numeric when every cell parses as a number, and
//! categorical otherwise. A categorical column is dummy-coded with its first
//! level as the reference, levels sorted as R's `factor()` sorts strings in
//! an English locale (case-insensitively, ties by the exact string), and the
//! dummies named column + level as metafor names them (`allocrandom`). The
//! intercept is `intrcpt`. Missing cells are errors that name the row, the
//! column and the study: metafor would silently drop the study.

use std::collections::HashMap;

use rema_core::Design;

use crate::columns::{parse_number, StudyTable};
use crate::error::{DataError, Location, Result};
use crate::table::Table;

/// The model matrix of a meta-regression, with metafor's column names.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratorDesign {
    pub names: Vec<String>,
    pub design: Design,
}

/// The levels of a grouping column and each study's level.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub column: String,
    /// Levels in R's `factor()` order.
    pub levels: Vec<String>,
    /// The level index of each study.
    pub groups: Vec<usize>,
}

fn column_index(table: &Table, name: &str, what: &str) -> Result<usize> {
    table
        .column(name)
        .ok_or_else(|| DataError::UnknownModerator {
            file: table.source.clone(),
            column: name.to_string(),
            what: what.to_string(),
            available: table.headers.join(", "),
        })
}

/// The cells of column `c`, one per study; a blank or `NA` cell is an error.
fn cells<'t>(table: &'t Table, st: &StudyTable, c: usize, name: &str) -> Result<Vec<&'t str>> {
    let mut out = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let cell = row.cells.get(c).map(|s| s.trim()).unwrap_or("");
        if cell.is_empty() || cell == "NA" {
            return Err(DataError::Missing {
                at: Location {
                    column: Some(name.to_string()),
                    ..st.locate(i)
                },
            });
        }
        out.push(cell);
    }
    Ok(out)
}

/// Sorted distinct levels and each cell's level index, the levels ordered as
/// R's `factor()` sorts strings in an English locale (approximated:
/// case-insensitively, ties with the lower case first), in time linear in
/// the number of cells (plus sorting the distinct levels): each cell is looked
/// up once in a hash map of the levels seen so far.
fn factor(cells: &[&str]) -> (Vec<String>, Vec<usize>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let first_seen: Vec<usize> = cells
        .iter()
        .map(|&c| {
            *seen.entry(c).or_insert_with(|| {
                distinct.push(c);
                distinct.len() - 1
            })
        })
        .collect();
    let lower: Vec<String> = distinct.iter().map(|d| d.to_lowercase()).collect();
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by(|&a, &b| {
        lower[a]
            .cmp(&lower[b])
            .then_with(|| distinct[b].cmp(distinct[a]))
    });
    let mut rank = vec![0; distinct.len()];
    for (r, &d) in order.iter().enumerate() {
        rank[d] = r;
    }
    let levels = order.iter().map(|&d| distinct[d].to_string()).collect();
    let groups = first_seen.iter().map(|&d| rank[d]).collect();
    (levels, groups)
}

/// The grouping of `--by COLUMN`.
pub fn grouping(table: &Table, st: &StudyTable, column: &str) -> Result<Grouping> {
    let c = column_index(table, column, "`by`")?;
    let cells = cells(table, st, c, column)?;
    let (levels, groups) = factor(&cells);
    if levels.len() < 2 {
        return Err(DataError::Invalid {
            at: Location {
                file: Some(table.source.clone()),
                column: Some(column.to_string()),
                ..Location::default()
            },
            message: format!(
                "`by` needs at least two levels, but every study has `{}`",
                levels.first().map(String::as_str).unwrap_or("")
            ),
        });
    }
    Ok(Grouping {
        column: column.to_string(),
        levels,
        groups,
    })
}

/// The design of `--mods A,B`: an intercept, then each moderator (numeric as
/// is, categorical as dummies of every level but the first).
pub fn design(table: &Table, st: &StudyTable, mods: &[String]) -> Result<ModeratorDesign> {
    let k = table.rows.len();
    let mut names = vec!["intrcpt".to_string()];
    let mut columns: Vec<Vec<f64>> = vec![vec![1.0; k]];
    for name in mods {
        let name = name.trim();
        let c = column_index(table, name, "`mods`")?;
        let cells = cells(table, st, c, name)?;
        let numeric: Vec<Option<f64>> = cells
            .iter()
            .map(|s| {
                parse_number(s, table.decimal_comma, Location::default)
                    .ok()
                    .flatten()
            })
            .collect();
        if numeric.iter().all(Option::is_some) {
            names.push(name.to_string());
            columns.push(numeric.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect());
        } else {
            let (levels, groups) = factor(&cells);
            if levels.len() < 2 {
                return Err(DataError::Invalid {
                    at: Location {
                        file: Some(table.source.clone()),
                        column: Some(name.to_string()),
                        ..Location::default()
                    },
                    message: format!(
                        "the moderator has a single level `{}`; it cannot explain anything, drop it",
                        levels[0]
                    ),
                });
            }
            for (l, level) in levels.iter().enumerate().skip(1) {
                names.push(format!("{name}{level}"));
                columns.push(
                    groups
                        .iter()
                        .map(|&g| f64::from(u8::from(g == l)))
                        .collect(),
                );
            }
        }
    }
    let p = columns.len();
    let mut data = Vec::with_capacity(k * p);
    for i in 0..k {
        for col in &columns {
            data.push(col[i]);
        }
    }
    let design = Design::from_row_major(k, p, data).expect("k x p data");
    Ok(ModeratorDesign { names, design })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::read_studies;

    fn table(text: &str) -> (Table, StudyTable) {
        let t = Table::from_str(text, "t.csv").unwrap();
        let st = read_studies(&t, rema_core::Measure::Gen).unwrap();
        (t, st)
    }

    #[test]
    fn categorical_moderators_are_dummy_coded_with_metafor_names() {
        let (t, st) = table("study,yi,vi,alloc,x\na,1,1,random,1\nb,2,1,alternate,2\nc,3,1,systematic,4\nd,1,1,random,3\n");
        let d = design(&t, &st, &["alloc".into(), "x".into()]).unwrap();
        assert_eq!(d.names, ["intrcpt", "allocrandom", "allocsystematic", "x"]);
        assert_eq!(d.design.row(1), &[1.0, 0.0, 0.0, 2.0]);
        assert_eq!(d.design.row(2), &[1.0, 0.0, 1.0, 4.0]);
    }

    #[test]
    fn factor_levels_sort_as_r_and_index_every_cell() {
        let (levels, groups) = factor(&["b", "A", "a", "B", "b", "c"]);
        assert_eq!(levels, ["a", "A", "b", "B", "c"]);
        assert_eq!(groups, [2, 1, 0, 3, 2, 4]);
    }

    /// A hundred thousand levels: one hash look-up per cell, not a scan of
    /// the levels (which took minutes).
    #[test]
    fn factor_of_many_levels_maps_each_cell_to_its_level() {
        let names: Vec<String> = (0..100_000).rev().map(|i| format!("g{i:06}")).collect();
        let cells: Vec<&str> = names.iter().chain(&names).map(String::as_str).collect();
        let (levels, groups) = factor(&cells);
        assert_eq!(levels.len(), 100_000);
        assert_eq!(levels[0], "g000000");
        assert_eq!(
            (groups[0], groups[99_999], groups[100_000]),
            (99_999, 0, 99_999)
        );
    }

    #[test]
    fn a_missing_moderator_value_names_the_study() {
        let (t, st) = table("study,yi,vi,x\na,1,1,1\nb,2,1,\nc,3,1,2\n");
        match design(&t, &st, &["x".into()]) {
            Err(DataError::Missing { at }) => {
                assert_eq!(at.study.as_deref(), Some("b"));
                assert_eq!(at.line, Some(3));
                assert_eq!(at.column.as_deref(), Some("x"));
            }
            other => panic!("expected Missing, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_moderator_column_is_an_error() {
        let (t, st) = table("study,yi,vi\na,1,1\nb,2,1\n");
        assert!(matches!(
            design(&t, &st, &["ablat".into()]),
            Err(DataError::UnknownModerator { .. })
        ));
    }
}
