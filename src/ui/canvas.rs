//! A canvas that draws an analysis result with the `chart` module (plotters-canvas),
//! sized to its container at the device pixel ratio so text stays crisp.

use super::i18n::{chart_labels, Lang};
use crate::chart;
use crate::engine::analysis::AnalysisResult;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What to draw.
    pub result: Rc<AnalysisResult>,
    /// Language of the labels.
    pub lang: Lang,
    /// CSS height in pixels.
    #[prop_or(380)]
    pub height: u32,
}

fn draw(
    canvas: &HtmlCanvasElement,
    result: &AnalysisResult,
    lang: Lang,
    height: u32,
) -> Result<(), String> {
    let scale = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let css_width = canvas.client_width().max(320) as f64;
    canvas.set_width((css_width * scale) as u32);
    canvas.set_height((height as f64 * scale) as u32);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    chart::draw(&root, result, &chart_labels(lang), scale)?;
    root.present().map_err(|e| e.to_string())
}

/// Draws `result` on a canvas after every render that changes it.
#[function_component(Chart)]
pub fn chart_canvas(p: &ChartProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        let (result, lang, height) = (p.result.clone(), p.lang, p.height);
        use_effect_with((result, lang, height), move |(result, lang, height)| {
            if let Some(canvas) = node.cast::<HtmlCanvasElement>() {
                if let Err(e) = draw(&canvas, result, *lang, *height) {
                    gloo::console::error!(format!("chart: {e}"));
                }
            }
        });
    }
    let style = format!("width: 100%; height: {}px", p.height);
    html! { <canvas ref={node} class="chart" data-testid="chart" {style}></canvas> }
}
