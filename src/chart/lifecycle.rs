//! Lifecycle chart: one stacked bar per interval, new, returning and resurrecting users
//! above the axis and dormant users below it, with a legend. With a breakdown the chart
//! shows all users (the table lists every value).

use super::{
    point_label, err, font, group_digits, legend, nice_max, px, tip_number, x_label_count, Drawn, Frame, Labels,
    GRID, INK, PALETTE,
};
use crate::engine::analysis::lifecycle::LifecycleResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colours of new, returning, resurrecting and dormant users.
pub const COLORS: [RGBColor; 4] = [PALETTE[4], PALETTE[0], PALETTE[1], PALETTE[2]];

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &LifecycleResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let s = &r.states;
    let nb = r.buckets.len();
    let up = s.active.iter().copied().max().unwrap_or(0) as f64;
    let down = s
        .dormant
        .iter()
        .map(|d| d.unsigned_abs())
        .max()
        .unwrap_or(0) as f64;
    let top = nice_max(up * 1.05);
    let bottom = if down > 0.0 {
        nice_max(down * 1.05)
    } else {
        0.0
    };
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.6f64..nb as f64 - 0.4, -bottom..top)
        .map_err(err)?;
    let buckets = &r.buckets;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale).min(nb.max(1)))
        .x_label_formatter(&|v| point_label(buckets, *v))
        .y_label_formatter(&|v| {
            let a = group_digits(v.abs().round() as u64);
            if *v < 0.0 {
                format!("-{a}")
            } else {
                a
            }
        })
        .y_desc(labels.users.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let half = 0.38;
    let bar = |x: usize, y0: f64, y1: f64, c: RGBColor| {
        Rectangle::new([(x as f64 - half, y0), (x as f64 + half, y1)], c.filled())
    };
    // above the axis: new at the bottom, then returning, then resurrecting
    let stacks = [&s.new, &s.returning, &s.resurrecting];
    for (k, name) in labels.lifecycle[..3].iter().enumerate() {
        let color = COLORS[k];
        chart
            .draw_series((0..nb).filter(|&b| stacks[k][b] > 0).map(|b| {
                let base: u64 = stacks[..k].iter().map(|v| v[b]).sum();
                bar(b, base as f64, (base + stacks[k][b]) as f64, color)
            }))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    let color = COLORS[3];
    chart
        .draw_series(
            (0..nb)
                .filter(|&b| s.dormant[b] != 0)
                .map(|b| bar(b, s.dormant[b] as f64, 0.0, color)),
        )
        .map_err(err)?
        .label(labels.lifecycle[3].as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    // the zero line
    chart
        .draw_series(LineSeries::new(
            [(-0.6, 0.0), (nb as f64 - 0.4, 0.0)],
            INK.mix(0.6).stroke_width(px(1.0, scale)),
        ))
        .map_err(err)?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    let [new, returning, resurrecting, dormant] = &labels.lifecycle;
    let tips = (0..nb)
        .map(|b| {
            let n = |v: u64| tip_number(Some(v as f64));
            format!(
                "{}\n{new}: {}\n{returning}: {}\n{resurrecting}: {}\n{dormant}: {}",
                r.buckets[b],
                n(s.new[b]),
                n(s.returning[b]),
                n(s.resurrecting[b]),
                tip_number(Some(s.dormant[b] as f64)),
            )
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::{self, AnalysisResult, Query};
    use crate::engine::sample::{dataset, SampleOptions};

    #[test]
    fn stacked_bars_above_and_dormant_below_with_a_legend() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"lifecycle","interval":"week"}"#).unwrap();
        let AnalysisResult::Lifecycle(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let labels = Labels::english();
        let out = svg(800, 400, |a| draw(a, &r, &labels, 1.0)).unwrap();
        for name in ["New", "Returning", "Resurrecting", "Dormant"] {
            assert!(out.contains(name), "legend entry {name}");
        }
        // one bar per nonzero state and interval, in the state's colour, plus its swatch
        let s = &r.states;
        let series: [Vec<bool>; 4] = [
            s.new.iter().map(|&v| v > 0).collect(),
            s.returning.iter().map(|&v| v > 0).collect(),
            s.resurrecting.iter().map(|&v| v > 0).collect(),
            s.dormant.iter().map(|&v| v < 0).collect(),
        ];
        for (k, c) in COLORS.iter().enumerate() {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            let bars = out
                .lines()
                .filter(|l| l.contains("<rect") && l.contains(&hex))
                .count();
            let want = series[k].iter().filter(|&&b| b).count();
            assert!(want > 0, "state {k} has bars");
            assert_eq!(bars, want + 1, "state {k} ({hex})");
        }
        // the y axis reaches below zero for the dormant bars
        let negative = |l: &str| {
            l.len() > 1
                && l.starts_with('-')
                && l[1..].chars().all(|c| c.is_ascii_digit() || c == ',')
        };
        assert!(out.lines().any(negative), "negative axis labels");
    }
}
