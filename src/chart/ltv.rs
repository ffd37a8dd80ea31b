//! Cohort LTV chart: one thin line per cohort of its cumulative revenue per user by age
//! (its partly observed ages as hollow points), and the size-weighted average as a bold
//! line. Hover tips give the average and the newest cohorts' values per age. With a
//! breakdown, one line per breakdown value's average instead of the cohorts (with a legend
//! entry each), and tips giving every value's average.

use super::{
    err, font, legend, nice_max, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::ltv::LtvResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most cohorts listed in a hover tip (the newest ones; the table lists all).
pub const MAX_TIP_COHORTS: usize = 8;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &LtvResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let n = r.periods as usize;
    let values = r
        .cohorts
        .iter()
        .flat_map(|c| c.ltv.iter().copied())
        .chain(r.average.iter().filter_map(|a| a.ltv))
        .chain(
            r.breakdowns
                .iter()
                .flat_map(|b| b.average.iter().filter_map(|a| a.ltv)),
        );
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let top = nice_max(hi * 1.08);
    let bottom = if lo < 0.0 { -nice_max(-lo * 1.08) } else { 0.0 };
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.3f64..(n as f64 - 1.0).max(1.0) + 0.3, bottom..top)
        .map_err(err)?;
    let x_desc = format!("{} ({})", labels.age, labels.period(r.period));
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n.min(16))
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 && *v >= 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| tip_number(Some(*v)))
        .x_desc(x_desc.as_str())
        .y_desc(labels.ltv.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let thin = px(1.2, scale);
    for (k, b) in r.breakdowns.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let style = color.stroke_width(px(2.0, scale));
        let points: Vec<(f64, f64)> = b
            .average
            .iter()
            .filter_map(|a| a.ltv.map(|v| (a.age as f64, v)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), style))
            .map_err(err)?
            .label(b.value.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, px(2.5, scale), color.filled())),
            )
            .map_err(err)?;
    }
    let cohorts = if r.breakdowns.is_empty() {
        &r.cohorts[..]
    } else {
        &[]
    };
    for (k, c) in cohorts.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()].mix(0.75);
        let points: Vec<(f64, f64)> = c
            .ltv
            .iter()
            .enumerate()
            .map(|(a, &v)| (a as f64, v))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(thin)))
            .map_err(err)?;
        chart
            .draw_series(points.iter().zip(&c.complete).map(|(&p, &done)| {
                let style = if done {
                    color.filled()
                } else {
                    color.stroke_width(thin)
                };
                Circle::new(p, px(2.5, scale), style)
            }))
            .map_err(err)?;
    }
    let bold = px(3.5, scale);
    let average: Vec<(f64, f64)> = r
        .average
        .iter()
        .filter_map(|a| a.ltv.map(|v| (a.age as f64, v)))
        .collect();
    chart
        .draw_series(LineSeries::new(average.clone(), INK.stroke_width(bold)))
        .map_err(err)?
        .label(labels.average.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], INK.stroke_width(bold)));
    chart
        .draw_series(
            average
                .iter()
                .map(|&p| Circle::new(p, px(3.5, scale), INK.filled())),
        )
        .map_err(err)?;
    let newest = &cohorts[cohorts.len().saturating_sub(MAX_TIP_COHORTS)..];
    let tips = (0..n)
        .map(|a| {
            let avg = r.average.get(a).and_then(|x| x.ltv);
            let mut tip = format!("{x_desc}: {a}\n{}: {}", labels.average, tip_number(avg));
            for c in newest.iter().rev() {
                let v = c.ltv.get(a).copied();
                let mark = if c.complete.get(a) == Some(&false) {
                    format!(" ({})", labels.incomplete)
                } else {
                    String::new()
                };
                tip.push_str(&format!("\n{}: {}{mark}", c.label, tip_number(v)));
            }
            for b in &r.breakdowns {
                let v = b.average.get(a).and_then(|x| x.ltv);
                tip.push_str(&format!("\n{}: {}", b.value, tip_number(v)));
            }
            tip
        })
        .collect();
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::{self, AnalysisResult, Query};
    use crate::engine::sample::{dataset, SampleOptions};

    #[test]
    fn a_line_per_cohort_and_the_average_with_a_tip_per_age() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"ltv","periods":5}"#).unwrap();
        let AnalysisResult::Ltv(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert!(r.cohorts.len() >= 3);
        let mut frame = None;
        let text = svg(800, 400, |a| {
            frame = draw(a, &r, &Labels::english(), 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        assert!(
            text.matches("<polyline").count() > r.cohorts.len(),
            "cohorts and the average"
        );
        assert!(text.contains("Weighted average"));
        let tips = frame.unwrap().tips;
        assert_eq!(tips.len(), 5);
        assert!(
            tips[0].contains(&r.cohorts[r.cohorts.len() - 1].label),
            "{}",
            tips[0]
        );
    }

    #[test]
    fn a_breakdown_draws_one_line_per_value_with_tips_per_value() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"ltv","periods":5,"breakdown":"platform"}"#)
            .unwrap();
        let AnalysisResult::Ltv(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert!(r.breakdowns.len() >= 2);
        let mut frame = None;
        let text = svg(800, 400, |a| {
            frame = draw(a, &r, &Labels::english(), 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        // per value a line and a legend sample (the average is bolder), none per cohort
        let lines = text.lines().filter(|l| l.contains("<polyline") && l.contains("stroke-width=\"2\"")).count();
        assert_eq!(lines, 2 * r.breakdowns.len());
        for b in &r.breakdowns {
            assert!(text.contains(&format!("\n{}\n</text>", b.value)), "legend {}", b.value);
        }
        let frame = frame.unwrap();
        let b = &r.breakdowns[0];
        assert!(frame.tips[1].contains(&format!(
            "\n{}: {}",
            b.value,
            tip_number(b.average[1].ltv)
        )));
    }
}
