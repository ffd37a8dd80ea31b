//! Stages chart: one stacked bar per interval with the users in each stage (new,
//! returned, active, silent, churned from the bottom up), so a bar's height is the users
//! seen so far; hover tips give the five counts. With a breakdown, one such bar chart per
//! breakdown value instead (small multiples sharing the x axis, see [`super::panels`]),
//! whose hover tips give every value's counts. The transition table is drawn by the app as
//! a heat-map table below the chart.

use super::panels::{self, Panel, Style};
use super::{
    err, font, group_digits, legend, nice_max, point_label, px, tip_number, x_label_count, Drawn,
    Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::stages::StagesResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colours of new, active, silent, churned and returned users (the order of
/// `stages::STAGES`).
pub const COLORS: [RGBColor; 5] = [PALETTE[4], PALETTE[0], PALETTE[5], PALETTE[2], PALETTE[6]];

/// Stacking order from the axis up, as indexes into `stages::STAGES`.
const STACK: [usize; 5] = [0, 4, 1, 2, 3];

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &StagesResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    if !r.breakdowns.is_empty() {
        let panels: Vec<Panel> = r
            .breakdowns
            .iter()
            .map(|b| Panel {
                value: &b.value,
                series: b.series().iter().map(|s| s.as_slice()).collect(),
            })
            .collect();
        return panels::draw(
            area,
            &r.buckets,
            &r.incomplete,
            &panels,
            &labels.stages,
            &COLORS,
            Style::Stacked(&STACK),
            labels,
            scale,
        );
    }
    let nb = r.buckets.len();
    let series = r.series();
    let top = nice_max(r.seen.iter().copied().max().unwrap_or(0) as f64 * 1.12);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.6f64..nb as f64 - 0.4, 0f64..top)
        .map_err(err)?;
    let buckets = &r.buckets;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale).min(nb.max(1)))
        .x_label_formatter(&|v| point_label(buckets, *v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(labels.users.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let half = 0.38;
    for (n, &s) in STACK.iter().enumerate() {
        let color = COLORS[s];
        chart
            .draw_series((0..nb).filter(|&b| series[s][b] > 0).map(|b| {
                let base: u64 = STACK[..n].iter().map(|&q| series[q][b]).sum();
                let x = b as f64;
                Rectangle::new(
                    [
                        (x - half, base as f64),
                        (x + half, (base + series[s][b]) as f64),
                    ],
                    color.filled(),
                )
            }))
            .map_err(err)?
            .label(labels.stages[s].as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    let tips = (0..nb)
        .map(|b| {
            let mut tip = r.buckets[b].clone();
            if r.incomplete[b] {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            for (s, name) in labels.stages.iter().enumerate() {
                tip.push_str(&format!(
                    "\n{name}: {}",
                    tip_number(Some(series[s][b] as f64))
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
    fn one_bar_per_nonzero_stage_with_a_legend_and_tips() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"stages","interval":"week"}"#).unwrap();
        let AnalysisResult::Stages(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let labels = Labels::english();
        let mut frame = None;
        let out = svg(800, 400, |a| {
            frame = draw(a, &r, &labels, 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        for name in ["New", "Active", "Silent", "Churned", "Returned"] {
            assert!(out.contains(name), "legend entry {name}");
        }
        for (s, c) in COLORS.iter().enumerate() {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            let bars = out
                .lines()
                .filter(|l| l.contains("<rect") && l.contains(&hex))
                .count();
            let want = r.series()[s].iter().filter(|&&v| v > 0).count();
            assert_eq!(bars, want + 1, "stage {s} ({hex})");
        }
        let frame = frame.expect("a frame");
        assert_eq!(frame.tips.len(), r.buckets.len());
        assert!(frame.tips[1].contains(&format!("Active: {}", r.active[1])));
    }

    #[test]
    fn a_breakdown_draws_one_panel_per_value_with_tips_per_value() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(
            r#"{"analysis":"stages","interval":"week","breakdown":{"properties":["platform"],"limit":2}}"#,
        )
        .unwrap();
        let AnalysisResult::Stages(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert_eq!(r.breakdowns.len(), 3, "two values and (other)");
        let labels = Labels::english();
        let mut frame = None;
        let out = svg(800, 600, |a| {
            frame = draw(a, &r, &labels, 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        for b in &r.breakdowns {
            assert!(out.contains(&format!("\n{}\n</text>", b.value)), "panel title {}", b.value);
        }
        // the bars of all panels together: one per nonzero (value, stage, interval), plus
        // one legend swatch per stage
        for (s, c) in COLORS.iter().enumerate() {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            let bars = out
                .lines()
                .filter(|l| l.contains("<rect") && l.contains(&hex))
                .count();
            let want: usize = r
                .breakdowns
                .iter()
                .map(|b| b.series()[s].iter().filter(|&&v| v > 0).count())
                .sum();
            assert_eq!(bars, want + 1, "stage {s} ({hex})");
        }
        let frame = frame.expect("a frame");
        assert_eq!(frame.tips.len(), r.buckets.len());
        let b = &r.breakdowns[1];
        assert!(frame.tips[1].contains(&format!(
            "\n{}: New {}, Active {}",
            b.value, b.new[1], b.active[1]
        )));
        assert!(frame.area.3 - frame.area.2 > 400.0, "the frame spans all panels");
    }
}
