//! Customer summary chart: bars of customers by repeat purchase days (frequency 0, 1, 2,
//! ...; the last bar gathers every frequency from [`MAX_BARS`] − 1 up). Hover tips give
//! each bar's count.

use super::{
    err, font, group_digits, nice_max, px, tip_number, Drawn, Frame, Labels, GRID, INK, PALETTE,
};
use crate::engine::analysis::customers::CustomersResult;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most bars: frequencies 0 to `MAX_BARS` − 2, then one bar for the rest.
pub const MAX_BARS: usize = 21;

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &CustomersResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let most = r
        .customers
        .iter()
        .map(|c| c.frequency as usize)
        .max()
        .unwrap_or(0);
    let n = (most + 1).min(MAX_BARS);
    let mut bars = vec![0u64; n];
    for c in &r.customers {
        bars[(c.frequency as usize).min(n - 1)] += 1;
    }
    let name = |k: usize| {
        if k + 1 == MAX_BARS && most + 1 > MAX_BARS {
            format!("{k}+")
        } else {
            k.to_string()
        }
    };
    let top = nice_max(bars.iter().copied().max().unwrap_or(0) as f64 * 1.08);
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
        .x_labels(n.min(16))
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
                name(i as usize)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| group_digits(v.round() as u64))
        .x_desc(labels.repeat_days.as_str())
        .y_desc(labels.customers.as_str())
        .label_style(font(12.0, scale))
        .axis_desc_style(font(13.0, scale))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(k, &b)| {
            let x = k as f64;
            Rectangle::new([(x - 0.38, 0.0), (x + 0.38, b as f64)], PALETTE[0].filled())
        }))
        .map_err(err)?;
    let tips = bars
        .iter()
        .enumerate()
        .map(|(k, &b)| {
            format!(
                "{}: {}\n{}: {}",
                labels.repeat_days,
                name(k),
                labels.customers,
                tip_number(Some(b as f64))
            )
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
    fn bars_count_every_customer() {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        let q = Query::from_json(r#"{"analysis":"customers"}"#).unwrap();
        let AnalysisResult::Customers(r) = analysis::run(&d.store, &q).unwrap().result else {
            panic!()
        };
        let mut frame = None;
        svg(800, 400, |a| {
            frame = draw(a, &r, &Labels::english(), 1.0)?;
            Ok::<_, String>(())
        })
        .unwrap();
        let total: u64 = frame
            .unwrap()
            .tips
            .iter()
            .map(|t| {
                t.rsplit(": ")
                    .next()
                    .unwrap()
                    .replace(',', "")
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        assert_eq!(total, r.customers.len() as u64);
        assert!(r.customers.iter().any(|c| c.frequency > 0));
    }
}
