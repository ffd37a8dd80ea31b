//! Revenue chart: one bar of net revenue per interval (left axis; incomplete intervals
//! paler), with ARPU and ARPPU as lines on a second axis on the right (revenue per user),
//! and hover values with paying and active users and the paying rate. With a breakdown,
//! one line of revenue per value (a colour each, with a legend), and hover values with
//! each value's revenue, paying users and ARPU.

use super::{
    err, font, group_digits, nice_max, point_label, px, tip_number, x_label_count, Drawn, Frame,
    Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::revenue::RevenueResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// An axis value: digits grouped from 1,000 up, else up to two decimals.
fn axis_number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let s = group_digits(v.abs().round() as u64);
        if v < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The axis span `lo..hi` holding 0 and every value, padded a little.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let hi = nice_max(hi * 1.08);
    let lo = if lo < 0.0 { -nice_max(-lo * 1.08) } else { 0.0 };
    (lo, hi)
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RevenueResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    if !r.breakdowns.is_empty() {
        return draw_breakdown(area, r, labels, scale);
    }
    let [revenue, arpu, arppu, per_user, paying_rate, paying, active] = &labels.revenue;
    let nb = r.intervals.len();
    let x = -0.6f64..nb as f64 - 0.4;
    let (lo, hi) = span(r.intervals.iter().map(|m| m.metrics.revenue));
    let (slo, shi) = span(
        r.intervals
            .iter()
            .flat_map(|m| [m.metrics.arpu, m.metrics.arppu])
            .flatten(),
    );
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .right_y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(x.clone(), lo..hi)
        .map_err(err)?
        .set_secondary_coord(x, slo..shi);
    let buckets: Vec<String> = r.intervals.iter().map(|m| m.label.clone()).collect();
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale).min(nb.max(1)))
        .x_label_formatter(&|v| point_label(&buckets, *v))
        .y_label_formatter(&|v| axis_number(*v))
        .y_desc(format!("{revenue} ({})", r.amount))
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .axis_style(INK.mix(0.4))
        .y_label_formatter(&|v| axis_number(*v))
        .y_desc(per_user.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let color = PALETTE[0];
    chart
        .draw_series(r.intervals.iter().enumerate().map(|(b, m)| {
            let fill = if m.incomplete {
                color.mix(0.4)
            } else {
                color.mix(0.85)
            };
            let v = m.metrics.revenue;
            Rectangle::new(
                [(b as f64 - 0.38, v.min(0.0)), (b as f64 + 0.38, v.max(0.0))],
                fill.filled(),
            )
        }))
        .map_err(err)?
        .label(revenue.as_str())
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.mix(0.85).filled())
        });
    let stroke = px(2.0, scale);
    for (name, color, values) in [
        (
            arpu,
            PALETTE[1],
            r.intervals
                .iter()
                .map(|m| m.metrics.arpu)
                .collect::<Vec<_>>(),
        ),
        (
            arppu,
            PALETTE[2],
            r.intervals.iter().map(|m| m.metrics.arppu).collect(),
        ),
    ] {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(b, v)| v.map(|v| (b as f64, v)))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(points.clone(), color.stroke_width(stroke)))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(stroke))
            });
        chart
            .draw_secondary_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, px(2.5, scale), color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let pct = |v: Option<f64>| v.map_or("–".into(), |x| format!("{:.1}%", x * 100.0));
    let tips = r
        .intervals
        .iter()
        .map(|m| {
            let x = &m.metrics;
            let mut tip = m.label.clone();
            if m.incomplete {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            tip.push_str(&format!(
                "\n{revenue}: {}\n{paying}: {}\n{active}: {}\n{paying_rate}: {}\n{arpu}: {}\n{arppu}: {}",
                tip_number(Some(x.revenue)),
                tip_number(Some(x.paying_users as f64)),
                tip_number(Some(x.active_users as f64)),
                pct(x.paying_rate),
                tip_number(x.arpu),
                tip_number(x.arppu),
            ));
            tip
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

/// One line of revenue per breakdown value, with a legend.
fn draw_breakdown<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RevenueResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let [revenue, arpu, _, _, _, paying, _] = &labels.revenue;
    let nb = r.intervals.len();
    let x = -0.4f64..(nb as f64 - 0.6).max(0.4);
    let (lo, hi) = span(
        r.breakdowns
            .iter()
            .flat_map(|b| b.intervals.iter().map(|m| m.revenue)),
    );
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(x, lo..hi)
        .map_err(err)?;
    let buckets: Vec<String> = r.intervals.iter().map(|m| m.label.clone()).collect();
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale).min(nb.max(1)))
        .x_label_formatter(&|v| point_label(&buckets, *v))
        .y_label_formatter(&|v| axis_number(*v))
        .y_desc(format!("{revenue} ({})", r.amount))
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    for (k, b) in r.breakdowns.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points: Vec<(f64, f64)> = b
            .intervals
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64, m.revenue))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(stroke)))
            .map_err(err)?
            .label(b.value.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(stroke))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, px(2.5, scale), color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let tips = r
        .intervals
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut tip = m.label.clone();
            if m.incomplete {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            for b in &r.breakdowns {
                let x = &b.intervals[i];
                tip.push_str(&format!(
                    "\n{}: {revenue} {}, {paying} {}, {arpu} {}",
                    b.value,
                    tip_number(Some(x.revenue)),
                    tip_number(Some(x.paying_users as f64)),
                    tip_number(x.arpu),
                ));
            }
            tip
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
    fn bars_of_revenue_and_lines_of_arpu_and_arppu_with_tips() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"revenue","interval":"week"}"#).unwrap();
        let AnalysisResult::Revenue(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let mut frame = None;
        let s = svg(900, 400, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        for name in ["Revenue (revenue)", "ARPU", "ARPPU", "Revenue per user"] {
            assert!(s.contains(name), "{name}");
        }
        assert!(s.matches("<rect").count() >= r.intervals.len());
        assert!(s.matches("<polyline").count() >= 2);
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), r.intervals.len());
        let m = &r.intervals[1].metrics;
        assert!(
            f.tips[1].starts_with(&r.intervals[1].label),
            "{}",
            f.tips[1]
        );
        assert!(
            f.tips[1].contains(&format!(
                "Paying users: {}",
                tip_number(Some(m.paying_users as f64))
            )),
            "{}",
            f.tips[1]
        );
        assert_eq!(axis_number(1234.0), "1,234");

        // a breakdown: a line and a legend entry per value, each value in the tips
        let q = Query::from_json(
            r#"{"analysis":"revenue","interval":"week","breakdown":{"properties":["platform"],"limit":2}}"#,
        )
        .unwrap();
        let AnalysisResult::Revenue(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert_eq!(r.breakdowns.len(), 3, "2 values and (other)");
        let mut frame = None;
        let s = svg(900, 400, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        for b in &r.breakdowns {
            assert!(s.contains(&b.value), "{}", b.value);
        }
        assert!(s.matches("<polyline").count() >= r.breakdowns.len());
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), r.intervals.len());
        let x = &r.breakdowns[0].intervals[1];
        assert!(
            f.tips[1].contains(&format!(
                "{}: Revenue {}",
                r.breakdowns[0].value,
                tip_number(Some(x.revenue))
            )),
            "{}",
            f.tips[1]
        );
        assert_eq!(axis_number(2.5), "2.5");
        assert_eq!(axis_number(-1500.0), "-1,500");
    }
}
