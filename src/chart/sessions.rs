//! Sessions chart. View `pages`: one pair of bars per listed page (page views and
//! viewers), most viewed first, with every number of the page in its hover tip. View
//! `over_time`: page views, visitors and sessions as lines on top and the bounce rate in a
//! smaller chart below on the same intervals (its axis up to a little above the highest
//! rate); the tips of incomplete intervals say so. With a breakdown (either view), one
//! pair of bars per breakdown value instead (page views and visitors of its sessions),
//! with the value's totals in its tip.

use super::{
    err, font, group_digits, legend, nice_max, point_label, px, tip_number, x_label_count, Drawn,
    Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::sessions::{SessionsResult, SessionsView};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &SessionsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    if !r.breakdowns.is_empty() {
        return values(area, r, labels, scale);
    }
    match r.view {
        SessionsView::Pages => pages(area, r, labels, scale),
        SessionsView::OverTime => over_time(area, r, labels, scale),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{:.1}%", x * 100.0))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| {
        format!("{} s", tip_number(Some((x * 10.0).round() / 10.0)))
    })
}

fn n(v: u64) -> String {
    tip_number(Some(v as f64))
}

/// Bars of page views and visitors per breakdown value.
fn values<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &SessionsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let w = &labels.web;
    let names: Vec<String> = r.breakdowns.iter().map(|b| b.value.clone()).collect();
    let tips = r
        .breakdowns
        .iter()
        .map(|b| {
            let t = &b.totals;
            format!(
                "{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
                b.value,
                w[0],
                n(t.page_views),
                w[1],
                n(t.users),
                w[2],
                n(t.sessions),
                w[3],
                tip_number(t.pages_per_session),
                w[4],
                pct(t.bounce_rate),
                w[5],
                secs(t.average_session_seconds),
                w[10],
                secs(t.average_time_on_page_seconds),
            )
        })
        .collect();
    let views = r.breakdowns.iter().map(|b| b.totals.page_views).collect();
    let users = r.breakdowns.iter().map(|b| b.totals.users).collect();
    bars(area, &names, [(&w[0], views), (&w[1], users)], tips, labels, scale)
}

/// Bars of views and viewers per page.
fn pages<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &SessionsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let names: Vec<String> = r.pages.iter().map(|p| p.page.clone()).collect();
    let w = &labels.web;
    let tips = r
        .pages
        .iter()
        .map(|p| {
            format!(
                "{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
                p.page,
                w[0],
                n(p.views),
                w[6],
                n(p.viewers),
                w[7],
                n(p.entries),
                w[8],
                n(p.exits),
                w[4],
                pct(p.bounce_rate),
                w[9],
                pct(p.exit_rate),
                w[10],
                secs(p.average_time_on_page_seconds),
            )
        })
        .collect();
    let views = r.pages.iter().map(|p| p.views).collect();
    let viewers = r.pages.iter().map(|p| p.viewers).collect();
    bars(area, &names, [(&w[0], views), (&w[6], viewers)], tips, labels, scale)
}

/// A pair of bars per name (the first series the larger: its axis), with a tip each.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    series: [(&String, Vec<u64>); 2],
    tips: Vec<String>,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let np = names.len();
    let max = series[0].1.iter().copied().max().unwrap_or(0) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(36.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.6f64..np.max(1) as f64 - 0.4, 0f64..nice_max(max * 1.05))
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(area, scale).min(np.max(1)))
        .x_label_formatter(&|v| point_label(names, *v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(labels.web[0].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let [(first, a), (second, b)] = series;
    let bars = [(first, a, PALETTE[0], -0.38), (second, b, PALETTE[1], 0.0)];
    for (name, values, color, left) in bars {
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, &v)| v > 0)
                    .map(|(k, &v)| {
                        let x = k as f64 + left;
                        Rectangle::new([(x, 0.0), (x + 0.36, v as f64)], color.filled())
                    }),
            )
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

/// Lines of page views, visitors and sessions, and the bounce rate below.
fn over_time<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &SessionsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let o = &r.over_time;
    let nb = o.buckets.len();
    let h = area.dim_in_pixel().1;
    let (top_area, bottom_area) = area.split_vertically((h as f64 * 0.68) as u32);
    let x_range = || -0.3f64..(nb.max(1) as f64 - 0.7);
    let max = o
        .page_views
        .iter()
        .chain(&o.users)
        .chain(&o.sessions)
        .copied()
        .max()
        .unwrap_or(0) as f64;
    let buckets = &o.buckets;
    let mut top = ChartBuilder::on(&top_area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(8.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(x_range(), 0f64..nice_max(max * 1.05))
        .map_err(err)?;
    top.configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(0)
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .y_desc(labels.web[0].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    let lines: [(&str, &Vec<u64>, RGBColor); 3] = [
        (labels.web[0].as_str(), &o.page_views, PALETTE[0]),
        (labels.web[1].as_str(), &o.users, PALETTE[1]),
        (labels.web[2].as_str(), &o.sessions, PALETTE[4]),
    ];
    for (name, values, color) in lines {
        let points = values
            .iter()
            .enumerate()
            .map(|(b, &v)| (b as f64, v as f64));
        top.draw_series(LineSeries::new(points, color.stroke_width(stroke)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(stroke))
            });
    }
    legend(&mut top, SeriesLabelPosition::UpperLeft, scale)?;
    let frame = Frame::of(&top, scale, 0.0, Vec::new());
    // the rate axis reaches a little above the highest rate, so small rates stay readable
    let rate_max = o.bounce_rate.iter().flatten().copied().fold(0.0, f64::max);
    let rate_top = (rate_max * 1.2).clamp(0.05, 1.0);
    let mut bottom = ChartBuilder::on(&bottom_area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(32.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(x_range(), 0f64..rate_top)
        .map_err(err)?;
    bottom
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_label_count(&bottom_area, scale).min(nb.max(1)))
        .y_labels(3)
        .x_label_formatter(&|v| point_label(buckets, *v))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_desc(labels.web[4].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let color = PALETTE[2];
    bottom
        .draw_series(LineSeries::new(
            (0..nb).filter_map(|b| o.bounce_rate[b].map(|v| (b as f64, v))),
            color.stroke_width(stroke),
        ))
        .map_err(err)?;
    let w = &labels.web;
    let tips = (0..nb)
        .map(|b| {
            let star = if o.incomplete[b] {
                format!(" ({})", labels.incomplete)
            } else {
                String::new()
            };
            format!(
                "{}{star}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
                o.buckets[b],
                w[0],
                n(o.page_views[b]),
                w[1],
                n(o.users[b]),
                w[2],
                n(o.sessions[b]),
                w[3],
                tip_number(o.pages_per_session[b].map(|x| (x * 100.0).round() / 100.0)),
                w[4],
                pct(o.bounce_rate[b]),
                w[5],
                secs(o.average_session_seconds[b]),
            )
        })
        .collect();
    Ok(Some(Frame { tips, ..frame }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::AnalysisResult;

    fn result(json: &str) -> SessionsResult {
        match crate::chart::tests::result(json) {
            AnalysisResult::Sessions(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pages_draw_two_bars_per_page_with_tips() {
        let r = result(r#"{"analysis":"sessions","limit":5}"#);
        assert_eq!(r.pages.len(), 5);
        let mut frame = None;
        let s = svg(900, 400, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        for name in ["Page views", "Viewers"] {
            assert!(s.contains(name), "{name}");
        }
        // 5 pages × 2 bars, 2 legend swatches, the frame
        assert!(
            s.matches("<rect").count() >= 12,
            "{}",
            s.matches("<rect").count()
        );
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), 5);
        assert!(f.tips[0].starts_with(&r.pages[0].page));
        assert!(f.tips[0].contains(&format!("Page views: {}", n(r.pages[0].views))));
        assert_eq!(f.index_at(f.x_of(3)), Some(3));
    }

    #[test]
    fn over_time_draws_three_lines_and_the_bounce_rate() {
        let r = result(r#"{"analysis":"sessions","view":"over_time","interval":"week"}"#);
        let mut frame = None;
        let s = svg(900, 460, |a| {
            let d = draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        for name in ["Page views", "Visitors", "Sessions", "Bounce rate"] {
            assert!(s.contains(name), "{name}");
        }
        assert!(s.matches("<polyline").count() >= 4);
        let f = frame.expect("tips");
        assert_eq!(f.tips.len(), r.over_time.buckets.len());
        let last = f.tips.len() - 1;
        assert_eq!(
            f.tips[last].contains("incomplete"),
            r.over_time.incomplete[last]
        );
    }

    #[test]
    fn a_breakdown_draws_two_bars_per_value_in_either_view() {
        for view in ["pages", "over_time"] {
            let r = result(&format!(
                r#"{{"analysis":"sessions","view":"{view}","breakdown":{{"properties":["platform"],"limit":2}}}}"#
            ));
            assert_eq!(r.breakdowns.len(), 3);
            let mut frame = None;
            let s = svg(900, 400, |a| {
                let d = draw(a, &r, &Labels::english(), 1.0);
                frame = d.clone().ok().flatten();
                d
            })
            .unwrap();
            for c in [PALETTE[0], PALETTE[1]] {
                let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
                let bars = s
                    .lines()
                    .filter(|l| l.contains("<rect") && l.contains(&hex))
                    .count();
                assert_eq!(bars, r.breakdowns.len() + 1, "{view} {hex}: bars and a swatch");
            }
            let f = frame.expect("tips");
            assert_eq!(f.tips.len(), 3);
            let b = &r.breakdowns[2];
            assert!(f.tips[2].starts_with(&format!("{}\nPage views: {}", b.value, n(b.totals.page_views))));
            assert!(f.tips[2].contains(&format!("Sessions: {}", n(b.totals.sessions))));
        }
    }
}
