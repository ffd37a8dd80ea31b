//! Charts: plotters drawings of analysis results, generic over the backend.
//!
//! Each function draws one result on any `DrawingArea`: the app passes a canvas backend
//! (`plotters-canvas`), native tests and exports pass [`svg`]. A chart is a pure function of
//! its result plus [`Labels`] (translated axis titles) and a pixel `scale` (device pixel
//! ratio), so what the tests draw is what the page draws.

use crate::engine::analysis::AnalysisResult;
use crate::engine::time::Granularity;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Translated words a chart prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Labels {
    /// Y axis title of user counts.
    pub users: String,
    /// Y axis title of event counts.
    pub events: String,
    /// Y axis title of events per user.
    pub events_per_user: String,
    /// Y axis title of retention rates.
    pub retention: String,
    /// Names of the periods hour, day, week, month (axis titles).
    pub periods: [String; 4],
    /// Legend entry of the retention average.
    pub average: String,
    /// "Step", for axis titles.
    pub step: String,
    /// Lifecycle states: new, returning, resurrecting, dormant (legend entries).
    pub lifecycle: [String; 4],
    /// X axis title of stickiness: number of active intervals.
    pub active_intervals: String,
    /// Y axis title of ratios.
    pub ratio: String,
    /// Legend names of DAU, WAU, MAU, DAU/MAU and DAU/WAU.
    pub active: [String; 5],
    /// Note on dashed segments: their rolling window begins before the data.
    pub partial: String,
    /// Titles of the frequency bars: users by active days per week, per month.
    pub frequency: [String; 2],
    /// "previous period" (hover values).
    pub previous: String,
    /// "incomplete" (hover values of an incomplete interval).
    pub incomplete: String,
    /// Web metrics: page views, visitors, sessions, pages per session, bounce rate,
    /// average session duration, viewers, entries, exits, exit rate, average time on page.
    pub web: [String; 11],
    /// Y axis title of lifetime value: cumulative revenue per user.
    pub ltv: String,
    /// X axis title of ages since first activity ("Age", followed by the period).
    pub age: String,
    /// Y axis title of customer counts.
    pub customers: String,
    /// X axis title of repeat purchase days (a customer's frequency).
    pub repeat_days: String,
    /// Revenue chart: revenue, ARPU, ARPPU, the per-user axis title, paying rate, paying
    /// users, active users.
    pub revenue: [String; 7],
    /// RFM axis titles and values: R score, F score, customers, revenue.
    pub rfm: [String; 4],
    /// RFM segment names, in the order of `rfm::Segment` (quintile segments, then the
    /// eight classes).
    pub rfm_segments: [String; 19],
    /// A/B test words: conversion rate (y axis), conversions, lift, p-value, interval.
    pub ab: [String; 5],
    /// Paths words: step, paths, drop-off, path start (the drop-off before an end event),
    /// other.
    pub paths: [String; 5],
    /// Channel words: rate axis, new users, activation rate, paying rate, ARPU, LTV, the
    /// name of day-1 retention, and that of day N retention with `{n}` for N.
    pub channels: [String; 8],
    /// Portrait words: the y axis title (share of users) and "Share" (hover values).
    pub portrait: [String; 2],
    /// User stages: new, active, silent, churned, returned (legend entries).
    pub stages: [String; 5],
    /// User health tiers: core, active, casual, at risk, dormant (legend entries).
    pub tiers: [String; 5],
    /// "User pyramid" (the pyramid's caption).
    pub pyramid: String,
    /// AARRR words: the five block names (acquisition, activation, retention, revenue,
    /// referral), "not configured", "vs previous period", "current", "previous",
    /// "referral rate", "new users per interval".
    pub aarrr: [String; 11],
}

impl Labels {
    /// English labels.
    pub fn english() -> Self {
        Labels {
            users: "Users".into(),
            events: "Events".into(),
            events_per_user: "Events per user".into(),
            retention: "Retained".into(),
            periods: ["Hour", "Day", "Week", "Month"].map(String::from),
            average: "Weighted average".into(),
            step: "Step".into(),
            lifecycle: ["New", "Returning", "Resurrecting", "Dormant"].map(String::from),
            active_intervals: "Active intervals".into(),
            ratio: "Ratio".into(),
            active: ["DAU", "WAU", "MAU", "DAU/MAU", "DAU/WAU"].map(String::from),
            partial: "dashed: window begins before the data".into(),
            frequency: [
                "Users by active days per week".into(),
                "Users by active days per month".into(),
            ],
            previous: "previous period".into(),
            incomplete: "incomplete".into(),
            web: [
                "Page views",
                "Visitors",
                "Sessions",
                "Pages per session",
                "Bounce rate",
                "Average session duration",
                "Viewers",
                "Entries",
                "Exits",
                "Exit rate",
                "Average time on page",
            ]
            .map(String::from),
            ltv: "Cumulative revenue per user".into(),
            age: "Age".into(),
            customers: "Customers".into(),
            repeat_days: "Repeat purchase days (frequency)".into(),
            revenue: [
                "Revenue",
                "ARPU",
                "ARPPU",
                "Revenue per user",
                "Paying rate",
                "Paying users",
                "Active users",
            ]
            .map(String::from),
            rfm: [
                "Recency score (R)",
                "Frequency score (F)",
                "Customers",
                "Revenue",
            ]
            .map(String::from),
            rfm_segments: [
                "Champions",
                "Loyal customers",
                "Potential loyalists",
                "New customers",
                "Promising",
                "Need attention",
                "About to sleep",
                "At risk",
                "Can't lose them",
                "Hibernating",
                "Lost",
                "Important value",
                "Important to develop",
                "Important to keep",
                "Important to win back",
                "General value",
                "General to develop",
                "General to keep",
                "General to win back",
            ]
            .map(String::from),
            ab: [
                "Conversion rate",
                "Conversions",
                "Lift",
                "p-value",
                "interval",
            ]
            .map(String::from),
            paths: ["Step", "Paths", "drop-off", "path start", "(other)"].map(String::from),
            channels: [
                "Rate",
                "New users",
                "Activation rate",
                "Paying rate",
                "ARPU",
                "LTV",
                "D1 retention",
                "D{n} retention",
            ]
            .map(String::from),
            portrait: ["Share of users", "Share"].map(String::from),
            stages: ["New", "Active", "Silent", "Churned", "Returned"].map(String::from),
            tiers: ["Core", "Active", "Casual", "At risk", "Dormant"].map(String::from),
            pyramid: "User pyramid".into(),
            aarrr: [
                "Acquisition",
                "Activation",
                "Retention",
                "Revenue",
                "Referral",
                "not configured",
                "vs previous period",
                "Current",
                "Previous",
                "Referral rate",
                "New users per interval",
            ]
            .map(String::from),
        }
    }

    /// The name of day-N retention (`D7 retention`, `7日留存`; day 1 may have its own
    /// name, `次日留存`).
    pub fn retention_day(&self, n: u32) -> String {
        if n == 1 {
            self.channels[6].clone()
        } else {
            self.channels[7].replace("{n}", &n.to_string())
        }
    }

    /// The name of a period.
    pub fn period(&self, g: Granularity) -> &str {
        &self.periods[match g {
            Granularity::Hour => 0,
            Granularity::Day => 1,
            Granularity::Week => 2,
            Granularity::Month => 3,
        }]
    }
}

macro_rules! chart_dispatch {
    ($($variant:ident $module:ident $spec:ident $result:ident $doc:literal),*) => {
        $(#[doc = $doc] pub mod $module;)*

        /// Draws any result with its analysis's chart (the registry's list), and says
        /// where its points are when the chart can tell the page (for hover values).
        pub fn draw<DB: DrawingBackend>(
            area: &DrawingArea<DB, Shift>,
            result: &AnalysisResult,
            labels: &Labels,
            scale: f64,
        ) -> Drawn {
            match result {
                $(AnalysisResult::$variant(r) => $module::draw(area, r, labels, scale).into_drawn(),)*
            }
        }
    };
}
crate::for_each_analysis!(chart_dispatch);

pub mod daily;
pub(crate) mod panels;

/// Colours of series, in order (colour-blind friendly, after Tableau 10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

/// Axis and label text colour.
pub const INK: RGBColor = RGBColor(55, 65, 81);
/// Grid line colour.
pub const GRID: RGBColor = RGBColor(229, 231, 235);

/// A drawing error as text.
pub type ChartResult = Result<(), String>;

/// A drawn chart: where its points are, if it says, or a drawing error.
pub type Drawn = Result<Option<Frame>, String>;

/// What a chart's `draw` returns: nothing more than success, or also its [`Frame`].
pub trait IntoDrawn {
    /// As a [`Drawn`].
    fn into_drawn(self) -> Drawn;
}

impl IntoDrawn for ChartResult {
    fn into_drawn(self) -> Drawn {
        self.map(|()| None)
    }
}

impl IntoDrawn for Drawn {
    fn into_drawn(self) -> Drawn {
        self
    }
}

/// Where a chart's points lie along its x axis, and what each says, so the page can show
/// the exact values of the point under the pointer (or chosen with the keyboard).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The plotting area in CSS pixels of the drawing: left, right, top, bottom.
    pub area: (f64, f64, f64, f64),
    /// The x axis' range in chart units.
    pub x: (f64, f64),
    /// The x of point 0 in chart units (the points are one unit apart).
    pub first: f64,
    /// One text per point: its label, then one line per value.
    pub tips: Vec<String>,
}

impl Frame {
    /// The frame of `chart` (drawn at `scale` device pixels per CSS pixel).
    pub(crate) fn of<DB: DrawingBackend, Y: plotters::coord::ranged1d::Ranged>(
        chart: &ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
        scale: f64,
        first: f64,
        tips: Vec<String>,
    ) -> Frame {
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let x = chart.x_range();
        Frame {
            area: (
                xs.start as f64 / scale,
                xs.end as f64 / scale,
                ys.start as f64 / scale,
                ys.end as f64 / scale,
            ),
            x: (x.start, x.end),
            first,
            tips,
        }
    }

    /// The point nearest to CSS x position `px`, if `px` is over the plotting area.
    pub fn index_at(&self, px: f64) -> Option<usize> {
        let (l, r, _, _) = self.area;
        if self.tips.is_empty() || px < l || px > r || r <= l {
            return None;
        }
        let unit = self.x.0 + (px - l) / (r - l) * (self.x.1 - self.x.0);
        let k = (unit - self.first)
            .round()
            .clamp(0.0, (self.tips.len() - 1) as f64);
        Some(k as usize)
    }

    /// The CSS x position of point `k`.
    pub fn x_of(&self, k: usize) -> f64 {
        let (l, r, _, _) = self.area;
        l + (self.first + k as f64 - self.x.0) / (self.x.1 - self.x.0) * (r - l)
    }
}

pub(crate) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Pixel size scaled by the device pixel ratio.
pub(crate) fn px(v: f64, scale: f64) -> u32 {
    (v * scale).round() as u32
}

/// Font of axis labels and annotations.
pub(crate) fn font(size: f64, scale: f64) -> TextStyle<'static> {
    ("sans-serif", size * scale).into_font().color(&INK)
}

/// Draws the legend of the series drawn so far at `pos`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
    scale: f64,
) -> ChartResult {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(13.0, scale))
        .draw()
        .map_err(err)
}

/// The label of the point at a whole x value (the x axis of interval charts), empty
/// between points.
pub(crate) fn point_label(labels: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-9 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The label of a whole x value of 1 or more (the x axis of count charts: 1, 2, 3 ...),
/// empty elsewhere.
pub(crate) fn count_label(v: f64) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-9 && i >= 1.0 {
        format!("{i:.0}")
    } else {
        String::new()
    }
}

/// How many date labels fit on the x axis of `area` (about 100 px each, 2 to 8).
pub(crate) fn x_label_count<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    scale: f64,
) -> usize {
    (area.dim_in_pixel().0 as f64 / (100.0 * scale)).clamp(2.0, 8.0) as usize
}

/// Draws with an SVG backend of `width × height` and returns the SVG text.
pub fn svg<R: IntoDrawn>(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> R,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root).into_drawn()?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// A "nice" upper bound for an axis starting at zero.
pub(crate) fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A value as a hover tip shows it: counts with separators, others with up to 4
/// significant decimals, `–` for no value.
pub fn tip_number(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
            let s = group_digits(x.abs() as u64);
            if x < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        }
        Some(x) => {
            let s = format!("{x:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

/// Thousands separators for axis labels: 12345 → "12,345".
pub fn group_digits(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::analysis::{self, AnalysisResult, Query};
    use crate::engine::sample::{dataset, SampleOptions};
    use crate::engine::store::format_number;

    /// The result of `json` on a 400-user sample (the chart tests of every module use it).
    pub(crate) fn result(json: &str) -> AnalysisResult {
        let d = dataset(&SampleOptions {
            users: 400,
            ..Default::default()
        });
        analysis::run(&d.store, &Query::from_json(json).unwrap())
            .unwrap()
            .result
    }

    #[test]
    fn funnel_svg_names_every_step_with_its_conversion() {
        let AnalysisResult::Funnel(r) = result(
            r#"{"analysis":"funnel","steps":[{"event":"app_open"},{"event":"view_item"},{"event":"purchase"}]}"#,
        ) else {
            panic!()
        };
        let svg = svg(800, 400, |a| funnel::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for (k, s) in r.steps.iter().enumerate() {
            assert!(
                svg.contains(&format!("{}. {}", k + 1, s.event)),
                "step label {k}"
            );
            let label = format!("{:.1}%  ({})", s.conversion * 100.0, group_digits(s.users));
            assert!(svg.contains(&label), "missing {label}");
        }
        // two bars (reached + dropped) per step
        assert!(svg.matches("<rect").count() >= 2 * r.steps.len());
        // on a phone-sized chart the texts shrink instead of overlapping: step numbers,
        // conversions without counts
        let narrow =
            super::svg(240, 300, |a| funnel::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for (k, s) in r.steps.iter().enumerate() {
            assert!(
                !narrow.contains(&format!("{}. {}", k + 1, s.event)),
                "step {k}"
            );
            assert!(
                narrow.contains(&format!("\n{}\n</text>", k + 1)),
                "step number {k}"
            );
            let pct = format!("{:.1}%", s.conversion * 100.0);
            assert!(
                narrow.contains(&format!("\n{pct}\n</text>")),
                "missing {pct}"
            );
        }
    }

    #[test]
    fn funnel_breakdown_svg_has_a_bar_per_value_and_step_and_a_legend() {
        let AnalysisResult::Funnel(r) = result(
            r#"{"analysis":"funnel","steps":[{"event":"app_open"},{"event":"view_item"}],"breakdown":{"properties":["country"],"limit":3}}"#,
        ) else {
            panic!()
        };
        assert_eq!(r.breakdowns.len(), 4, "3 values and (other)");
        let plain = svg(800, 400, |a| funnel::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for b in &r.breakdowns {
            assert!(plain.contains(&b.value), "legend entry {}", b.value);
        }
        // 4 values × 2 steps bars, plus 4 legend swatches, plus the frame
        assert!(
            plain.matches("<rect").count() >= 4 * 2 + 4,
            "{}",
            plain.matches("<rect").count()
        );
    }

    #[test]
    fn retention_breakdown_svg_has_a_curve_and_legend_entry_per_value() {
        let AnalysisResult::Retention(r) = result(
            r#"{"analysis":"retention","period":"week","periods":4,"breakdown":{"properties":["platform"],"limit":2}}"#,
        ) else {
            panic!()
        };
        assert!(r.breakdowns.len() >= 2, "{}", r.breakdowns.len());
        let svg = svg(800, 400, |a| {
            retention::draw(a, &r, &Labels::english(), 1.0)
        })
        .unwrap();
        for b in &r.breakdowns {
            assert!(svg.contains(&b.value), "legend entry {}", b.value);
        }
        assert!(svg.matches("<polyline").count() >= r.breakdowns.len());
    }

    #[test]
    fn retention_svg_draws_the_average_curve() {
        let AnalysisResult::Retention(r) =
            result(r#"{"analysis":"retention","period":"week","periods":6}"#)
        else {
            panic!()
        };
        let svg = svg(800, 400, |a| {
            retention::draw(a, &r, &Labels::english(), 1.0)
        })
        .unwrap();
        assert!(svg.contains("Weighted average"));
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("100%"));
    }

    #[test]
    fn trends_svg_has_a_line_and_legend_per_visible_series() {
        let AnalysisResult::Trends(r) = result(
            r#"{"analysis":"trends","series":[{"event":"view_item"},{"event":"app_open","hidden":true}],"formulas":[{"expression":"A / B","label":"views per open"}],"breakdown":"platform","interval":"week"}"#,
        ) else {
            panic!()
        };
        // 3 platforms × (2 series + 1 formula)
        assert_eq!(r.lines.len(), 9);
        let svg = svg(800, 400, |a| trends::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        for l in r.lines.iter() {
            assert_eq!(svg.contains(&l.label()), !l.hidden, "{}", l.label());
        }
        // one solid line per visible series, each in its own colour
        let lines: Vec<&str> = svg.lines().filter(|l| l.contains("<polyline")).collect();
        for c in &PALETTE[..6] {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            assert!(lines.iter().any(|l| l.contains(&hex)), "{hex}");
        }
        assert!(!lines.iter().any(|l| {
            let c = PALETTE[6];
            l.contains(&format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2))
        }));
    }

    #[test]
    fn trends_draw_in_every_display() {
        for display in ["line", "area", "bar", "number"] {
            let AnalysisResult::Trends(r) = result(&format!(
                r#"{{"analysis":"trends","series":[{{"event":"view_item"}},{{"event":"purchase","measure":"users"}}],"compare":true,"display":"{display}","date_range":"last_30_days"}}"#
            )) else {
                panic!()
            };
            let svg = svg(800, 400, |a| trends::draw(a, &r, &Labels::english(), 1.0)).unwrap();
            for l in &r.lines {
                assert!(svg.contains(&l.label()), "{display}: {}", l.label());
            }
            match display {
                "bar" => assert!(svg.matches("<rect").count() >= 2 * r.buckets.len()),
                "area" => assert!(svg.contains("<polygon")),
                "number" => {
                    let total = format_number(r.lines[0].total.unwrap());
                    assert!(svg.contains(&total), "{total}");
                }
                _ => assert!(svg.contains("<polyline")),
            }
        }
    }

    #[test]
    fn hover_frames_map_pointer_positions_to_points_and_say_their_values() {
        let AnalysisResult::Trends(r) = result(
            r#"{"analysis":"trends","series":[{"event":"view_item","measure":"users"}],"interval":"week","compare":true}"#,
        ) else {
            panic!()
        };
        let mut frame = None;
        svg(800, 400, |a| {
            let d = trends::draw(a, &r, &Labels::english(), 1.0);
            frame = d.clone().ok().flatten();
            d
        })
        .unwrap();
        let f = frame.expect("a line chart says where its points are");
        assert_eq!(f.tips.len(), r.buckets.len());
        for k in 0..r.buckets.len() {
            assert_eq!(f.index_at(f.x_of(k)), Some(k), "point {k}");
            // a pixel beside a point (inside the plot) still picks it
            let beside = if k == 0 { 1.0 } else { -1.0 };
            assert_eq!(f.index_at(f.x_of(k) + beside), Some(k));
        }
        assert_eq!(f.index_at(f.area.0 - 1.0), None);
        assert_eq!(f.index_at(f.area.1 + 1.0), None);
        let l = &r.lines[0];
        let tip = &f.tips[1];
        assert!(tip.starts_with(&r.buckets[1]), "{tip}");
        assert!(
            tip.contains(&format!("{}: {}", l.label(), tip_number(l.values[1]))),
            "{tip}"
        );
        assert!(tip.contains("previous period"), "{tip}");
        assert_eq!(tip_number(Some(1234.0)), "1,234");
        assert_eq!(tip_number(Some(-0.125)), "-0.125");
        assert_eq!(tip_number(Some(2.5)), "2.5");
        assert_eq!(tip_number(None), "–");
    }

    #[test]
    fn helpers() {
        assert_eq!(group_digits(1234567), "1,234,567");
        assert_eq!(group_digits(12), "12");
        assert_eq!(nice_max(87.0), 100.0);
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(1100.0), 1200.0);
    }
}
