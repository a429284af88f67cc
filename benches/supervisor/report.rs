//! The result table: one row per measure with our values, the reference's, the gain of ours
//! over the reference, the target and whether ours meets it. Printed as Markdown.

/// How one number of a row is shown and compared.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Unit suffix, with its leading space ("" for none).
    pub unit: &'static str,
    /// Decimals shown.
    pub decimals: usize,
    /// Bigger is better (throughput); otherwise smaller is better.
    pub higher_better: bool,
}

/// A smaller-is-better metric.
pub const fn low(unit: &'static str, decimals: usize) -> Metric {
    Metric {
        unit,
        decimals,
        higher_better: false,
    }
}

/// A bigger-is-better metric.
pub const fn high(unit: &'static str, decimals: usize) -> Metric {
    Metric {
        unit,
        decimals,
        higher_better: true,
    }
}

/// What one implementation gave for a row.
#[derive(Debug, Clone)]
pub enum Cell {
    /// One value per metric of the row.
    Values(Vec<f64>),
    /// Not measured, or not a number; shown as is ("n/a: needs control").
    Text(String),
}

/// Whether ours meets the target, given our values.
pub type Check = Box<dyn Fn(&[f64]) -> bool>;

/// One line of the table.
pub struct Row {
    /// What is measured.
    pub measure: String,
    /// How each value is shown.
    pub metrics: Vec<Metric>,
    /// Our result.
    pub ours: Cell,
    /// The reference's result; `None` when no reference is configured.
    pub reference: Option<Cell>,
    /// The target, as text.
    pub target: String,
    /// Target check; `None` when the target is not a number.
    pub check: Option<Check>,
}

fn fmt_values(metrics: &[Metric], cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Values(v) => metrics
            .iter()
            .zip(v)
            .map(|(m, x)| format!("{x:.*}{}", m.decimals, m.unit))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// "12.3×" per metric: reference/ours for smaller-is-better, ours/reference for throughput,
/// so above 1 always means ours is better.
fn fmt_gain(metrics: &[Metric], ours: &Cell, reference: &Cell) -> String {
    let (Cell::Values(o), Cell::Values(r)) = (ours, reference) else {
        return "—".into();
    };
    metrics
        .iter()
        .zip(o.iter().zip(r))
        .map(|(m, (o, r))| {
            let (num, den) = if m.higher_better { (o, r) } else { (r, o) };
            if *den == 0.0 && *num == 0.0 {
                "=".to_string()
            } else if *den == 0.0 {
                "∞".to_string()
            } else {
                format!("{:.1}×", num / den)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the table.
pub fn table(rows: &[Row], with_ref: bool) -> String {
    let mut out = String::new();
    if with_ref {
        out.push_str(
            "| measure | ours | Supervisor 4.3.0 | gain (>1: ours better) | our target | met |\n",
        );
        out.push_str("|---|---|---|---|---|---|\n");
    } else {
        out.push_str("| measure | ours | our target | met |\n|---|---|---|---|\n");
    }
    for row in rows {
        let ours = fmt_values(&row.metrics, &row.ours);
        let met = match (&row.ours, &row.check) {
            (Cell::Values(v), Some(check)) => {
                if check(v) {
                    "yes"
                } else {
                    "**no**"
                }
            }
            _ => "—",
        };
        if with_ref {
            let reference = row
                .reference
                .as_ref()
                .map(|c| fmt_values(&row.metrics, c))
                .unwrap_or_default();
            let gain = row
                .reference
                .as_ref()
                .map(|c| fmt_gain(&row.metrics, &row.ours, c))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | {ours} | {reference} | {gain} | {} | {met} |\n",
                row.measure, row.target
            ));
        } else {
            out.push_str(&format!(
                "| {} | {ours} | {} | {met} |\n",
                row.measure, row.target
            ));
        }
    }
    out
}

/// Median of `v` (mean of the middle two for even lengths); 0 when empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
