//! The data columns of a forest plot from the input table: events/total for
//! two-group binary measures, mean (SD), n for mean differences, events/total
//! for proportions, found by each study's line in the input.

use rema_data::{AnalysisResult, Table};

use crate::axis::tick_label;
use crate::forest::ForestData;

/// The data cells of the study at a line of the input.
type CellsOf<'a> = Box<dyn Fn(Option<u64>) -> Option<Vec<String>> + 'a>;

/// A study's label, line and data cells.
type StudyCells = (String, Option<u64>, Vec<String>);

impl ForestData {
    /// Fills the data columns of every study row (and their headers) from
    /// `table`, the input `r` was analysed from. Rows are matched by their
    /// line in the input (labels may repeat), or by label for a row without
    /// one, in `rows` or in the subgroups. Nothing changes
    /// when the measure has no such columns or a study's cells are missing.
    ///
    /// ```
    /// use rema_data::{analyze, AnalysisSpec, Table};
    /// use rema_plot::ForestData;
    ///
    /// let t = Table::from_str("study,ai,bi,ci,di\nA,4,119,11,128\nB,6,300,29,274\n", "t").unwrap();
    /// let r = analyze(&t, &AnalysisSpec::new("RR".parse().unwrap()), "t").unwrap();
    /// let mut d = ForestData::from(&r);
    /// d.add_data_columns(&t, &r);
    /// assert_eq!(d.rows[0].data, ["4/123", "11/139"]);
    /// ```
    pub fn add_data_columns(&mut self, table: &Table, r: &AnalysisResult) {
        let Some((headers, cells)) = data_cells(table, r.measure.as_str()) else {
            return;
        };
        let rows: Option<Vec<StudyCells>> = r
            .studies
            .iter()
            .map(|s| cells(s.line).map(|c| (s.study.clone(), s.line, c)))
            .collect();
        let Some(rows) = rows else {
            return;
        };
        let all = self
            .rows
            .iter_mut()
            .chain(self.subgroups.iter_mut().flat_map(|g| g.rows.iter_mut()));
        for row in all {
            let same = |(label, line, _): &&StudyCells| match row.line {
                Some(l) => *line == Some(l),
                None => *label == row.label,
            };
            if let Some((_, _, data)) = rows.iter().find(same) {
                row.data = data.clone();
            }
        }
        self.data_headers = headers.into_iter().map(str::to_string).collect();
    }
}

/// The headers of the data columns of `measure` and the cells of a study by
/// its line; `None` for a measure without data columns.
fn data_cells<'a>(table: &'a Table, measure: &str) -> Option<(Vec<&'static str>, CellsOf<'a>)> {
    let has = move |c: &str| table.column(c).is_some();
    let get = move |line: Option<u64>, c: &str| -> Option<String> {
        let j = table.column(c)?;
        let row = table.rows.iter().find(|row| Some(row.line) == line)?;
        row.cells.get(j).map(|s| s.trim().to_string())
    };
    let total = move |line: Option<u64>, e: &str, other: &str, n: &str| -> Option<String> {
        if has(n) {
            return get(line, n);
        }
        let a: f64 = get(line, e)?.parse().ok()?;
        let b: f64 = get(line, other)?.parse().ok()?;
        Some(tick_label(a + b))
    };
    use rema_core::{DataKind, Measure};
    let kind = measure.parse::<Measure>().ok()?.data_kind();
    Some(match kind {
        DataKind::TwoGroupBinary => (
            vec!["Group 1\nevents/total", "Group 2\nevents/total"],
            Box::new(move |l| {
                Some(vec![
                    format!("{}/{}", get(l, "ai")?, total(l, "ai", "bi", "n1i")?),
                    format!("{}/{}", get(l, "ci")?, total(l, "ci", "di", "n2i")?),
                ])
            }),
        ),
        DataKind::TwoGroupContinuous => (
            vec!["Group 1\nmean (SD), n", "Group 2\nmean (SD), n"],
            Box::new(move |l| {
                let group = |m: &str, sd: &str, n: &str| -> Option<String> {
                    Some(format!("{} ({}), {}", get(l, m)?, get(l, sd)?, get(l, n)?))
                };
                Some(vec![
                    group("m1i", "sd1i", "n1i")?,
                    group("m2i", "sd2i", "n2i")?,
                ])
            }),
        ),
        DataKind::Proportion => (
            vec!["Events/\ntotal"],
            Box::new(move |l| Some(vec![format!("{}/{}", get(l, "xi")?, get(l, "ni")?)])),
        ),
        _ => return None,
    })
}
