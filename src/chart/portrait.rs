//! Portrait chart: the categories of every property side by side (one colour per property,
//! a gap between properties), each a bar of its share of the users; with a breakdown each
//! bar is stacked by the breakdown's categories, with a legend. Hovering a bar shows its
//! users and share (and the breakdown's users).

use super::{err, font, legend, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE};
use crate::engine::analysis::portrait::PortraitResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most bars drawn (the table lists all).
pub const MAX_BARS: usize = 60;

/// One x slot: a category (property index, category index) or the gap after a property.
#[derive(Clone, Copy)]
enum Slot {
    Bar(usize, usize),
    Gap,
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &PortraitResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let mut slots = Vec::new();
    for (p, c) in r.properties.iter().enumerate() {
        if !slots.is_empty() {
            slots.push(Slot::Gap);
        }
        for k in 0..c.categories.len() {
            if slots.len() < MAX_BARS {
                slots.push(Slot::Bar(p, k));
            }
        }
    }
    let n = slots.len().max(1);
    let share = |users: u64| {
        if r.total == 0 {
            0.0
        } else {
            users as f64 / r.total as f64
        }
    };
    let max = slots
        .iter()
        .map(|s| match *s {
            Slot::Bar(p, k) => share(r.properties[p].categories[k].users),
            Slot::Gap => 0.0,
        })
        .fold(0.0f64, f64::max);
    let top = if max <= 0.0 {
        1.0
    } else {
        (max * 1.15).min(1.0)
    };
    let names: Vec<String> = slots
        .iter()
        .map(|s| match *s {
            Slot::Bar(p, k) => r.properties[p].categories[k].label.clone(),
            Slot::Gap => String::new(),
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|v| super::point_label(&names, *v))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_desc(labels.portrait[0].as_str())
        .label_style(font(11.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stacked = r.breakdown.is_some();
    if stacked {
        for (b, name) in r.breakdown_labels.iter().enumerate() {
            let color = PALETTE[b % PALETTE.len()];
            chart
                .draw_series(slots.iter().enumerate().filter_map(|(x, s)| {
                    let Slot::Bar(p, k) = *s else { return None };
                    let c = &r.properties[p].categories[k];
                    let below: u64 = c.by[..b].iter().sum();
                    let (y0, y1) = (share(below), share(below + c.by[b]));
                    let x = x as f64;
                    Some(Rectangle::new(
                        [(x - 0.38, y0), (x + 0.38, y1)],
                        color.filled(),
                    ))
                }))
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    } else {
        chart
            .draw_series(slots.iter().enumerate().filter_map(|(x, s)| {
                let Slot::Bar(p, k) = *s else { return None };
                let color = PALETTE[p % PALETTE.len()];
                let y = share(r.properties[p].categories[k].users);
                let x = x as f64;
                Some(Rectangle::new(
                    [(x - 0.38, 0.0), (x + 0.38, y)],
                    color.filled(),
                ))
            }))
            .map_err(err)?;
        if n <= 30 {
            chart
                .draw_series(slots.iter().enumerate().filter_map(|(x, s)| {
                    let Slot::Bar(p, k) = *s else { return None };
                    let y = share(r.properties[p].categories[k].users);
                    Some(Text::new(
                        format!("{:.1}%", y * 100.0),
                        (x as f64 - 0.3, y + top * 0.035),
                        font(10.0, scale),
                    ))
                }))
                .map_err(err)?;
        }
    }
    let tips = slots
        .iter()
        .enumerate()
        .map(|(x, s)| match *s {
            Slot::Bar(p, k) => {
                let prop = &r.properties[p];
                let c = &prop.categories[k];
                let mut tip = format!(
                    "{}: {}\n{}: {}\n{}: {:.1}%",
                    prop.property,
                    c.label,
                    labels.users,
                    tip_number(Some(c.users as f64)),
                    labels.portrait[1],
                    share(c.users) * 100.0
                );
                for (name, v) in r.breakdown_labels.iter().zip(&c.by) {
                    tip.push_str(&format!("\n{name}: {}", tip_number(Some(*v as f64))));
                }
                tip
            }
            // the gap names the property that follows
            Slot::Gap => match slots.get(x + 1) {
                Some(Slot::Bar(p, _)) => r.properties[*p].property.clone(),
                _ => String::new(),
            },
        })
        .collect();
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::AnalysisResult;

    fn result(json: &str) -> PortraitResult {
        match crate::chart::tests::result(json) {
            AnalysisResult::Portrait(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bars_per_category_of_every_property_with_tips() {
        let r = result(
            r#"{"analysis":"portrait","properties":[{"property":"platform"},{"property":"country"}]}"#,
        );
        let mut drawn = None;
        let s = svg(900, 400, |a| {
            drawn = Some(draw(a, &r, &Labels::english(), 1.0));
            Ok::<(), String>(())
        })
        .unwrap();
        let first = &r.properties[0].categories[0];
        assert!(s.contains(&first.label), "{}", first.label);
        let frame = drawn.unwrap().unwrap().unwrap();
        let bars: usize = r.properties.iter().map(|p| p.categories.len()).sum();
        // one tip per bar and one per gap between the two properties
        assert_eq!(frame.tips.len(), bars + 1);
        assert!(frame.tips[0].starts_with("platform: "), "{}", frame.tips[0]);
        assert_eq!(frame.tips[r.properties[0].categories.len()], "country");
    }

    #[test]
    fn a_cross_tab_stacks_the_breakdown_with_a_legend() {
        let r = result(
            r#"{"analysis":"portrait","properties":[{"property":"country"}],"breakdown":{"property":"platform"}}"#,
        );
        let s = svg(900, 400, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for l in &r.breakdown_labels {
            assert!(s.contains(l.as_str()), "{l}");
        }
    }
}
