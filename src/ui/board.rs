//! The board tab: several analyses on one page, each with its chart.
//!
//! An analysis gets here with "Add to board" in its tab. The board lives in memory; it is
//! written to the browser's storage only when the user presses Save (and removed with
//! "Forget"), and it travels as a small JSON file of specs (`crate::board`), never data:
//! Export downloads it, Import reads one a colleague sent, to run on the same file.

use super::canvas::{Chart, Picture};
use super::i18n::{t, Lang};
use super::{Engine, Outcome};
use crate::board::Board;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Where a saved board is kept in the browser's storage.
const STORAGE_KEY: &str = "loupe.board";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The board the user saved in this browser, if any.
pub fn saved() -> Option<Board> {
    let text = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    Board::from_json(&text).ok()
}

/// Props of [`BoardPanel`].
#[derive(Properties, PartialEq)]
pub struct BoardProps {
    /// UI language.
    pub lang: Lang,
    /// Engine handle.
    pub engine: Engine,
    /// The board.
    pub board: Board,
    /// Its runs on the current dataset, by query JSON.
    pub runs: HashMap<String, (u32, Outcome)>,
}

/// A copy of `board` changed by `f`, sent to the app state.
fn edit(engine: &Engine, board: &Board, f: impl FnOnce(&mut Board)) {
    let mut b = board.clone();
    f(&mut b);
    engine.set_board(b);
}

/// The board: its toolbar (name, save, export, import) and one card per analysis.
#[function_component(BoardPanel)]
pub fn board_panel(p: &BoardProps) -> Html {
    let lang = p.lang;
    let note = use_state(String::new);
    {
        // every analysis without a run on this dataset runs once
        let (engine, board, runs) = (p.engine.clone(), p.board.clone(), p.runs.clone());
        use_effect_with((board, runs), move |(board, runs)| {
            for item in &board.items {
                if !runs.contains_key(&item.query.to_json()) {
                    engine.run_board(&item.query);
                }
            }
        });
    }
    let rename = {
        let (engine, board) = (p.engine.clone(), p.board.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            edit(&engine, &board, |b| b.name = v);
        })
    };
    let save = {
        let (board, note) = (p.board.clone(), note.clone());
        Callback::from(move |_| {
            let done = storage().is_some_and(|s| s.set_item(STORAGE_KEY, &board.to_json()).is_ok());
            note.set(
                t(
                    lang,
                    if done {
                        "board_saved"
                    } else {
                        "board_not_saved"
                    },
                )
                .into(),
            );
        })
    };
    let forget = {
        let note = note.clone();
        Callback::from(move |_| {
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
            note.set(t(lang, "board_forgotten").into());
        })
    };
    let export = {
        let board = p.board.clone();
        Callback::from(move |_| {
            let name = if board.name.trim().is_empty() {
                "loupe-board"
            } else {
                board.name.trim()
            };
            let file = format!("{name}.json");
            if let Err(e) = super::download(&file, "application/json", board.to_json().as_bytes()) {
                gloo::console::error!(e);
            }
        })
    };
    let import = {
        let (engine, note) = (p.engine.clone(), note.clone());
        Callback::from(move |ev: Event| {
            let input: HtmlInputElement = ev.target_unchecked_into();
            let Some(file) = input.files().and_then(|fs| fs.get(0)) else {
                return;
            };
            input.set_value("");
            let (engine, note) = (engine.clone(), note.clone());
            // a board file is a few kB of specs, read here; data files go to the worker
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                match Board::from_json(&text) {
                    Ok(b) => {
                        note.set(format!("{} {}", t(lang, "board_imported"), b.items.len()));
                        engine.set_board(b);
                    }
                    Err(e) => {
                        let at = if e.at.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", e.at)
                        };
                        note.set(format!("{}{at}: {}", t(lang, "board_bad_file"), e.message));
                    }
                }
            });
        })
    };
    let open_import = Callback::from(|_| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("board-import"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            el.click();
        }
    });
    let n = p.board.items.len();
    let cards = p.board.items.iter().enumerate().map(|(k, item)| {
        let (engine, board) = (&p.engine, &p.board);
        let retitle = {
            let (engine, board) = (engine.clone(), board.clone());
            Callback::from(move |e: Event| {
                let v = e.target_unchecked_into::<HtmlInputElement>().value();
                edit(&engine, &board, |b| b.items[k].title = v);
            })
        };
        let mover = |to: usize| {
            let (engine, board) = (engine.clone(), board.clone());
            Callback::from(move |_: MouseEvent| edit(&engine, &board, |b| b.items.swap(k, to)))
        };
        let remove = {
            let (engine, board) = (engine.clone(), board.clone());
            Callback::from(move |_: MouseEvent| {
                edit(&engine, &board, |b| {
                    b.items.remove(k);
                })
            })
        };
        let open = {
            let (engine, q) = (engine.clone(), item.query.clone());
            Callback::from(move |_: MouseEvent| engine.open(&q))
        };
        let title = if item.title.trim().is_empty() { t(lang, item.query.spec.kind()).to_string() } else { item.title.clone() };
        let body = match p.runs.get(&item.query.to_json()) {
            Some((_, Outcome::Done(_, r))) => html! {
                <Chart picture={Picture::Result(std::rc::Rc::new(r.output.result.clone()))} lang={lang} height={260} />
            },
            Some((_, Outcome::Failed(e))) => html! { <div class="error inline" role="alert">{ super::error_text(lang, e) }</div> },
            _ => html! { <div class="muted small">{ t(lang, "running") }</div> },
        };
        html! {
            <section class="board-card" data-testid="board-card" aria-label={title.clone()}>
                <div class="board-card-head">
                    <input class="board-title" aria-label={t(lang, "board_item_title")} value={title.clone()} onchange={retitle} />
                    <span class="muted small">{ t(lang, item.query.spec.kind()) }</span>
                    <span class="grow"></span>
                    <button class="icon" disabled={k == 0} aria-label={format!("{title}: {}", t(lang, "move_up"))} title={t(lang, "move_up")} onclick={mover(k.saturating_sub(1))}>{"↑"}</button>
                    <button class="icon" disabled={k + 1 >= n} aria-label={format!("{title}: {}", t(lang, "move_down"))} title={t(lang, "move_down")} onclick={mover((k + 1).min(n.saturating_sub(1)))}>{"↓"}</button>
                    <button class="secondary small" data-testid="board-open" onclick={open}>{ t(lang, "board_open") }</button>
                    <button class="icon" aria-label={format!("{title}: {}", t(lang, "remove"))} title={t(lang, "remove")} onclick={remove}>{"×"}</button>
                </div>
                { body }
            </section>
        }
    });
    html! {
        <div class="board">
            <div class="board-bar">
                <label for="board-name">{ t(lang, "board_name") }</label>
                <input id="board-name" data-testid="board-name" value={p.board.name.clone()} placeholder={t(lang, "board")} onchange={rename} />
                <button class="secondary small" data-testid="board-save" onclick={save} title={t(lang, "board_save_hint")}>{ t(lang, "board_save") }</button>
                <button class="secondary small" data-testid="board-forget" onclick={forget}>{ t(lang, "board_forget") }</button>
                <button class="secondary small" data-testid="board-export" onclick={export} disabled={n == 0}>{ t(lang, "board_export") }</button>
                <button class="secondary small" data-testid="board-import-button" onclick={open_import}>{ t(lang, "board_import") }</button>
                <input type="file" id="board-import" data-testid="board-import" accept=".json,application/json" hidden=true onchange={import} />
                <span class="muted small" role="status" data-testid="board-note">{ (*note).clone() }</span>
            </div>
            if n == 0 {
                <p class="muted" data-testid="board-empty">{ t(lang, "board_empty") }</p>
            }
            <div class="board-grid">{ for cards }</div>
        </div>
    }
}
