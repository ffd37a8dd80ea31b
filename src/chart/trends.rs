//! Trends chart: lines, stacked areas, grouped bars or one number per series.
//!
//! Hidden series are left out; with a breakdown the top values of every series come
//! first. A value that is missing (a division by zero, an average of
//! nothing) leaves a gap; segments that touch an incomplete interval are dashed and bars of
//! incomplete intervals are pale; the previous period is a thin dashed line in the colour
//! of its series.

use super::{
    point_label, err, font, group_digits, legend, nice_max, px, tip_number, x_label_count, ChartResult, Drawn,
    Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::trends::{change, Display, Line, TrendsResult};
use crate::engine::store::format_number;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most series drawn (one colour each; the table lists all).
pub const MAX_LINES: usize = PALETTE.len();

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &TrendsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let lines = drawn(r);
    if r.display == Display::Number {
        return numbers(area, &lines, scale).map(|()| None);
    }
    let nb = r.buckets.len();
    let stacked = r.display == Display::Area;
    // stacked tops per line, else the values themselves (and the previous period's)
    let mut tops: Vec<Vec<f64>> = Vec::new();
    let mut acc = vec![0.0; nb];
    for l in &lines {
        if stacked {
            for (a, v) in acc.iter_mut().zip(&l.values) {
                *a += v.unwrap_or(0.0).max(0.0);
            }
            tops.push(acc.clone());
        }
    }
    let all = lines
        .iter()
        .flat_map(|l| l.values.iter().chain(&l.previous).flatten().copied())
        .chain(tops.iter().flatten().copied());
    let (min, max) = all.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let top = nice_max(max * 1.05);
    let bottom = if min < 0.0 {
        -nice_max(-min * 1.05)
    } else {
        0.0
    };
    let bars = r.display == Display::Bar;
    let x = if bars {
        -0.5..nb as f64 - 0.5
    } else {
        0.0..(nb.max(2) - 1) as f64
    };
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .margin_right(px(36.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(x, bottom..top)
        .map_err(err)?;
    let buckets = &r.buckets;
    let span = top - bottom;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale))
        .x_label_formatter(&|v| point_label(buckets, *v))
        .y_label_formatter(&|v| {
            if span >= 10.0 && v.fract().abs() < 1e-9 {
                let s = group_digits(v.abs().round() as u64);
                if *v < 0.0 {
                    format!("-{s}")
                } else {
                    s
                }
            } else {
                format!("{v:.2}")
            }
        })
        .x_desc(labels.period(r.interval))
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    let k = lines.len().max(1) as f64;
    for (n, l) in lines.iter().enumerate() {
        let color = PALETTE[n % PALETTE.len()];
        let swatch =
            move |(x, y): (i32, i32)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled());
        match r.display {
            Display::Bar => {
                let w = 0.8 / k;
                let bars = l.values.iter().enumerate().filter_map(|(b, v)| {
                    let x0 = b as f64 - 0.4 + n as f64 * w;
                    let fill = if r.incomplete[b] {
                        color.mix(0.35)
                    } else {
                        color.mix(0.9)
                    };
                    v.map(|v| Rectangle::new([(x0, 0.0), (x0 + w, v)], fill.filled()))
                });
                chart
                    .draw_series(bars)
                    .map_err(err)?
                    .label(l.label())
                    .legend(swatch);
            }
            Display::Area => {
                let upper = &tops[n];
                let lower = if n == 0 {
                    vec![0.0; nb]
                } else {
                    tops[n - 1].clone()
                };
                let outline: Vec<(f64, f64)> = (0..nb)
                    .map(|b| (b as f64, upper[b]))
                    .chain((0..nb).rev().map(|b| (b as f64, lower[b])))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        color.mix(0.55).filled(),
                    )))
                    .map_err(err)?
                    .label(l.label())
                    .legend(swatch);
                path(
                    &mut chart,
                    &upper.iter().map(|&v| Some(v)).collect::<Vec<_>>(),
                    &r.incomplete,
                    color.stroke_width(px(1.0, scale)),
                    scale,
                )?;
            }
            _ => {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())
                    .map_err(err)?
                    .label(l.label())
                    .legend(swatch);
                path(
                    &mut chart,
                    &l.values,
                    &r.incomplete,
                    color.stroke_width(stroke),
                    scale,
                )?;
            }
        }
        if !l.previous.is_empty() && !bars {
            let every = vec![true; nb];
            let thin = color.mix(0.8).stroke_width(px(1.0, scale));
            dashed_runs(&mut chart, &l.previous, &every, thin, scale)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    let tips = (0..nb)
        .map(|b| {
            let mut tip = r.buckets[b].clone();
            if r.incomplete[b] {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            for l in &lines {
                tip.push_str(&format!("\n{}: {}", l.label(), tip_number(l.values[b])));
                if let Some(p) = l.previous.get(b) {
                    let when = &r.previous_buckets[b];
                    tip.push_str(&format!(" ({} {when}: {})", labels.previous, tip_number(*p)));
                }
            }
            tip
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

/// The lines drawn: visible ones, the first breakdown values of every series before the
/// later values of any (so a second series is not crowded out), at most [`MAX_LINES`].
fn drawn(r: &TrendsResult) -> Vec<&Line> {
    let mut groups: Vec<Vec<&Line>> = Vec::new();
    for l in r.lines.iter().filter(|l| !l.hidden) {
        match groups.last_mut() {
            Some(g) if g[0].key == l.key => g.push(l),
            _ => groups.push(vec![l]),
        }
    }
    let depth = groups.iter().map(Vec::len).max().unwrap_or(0);
    (0..depth)
        .flat_map(|k| groups.iter().filter_map(move |g| g.get(k).copied()))
        .take(MAX_LINES)
        .collect()
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Draws `values` as a line with gaps: solid between complete intervals, dashed where a
/// segment touches an incomplete one, a dot where a value stands alone.
fn path<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    values: &[Option<f64>],
    incomplete: &[bool],
    style: ShapeStyle,
    scale: f64,
) -> ChartResult {
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |chart: &mut Chart<'_, DB>, run: &mut Vec<(f64, f64)>| -> ChartResult {
        match run.len() {
            0 => {}
            1 => {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        run[0],
                        px(2.5, scale),
                        style.filled(),
                    )))
                    .map_err(err)?;
            }
            _ => {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), style))
                    .map_err(err)?;
            }
        }
        run.clear();
        Ok(())
    };
    for (b, v) in values.iter().enumerate() {
        let edge = incomplete[b] || (b > 0 && incomplete[b - 1]);
        match v {
            Some(y) if !edge || run.is_empty() => run.push((b as f64, *y)),
            Some(y) => {
                // keep the segment into an incomplete interval out of the solid run
                flush(chart, &mut run)?;
                run.push((b as f64, *y));
            }
            None => flush(chart, &mut run)?,
        }
    }
    flush(chart, &mut run)?;
    dashed_runs(chart, values, incomplete, style, scale)
}

/// Dashes every segment of `values` that touches an interval marked in `dashed`.
fn dashed_runs<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    values: &[Option<f64>],
    dashed: &[bool],
    style: ShapeStyle,
    scale: f64,
) -> ChartResult {
    for b in 1..values.len() {
        let (Some(a), Some(c)) = (values[b - 1], values[b]) else {
            continue;
        };
        if dashed[b] || dashed[b - 1] {
            chart
                .draw_series(DashedLineSeries::new(
                    [((b - 1) as f64, a), (b as f64, c)],
                    px(6.0, scale) as i32,
                    px(4.0, scale) as i32,
                    style,
                ))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The single-number view: each series' total, with the change from the previous period.
fn numbers<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[&Line],
    scale: f64,
) -> ChartResult {
    let cols = lines.len().clamp(1, 3);
    let rows = lines.len().div_ceil(cols).max(1);
    let cells = area.split_evenly((rows, cols));
    for (n, (l, cell)) in lines.iter().zip(cells.iter()).enumerate() {
        let (w, h) = cell.dim_in_pixel();
        let color = &PALETTE[n % PALETTE.len()];
        let center = |dy: f64| ((w / 2) as i32, (h as f64 / 2.0 + dy * scale) as i32);
        let style = |size: f64, c: &'static RGBColor| {
            font(size, scale)
                .color(c)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ))
        };
        let big = l.total.map(format_number).unwrap_or_else(|| "–".into());
        cell.draw(&Text::new(l.label(), center(-40.0), style(14.0, &INK)))
            .map_err(err)?;
        cell.draw(&Text::new(big, center(0.0), style(34.0, color)))
            .map_err(err)?;
        if let Some(c) = change(l.total, l.previous_total) {
            let text = format!("{:+.1}%", c * 100.0);
            cell.draw(&Text::new(text, center(36.0), style(14.0, &INK)))
                .map_err(err)?;
        }
    }
    Ok(())
}
