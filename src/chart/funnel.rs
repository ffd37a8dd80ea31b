//! Funnel chart: one bar per step (users who reached it), the drop-off from the previous
//! step as a pale bar above, and the conversion from step 1 printed on each bar. With a
//! breakdown, grouped bars: one bar per value in each step, a colour per value, a legend.

use super::{
    err, font, group_digits, legend, nice_max, px, ChartResult, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::funnel::FunnelResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &FunnelResult,
    labels: &Labels,
    scale: f64,
) -> ChartResult {
    if !r.breakdowns.is_empty() {
        return grouped(area, r, labels, scale);
    }
    let n = r.steps.len() as i32;
    let top = nice_max(r.steps.first().map_or(0, |s| s.users) as f64 * 1.12) as u64;
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d((0..n - 1).into_segmented(), 0u64..top.max(1))
        .map_err(err)?;
    // CSS pixels per step, and whether a text fits in one (about 7.5 px a character at
    // 13 px): on a narrow screen the names become step numbers and the bars show only the
    // conversion, never overlapping texts (the table below has everything)
    let slot = area.dim_in_pixel().0 as f64 / scale / n.max(1) as f64;
    let fits = |t: &str| t.chars().count() as f64 * 7.5 <= slot - 10.0;
    let mut names: Vec<String> = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s.event))
        .collect();
    if !names.iter().all(|t| fits(t)) {
        names = (1..=r.steps.len()).map(|i| i.to_string()).collect();
    }
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n as usize)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) => names.get(*k as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|v| group_digits(*v))
        .y_desc(labels.users.as_str())
        .label_style(font(13.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let margin = px(18.0, scale);
    let color = PALETTE[0];
    for (k, s) in r.steps.iter().enumerate() {
        let k = k as i32;
        let prev = if k == 0 {
            s.users
        } else {
            r.steps[k as usize - 1].users
        };
        let x0 = SegmentValue::Exact(k);
        let x1 = SegmentValue::Exact(k + 1);
        let bars: [Rectangle<(SegmentValue<i32>, u64)>; 2] = [
            Rectangle::new(
                [(x0.clone(), s.users), (x1.clone(), prev)],
                color.mix(0.15).filled(),
            ),
            Rectangle::new([(x0, 0), (x1, s.users)], color.filled()),
        ];
        chart
            .draw_series(bars.into_iter().map(|mut b| {
                b.set_margin(0, 0, margin, margin);
                b
            }))
            .map_err(err)?;
        let mut text = format!("{:.1}%  ({})", s.conversion * 100.0, group_digits(s.users));
        if !fits(&text) {
            text = format!("{:.1}%", s.conversion * 100.0);
        }
        let style = font(13.0, scale).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(std::iter::once(Text::<_, String>::new(
                text,
                (SegmentValue::CenterOf(k), prev),
                style,
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// Grouped bars: per step one bar per breakdown value.
fn grouped<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &FunnelResult,
    labels: &Labels,
    scale: f64,
) -> ChartResult {
    let n = r.steps.len() as i32;
    let groups = r.breakdowns.len();
    let top = r
        .breakdowns
        .iter()
        .filter_map(|b| b.steps.first().map(|s| s.users))
        .max()
        .unwrap_or(0);
    let top = nice_max(top as f64 * 1.08) as u64;
    let names: Vec<String> = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s.event))
        .collect();
    // x in step units: step k spans [k, k + 1), bars inside with a margin
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(0f64..n as f64, 0u64..top.max(1))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n as usize * 2 + 1)
        .x_label_formatter(&|v| {
            let k = (v - 0.5).round();
            if (v - 0.5 - k).abs() < 1e-9 && k >= 0.0 {
                names.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| group_digits(*v))
        .y_desc(labels.users.as_str())
        .label_style(font(13.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let inner = 0.8 / groups as f64;
    for (g, b) in r.breakdowns.iter().enumerate() {
        let color = PALETTE[g % PALETTE.len()];
        let bars = b.steps.iter().enumerate().map(move |(k, s)| {
            let x0 = k as f64 + 0.1 + g as f64 * inner;
            Rectangle::new([(x0, 0), (x0 + inner * 0.92, s.users)], color.filled())
        });
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(b.value.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, scale)
}
