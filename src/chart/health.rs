//! User health chart: on the left the user pyramid of the last interval (one centred
//! horizontal bar per tier, core at the top and dormant at the bottom, width = users,
//! labelled with the tier and its count); on the right the tier sizes over time as lines,
//! with hover tips giving every tier of an interval. With a breakdown, the right side holds
//! one small line chart per breakdown value instead (small multiples sharing the x axis,
//! see [`super::panels`]), whose hover tips give every value's tiers; the pyramid stays
//! that of all users.

use super::panels::{self, Panel, Style};
use super::{
    err, font, group_digits, legend, nice_max, point_label, px, tip_number, x_label_count, Drawn,
    Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::health::HealthResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colours of core, active, casual, at-risk and dormant users.
pub const COLORS: [RGBColor; 5] = [PALETTE[4], PALETTE[0], PALETTE[3], PALETTE[1], PALETTE[9]];

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &HealthResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let nb = r.buckets.len();
    let (w, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(w * 2 / 5);
    pyramid(&left, r, labels, scale)?;
    if !r.breakdowns.is_empty() {
        let panels: Vec<Panel> = r
            .breakdowns
            .iter()
            .map(|b| Panel {
                value: &b.value,
                series: b.sizes.iter().map(Vec::as_slice).collect(),
            })
            .collect();
        return panels::draw(
            &right,
            &r.buckets,
            &r.incomplete,
            &panels,
            &labels.tiers,
            &COLORS,
            Style::Lines,
            labels,
            scale,
        );
    }
    let top = nice_max(r.sizes.iter().flatten().copied().max().unwrap_or(0) as f64 * 1.1);
    let mut chart = ChartBuilder::on(&right)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..(nb as f64 - 0.5).max(0.5), 0f64..top)
        .map_err(err)?;
    let buckets = &r.buckets;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(&right, scale).min(nb.max(1)))
        .x_label_formatter(&|v| point_label(buckets, *v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(labels.users.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    for (s, sizes) in r.sizes.iter().enumerate() {
        let color = COLORS[s];
        let style = color.stroke_width(px(2.0, scale));
        chart
            .draw_series(LineSeries::new(
                sizes.iter().enumerate().map(|(k, &v)| (k as f64, v as f64)),
                style,
            ))
            .map_err(err)?
            .label(labels.tiers[s].as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    let tips = (0..nb)
        .map(|k| {
            let mut tip = r.buckets[k].clone();
            if r.incomplete[k] {
                tip.push_str(&format!(" ({})", labels.incomplete));
            }
            for (s, name) in labels.tiers.iter().enumerate() {
                tip.push_str(&format!(
                    "\n{name}: {}",
                    tip_number(Some(r.sizes[s][k] as f64))
                ));
            }
            tip
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

/// The pyramid of the last interval: tier `s` is row `s` from the top.
fn pyramid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &HealthResult,
    labels: &Labels,
    scale: f64,
) -> Result<(), String> {
    let Some(last) = r.buckets.len().checked_sub(1) else {
        return Ok(());
    };
    let n = r.sizes.len();
    let max = r.sizes.iter().map(|s| s[last]).max().unwrap_or(0).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .caption(
            format!("{} · {}", labels.pyramid, r.buckets[last]),
            font(13.0, scale),
        )
        .build_cartesian_2d(-1.0f64..1.0, 0f64..n as f64)
        .map_err(err)?;
    for (s, (sizes, color)) in r.sizes.iter().zip(COLORS).enumerate() {
        let v = sizes[last];
        let half = 0.05 + 0.95 * v as f64 / max;
        let y = (n - 1 - s) as f64; // core on top
        chart
            .draw_series([Rectangle::new(
                [(-half, y + 0.08), (half, y + 0.92)],
                color.filled(),
            )])
            .map_err(err)?;
        chart
            .draw_series([Text::new(
                format!("{} {}", labels.tiers[s], group_digits(v)),
                (-0.98, y + 0.5),
                font(12.0, scale).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Center,
                )),
            )])
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::{self, AnalysisResult, Query};
    use crate::engine::sample::{dataset, SampleOptions};

    #[test]
    fn a_pyramid_with_five_bars_and_five_lines() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"health","interval":"week"}"#).unwrap();
        let AnalysisResult::Health(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let labels = Labels::english();
        let mut frame = None;
        let out = svg(900, 400, |a| {
            frame = draw(a, &r, &labels, 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        for name in [
            "Core",
            "Active",
            "Casual",
            "At risk",
            "Dormant",
            "User pyramid",
        ] {
            assert!(out.contains(name), "{name}");
        }
        for c in COLORS {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            // one pyramid bar and one legend swatch per tier
            let bars = out
                .lines()
                .filter(|l| l.contains("<rect") && l.contains(&hex))
                .count();
            assert_eq!(bars, 2, "{hex}");
            assert!(out.contains(&format!("stroke=\"{hex}\"")), "line {hex}");
        }
        let frame = frame.unwrap();
        assert_eq!(frame.tips.len(), r.buckets.len());
        let last = r.buckets.len() - 1;
        assert!(frame.tips[last].contains(&format!(
            "Dormant: {}",
            tip_number(Some(r.sizes[4][last] as f64))
        )));
    }

    #[test]
    fn a_breakdown_draws_one_line_panel_per_value_beside_the_pyramid() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(
            r#"{"analysis":"health","interval":"week","breakdown":{"properties":["platform"],"limit":0}}"#,
        )
        .unwrap();
        let AnalysisResult::Health(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert!(r.breakdowns.len() >= 2);
        let labels = Labels::english();
        let mut frame = None;
        let out = svg(900, 600, |a| {
            frame = draw(a, &r, &labels, 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        assert!(out.contains("User pyramid"));
        for b in &r.breakdowns {
            assert!(out.contains(&format!("\n{}\n</text>", b.value)), "panel title {}", b.value);
        }
        for c in COLORS {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            let lines = out
                .lines()
                .filter(|l| l.contains("<polyline") && l.contains(&format!("stroke=\"{hex}\"")))
                .count();
            assert_eq!(lines, r.breakdowns.len(), "one {hex} line per value");
        }
        let frame = frame.unwrap();
        assert_eq!(frame.tips.len(), r.buckets.len());
        let last = r.buckets.len() - 1;
        let b = &r.breakdowns[0];
        assert!(frame.tips[last].contains(&format!(
            "\n{}: Core {}, Active {}",
            b.value, b.sizes[0][last], b.sizes[1][last]
        )));
    }
}
