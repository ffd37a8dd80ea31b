//! Getting data in: the drop zone, the file picker, the sample button, the progress bar,
//! and the bar above a loaded dataset.

use super::i18n::{t, Lang};
use super::{bytes, count, Engine, Loading};
use crate::protocol::LoadedReply;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

/// Props of [`Landing`].
#[derive(Properties, PartialEq)]
pub struct LandingProps {
    /// UI language.
    pub lang: Lang,
    /// Engine handle.
    pub engine: Engine,
    /// A load in progress.
    pub loading: Option<Loading>,
}

fn file_input(engine: &Engine, id: &'static str) -> Html {
    let e = engine.clone();
    let onchange = Callback::from(move |ev: Event| {
        let input: HtmlInputElement = ev.target_unchecked_into();
        if let Some(fs) = input.files() {
            e.load_files((0..fs.length()).filter_map(|i| fs.get(i)).collect());
        }
        input.set_value("");
    });
    html! { <input type="file" id={id} data-testid="file-input" accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.gz,.zip,.parquet,text/csv,application/json,application/gzip" multiple=true {onchange} /> }
}

/// A callback that clicks the (hidden) element `id`, e.g. a file input behind a button.
fn click_on(id: &'static str) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            el.click();
        }
    })
}

/// The progress bar of a running load, with a cancel button.
pub fn progress(lang: Lang, engine: &Engine, l: &Loading) -> Html {
    let (done, rows) = l.progress.map(|p| (p.bytes, p.rows)).unwrap_or((0, 0));
    let frac = l.size.filter(|&s| s > 0).map(|s| done as f64 / s as f64);
    let e = engine.clone();
    let cancel = Callback::from(move |_| e.cancel_load());
    let width = format!("width: {:.1}%", frac.unwrap_or(0.0) * 100.0);
    let size = l
        .size
        .map(|s| format!(" / {}", bytes(s)))
        .unwrap_or_default();
    html! {
        <div class="progress" data-testid="progress">
            <div class="progress-head">
                <span>{ t(lang, "loading") }{" "}<b>{ l.name.clone() }</b></span>
                <span class="muted">{ bytes(done) }{ size }{" · "}{ t(lang, "rows") }{" "}{ count(rows) }</span>
                <button class="secondary" onclick={cancel} data-testid="cancel">{ t(lang, "cancel") }</button>
            </div>
            <div class={if frac.is_some() { "bar" } else { "bar indeterminate" }}><div class="fill" style={width}></div></div>
        </div>
    }
}

/// The first screen: drop a file, pick a file, or try the sample.
#[function_component(Landing)]
pub fn landing(p: &LandingProps) -> Html {
    let lang = p.lang;
    let over = use_state(|| false);
    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let (over, e) = (over.clone(), p.engine.clone());
        Callback::from(move |ev: DragEvent| {
            ev.prevent_default();
            over.set(false);
            if let Some(fs) = ev.data_transfer().and_then(|d| d.files()) {
                e.load_files((0..fs.length()).filter_map(|i| fs.get(i)).collect());
            }
        })
    };
    let sample = {
        let e = p.engine.clone();
        Callback::from(move |_| e.load_sample())
    };
    let pick = click_on("file");
    html! {
        <div class="landing">
            <div class={if *over { "dropzone over" } else { "dropzone" }} data-testid="dropzone" {ondragover} {ondragleave} {ondrop}>
                <div class="drop-icon">{"⇩"}</div>
                <h2>{ t(lang, "drop") }</h2>
                <p class="muted">{ t(lang, "drop_hint") }</p>
                <div class="actions">
                    <button onclick={pick}>{ t(lang, "choose_file") }</button>
                    { file_input(&p.engine, "file") }
                    <button class="secondary" onclick={sample} data-testid="sample">{ t(lang, "try_sample") }</button>
                </div>
                <p class="muted small">{ t(lang, "sample_desc") }</p>
            </div>
            if let Some(l) = &p.loading { { progress(lang, &p.engine, l) } }
            <p class="muted small center">{ t(lang, "privacy") }</p>
        </div>
    }
}

/// Props of [`DatasetBar`].
#[derive(Properties, PartialEq)]
pub struct DatasetBarProps {
    /// UI language.
    pub lang: Lang,
    /// Engine handle.
    pub engine: Engine,
    /// The loaded dataset.
    pub data: Rc<LoadedReply>,
    /// A load in progress.
    pub loading: Option<Loading>,
}

/// The line above the tabs: what is loaded, and a way to load something else.
#[function_component(DatasetBar)]
pub fn dataset_bar(p: &DatasetBarProps) -> Html {
    let lang = p.lang;
    let o = &p.data.overview;
    let name = if p.data.name == "sample" {
        t(lang, "sample_name").to_string()
    } else {
        p.data.name.clone()
    };
    let pick = click_on("file2");
    html! {
        <>
            <div class="dataset-bar">
                <div>
                    <b data-testid="dataset-name" id="dataset-name" tabindex="-1">{ name }</b>
                    <span class="muted">{" · "}{ count(o.events) }{" "}{ t(lang, "events") }{" · "}{ count(o.users) }{" "}{ t(lang, "users") }
                    {" · "}{ t(lang, "loaded_in") }{" "}{ format!("{:.0} ms", p.data.ms) }</span>
                </div>
                <div>
                    <button class="secondary" onclick={pick}>{ t(lang, "open_other") }</button>
                    { file_input(&p.engine, "file2") }
                </div>
            </div>
            if let Some(l) = &p.loading { { progress(lang, &p.engine, l) } }
        </>
    }
}
