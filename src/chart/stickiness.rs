//! Stickiness chart: bars of users by number of active intervals; with a breakdown, one
//! line per series (the first few) over the same x values, with a legend.

use super::{
    count_label,    err, font, group_digits, legend, nice_max, px, tip_number, Drawn, Frame, Labels,
    GRID, INK, PALETTE,
};
use crate::engine::analysis::stickiness::StickinessResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most series drawn as lines (the table lists all).
pub const MAX_LINES: usize = 12;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &StickinessResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let n = r.x.len();
    let lines = r.breakdown.is_some();
    let shown = if lines {
        &r.series[..r.series.len().min(MAX_LINES)]
    } else {
        &r.series[..]
    };
    let max = shown
        .iter()
        .flat_map(|s| s.users.iter().copied())
        .max()
        .unwrap_or(0) as f64;
    let top = nice_max(max * 1.08);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(0.5f64..n as f64 + 0.5, 0f64..top)
        .map_err(err)?;
    let x_desc = format!(
        "{} ({})",
        labels.active_intervals,
        labels.period(r.interval)
    );
    let tips = (0..n)
        .map(|k| {
            let mut tip = format!("{}: {}", x_desc, r.x[k]);
            for s in shown {
                tip.push_str(&format!(
                    "\n{}: {}",
                    s.label,
                    tip_number(Some(s.users[k] as f64))
                ));
            }
            tip
        })
        .collect();
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n.min(16))
        .x_label_formatter(&|v| count_label(*v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .x_desc(x_desc.as_str())
        .y_desc(labels.users.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    if !lines {
        let color = PALETTE[0];
        for s in shown {
            chart
                .draw_series(s.users.iter().enumerate().map(|(k, &u)| {
                    let x = k as f64 + 1.0;
                    Rectangle::new([(x - 0.38, 0.0), (x + 0.38, u as f64)], color.filled())
                }))
                .map_err(err)?;
            if n <= 16 {
                chart
                    .draw_series(
                        s.users
                            .iter()
                            .zip(&s.percent)
                            .enumerate()
                            .map(|(k, (&u, &p))| {
                                Text::new(
                                    format!("{:.1}%", p * 100.0),
                                    (k as f64 + 0.78, u as f64 + top * 0.035),
                                    font(11.0, scale),
                                )
                            }),
                    )
                    .map_err(err)?;
            }
        }
        return Ok(Some(Frame::of(&chart, scale, 1.0, tips)));
    }
    let stroke = px(2.0, scale);
    for (k, s) in shown.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points: Vec<(f64, f64)> = s
            .users
            .iter()
            .enumerate()
            .map(|(x, &u)| (x as f64 + 1.0, u as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(stroke)))
            .map_err(err)?
            .label(s.label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, px(3.0, scale), color.filled())),
            )
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    Ok(Some(Frame::of(&chart, scale, 1.0, tips)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::AnalysisResult;

    fn result(json: &str) -> StickinessResult {
        match crate::chart::tests::result(json) {
            AnalysisResult::Stickiness(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bar_per_count_with_its_share() {
        let r = result(r#"{"analysis":"stickiness","interval":"week"}"#);
        let s = svg(800, 400, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        // one bar per x (the frame is a rect too)
        assert!(
            s.matches("<rect").count() > r.x.len(),
            "{}",
            s.matches("<rect").count()
        );
        let share = format!("{:.1}%", r.series[0].percent[0] * 100.0);
        assert!(s.contains(&share), "{share}");
        assert!(s.contains("Active intervals (Week)"));
    }

    #[test]
    fn a_line_and_legend_entry_per_breakdown_value() {
        let r = result(r#"{"analysis":"stickiness","interval":"week","breakdown":"platform"}"#);
        assert!(r.series.len() >= 2);
        let s = svg(800, 400, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for x in &r.series {
            assert!(s.contains(&x.label), "{}", x.label);
        }
        assert!(s.matches("<polyline").count() >= r.series.len());
    }
}
