//! A canvas that draws an analysis result with the `chart` module (plotters-canvas),
//! sized to its container at the device pixel ratio so text stays crisp. Where the chart
//! says where its points are ([`chart::Frame`]), the pointer or the arrow keys (the canvas
//! takes focus) show the exact values of a point in a tip beside it.
//!
//! The screen (canvas) and the SVG download draw through one [`Backend`] type, so the
//! charts are compiled once for the page, not once per plotters backend (issue 18: a
//! second copy of every chart cost about 25 kB of the page's gzipped wasm).

use super::i18n::{chart_labels, t, Lang};
use crate::chart;
use crate::engine::analysis::AnalysisResult;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
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

/// The page's one drawing backend: the screen's canvas or an SVG document, each method
/// handed to the backend inside unchanged.
pub enum Backend<'a> {
    /// A `<canvas>` on the page.
    Canvas(CanvasBackend),
    /// An SVG document written into a string.
    Svg(SVGBackend<'a>),
}

/// A drawing error of either backend, by its text.
#[derive(Debug)]
pub struct BackendError(String);

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

type Drawing<T = ()> = Result<T, DrawingErrorKind<BackendError>>;

fn lift<E: std::error::Error + Send + Sync>(
    e: DrawingErrorKind<E>,
) -> DrawingErrorKind<BackendError> {
    match e {
        DrawingErrorKind::DrawingError(e) => {
            DrawingErrorKind::DrawingError(BackendError(e.to_string()))
        }
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

/// Calls the same method on whichever backend is inside.
macro_rules! each {
    ($self:ident, $b:ident => $call:expr) => {
        match $self {
            Backend::Canvas($b) => $call.map_err(lift),
            Backend::Svg($b) => $call.map_err(lift),
        }
    };
}

impl DrawingBackend for Backend<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            Backend::Canvas(b) => b.get_size(),
            Backend::Svg(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Drawing {
        each!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Drawing {
        each!(self, b => b.present())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawing {
        each!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawing {
        each!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawing {
        each!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawing {
        each!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawing {
        each!(self, b => b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawing {
        each!(self, b => b.fill_polygon(vert, style))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Drawing {
        each!(self, b => b.draw_text(text, style, pos))
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Drawing<(u32, u32)> {
        each!(self, b => b.estimate_text_size(text, style))
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Drawing {
        each!(self, b => b.blit_bitmap(pos, size, src))
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
    let root = Backend::Canvas(backend).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let frame = picture.draw(&root, lang, scale)?;
    root.present().map_err(|e| e.to_string())?;
    Ok(frame)
}

/// Width and height of a downloaded SVG chart.
const SVG_SIZE: (u32, u32) = (960, 420);

/// `result` drawn as an SVG document (for the "SVG" download).
pub fn svg(result: &AnalysisResult, lang: Lang) -> Result<String, String> {
    // as `chart::svg` does, through the page's one backend type
    let mut out = String::new();
    {
        let root = Backend::Svg(SVGBackend::with_string(&mut out, SVG_SIZE)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        chart::draw(&root, result, &chart_labels(lang), 1.0)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
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
