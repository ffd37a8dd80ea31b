//! Retention chart: the weighted-average retention curve over the cells the average rule
//! names; periods without such a cell are left out. With a breakdown, one curve per value.
//! Hover tips give each curve's value per period.

use super::{err, font, legend, px, Drawn, Frame, Labels, GRID, INK, PALETTE};
use crate::engine::analysis::retention::RetentionResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RetentionResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let n = r.periods as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(56.0, scale))
        .build_cartesian_2d(-0.3f64..n + 0.3, 0f64..1.05)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels((r.periods as usize + 1).min(16))
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 && *v >= 0.0 {
                r.columns
                    .get(*v as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("{v}"))
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .x_desc(labels.period(r.period))
        .y_desc(labels.retention.as_str())
        .label_style(font(13.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let curves: Vec<(&str, &[crate::engine::analysis::retention::AverageCell])> =
        if r.breakdowns.is_empty() {
            vec![(labels.average.as_str(), &r.average[..])]
        } else {
            r.breakdowns
                .iter()
                .map(|b| (b.value.as_str(), &b.average[..]))
                .collect()
        };
    let stroke = px(2.5, scale);
    let npoints = r.periods as usize + 1;
    let mut tips: Vec<String> = (0..npoints)
        .map(|p| {
            let column = r.columns.get(p).cloned().unwrap_or_else(|| p.to_string());
            format!("{} {column}", labels.period(r.period))
        })
        .collect();
    for (name, average) in &curves {
        for (p, tip) in tips.iter_mut().enumerate() {
            let w = average.iter().find(|a| a.period as usize == p).and_then(|a| a.weighted);
            let v = w.map_or("–".to_string(), |w| format!("{:.1}%", w * 100.0));
            tip.push_str(&format!("\n{name}: {v}"));
        }
    }
    for (k, (name, average)) in curves.into_iter().enumerate() {
        let weighted: Vec<(f64, f64)> = average
            .iter()
            .filter_map(|a| a.weighted.map(|w| (a.period as f64, w)))
            .collect();
        let color = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                weighted.clone(),
                color.stroke_width(stroke),
            ))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(stroke))
            });
        chart
            .draw_series(
                weighted
                    .iter()
                    .map(|&p| Circle::new(p, px(3.5, scale), color.filled())),
            )
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}
