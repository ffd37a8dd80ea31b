//! Segmentation chart: one line per series over the intervals, with a legend.

use super::{
    err, font, group_digits, legend, nice_max, px, ChartResult, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::segmentation::{Measure, SegmentationResult};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most series drawn (the table lists all).
pub const MAX_LINES: usize = 12;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &SegmentationResult,
    labels: &Labels,
    scale: f64,
) -> ChartResult {
    let nb = r.buckets.len();
    let lines: Vec<(String, Vec<f64>)> = r
        .series
        .iter()
        .take(MAX_LINES)
        .map(|s| (s.label.clone(), s.values(r.measure)))
        .collect();
    let max = lines
        .iter()
        .flat_map(|l| l.1.iter().copied())
        .fold(0.0, f64::max);
    let top = nice_max(max * 1.05);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(0f64..(nb.max(2) - 1) as f64, 0f64..top)
        .map_err(err)?;
    let y_desc = match r.measure {
        Measure::Events => &labels.events,
        Measure::Users => &labels.users,
        Measure::EventsPerUser => &labels.events_per_user,
    };
    let buckets = &r.buckets;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(8)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-9 && i >= 0.0 {
                buckets.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| {
            if top >= 10.0 {
                group_digits(v.round() as u64)
            } else {
                format!("{v:.1}")
            }
        })
        .y_desc(y_desc.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    for (i, (label, values)) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(x, &y)| (x as f64, y)),
                color.stroke_width(stroke),
            ))
            .map_err(err)?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)
}
