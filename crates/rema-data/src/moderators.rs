//! Moderators and subgroups from the columns of a table.
//!
//! The design of a meta-regression is the model matrix of a formula
//! ([`ModsFormula`]: a list of columns is `~ a + b`), built as R's
//! `model.matrix` builds it ([`design`]). A moderator column is numeric
//! when every cell parses as a number, and categorical otherwise. A
//! categorical column is dummy-coded with its first level as the reference,
//! levels sorted as R's `factor()` sorts strings in an English locale
//! (case-insensitively, ties by the exact string), and the dummies named
//! column + level as metafor names them (`allocrandom`). The intercept is
//! `intrcpt`. Missing cells are errors that name the row, the column and
//! the study: metafor would silently drop the study.

use std::collections::HashMap;

use rema_core::Design;

use crate::columns::{parse_number, StudyTable};
use crate::error::{DataError, Location, Result};
use crate::formula::{r_number, Arith, ModsFormula, Reference, VarKind, Variable};
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

/// A variable of a formula evaluated on the studies.
enum Values {
    /// One number per study.
    Numeric(Vec<f64>),
    /// Levels in order (the first is the reference) and each study's level.
    Factor {
        levels: Vec<String>,
        codes: Vec<usize>,
    },
}

/// Where a formula names something, for messages: `` `mods` `` for a
/// column list, with the character of the formula otherwise.
fn what(f: &ModsFormula, at: usize) -> String {
    if f.from_text {
        format!("`mods` (character {} of the formula)", at + 1)
    } else {
        "`mods`".to_string()
    }
}

/// The cells of column `name` for the studies.
fn column_cells<'t>(
    table: &'t Table,
    st: &StudyTable,
    name: &str,
    what: &str,
) -> Result<Vec<&'t str>> {
    let c = column_index(table, name, what)?;
    cells(table, st, c, name)
}

/// The numbers of `cells`, or `None` when one is not a number.
fn numbers(table: &Table, cells: &[&str]) -> Option<Vec<f64>> {
    cells
        .iter()
        .map(|s| {
            parse_number(s, table.decimal_comma, Location::default)
                .ok()
                .flatten()
        })
        .collect()
}

/// A numeric column inside arithmetic; text is an error naming the study.
fn numeric_column(table: &Table, st: &StudyTable, name: &str, what: &str) -> Result<Vec<f64>> {
    let cells = column_cells(table, st, name, what)?;
    let mut out = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        match parse_number(cell, table.decimal_comma, Location::default) {
            Ok(Some(v)) => out.push(v),
            _ => {
                return Err(DataError::Invalid {
                    at: Location {
                        column: Some(name.to_string()),
                        ..st.locate(i)
                    },
                    message: format!(
                        "`{cell}` is not a number, but {what} does arithmetic on the column; use the column as a factor (without I() or a function), or fix the cell"
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// `a` evaluated for every study.
fn arith(table: &Table, st: &StudyTable, f: &ModsFormula, a: &Arith) -> Result<Vec<f64>> {
    let k = table.rows.len();
    Ok(match a {
        Arith::Num(v) => vec![*v; k],
        Arith::Column { name, at } => numeric_column(table, st, name, &what(f, *at))?,
        Arith::Neg(x) => arith(table, st, f, x)?.into_iter().map(|v| -v).collect(),
        Arith::Call { fun, arg } => arith(table, st, f, arg)?
            .into_iter()
            .map(|v| fun.apply(v))
            .collect(),
        Arith::Binary { op, lhs, rhs } => {
            let l = arith(table, st, f, lhs)?;
            let r = arith(table, st, f, rhs)?;
            l.into_iter()
                .zip(r)
                .map(|(x, y)| match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => x / y,
                    _ => x.powf(y),
                })
                .collect()
        }
    })
}

/// A factor of numbers: levels sorted numerically, labelled as R's
/// `as.character` writes them.
fn numeric_factor(values: &[f64]) -> (Vec<String>, Vec<usize>) {
    let mut distinct: Vec<f64> = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let codes = values
        .iter()
        .map(|v| distinct.partition_point(|d| d < v))
        .collect();
    let levels = distinct.iter().map(|&d| r_number(d)).collect();
    (levels, codes)
}

/// The values of variable `v` for every study.
fn evaluate(
    table: &Table,
    st: &StudyTable,
    f: &ModsFormula,
    v: &Variable,
    kind: &VarKind,
) -> Result<Values> {
    Ok(match kind {
        VarKind::Column(name) => {
            let cells = column_cells(table, st, name, &what(f, v.at))?;
            match numbers(table, &cells) {
                Some(x) => Values::Numeric(x),
                None => {
                    let (levels, codes) = factor(&cells);
                    Values::Factor { levels, codes }
                }
            }
        }
        VarKind::Factor(inner) => match evaluate(table, st, f, v, inner)? {
            Values::Numeric(x) => {
                let (levels, codes) = numeric_factor(&x);
                Values::Factor { levels, codes }
            }
            factor => factor,
        },
        VarKind::Relevel { of, reference, at } => {
            let Values::Factor { levels, codes } = evaluate(table, st, f, v, of)? else {
                return Err(DataError::option(
                    "mods",
                    format!(
                        "{}: relevel() needs a factor, but the column is numeric; write relevel(factor(x), ref = ...)",
                        what(f, v.at)
                    ),
                ));
            };
            let r = match reference {
                Reference::Level(l) => levels.iter().position(|x| x == l),
                Reference::Position(p) => (*p >= 1 && *p <= levels.len()).then(|| p - 1),
            };
            let Some(r) = r else {
                return Err(DataError::option(
                    "mods",
                    format!(
                        "{}: relevel() names a reference level the factor lacks; its levels are {}",
                        what(f, *at),
                        levels.join(", ")
                    ),
                ));
            };
            // The reference first, the others in their order.
            let rank = |c: usize| match c.cmp(&r) {
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Less => c + 1,
                std::cmp::Ordering::Greater => c,
            };
            let mut new_levels = vec![levels[r].clone()];
            new_levels.extend(
                levels
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != r)
                    .map(|(_, l)| l.clone()),
            );
            Values::Factor {
                levels: new_levels,
                codes: codes.into_iter().map(rank).collect(),
            }
        }
        VarKind::Numeric(a) => {
            let x = arith(table, st, f, a)?;
            if let Some(i) = x.iter().position(|v| !v.is_finite()) {
                return Err(DataError::Invalid {
                    at: st.locate(i),
                    message: format!(
                        "`{}` of {} is {} for this study; a moderator must be a finite number",
                        v.label,
                        what(f, v.at),
                        x[i]
                    ),
                });
            }
            Values::Numeric(x)
        }
    })
}

/// The columns of the model matrix of formula `f` (metafor's `mods = ~
/// ...`), built as R's `model.matrix`: the intercept `intrcpt`, then each
/// term's columns. A numeric variable enters as it is; a factor by
/// treatment contrasts (indicators of every level but the first, named
/// label + level: `factor(alloc)random`) when the term without it is in the
/// model before it (or is the intercept), by indicators of every level
/// otherwise (R's rule in `terms.formula`: `~ 0 + factor(alloc)` has one
/// column per level); the columns of an interaction are the products, the
/// first variable varying fastest, named by `:` (`ablat:year`). A column
/// that is a linear combination of the ones before it is an error naming
/// it (metafor drops it with a warning).
///
/// ```
/// use rema_data::{formula::parse_mods, moderators::design, read_studies, Table};
/// let t = Table::from_str(
///     "study,yi,vi,alloc,x\na,1,1,random,1\nb,2,1,alternate,2\nc,3,1,systematic,4\nd,1,1,random,3\ne,2,1,random,5\n",
///     "t.csv",
/// )
/// .unwrap();
/// let st = read_studies(&t, rema_core::Measure::Gen).unwrap();
/// let f = parse_mods("~ relevel(factor(alloc), ref = 'random') + I(x^2)").unwrap();
/// let d = design(&t, &st, &f).unwrap();
/// assert_eq!(
///     d.names,
///     [
///         "intrcpt",
///         "relevel(factor(alloc), ref = \"random\")alternate",
///         "relevel(factor(alloc), ref = \"random\")systematic",
///         "I(x^2)",
///     ]
/// );
/// assert_eq!(d.design.row(2), &[1.0, 0.0, 1.0, 16.0]);
/// ```
pub fn design(table: &Table, st: &StudyTable, f: &ModsFormula) -> Result<ModeratorDesign> {
    let k = table.rows.len();
    let values: Vec<Values> = f
        .variables
        .iter()
        .map(|v| evaluate(table, st, f, v, &v.kind))
        .collect::<Result<_>>()?;
    let mut names = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    if f.intercept {
        names.push("intrcpt".to_string());
        columns.push(vec![1.0; k]);
    }
    // R's fix for a model without intercept: the first factor of the first
    // term that has one is coded by indicators of all its levels.
    let mut full_first = !f.intercept;
    for (j, term) in f.terms.iter().enumerate() {
        // Each variable's columns: (name, values).
        let mut term_cols: Vec<(String, Vec<f64>)> = vec![(String::new(), vec![1.0; k])];
        for &vi in &term.variables {
            let var = &f.variables[vi];
            let parts: Vec<(String, Vec<f64>)> = match &values[vi] {
                Values::Numeric(x) => vec![(var.label.clone(), x.clone())],
                Values::Factor { levels, codes } => {
                    let margin: Vec<usize> = term
                        .variables
                        .iter()
                        .copied()
                        .filter(|&x| x != vi)
                        .collect();
                    let mut contrasts = margin.is_empty()
                        || f.terms[..j]
                            .iter()
                            .any(|t| margin.iter().all(|m| t.variables.contains(m)));
                    if full_first {
                        contrasts = false;
                        full_first = false;
                    }
                    if contrasts && levels.len() < 2 {
                        return Err(DataError::Invalid {
                            at: Location {
                                file: Some(table.source.clone()),
                                column: f.variables[vi]
                                    .kind
                                    .columns(var.at)
                                    .first()
                                    .map(|(c, _)| c.to_string()),
                                ..Location::default()
                            },
                            message: format!(
                                "the moderator has a single level `{}`; it cannot explain anything, drop it",
                                levels[0]
                            ),
                        });
                    }
                    levels
                        .iter()
                        .enumerate()
                        .skip(usize::from(contrasts))
                        .map(|(l, level)| {
                            (
                                format!("{}{level}", var.label),
                                codes.iter().map(|&c| f64::from(u8::from(c == l))).collect(),
                            )
                        })
                        .collect()
                }
            };
            // Products, the earlier variables varying fastest.
            let mut next = Vec::with_capacity(term_cols.len() * parts.len());
            for (pname, pv) in &parts {
                for (tname, tv) in &term_cols {
                    let name = if tname.is_empty() {
                        pname.clone()
                    } else {
                        format!("{tname}:{pname}")
                    };
                    next.push((name, tv.iter().zip(pv).map(|(a, b)| a * b).collect()));
                }
            }
            term_cols = next;
        }
        for (name, col) in term_cols {
            names.push(name);
            columns.push(col);
        }
    }
    if let Some(j) = redundant(&columns) {
        return Err(DataError::option(
            "mods",
            format!(
                "the design column `{}` is a linear combination of the columns before it ({}), so its coefficient cannot be estimated (metafor drops such columns with a warning); remove the term, or check the data for a level that occurs only with another",
                names[j],
                names[..j].join(", ")
            ),
        ));
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

/// The first column that is (numerically) a linear combination of the
/// columns before it: modified Gram–Schmidt in column order, a residual
/// below 1e-7 of the column's norm counting as zero (the tolerance of R's
/// `qr`, which metafor's check of the design uses).
fn redundant(columns: &[Vec<f64>]) -> Option<usize> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for (j, col) in columns.iter().enumerate() {
        let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut r = col.clone();
        for q in &basis {
            let dot: f64 = r.iter().zip(q).map(|(a, b)| a * b).sum();
            for (x, qv) in r.iter_mut().zip(q) {
                *x -= dot * qv;
            }
        }
        let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 || rn <= 1e-7 * norm {
            return Some(j);
        }
        basis.push(r.into_iter().map(|v| v / rn).collect());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::read_studies;

    fn cols(c: &[&str]) -> ModsFormula {
        ModsFormula::from_columns(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn table(text: &str) -> (Table, StudyTable) {
        let t = Table::from_str(text, "t.csv").unwrap();
        let st = read_studies(&t, rema_core::Measure::Gen).unwrap();
        (t, st)
    }

    #[test]
    fn categorical_moderators_are_dummy_coded_with_metafor_names() {
        let (t, st) = table("study,yi,vi,alloc,x\na,1,1,random,1\nb,2,1,alternate,2\nc,3,1,systematic,4\nd,1,1,random,3\n");
        let d = design(&t, &st, &cols(&["alloc", "x"])).unwrap();
        assert_eq!(d.names, ["intrcpt", "allocrandom", "allocsystematic", "x"]);
        assert_eq!(d.design.row(1), &[1.0, 0.0, 0.0, 2.0]);
        assert_eq!(d.design.row(2), &[1.0, 0.0, 1.0, 4.0]);
    }

    fn formula_design(text: &str, f: &str) -> Result<ModeratorDesign> {
        let (t, st) = table(text);
        design(&t, &st, &crate::formula::parse_mods(f).unwrap())
    }

    const CELLS: &str = "study,yi,vi,x,y,z\na,1,1,a,u,1\nb,2,1,b,u,2\nc,3,1,a,v,4\nd,1,1,b,v,3\ne,2,1,a,v,5\nf,2,1,b,u,7\n";

    /// Column names and codings as R 4.2's model.matrix on the same data.
    #[test]
    fn formula_designs_code_factors_as_r_model_matrix() {
        let d = formula_design(CELLS, "~ x*y").unwrap();
        assert_eq!(d.names, ["intrcpt", "xb", "yv", "xb:yv"]);
        assert_eq!(d.design.row(3), &[1.0, 1.0, 1.0, 1.0]);
        let d = formula_design(CELLS, "~ 0 + x + y").unwrap();
        assert_eq!(d.names, ["xa", "xb", "yv"]);
        let d = formula_design(CELLS, "~ z:x").unwrap();
        assert_eq!(d.names, ["intrcpt", "z:xa", "z:xb"]);
        assert_eq!(d.design.row(1), &[1.0, 0.0, 2.0]);
        let d = formula_design(CELLS, "~ x + x:z").unwrap();
        assert_eq!(d.names, ["intrcpt", "xb", "xa:z", "xb:z"]);
        let d = formula_design(CELLS, "~ factor(z) - 1").unwrap();
        assert_eq!(
            d.names,
            [
                "factor(z)1",
                "factor(z)2",
                "factor(z)3",
                "factor(z)4",
                "factor(z)5",
                "factor(z)7"
            ]
        );
        let d = formula_design(CELLS, "~ relevel(y, ref = 'v') + log(z) + I((z - 1)^2)").unwrap();
        assert_eq!(
            d.names,
            [
                "intrcpt",
                "relevel(y, ref = \"v\")u",
                "log(z)",
                "I((z - 1)^2)"
            ]
        );
        assert_eq!(d.design.row(2), &[1.0, 0.0, 4f64.ln(), 9.0]);
    }

    #[test]
    fn a_redundant_design_column_is_named() {
        let e = formula_design(CELLS, "~ x:y").unwrap_err().to_string();
        assert!(
            e.contains("the design column `xb:yv` is a linear combination"),
            "{e}"
        );
        let e = formula_design(CELLS, "~ z + I(2*z)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`I(2 * z)`"), "{e}");
    }

    #[test]
    fn formula_values_that_cannot_be_used_are_located() {
        match formula_design(CELLS, "~ I(x + 1)") {
            Err(DataError::Invalid { at, message }) => {
                assert_eq!((at.line, at.column.as_deref()), (Some(2), Some("x")));
                assert!(
                    message.contains("`mods` (character 5 of the formula)"),
                    "{message}"
                );
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        match formula_design(CELLS, "~ log(z - 2)") {
            Err(DataError::Invalid { at, message }) => {
                assert_eq!(at.study.as_deref(), Some("a"));
                assert!(message.contains("`log(z - 2)`"), "{message}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        let e = formula_design(CELLS, "~ relevel(x, ref = 'c')")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("character 20") && e.contains("levels are a, b"),
            "{e}"
        );
        match formula_design(CELLS, "~ z + factor(w)") {
            Err(DataError::UnknownModerator { column, what, .. }) => {
                assert_eq!(column, "w");
                assert_eq!(what, "`mods` (character 7 of the formula)");
            }
            other => panic!("expected UnknownModerator, got {other:?}"),
        }
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
        match design(&t, &st, &cols(&["x"])) {
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
            design(&t, &st, &cols(&["ablat"])),
            Err(DataError::UnknownModerator { .. })
        ));
    }
}
