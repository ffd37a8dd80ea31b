//! Channels chart: per channel (x), grouped bars of its rates (activation, each retention
//! day, paying rate), with a legend; hovering a channel shows all its measures.

use super::{
    err, font, legend, point_label, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::channels::{ChannelRow, ChannelsResult};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most channels drawn (the table lists all).
pub const MAX_CHANNELS: usize = 12;

/// The rates of a row, in the chart's series order.
fn rates(r: &ChannelsResult, row: &ChannelRow) -> Vec<Option<f64>> {
    let mut v = Vec::new();
    if !r.activation.is_empty() {
        v.push(row.activation.as_ref().and_then(|a| a.rate));
    }
    v.extend(row.retention.iter().map(|w| w.rate));
    v.push(row.paying_rate);
    v
}

/// The names of the series.
fn names(r: &ChannelsResult, labels: &Labels) -> Vec<String> {
    let mut v = Vec::new();
    if !r.activation.is_empty() {
        v.push(labels.channels[2].clone());
    }
    v.extend(r.retention_days.iter().map(|&n| labels.retention_day(n)));
    v.push(labels.channels[3].clone());
    v
}

/// A rate as a percentage (`–` for none).
fn percent(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &ChannelsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let rows = &r.rows[..r.rows.len().min(MAX_CHANNELS)];
    let n = rows.len();
    let series = names(r, labels);
    let ns = series.len();
    let values: Vec<Vec<Option<f64>>> = rows.iter().map(|row| rates(r, row)).collect();
    let max = values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let top = if max <= 0.0 {
        1.0
    } else {
        (max * 1.15).min(1.0)
    };
    let names_x: Vec<String> = rows.iter().map(|row| row.channel.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(px(12.0, scale))
        .x_label_area_size(px(40.0, scale))
        .y_label_area_size(px(64.0, scale))
        .build_cartesian_2d(-0.5f64..n.max(1) as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.4))
        .x_labels(n.max(1) * 2 + 1)
        .x_label_formatter(&|v| point_label(&names_x, *v))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .x_desc(r.channel.as_str())
        .y_desc(labels.channels[0].as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    let width = 0.8 / ns as f64;
    for (s, name) in series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        chart
            .draw_series(values.iter().enumerate().filter_map(|(k, v)| {
                let x = k as f64 - 0.4 + s as f64 * width;
                v[s].map(|y| Rectangle::new([(x, 0.0), (x + width * 0.9, y)], color.filled()))
            }))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    let tips = rows
        .iter()
        .zip(&values)
        .map(|(row, v)| {
            let mut tip = format!(
                "{}\n{}: {}",
                row.channel,
                labels.channels[1],
                tip_number(Some(row.new_users as f64))
            );
            for (name, x) in series.iter().zip(v) {
                tip.push_str(&format!("\n{name}: {}", percent(*x)));
            }
            tip.push_str(&format!(
                "\n{}: {}\n{} {}: {}",
                labels.channels[4],
                tip_number(row.arpu),
                labels.channels[5],
                r.ltv_days,
                tip_number(row.ltv.ltv)
            ));
            tip
        })
        .collect();
    if n > 0 {
        legend(&mut chart, SeriesLabelPosition::UpperRight, scale)?;
    }
    Ok(Some(Frame::of(&chart, scale, 0.0, tips)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::svg;
    use crate::engine::analysis::AnalysisResult;

    fn result(json: &str) -> ChannelsResult {
        match crate::chart::tests::result(json) {
            AnalysisResult::Channels(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bar_group_per_channel_with_hover_tips() {
        let r = result(
            r#"{"analysis":"channels","activation":["view_item","add_to_cart"],"retention_days":[1,7]}"#,
        );
        assert!(r.rows.len() >= 2);
        let mut drawn = None;
        let s = svg(800, 400, |a| {
            drawn = Some(draw(a, &r, &Labels::english(), 1.0));
            Ok::<(), String>(())
        })
        .unwrap();
        for row in &r.rows {
            assert!(s.contains(&row.channel), "{}", row.channel);
        }
        for name in [
            "Activation rate",
            "D1 retention",
            "D7 retention",
            "Paying rate",
        ] {
            assert!(s.contains(name), "{name}");
        }
        let frame = drawn.unwrap().unwrap().unwrap();
        assert_eq!(frame.tips.len(), r.rows.len().min(MAX_CHANNELS));
        assert!(frame.tips[0].starts_with(&r.rows[0].channel));
        assert!(frame.tips[0].contains("New users"), "{}", frame.tips[0]);
    }
}
