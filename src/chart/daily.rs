//! The overview's chart: events per day over the whole data, as bars (one per UTC day),
//! so a gap, a spike or a partial last day shows before any analysis runs.

use super::{err, font, group_digits, nice_max, px, tip_number, x_label_count, Drawn, Frame};
use super::{GRID, INK, PALETTE};
use crate::engine::time::civil_from_days;
use plotters::coord::Shift;
use plotters::prelude::*;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Draws `counts` (events per day, from day number `first_day`) on `area`, the y axis
/// titled `y_desc`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    first_day: i64,
    counts: &[u64],
    y_desc: &str,
    scale: f64,
) -> Drawn {
    let n = counts.len();
    if n == 0 {
        return Ok(None);
    }
    let top = nice_max(counts.iter().copied().max().unwrap_or(0) as f64 * 1.08);
    let mut chart = ChartBuilder::on(area)
        .margin(px(10.0, scale))
        .x_label_area_size(px(28.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
            date(first_day + i as i64)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .disable_x_mesh()
        .x_labels(x_label_count(area, scale).min(n))
        .x_label_formatter(&label)
        .y_labels(4)
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(y_desc)
        .label_style(font(12.0, scale))
        .axis_desc_style(font(12.0, scale))
        .draw()
        .map_err(err)?;
    let color = PALETTE[0];
    let half = if n > 200 { 0.5 } else { 0.4 };
    chart
        .draw_series(counts.iter().enumerate().map(|(k, &c)| {
            let x = k as f64;
            Rectangle::new([(x - half, 0.0), (x + half, c as f64)], color.filled())
        }))
        .map_err(err)?;
    let tips = counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            format!(
                "{} (UTC)\n{y_desc}: {}",
                date(first_day + k as i64),
                tip_number(Some(c as f64))
            )
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bars_and_dates() {
        // 2025-09-01 is day 20332
        let day = crate::engine::time::days_from_civil(2025, 9, 1);
        let svg = super::super::svg(600, 200, |a| super::draw(a, day, &[3, 0, 7], "events", 1.0))
            .unwrap();
        assert!(svg.contains("2025-09-01"), "{svg}");
        assert_eq!(
            svg.matches("<rect").count() - 1,
            3,
            "background + one bar per day"
        );
    }
}
