//! AARRR chart: a grid of six small charts, three columns by two rows, each under its
//! block's name, headline number and change against the previous period:
//! acquisition (new users per channel, previous period as grey bars), activation (the rate
//! of both periods), retention (both periods per day N); new users per interval, paying
//! rate per interval (revenue, with ARPU and ARPPU in the headline) and referral rate per
//! interval. Hovering a column shows the numbers of its two blocks.

use super::{err, font, point_label, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE};
use crate::engine::analysis::aarrr::{AarrrResult, Block, Metric};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most channels drawn (the table lists all).
pub const MAX_CHANNELS: usize = 8;

/// Colour of the previous period's bars.
const PREVIOUS: RGBColor = RGBColor(190, 195, 202);

/// True for metrics that are rates (shown as percentages).
fn is_rate(key: &str) -> bool {
    key.ends_with("_rate") || key.ends_with("_retention")
}

/// A metric's value as shown: rates in percent, others as tip numbers.
fn shown(key: &str, v: Option<f64>) -> String {
    match v {
        Some(x) if is_rate(key) => format!("{:.1}%", x * 100.0),
        _ => tip_number(v),
    }
}

/// The change as shown: relative change in percent, with an arrow (`–` when none).
fn change_text(m: &Metric) -> String {
    match m.relative_change {
        Some(x) if x > 0.0 => format!("▲ {:.1}%", x * 100.0),
        Some(x) if x < 0.0 => format!("▼ {:.1}%", -x * 100.0),
        Some(_) => "0.0%".into(),
        None => "–".into(),
    }
}

/// The metric `key` of `r`, if present.
fn metric<'a>(r: &'a AarrrResult, key: &str) -> Option<&'a Metric> {
    r.metrics.iter().find(|m| m.key == key)
}

/// A metric's line of a hover tip: `name: current (previous: p, change)`.
fn tip_line(name: &str, m: &Metric, labels: &Labels) -> String {
    format!(
        "{name}: {} ({}: {}, {})",
        shown(&m.key, m.current),
        labels.aarrr[8],
        shown(&m.key, m.previous),
        change_text(m)
    )
}

/// Draws the cell's title, headline and change; returns the area left for its chart.
fn header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    headline: Option<(&str, &Metric)>,
    labels: &Labels,
    scale: f64,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (head, body) = area.split_vertically(px(54.0, scale));
    head.draw(&Text::new(
        title.to_string(),
        (px(8.0, scale) as i32, px(4.0, scale) as i32),
        font(13.0, scale),
    ))
    .map_err(err)?;
    let (big, small) = match headline {
        Some((name, m)) => (
            shown(&m.key, m.current),
            format!("{name} · {} {}", change_text(m), labels.aarrr[6]),
        ),
        None => ("–".into(), labels.aarrr[5].clone()),
    };
    head.draw(&Text::new(
        big,
        (px(8.0, scale) as i32, px(20.0, scale) as i32),
        ("sans-serif", 18.0 * scale).into_font().color(&INK),
    ))
    .map_err(err)?;
    head.draw(&Text::new(
        small,
        (px(8.0, scale) as i32, px(40.0, scale) as i32),
        font(11.0, scale),
    ))
    .map_err(err)?;
    Ok(body)
}

/// One small chart's axes over `n` slots and values up to `max` (a rate axis tops at most
/// at 100%), with its grid and labels drawn.
fn small_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    n: usize,
    max: f64,
    rate: bool,
    x_labels: usize,
    x_label: &dyn Fn(&f64) -> String,
    scale: f64,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let top = match (rate, max > 0.0) {
        (true, true) => (max * 1.15).min(1.0),
        (true, false) => 1.0,
        (false, _) => super::nice_max(max),
    };
    let mut chart = ChartBuilder::on(area)
        .margin(px(6.0, scale))
        .x_label_area_size(px(22.0, scale))
        .y_label_area_size(px(44.0, scale))
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(x_labels)
        .y_labels(4)
        .x_label_formatter(x_label)
        .y_label_formatter(&|v| {
            if rate {
                format!("{:.0}%", v * 100.0)
            } else {
                tip_number(Some(v.round()))
            }
        })
        .label_style(font(10.0, scale))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Grouped bars: per name, the previous (grey) and current value.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    current: &[Option<f64>],
    previous: &[Option<f64>],
    rate: bool,
    scale: f64,
) -> Result<(), String> {
    let max = current
        .iter()
        .chain(previous)
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let n = names.len().max(1);
    let mut chart = small_chart(
        area,
        n,
        max,
        rate,
        n * 2 + 1,
        &|v| point_label(names, *v),
        scale,
    )?;
    for (k, (values, color)) in [(previous, PREVIOUS), (current, PALETTE[0])]
        .into_iter()
        .enumerate()
    {
        chart
            .draw_series(values.iter().enumerate().filter_map(|(i, v)| {
                let x = i as f64 - 0.4 + k as f64 * 0.4;
                v.map(|y| Rectangle::new([(x, 0.0), (x + 0.36, y)], color.filled()))
            }))
            .map_err(err)?;
    }
    Ok(())
}

/// A line over the current period's intervals.
fn line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    xs: &[String],
    values: &[Option<f64>],
    rate: bool,
    color: RGBColor,
    scale: f64,
) -> Result<(), String> {
    let max = values.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let n = xs.len().max(1);
    let mut chart = small_chart(
        area,
        n,
        max,
        rate,
        3,
        &|v| point_label(xs, v.round()),
        scale,
    )?;
    // a gap (no value) breaks the line
    let mut run = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(y) => run.push((i as f64, *y)),
            None => {
                chart
                    .draw_series(LineSeries::new(run.drain(..), color.stroke_width(2)))
                    .map_err(err)?;
            }
        }
    }
    chart
        .draw_series(LineSeries::new(run, color.stroke_width(2)))
        .map_err(err)?;
    Ok(())
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &AarrrResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let cells = area.split_evenly((2, 3));
    let words = &labels.aarrr;
    let block = |b: Block| words[b as usize].as_str();
    let xs: Vec<String> = r.points.iter().map(|p| p.label.clone()).collect();
    let mut tips = vec![String::new(); 3];

    // acquisition: new users per channel
    let new = metric(r, "new_users");
    let channels = &r.channels[..r.channels.len().min(MAX_CHANNELS)];
    let body = header(
        &cells[0],
        block(Block::Acquisition),
        new.map(|m| (labels.channels[1].as_str(), m)),
        labels,
        scale,
    )?;
    let names: Vec<String> = channels.iter().map(|c| c.channel.clone()).collect();
    let cur: Vec<Option<f64>> = channels.iter().map(|c| Some(c.current as f64)).collect();
    let prev: Vec<Option<f64>> = channels.iter().map(|c| Some(c.previous as f64)).collect();
    bars(&body, &names, &cur, &prev, false, scale)?;
    if let Some(m) = new {
        tips[0] = format!(
            "{}\n{}",
            block(Block::Acquisition),
            tip_line(&labels.channels[1], m, labels)
        );
        for c in channels {
            tips[0].push_str(&format!(
                "\n{}: {} ({}: {})",
                c.channel,
                tip_number(Some(c.current as f64)),
                words[8],
                tip_number(Some(c.previous as f64))
            ));
        }
    }

    // activation: the rate of both periods
    let act = metric(r, "activation_rate");
    let body = header(
        &cells[1],
        block(Block::Activation),
        act.map(|m| (labels.channels[2].as_str(), m)),
        labels,
        scale,
    )?;
    if let Some(m) = act {
        bars(
            &body,
            &[labels.channels[2].clone()],
            &[m.current],
            &[m.previous],
            true,
            scale,
        )?;
        tips[1] = format!(
            "{}\n{}",
            block(Block::Activation),
            tip_line(&labels.channels[2], m, labels)
        );
    } else {
        tips[1] = format!("{}: {}", block(Block::Activation), words[5]);
    }

    // retention: both periods per day
    let ret: Vec<&Metric> = r
        .metrics
        .iter()
        .filter(|m| m.block == Block::Retention)
        .collect();
    let day_names: Vec<String> = r
        .retention_days
        .iter()
        .map(|&n| labels.retention_day(n))
        .collect();
    let body = header(
        &cells[2],
        block(Block::Retention),
        ret.first().map(|m| (day_names[0].as_str(), *m)),
        labels,
        scale,
    )?;
    bars(
        &body,
        &r.retention_days
            .iter()
            .map(|n| format!("D{n}"))
            .collect::<Vec<_>>(),
        &ret.iter().map(|m| m.current).collect::<Vec<_>>(),
        &ret.iter().map(|m| m.previous).collect::<Vec<_>>(),
        true,
        scale,
    )?;
    tips[2] = block(Block::Retention).to_string();
    for (name, m) in day_names.iter().zip(&ret) {
        tips[2].push_str(&format!("\n{}", tip_line(name, m, labels)));
    }

    // new users per interval
    let title = format!("{} · {}", block(Block::Acquisition), words[10]);
    let body = header(
        &cells[3],
        &title,
        new.map(|m| (labels.channels[1].as_str(), m)),
        labels,
        scale,
    )?;
    let values: Vec<Option<f64>> = r.points.iter().map(|p| Some(p.new_users as f64)).collect();
    line(&body, &xs, &values, false, PALETTE[0], scale)?;

    // revenue: paying rate per interval
    let paying = metric(r, "paying_rate");
    let body = header(
        &cells[4],
        block(Block::Revenue),
        paying.map(|m| (labels.revenue[4].as_str(), m)),
        labels,
        scale,
    )?;
    let values: Vec<Option<f64>> = r.points.iter().map(|p| p.paying_rate).collect();
    line(&body, &xs, &values, true, PALETTE[1], scale)?;
    tips[1].push_str(&format!("\n\n{}", block(Block::Revenue)));
    for (key, name) in [
        ("paying_rate", &labels.revenue[4]),
        ("arpu", &labels.revenue[1]),
        ("arppu", &labels.revenue[2]),
    ] {
        if let Some(m) = metric(r, key) {
            tips[1].push_str(&format!("\n{}", tip_line(name, m, labels)));
        }
    }

    // referral: referral rate per interval
    let refer = metric(r, "referral_rate");
    let body = header(
        &cells[5],
        block(Block::Referral),
        refer.map(|m| (words[9].as_str(), m)),
        labels,
        scale,
    )?;
    tips[2].push_str(&format!("\n\n{}", block(Block::Referral)));
    match refer {
        Some(m) => {
            let values: Vec<Option<f64>> = r.points.iter().map(|p| p.referral_rate).collect();
            line(&body, &xs, &values, true, PALETTE[4], scale)?;
            tips[2].push_str(&format!("\n{}", tip_line(&words[9], m, labels)));
        }
        None => tips[2].push_str(&format!(": {}", words[5])),
    }

    // the new users line sits under acquisition: its column's tip already holds them
    let (w, h) = area.dim_in_pixel();
    Ok(Some(Frame {
        area: (0.0, w as f64 / scale, 0.0, h as f64 / scale),
        x: (-0.5, 2.5),
        first: 0.0,
        tips,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::AnalysisResult;

    #[test]
    fn six_cells_with_headlines_and_a_tip_per_column() {
        let AnalysisResult::Aarrr(r) = crate::chart::tests::result(
            r#"{"analysis":"aarrr","activation":["signup"],"referral_event":"share_item","date_range":{"from":"2025-10-15","to":"2025-10-28"}}"#,
        ) else {
            panic!()
        };
        let mut drawn = None;
        let s = svg(900, 500, |a| {
            drawn = Some(draw(a, &r, &Labels::english(), 1.0));
            Ok::<(), String>(())
        })
        .unwrap();
        for name in [
            "Acquisition",
            "Activation",
            "Retention",
            "Revenue",
            "Referral",
        ] {
            assert!(s.contains(name), "{name}");
        }
        assert!(s.contains("vs previous period"));
        assert!(!s.contains("not configured"));
        let frame = drawn.unwrap().unwrap().unwrap();
        assert_eq!(frame.tips.len(), 3);
        assert!(frame.tips[0].contains("New users"), "{}", frame.tips[0]);
        assert!(frame.tips[2].contains("Referral rate"), "{}", frame.tips[2]);
    }
}
