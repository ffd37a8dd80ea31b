//! A/B test chart: one bar per variant (the control first) at its conversion rate, with a
//! whisker for the rate's confidence interval and the rate printed above; the hover tip of
//! a variant gives its users, conversions, rate and interval, lift and p-value. With a
//! breakdown, one group of bars per value (the whole test first, as `(all)`), a bar and
//! whisker per variant in the variant's color with a legend, and one tip per group listing
//! its variants.

use super::{err, font, nice_max, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE};
use crate::engine::analysis::ab_test::{AbTestResult, VariantResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

fn signed_pct(v: f64) -> String {
    format!("{:+.2}%", v * 100.0)
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &AbTestResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    if !r.segments.is_empty() {
        return grouped(area, r, labels, scale);
    }
    let n = r.variants.len();
    let max = r.variants.iter().map(|v| v.rate_ci[1]).fold(0.0, f64::max);
    let top = nice_max(max * 1.15);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    let names: Vec<String> = r.variants.iter().map(|v| v.value.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n)
        .x_label_formatter(&|v| super::point_label(&names, *v))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_desc(labels.ab[0].as_str())
        .label_style(font(13.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    for (k, v) in r.variants.iter().enumerate() {
        let x = k as f64;
        let color = PALETTE[k % PALETTE.len()];
        let [lo, hi] = v.rate_ci;
        chart
            .draw_series([Rectangle::new(
                [(x - 0.3, 0.0), (x + 0.3, v.rate)],
                color.mix(0.85).filled(),
            )])
            .map_err(err)?;
        let ink = INK.stroke_width(stroke);
        chart
            .draw_series([
                PathElement::new(vec![(x, lo), (x, hi)], ink),
                PathElement::new(vec![(x - 0.08, lo), (x + 0.08, lo)], ink),
                PathElement::new(vec![(x - 0.08, hi), (x + 0.08, hi)], ink),
            ])
            .map_err(err)?;
        let style = font(13.0, scale).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series([Text::new(pct(v.rate), (x, hi + top * 0.02), style)])
            .map_err(err)?;
    }
    let tips = r.variants.iter().map(|v| variant_tip(v, labels)).collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

/// The lines of a variant's hover tip: its value, users, conversions, rate and interval,
/// lift and p-value.
fn variant_tip(v: &VariantResult, labels: &Labels) -> String {
    let [rate, conversions, lift, p_value, interval] = &labels.ab;
    let mut tip = format!(
        "{}\n{}: {}\n{}: {}\n{}: {} ({} {} – {})",
        v.value,
        labels.users,
        tip_number(Some(v.users as f64)),
        conversions,
        tip_number(Some(v.conversions as f64)),
        rate,
        pct(v.rate),
        interval,
        pct(v.rate_ci[0]),
        pct(v.rate_ci[1]),
    );
    if let (Some(l), Some([a, b])) = (v.lift, v.lift_ci) {
        tip.push_str(&format!(
            "\n{lift}: {} ({interval} {} – {})",
            signed_pct(l),
            signed_pct(a),
            signed_pct(b)
        ));
    }
    if let Some(p) = v.p_value {
        tip.push_str(&format!("\n{p_value}: {}", tip_number(Some(p))));
    }
    tip
}

/// One group per breakdown value (the whole test first), a bar and whisker per variant.
fn grouped<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &AbTestResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let groups: Vec<(&str, &[VariantResult])> = std::iter::once(("(all)", &r.variants[..]))
        .chain(
            r.segments
                .iter()
                .map(|g| (g.value.as_str(), &g.variants[..])),
        )
        .collect();
    let n = groups.len();
    let k = r.variants.len();
    let max = (groups.iter())
        .flat_map(|g| g.1.iter())
        .map(|v| v.rate_ci[1])
        .fold(0.0, f64::max);
    let top = nice_max(max * 1.1);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    let names: Vec<String> = groups.iter().map(|g| g.0.to_string()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(super::x_label_count(area, scale).min(n))
        .x_label_formatter(&|v| super::point_label(&names, *v))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_desc(labels.ab[0].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let width = 0.8 / k as f64;
    let ink = INK.stroke_width(px(1.0, scale).max(1));
    for (c, variant) in r.variants.iter().enumerate() {
        let color = PALETTE[c % PALETTE.len()];
        let mut bars = Vec::new();
        let mut whiskers = Vec::new();
        for (g, (_, vs)) in groups.iter().enumerate() {
            let Some(v) = vs.iter().find(|v| v.value == variant.value) else {
                continue;
            };
            let x = g as f64 - 0.4 + width * (c as f64 + 0.5);
            bars.push(Rectangle::new(
                [(x - width * 0.4, 0.0), (x + width * 0.4, v.rate)],
                color.mix(0.85).filled(),
            ));
            let [lo, hi] = v.rate_ci;
            whiskers.push(PathElement::new(vec![(x, lo), (x, hi)], ink));
        }
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(variant.value.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        chart.draw_series(whiskers).map_err(err)?;
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    let tips = groups
        .iter()
        .map(|(value, vs)| {
            let parts: Vec<String> = vs.iter().map(|v| variant_tip(v, labels)).collect();
            format!("{value}\n\n{}", parts.join("\n\n"))
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
    fn a_bar_and_whisker_per_variant_with_tips() {
        let d = dataset(&SampleOptions {
            users: 600,
            ..Default::default()
        });
        let q = Query::from_json(
            r#"{"analysis":"ab_test","exposure_event":"begin_checkout","conversion":{"event":"purchase"}}"#,
        )
        .unwrap();
        let AnalysisResult::AbTest(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let mut frame = None;
        let s = svg(800, 400, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        for v in &r.variants {
            assert!(s.contains(&v.value), "{}", v.value);
            assert!(s.contains(&pct(v.rate)), "{}", pct(v.rate));
        }
        // bars (plus the frame) and three whisker lines per variant
        assert!(s.matches("<rect").count() > r.variants.len());
        assert!(s.matches("<polyline").count() >= 3 * r.variants.len());
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), 2);
        assert!(f.tips[0].starts_with("control\nUsers: "), "{}", f.tips[0]);
        assert!(f.tips[1].contains("Lift: "), "{}", f.tips[1]);
        assert!(f.tips[1].contains("p-value: "), "{}", f.tips[1]);
        assert_eq!(f.index_at(f.x_of(1)), Some(1));
    }

    #[test]
    fn a_breakdown_draws_a_group_per_value_with_tips() {
        let d = dataset(&SampleOptions {
            users: 600,
            ..Default::default()
        });
        let q = Query::from_json(
            r#"{"analysis":"ab_test","conversion":{"event":"purchase"},"breakdown":{"properties":["platform"],"limit":2}}"#,
        )
        .unwrap();
        let AnalysisResult::AbTest(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let mut frame = None;
        let s = svg(900, 400, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        assert!(s.contains("(all)"));
        for g in &r.segments {
            assert!(s.contains(&g.value), "{}", g.value);
        }
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), r.segments.len() + 1);
        assert!(f.tips[1].starts_with(&r.segments[0].value), "{}", f.tips[1]);
        assert!(f.tips[1].contains("Lift: "), "{}", f.tips[1]);
    }
}
