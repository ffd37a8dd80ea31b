//! RFM chart: for the quintile model, the R × F grid as a heatmap of customer counts
//! (F score across, R score up; each cell with its count and segment); for the eight-class
//! model, one bar of customers per class with its share. With a breakdown, one bar per
//! value, stacked by segment to 100% of the value's customers (the segment mix of each
//! value; the legend beside), for either model.

use super::{
    err, font, group_digits, nice_max, point_label, px, tip_number, Drawn, Frame, Labels, GRID,
    INK, PALETTE,
};
use crate::engine::analysis::rfm::{Model, RfmResult, Segment};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The translated name of segment `s`.
pub fn segment_name(labels: &Labels, s: Segment) -> &str {
    &labels.rfm_segments[s as usize]
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RfmResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    if !r.breakdowns.is_empty() {
        return mix(area, r, labels, scale);
    }
    match r.model {
        Model::Quintile => heatmap(area, r, labels, scale),
        Model::EightClass => bars(area, r, labels, scale),
    }
}

fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RfmResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(56.0, scale))
        .build_cartesian_2d(0.5f64..5.5, 0.5f64..5.5)
        .map_err(err)?;
    let score = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-9 && (1.0..=5.0).contains(&i) {
            format!("{i:.0}")
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK.mix(0.4))
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&score)
        .y_label_formatter(&score)
        .x_desc(labels.rfm[1].as_str())
        .y_desc(labels.rfm[0].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let max = r.grid.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let base = PALETTE[0];
    let mut cells = Vec::new();
    let mut texts = Vec::new();
    for (ri, row) in r.grid.iter().enumerate() {
        for (fi, &c) in row.iter().enumerate() {
            let (x, y) = (fi as f64 + 1.0, ri as f64 + 1.0);
            let w = c as f64 / max;
            let mix = |b: u8| (255.0 - (255.0 - b as f64) * w).round() as u8;
            let fill = RGBColor(mix(base.0), mix(base.1), mix(base.2));
            cells.push(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                fill.filled(),
            ));
            cells.push(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                GRID.stroke_width(1),
            ));
            let color: &'static RGBColor = if w > 0.55 { &WHITE } else { &INK };
            let seg = segment_name(labels, Segment::of_scores(ri as u8 + 1, fi as u8 + 1));
            texts.push(Text::new(
                group_digits(c),
                (x - 0.4, y + 0.35),
                font(13.0, scale).color(color),
            ));
            texts.push(Text::new(
                seg.to_string(),
                (x - 0.4, y - 0.05),
                font(10.0, scale).color(color),
            ));
        }
    }
    chart.draw_series(cells).map_err(err)?;
    chart.draw_series(texts).map_err(err)?;
    // one tip per F column: the counts of its five R rows, best R first
    let tips = (0..5)
        .map(|fi| {
            let mut tip = format!("{}: {}", labels.rfm[1], fi + 1);
            for ri in (0..5).rev() {
                let seg = Segment::of_scores(ri as u8 + 1, fi as u8 + 1);
                tip.push_str(&format!(
                    "\nR {}: {} ({})",
                    ri + 1,
                    tip_number(Some(r.grid[ri][fi] as f64)),
                    segment_name(labels, seg)
                ));
            }
            tip
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 1.0, tips)))
}

fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RfmResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let n = r.segments.len();
    let names: Vec<String> = std::iter::once(String::new())
        .chain(
            r.segments
                .iter()
                .map(|s| segment_name(labels, s.segment).to_string()),
        )
        .collect();
    let max = r.segments.iter().map(|s| s.customers).max().unwrap_or(0) as f64;
    let top = nice_max(max * 1.1);
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(0.5f64..n as f64 + 0.5, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(2 * n + 1)
        .x_label_formatter(&|v| point_label(&names, *v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(labels.rfm[2].as_str())
        .label_style(font(11.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(r.segments.iter().enumerate().map(|(k, s)| {
            let x = k as f64 + 1.0;
            Rectangle::new(
                [(x - 0.38, 0.0), (x + 0.38, s.customers as f64)],
                PALETTE[k % PALETTE.len()].filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(r.segments.iter().enumerate().map(|(k, s)| {
            Text::new(
                format!("{:.1}%", s.customer_share * 100.0),
                (k as f64 + 0.72, s.customers as f64 + top * 0.035),
                font(11.0, scale),
            )
        }))
        .map_err(err)?;
    let tips = r
        .segments
        .iter()
        .map(|s| {
            format!(
                "{}\n{}: {} ({:.1}%)\n{}: {}",
                segment_name(labels, s.segment),
                labels.rfm[2],
                tip_number(Some(s.customers as f64)),
                s.customer_share * 100.0,
                labels.rfm[3],
                tip_number(Some(s.revenue)),
            )
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 1.0, tips)))
}

/// The color of the `k`-th segment: the palette, then its colors lightened.
fn segment_color(k: usize) -> RGBColor {
    let c = PALETTE[k % PALETTE.len()];
    if k < PALETTE.len() {
        return c;
    }
    let light = |b: u8| b + (255 - b) / 2;
    RGBColor(light(c.0), light(c.1), light(c.2))
}

/// One bar per breakdown value, stacked by segment (in the model's order, from the axis
/// up) to the value's customers as 100%; hover tips per value list its segments.
fn mix<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RfmResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let (w, _) = area.dim_in_pixel();
    let (plot, side) = area.split_horizontally(w.saturating_sub(px(190.0, scale)));
    let n = r.breakdowns.len();
    let names: Vec<String> = r.breakdowns.iter().map(|b| b.value.clone()).collect();
    let mut chart = ChartBuilder::on(&plot)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(56.0, scale))
        .build_cartesian_2d(-0.6f64..n as f64 - 0.4, 0f64..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(super::x_label_count(&plot, scale).min(n.max(1)))
        .x_label_formatter(&|v| point_label(&names, *v))
        .y_labels(6)
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_desc(labels.rfm[2].as_str())
        .label_style(font(11.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let mut bars = Vec::new();
    for (x, b) in r.breakdowns.iter().enumerate() {
        let mut base = 0.0;
        for (k, s) in b.segments.iter().enumerate() {
            if s.customers == 0 {
                continue;
            }
            let x = x as f64;
            bars.push(Rectangle::new(
                [(x - 0.38, base), (x + 0.38, base + s.customer_share)],
                segment_color(k).filled(),
            ));
            base += s.customer_share;
        }
    }
    chart.draw_series(bars).map_err(err)?;
    // the legend beside the plot, the model's order from the top
    let segments = r.breakdowns[0].segments.iter().map(|s| s.segment);
    let row = px(18.0, scale) as i32;
    for (k, seg) in segments.enumerate() {
        let y = px(16.0, scale) as i32 + k as i32 * row;
        let box_ = px(11.0, scale) as i32;
        side.draw(&Rectangle::new(
            [(0, y), (box_, y + box_)],
            segment_color(k).filled(),
        ))
        .map_err(err)?;
        side.draw(&Text::new(
            segment_name(labels, seg).to_string(),
            (box_ + px(6.0, scale) as i32, y - 1),
            font(12.0, scale),
        ))
        .map_err(err)?;
    }
    let tips = r
        .breakdowns
        .iter()
        .map(|b| {
            let mut tip = format!(
                "{}\n{}: {}",
                b.value,
                labels.rfm[2],
                tip_number(Some(b.customers as f64))
            );
            for s in b.segments.iter().filter(|s| s.customers > 0) {
                tip.push_str(&format!(
                    "\n{}: {} ({:.1}%)",
                    segment_name(labels, s.segment),
                    tip_number(Some(s.customers as f64)),
                    s.customer_share * 100.0
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
    use crate::engine::analysis::AnalysisResult;

    fn result(json: &str) -> RfmResult {
        match crate::chart::tests::result(json) {
            AnalysisResult::Rfm(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_grid_shows_every_count_and_segment() {
        let r = result(r#"{"analysis":"rfm"}"#);
        let s = svg(800, 500, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for c in r.grid.iter().flatten() {
            assert!(
                s.contains(&format!(">\n{}\n</text>", group_digits(*c))),
                "{c}"
            );
        }
        assert!(s.contains("Champions") && s.contains("Lost"));
        assert!(s.contains("Recency score (R)"));
        let mut tips = Vec::new();
        svg(800, 500, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            if let Ok(Some(f)) = &d {
                tips = f.tips.clone();
            }
            d
        })
        .unwrap();
        assert_eq!(tips.len(), 5);
        let want = format!("R 5: {} (Champions)", tip_number(Some(r.grid[4][4] as f64)));
        assert!(tips[4].contains(&want), "{}", tips[4]);
    }

    #[test]
    fn eight_classes_are_bars_with_shares() {
        let r = result(r#"{"analysis":"rfm","model":"eight_class"}"#);
        let s = svg(900, 400, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        assert!(s.contains("Important value"));
        let share = format!("{:.1}%", r.segments[0].customer_share * 100.0);
        assert!(s.contains(&share), "{share}");
        assert!(s.matches("<rect").count() > r.segments.len());
    }

    #[test]
    fn a_breakdown_is_a_stacked_bar_per_value_with_tips() {
        let r = result(r#"{"analysis":"rfm","breakdown":{"properties":["country"],"limit":3}}"#);
        let mut tips = Vec::new();
        let s = svg(900, 460, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            if let Ok(Some(f)) = &d {
                tips = f.tips.clone();
            }
            d
        })
        .unwrap();
        assert!(s.contains("Champions") && s.contains("Lost"));
        assert!(s.contains(&r.breakdowns[0].value));
        assert_eq!(tips.len(), r.breakdowns.len());
        assert!(tips[0].starts_with(&r.breakdowns[0].value), "{}", tips[0]);
    }
}
