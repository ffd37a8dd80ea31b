//! A canvas that draws an analysis result with the `chart` module (plotters-canvas),
//! sized to its container at the device pixel ratio so text stays crisp. Where the chart
//! says where its points are ([`chart::Frame`]), the pointer or the arrow keys (the canvas
//! takes focus) show the exact values of a point in a tip beside it.

use super::i18n::{chart_labels, t, Lang};
use crate::chart;
use crate::engine::analysis::AnalysisResult;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// What a [`Chart`] draws.
#[derive(Clone, PartialEq)]
pub enum Picture {
    /// An analysis result (its registry chart).
    Result(Rc<AnalysisResult>),
    /// Events per UTC day from day number `first_day` (the overview).
    Daily {
        /// Day number (since 1970-01-01) of the first bar.
        first_day: i64,
        /// Events per day.
        counts: Rc<Vec<u64>>,
    },
}

impl Picture {
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        lang: Lang,
        scale: f64,
    ) -> chart::Drawn {
        match self {
            Picture::Result(r) => chart::draw(area, r, &chart_labels(lang), scale),
            Picture::Daily { first_day, counts } => {
                chart::daily::draw(area, *first_day, counts, t(lang, "events"), scale)
            }
        }
    }
}

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What to draw.
    pub picture: Picture,
    /// Language of the labels.
    pub lang: Lang,
    /// CSS height in pixels.
    #[prop_or(380)]
    pub height: u32,
}

fn draw(canvas: &HtmlCanvasElement, picture: &Picture, lang: Lang, height: u32) -> chart::Drawn {
    let scale = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let css_width = canvas.client_width().max(320) as f64;
    canvas.set_width((css_width * scale) as u32);
    canvas.set_height((height as f64 * scale) as u32);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let frame = picture.draw(&root, lang, scale)?;
    root.present().map_err(|e| e.to_string())?;
    Ok(frame)
}

/// Width and height of a downloaded SVG chart.
const SVG_SIZE: (u32, u32) = (960, 420);

/// `result` drawn as an SVG document (for the "SVG" download).
pub fn svg(result: &AnalysisResult, lang: Lang) -> Result<String, String> {
    chart::svg(SVG_SIZE.0, SVG_SIZE.1, |root| {
        chart::draw(root, result, &chart_labels(lang), 1.0)
    })
}

/// Draws `result` on a canvas after every render that changes it, with hover values.
#[function_component(Chart)]
pub fn chart_canvas(p: &ChartProps) -> Html {
    let node = use_node_ref();
    let frame = use_state(|| None::<Rc<chart::Frame>>);
    let point = use_state(|| None::<usize>);
    {
        let (node, frame, point) = (node.clone(), frame.clone(), point.clone());
        let (picture, lang, height) = (p.picture.clone(), p.lang, p.height);
        use_effect_with((picture, lang, height), move |(picture, lang, height)| {
            if let Some(canvas) = node.cast::<HtmlCanvasElement>() {
                match draw(&canvas, picture, *lang, *height) {
                    Ok(f) => frame.set(f.map(Rc::new)),
                    Err(e) => gloo::console::error!(format!("chart: {e}")),
                }
                point.set(None);
            }
        });
    }
    let onmousemove = {
        let (frame, point) = (frame.clone(), point.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(f) = &*frame {
                point.set(f.index_at(e.offset_x() as f64));
            }
        })
    };
    let hide = {
        let point = point.clone();
        Callback::from(move |_: FocusEvent| point.set(None))
    };
    let onmouseleave = {
        let point = point.clone();
        Callback::from(move |_: MouseEvent| point.set(None))
    };
    let onkeydown = {
        let (frame, point) = (frame.clone(), point.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Some(f) = &*frame else { return };
            let last = f.tips.len().saturating_sub(1);
            let at = *point;
            let next = match e.key().as_str() {
                "ArrowRight" => at.map_or(0, |k| (k + 1).min(last)),
                "ArrowLeft" => at.map_or(last, |k| k.saturating_sub(1)),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            e.prevent_default();
            point.set(Some(next));
        })
    };
    let tip = match (&*frame, *point) {
        (Some(f), Some(k)) if k < f.tips.len() => {
            let x = f.x_of(k);
            let (_, right, top, bottom) = f.area;
            // beside the point, on the side with more room
            let side = if x > right / 2.0 {
                "transform: translateX(calc(-100% - 12px))"
            } else {
                "transform: translateX(12px)"
            };
            let lines = f.tips[k]
                .lines()
                .map(|l| html! { <div>{ l.to_string() }</div> });
            html! {
                <>
                    <div class="chart-guide" style={format!("left: {x}px; top: {top}px; height: {}px", bottom - top)}></div>
                    <div class="chart-tip" role="status" data-testid="chart-tip" style={format!("left: {x}px; top: {top}px; {side}")}>{ for lines }</div>
                </>
            }
        }
        _ => html! {},
    };
    let style = format!("width: 100%; height: {}px", p.height);
    let label = if frame.is_some() {
        t(p.lang, "chart_label_hover")
    } else {
        t(p.lang, "chart_label")
    };
    html! {
        <div class="chart-wrap">
            <canvas ref={node} class="chart" data-testid="chart" {style} tabindex="0" role="img" aria-label={label}
                {onmousemove} {onmouseleave} {onkeydown} onblur={hide}></canvas>
            { tip }
        </div>
    }
}
