//! Active-users chart: DAU, WAU and MAU lines on top, the DAU/MAU and DAU/WAU ratios in a
//! smaller chart below on the same days, and beside them the frequency bars (users by
//! active days per week or month, summed over the periods). Points whose rolling window begins before the
//! data are drawn dashed (the segments up to the last such point), the rest solid.

use super::{
    count_label,    point_label, err, font, group_digits, legend, nice_max, px, tip_number, x_label_count, ChartResult, Drawn, Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::active_users::{ActiveUsersResult, Frequency};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One line: values per day (absent values break nothing: they are skipped) and the
/// index of its last partial point, if any.
struct Line<'a> {
    name: &'a str,
    values: Vec<Option<f64>>,
    partial_until: Option<usize>,
    color: RGBColor,
}

fn last_partial(flags: &[bool]) -> Option<usize> {
    flags.iter().rposition(|&p| p)
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &ActiveUsersResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let h = area.dim_in_pixel().1;
    let (top_area, bottom) = area.split_vertically((h as f64 * 0.66) as u32);
    let w = bottom.dim_in_pixel().0;
    let (bottom_area, freq_area) = bottom.split_horizontally((w as f64 * 0.62) as u32);
    frequency(&freq_area, r, labels, scale)?;
    let count = |v: &[u64]| v.iter().map(|&x| Some(x as f64)).collect::<Vec<_>>();
    let [dau, wau, mau, dau_mau, dau_wau] = &labels.active;
    let counts = [
        Line {
            name: dau,
            values: count(&r.dau),
            partial_until: None,
            color: PALETTE[0],
        },
        Line {
            name: wau,
            values: count(&r.wau),
            partial_until: last_partial(&r.wau_partial),
            color: PALETTE[1],
        },
        Line {
            name: mau,
            values: count(&r.mau),
            partial_until: last_partial(&r.mau_partial),
            color: PALETTE[2],
        },
    ];
    let ratios = [
        Line {
            name: dau_mau,
            values: r.dau_mau.clone(),
            partial_until: last_partial(&r.mau_partial),
            color: PALETTE[3],
        },
        Line {
            name: dau_wau,
            values: r.dau_wau.clone(),
            partial_until: last_partial(&r.wau_partial),
            color: PALETTE[6],
        },
    ];
    let max = r
        .mau
        .iter()
        .chain(&r.wau)
        .chain(&r.dau)
        .copied()
        .max()
        .unwrap_or(0) as f64;
    let frame = panel(
        &top_area,
        r,
        &counts,
        nice_max(max * 1.05),
        labels.users.as_str(),
        false,
        scale,
    )?;
    let rmax = ratios
        .iter()
        .flat_map(|l| l.values.iter().flatten().copied())
        .fold(0.0, f64::max);
    let rtop = (rmax * 1.1).clamp(0.05, 1.0);
    panel(
        &bottom_area,
        r,
        &ratios,
        rtop,
        labels.ratio.as_str(),
        true,
        scale,
    )?;
    if counts
        .iter()
        .chain(&ratios)
        .any(|l| l.partial_until.is_some())
    {
        top_area
            .draw(&Text::new(
                labels.partial.clone(),
                (
                    area.dim_in_pixel().0 as i32 - px(16.0, scale) as i32,
                    px(2.0, scale) as i32,
                ),
                font(11.0, scale).pos(Pos::new(HPos::Right, VPos::Top)),
            ))
            .map_err(err)?;
    }
    let star = |p: bool| if p { "*" } else { "" };
    let tips = (0..r.days.len())
        .map(|d| {
            let n = |v: u64| tip_number(Some(v as f64));
            let pct = |v: Option<f64>| v.map_or("–".into(), |x| format!("{:.1}%", x * 100.0));
            format!(
                "{}\n{dau}: {}\n{wau}: {}{}\n{mau}: {}{}\n{dau_mau}: {}{}\n{dau_wau}: {}{}",
                r.days[d],
                n(r.dau[d]),
                n(r.wau[d]),
                star(r.wau_partial[d]),
                n(r.mau[d]),
                star(r.mau_partial[d]),
                pct(r.dau_mau[d]),
                star(r.mau_partial[d]),
                pct(r.dau_wau[d]),
                star(r.wau_partial[d]),
            )
        })
        .collect();
    Ok(Some(Frame { tips, ..frame }))
}

/// Bars of `frequency_total`: users by number of active days in a week or month.
fn frequency<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &ActiveUsersResult,
    labels: &Labels,
    scale: f64,
) -> ChartResult {
    let n = r.frequency_total.len();
    let max = r.frequency_total.iter().copied().max().unwrap_or(0) as f64;
    let title = match r.frequency {
        Frequency::Week => &labels.frequency[0],
        Frequency::Month => &labels.frequency[1],
    };
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(32.0, scale))
        .y_label_area_size(px(56.0, scale))
        .build_cartesian_2d(0.5f64..n as f64 + 0.5, 0f64..nice_max(max * 1.05))
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n.min(16))
        .y_labels(4)
        .x_label_formatter(&|v| count_label(*v))
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .x_desc(title.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(12.0, scale))
        .draw()
        .map_err(err)?;
    let fill = PALETTE[0].mix(0.85).filled();
    chart
        .draw_series(r.frequency_total.iter().enumerate().map(|(k, &u)| {
            let x = k as f64 + 1.0;
            Rectangle::new([(x - 0.4, 0.0), (x + 0.4, u as f64)], fill)
        }))
        .map_err(err)?;
    Ok(())
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &ActiveUsersResult,
    lines: &[Line],
    top: f64,
    y_desc: &str,
    percent: bool,
    scale: f64,
) -> Result<Frame, String> {
    let nd = r.days.len();
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(if percent { 32.0 } else { 24.0 }, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(0f64..(nd.max(2) - 1) as f64, 0f64..top)
        .map_err(err)?;
    let days = &r.days;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(if percent { x_label_count(area, scale) } else { 0 })
        .y_labels(if percent { 4 } else { 8 })
        .x_label_formatter(&|v| point_label(days, *v))
        .y_label_formatter(&|v| {
            if percent {
                format!("{:.0}%", v * 100.0)
            } else {
                group_digits(v.round() as u64)
            }
        })
        .y_desc(y_desc)
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let stroke = px(2.0, scale);
    for l in lines {
        let color = l.color;
        let points = |range: std::ops::Range<usize>| -> Vec<(f64, f64)> {
            range
                .filter_map(|d| l.values[d].map(|v| (d as f64, v)))
                .collect()
        };
        // solid from the last partial point on, dashed before it
        let solid_from = l.partial_until.unwrap_or(0);
        chart
            .draw_series(LineSeries::new(
                points(solid_from..nd),
                color.stroke_width(stroke),
            ))
            .map_err(err)?
            .label(l.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(stroke))
            });
        if let Some(p) = l.partial_until {
            chart
                .draw_series(DashedLineSeries::new(
                    points(0..(p + 1).min(nd)),
                    px(5.0, scale),
                    px(4.0, scale),
                    color.mix(0.7).stroke_width(stroke),
                ))
                .map_err(err)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)?;
    Ok(Frame::of(&chart, scale, 0.0, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::{self, AnalysisResult, Query};
    use crate::engine::sample::{dataset, SampleOptions};

    #[test]
    fn counts_and_ratios_with_partial_windows_dashed() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"active_users"}"#).unwrap();
        let AnalysisResult::ActiveUsers(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert!(r.mau_partial[0] && !r.mau_partial[r.days.len() - 1]);
        let s = svg(900, 460, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for name in [
            "DAU",
            "WAU",
            "MAU",
            "DAU/MAU",
            "DAU/WAU",
            "Ratio",
            "Users by active days per week",
        ] {
            assert!(s.contains(name), "{name}");
        }
        assert!(s.contains("dashed: window begins before the data"));
        // one frequency bar per number of days (7), beside the lines
        assert_eq!(r.frequency_total.len(), 7);
        assert!(s.matches("<rect").count() >= 7);
        let dashed = s.matches("<polyline").count();
        // without partial windows (a range starting 30 days into the data): no dashes
        let q =
            Query::from_json(r#"{"analysis":"active_users","date_range":"last_30_days"}"#).unwrap();
        let AnalysisResult::ActiveUsers(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        assert!(!r.mau_partial.iter().any(|&p| p));
        let s = svg(900, 460, |a| draw(a, &r, &Labels::english(), 1.0)).unwrap();
        assert!(!s.contains("dashed: window"));
        // the dashes of four lines over 29 (MAU) and 6 (WAU) days are many short segments
        let solid = s.matches("<polyline").count();
        assert!(dashed > solid + 20, "{dashed} vs {solid}");
    }
}
