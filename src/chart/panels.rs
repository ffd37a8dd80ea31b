//! Small multiples of a breakdown: one short panel per breakdown value, stacked from the
//! top down and sharing the x axis (the intervals), each with its own y scale and the
//! value's name in its top left corner, and one legend row above them. The stages and
//! health charts draw their breakdowns with it; one hover tip per interval lists every
//! value's counts, so the pointer reads all panels at once.

use super::{
    err, font, group_digits, nice_max, point_label, px, x_label_count, Drawn, Frame, Labels, GRID,
    INK,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How a panel draws its series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Style {
    /// Stacked bars, the series stacked in this order (indexes into the series) from the
    /// axis up.
    Stacked(&'static [usize]),
    /// One line per series.
    Lines,
}

/// One panel: a breakdown value's name and its series (`series[s][interval]`).
pub(crate) struct Panel<'a> {
    /// The value's label.
    pub value: &'a str,
    /// Its series, in the order of the legend's names.
    pub series: Vec<&'a [u64]>,
}

/// Height in CSS pixels of the legend row above the panels.
const LEGEND: f64 = 26.0;

/// Draws `panels` on `area` over the intervals `buckets` (`incomplete` marks partial
/// ones), with the series `names` in `colors`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    buckets: &[String],
    incomplete: &[bool],
    panels: &[Panel],
    names: &[String],
    colors: &[RGBColor],
    style: Style,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let nb = buckets.len();
    if panels.is_empty() {
        return Ok(None);
    }
    let (top, rest) = area.split_vertically(px(LEGEND, scale));
    legend_row(&top, names, colors, scale)?;
    let (_, h) = rest.dim_in_pixel();
    let axis = px(30.0, scale);
    let each = (h.saturating_sub(axis)) / panels.len() as u32;
    let mut frames: Vec<Frame> = Vec::new();
    let mut area = rest;
    for (k, p) in panels.iter().enumerate() {
        let last = k + 1 == panels.len();
        let (this, below) = if last {
            (area.clone(), area.clone())
        } else {
            area.split_vertically(each)
        };
        let max = match style {
            Style::Stacked(_) => (0..nb)
                .map(|b| p.series.iter().map(|s| s[b]).sum::<u64>())
                .max()
                .unwrap_or(0),
            Style::Lines => p
                .series
                .iter()
                .flat_map(|s| s.iter())
                .copied()
                .max()
                .unwrap_or(0),
        };
        let ymax = nice_max(max as f64 * 1.05);
        let mut chart = ChartBuilder::on(&this)
            .margin_left(px(12.0, scale))
            .margin_right(px(12.0, scale))
            .margin_top(px(if k == 0 { 4.0 } else { 14.0 }, scale))
            .x_label_area_size(if last { axis } else { 0 })
            .y_label_area_size(px(64.0, scale))
            .build_cartesian_2d(-0.6f64..(nb as f64 - 0.4).max(0.6), 0f64..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(INK.mix(0.4))
            .x_labels(if last {
                x_label_count(&this, scale).min(nb.max(1))
            } else {
                0
            })
            .x_label_formatter(&|v| point_label(buckets, *v))
            .y_labels(3)
            .y_label_formatter(&|v| group_digits(v.round() as u64))
            .label_style(font(11.0, scale))
            .draw()
            .map_err(err)?;
        match style {
            Style::Stacked(order) => {
                let half = 0.38;
                for (n, &s) in order.iter().enumerate() {
                    let color = colors[s];
                    chart
                        .draw_series((0..nb).filter(|&b| p.series[s][b] > 0).map(|b| {
                            let base: u64 = order[..n].iter().map(|&q| p.series[q][b]).sum();
                            let x = b as f64;
                            Rectangle::new(
                                [
                                    (x - half, base as f64),
                                    (x + half, (base + p.series[s][b]) as f64),
                                ],
                                color.filled(),
                            )
                        }))
                        .map_err(err)?;
                }
            }
            Style::Lines => {
                for (s, series) in p.series.iter().enumerate() {
                    chart
                        .draw_series(LineSeries::new(
                            series
                                .iter()
                                .enumerate()
                                .map(|(b, &v)| (b as f64, v as f64)),
                            colors[s].stroke_width(px(2.0, scale)),
                        ))
                        .map_err(err)?;
                }
            }
        }
        // the plotting area's corner, relative to this panel
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let (bx, by) = this.get_base_pixel();
        this.draw_text(
            p.value,
            &font(12.0, scale).pos(Pos::new(HPos::Left, VPos::Top)),
            (
                xs.start - bx + px(6.0, scale) as i32,
                ys.start - by + px(2.0, scale) as i32,
            ),
        )
        .map_err(err)?;
        frames.push(Frame::of(&chart, scale, 0.0, Vec::new()));
        area = below;
    }
    let tips = (0..nb)
        .map(|b| {
            let mut tip = buckets[b].clone();
            if incomplete[b] {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            for p in panels {
                let counts: Vec<String> = names
                    .iter()
                    .zip(&p.series)
                    .map(|(name, s)| format!("{name} {}", group_digits(s[b])))
                    .collect();
                tip.push_str(&format!("\n{}: {}", p.value, counts.join(", ")));
            }
            tip
        })
        .collect();
    let (first, last) = (&frames[0], &frames[frames.len() - 1]);
    Ok(Some(Frame {
        area: (first.area.0, first.area.1, first.area.2, last.area.3),
        x: first.x,
        first: 0.0,
        tips,
    }))
}

/// The legend as one row of coloured squares and names.
fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    colors: &[RGBColor],
    scale: f64,
) -> Result<(), String> {
    let style = font(12.0, scale).pos(Pos::new(HPos::Left, VPos::Center));
    let y = px(LEGEND / 2.0, scale) as i32;
    let mut x = px(76.0, scale) as i32;
    for (name, color) in names.iter().zip(colors) {
        let sq = px(5.0, scale) as i32;
        area.draw(&Rectangle::new(
            [(x, y - sq), (x + 2 * sq, y + sq)],
            color.filled(),
        ))
        .map_err(err)?;
        x += 2 * sq + px(4.0, scale) as i32;
        area.draw_text(name, &style, (x, y)).map_err(err)?;
        let (w, _) = area.estimate_text_size(name, &style).map_err(err)?;
        x += w as i32 + px(14.0, scale) as i32;
    }
    Ok(())
}
