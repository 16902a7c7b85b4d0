//! Legends under a figure: entries laid out left to right in rows no wider
//! than the figure (the funnel plot's and the x–y charts').

/// Entries of widths `widths` (each with its gap) in rows no wider than
/// `width`: the indices of each row's entries, in order. An entry wider
/// than `width` gets a row of its own; no entries give no rows.
///
/// ```
/// use rema_plot::legend::rows;
/// assert_eq!(rows(&[40.0, 40.0, 40.0], 100.0), vec![vec![0, 1], vec![2]]);
/// assert_eq!(rows(&[150.0, 10.0], 100.0), vec![vec![0], vec![1]]);
/// assert!(rows(&[], 100.0).is_empty());
/// ```
pub fn rows(widths: &[f64], width: f64) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut x = 0.0;
    for (i, w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some(r) if x + w <= width || r.is_empty() => r.push(i),
            _ => {
                rows.push(vec![i]);
                x = 0.0;
            }
        }
        x += w;
    }
    rows
}
