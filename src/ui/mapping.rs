//! The mapping step: how the last files' columns are read, and a reload with other options.
//!
//! Shown from the overview ("Change import settings") and by itself when a file loads only
//! with roles named (no user, event or time column found, or no header line). Several files
//! of one dataset each have their own options: a file selector shows one at a time (the
//! one that failed, after a failed load). Every change sniffs the file shown again in the
//! worker (its first 64 KiB), so the table always shows the engine's own answer for its
//! options: each column's role, type and first values. "Reload" loads the files, each with
//! its options; the dataset on screen stays until the new one is loaded.
//! With "Remember for files with this header" ticked the options are kept in the browser
//! (localStorage, by a hash of the header line) and used the next time a file with the same
//! header line is opened.

use super::i18n::{t, Lang};
use super::widgets::{select, with_name, zone_options};
use super::{Engine, MappingView};
use crate::engine::ingest::sniff::{Kind, Role, Sniff};
use crate::engine::ingest::{DateOrder, HeaderMode, Identity};
use crate::engine::time::TimeZone;
use crate::protocol::LoadOptions;
use yew::prelude::*;

/// The localStorage key prefix of remembered mappings (the header key follows).
pub const STORAGE_PREFIX: &str = "loupe.mapping.";
/// Values shown per column in the table.
const SHOWN_VALUES: usize = 5;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Every remembered mapping as one JSON object `{header key: options}` (sent with a load,
/// so the worker can use the one of the file's header line).
pub fn all_remembered() -> String {
    let mut map = serde_json::Map::new();
    if let Some(s) = storage() {
        for i in 0..s.length().unwrap_or(0) {
            let Some(k) = s.key(i).ok().flatten() else {
                continue;
            };
            let Some(key) = k.strip_prefix(STORAGE_PREFIX) else {
                continue;
            };
            if let Some(v) = s.get_item(&k).ok().flatten() {
                if let Ok(v) = serde_json::from_str(&v) {
                    map.insert(key.to_string(), v);
                }
            }
        }
    }
    serde_json::Value::Object(map).to_string()
}

fn remember(header_key: &str, o: &LoadOptions) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(o)) {
        let _ = s.set_item(&format!("{STORAGE_PREFIX}{header_key}"), &json);
    }
}

/// Forgets the options remembered for a header line.
pub fn forget(header_key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&format!("{STORAGE_PREFIX}{header_key}"));
    }
}

/// One row of import options: a labelled select. Add an option to the panel by adding a
/// row to [`OPTION_ROWS`].
struct OptionRow {
    /// The select's id (and test id).
    id: &'static str,
    /// Translation key of its label.
    label: &'static str,
    /// The choices: (value, label), the empty value meaning "detect".
    choices: fn(Lang, &LoadOptions) -> Vec<(String, String)>,
    /// The value of the options.
    current: fn(&LoadOptions) -> String,
    /// Sets the value.
    set: fn(&mut LoadOptions, &str),
}

fn detect(lang: Lang) -> (String, String) {
    (String::new(), t(lang, "map_detect").to_string())
}

const OPTION_ROWS: &[OptionRow] = &[
    OptionRow {
        id: "map-delimiter",
        label: "map_delimiter",
        choices: |lang, _| {
            let mut v = vec![detect(lang)];
            for (d, label) in [
                (",", ", (comma)"),
                (";", "; (semicolon)"),
                ("\t", "Tab"),
                ("|", "| (pipe)"),
            ] {
                v.push((d.to_string(), label.to_string()));
            }
            v
        },
        current: |o| o.delimiter.map(String::from).unwrap_or_default(),
        set: |o, v| o.delimiter = v.chars().next(),
    },
    OptionRow {
        id: "map-encoding",
        label: "map_encoding",
        choices: |lang, _| {
            let mut v = vec![detect(lang)];
            for e in [
                "UTF-8",
                "GBK",
                "GB18030",
                "Big5",
                "UTF-16LE",
                "UTF-16BE",
                "Shift_JIS",
                "EUC-KR",
                "windows-1252",
            ] {
                v.push((e.to_string(), e.to_string()));
            }
            v
        },
        current: |o| o.encoding.clone().unwrap_or_default(),
        set: |o, v| o.encoding = (!v.is_empty()).then(|| v.to_string()),
    },
    OptionRow {
        id: "map-naive-tz",
        label: "map_naive_tz",
        choices: |_, o| zone_options(&o.naive_timezone.clone().unwrap_or(TimeZone::UTC)),
        current: |o| {
            o.naive_timezone
                .clone()
                .unwrap_or(TimeZone::UTC)
                .to_string()
        },
        set: |o, v| o.naive_timezone = TimeZone::parse(v),
    },
    OptionRow {
        id: "map-header",
        label: "map_header",
        choices: |lang, _| {
            vec![
                ("auto".into(), t(lang, "map_detect").into()),
                ("yes".into(), t(lang, "map_header_yes").into()),
                ("no".into(), t(lang, "map_header_no").into()),
            ]
        },
        current: |o| {
            match o.header {
                HeaderMode::Auto => "auto",
                HeaderMode::Yes => "yes",
                HeaderMode::No => "no",
            }
            .into()
        },
        set: |o, v| {
            o.header = match v {
                "yes" => HeaderMode::Yes,
                "no" => HeaderMode::No,
                _ => HeaderMode::Auto,
            }
        },
    },
    OptionRow {
        id: "map-identity",
        label: "map_identity",
        choices: |lang, _| {
            vec![
                (
                    "user_or_device".into(),
                    t(lang, "map_identity_either").into(),
                ),
                ("user".into(), t(lang, "map_identity_user").into()),
                ("device".into(), t(lang, "map_identity_device").into()),
            ]
        },
        current: |o| {
            match o.identity {
                Identity::UserOrDevice => "user_or_device",
                Identity::User => "user",
                Identity::Device => "device",
            }
            .into()
        },
        set: |o, v| {
            o.identity = match v {
                "user" => Identity::User,
                "device" => Identity::Device,
                _ => Identity::UserOrDevice,
            }
        },
    },
    OptionRow {
        id: "map-date-order",
        label: "map_date_order",
        choices: |lang, _| {
            vec![
                (String::new(), t(lang, "map_detect").into()),
                ("dmy".into(), t(lang, "map_date_dmy").into()),
                ("mdy".into(), t(lang, "map_date_mdy").into()),
            ]
        },
        current: |o| match o.date_order {
            None => String::new(),
            Some(DateOrder::Dmy) => "dmy".into(),
            Some(DateOrder::Mdy) => "mdy".into(),
        },
        set: |o, v| {
            o.date_order = match v {
                "dmy" => Some(DateOrder::Dmy),
                "mdy" => Some(DateOrder::Mdy),
                _ => None,
            }
        },
    },
];

/// The role choices of a column: (value, translation key). Insert id and fallback id are
/// shown when the engine gave a column that role; they are detected by name, not chosen.
const ROLES: [(&str, &str); 7] = [
    ("user", "map_role_user"),
    ("event", "map_role_event"),
    ("time", "map_role_time"),
    ("property", "map_role_property"),
    ("ignore", "map_role_ignore"),
    ("insert_id", "map_role_insert_id"),
    ("user_fallback", "map_role_user_fallback"),
];

fn role_value(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Event => "event",
        Role::Time => "time",
        Role::Property => "property",
        Role::InsertId => "insert_id",
        Role::UserFallback => "user_fallback",
        Role::Ignored => "ignore",
    }
}

fn kind_key(k: Kind) -> &'static str {
    match k {
        Kind::Number => "map_kind_number",
        Kind::Text => "map_kind_text",
        Kind::Time => "map_kind_time",
    }
}

/// The options with column `name` given role `role`: it is named for that role (and no
/// longer for another, nor ignored); "property" stops naming it for any role; "ignore"
/// leaves it out of the import.
fn with_role(o: &LoadOptions, name: &str, role: &str) -> LoadOptions {
    let mut o = o.clone();
    o.ignore_columns.retain(|c| c != name);
    for slot in [&mut o.user_column, &mut o.event_column, &mut o.time_column] {
        if slot.as_deref() == Some(name) {
            *slot = None;
        }
    }
    let slot = match role {
        "user" => &mut o.user_column,
        "event" => &mut o.event_column,
        "time" => &mut o.time_column,
        "ignore" => {
            o.ignore_columns.push(name.to_string());
            return o;
        }
        _ => return o,
    };
    *slot = Some(name.to_string());
    o
}

/// Props of [`MappingPanel`].
#[derive(Properties, PartialEq)]
pub struct MappingProps {
    /// UI language.
    pub lang: Lang,
    /// Engine handle.
    pub engine: Engine,
    /// The step's state.
    pub view: MappingView,
}

fn columns_table(
    lang: Lang,
    s: &Sniff,
    options: &LoadOptions,
    set: &Callback<LoadOptions>,
) -> Html {
    let rows = s.columns.iter().enumerate().map(|(i, c)| {
        let current = role_value(c.role);
        let choices: Vec<(String, String)> = ROLES
            .iter()
            .filter(|(v, _)| !matches!(*v, "insert_id" | "user_fallback") || *v == current)
            .map(|(v, k)| (v.to_string(), t(lang, k).to_string()))
            .collect();
        let (set, name, o) = (set.clone(), c.name.clone(), options.clone());
        let onchange = Callback::from(move |v: String| set.emit(with_role(&o, &name, &v)));
        let id = format!("map-role-{i}");
        let label = format!("{} {}", t(lang, "map_role"), c.name);
        let values =
            s.rows.iter().take(SHOWN_VALUES).map(
                |r| html! { <td class="small">{ r.get(i).cloned().unwrap_or_default() }</td> },
            );
        html! {
            <tr key={c.name.clone()} data-column={c.name.clone()}>
                <td class="name" title={c.name.clone()}><code>{ c.name.clone() }</code></td>
                <td>{ with_name(select(&id, choices, current, onchange), label) }</td>
                <td data-testid="map-kind">{ t(lang, kind_key(c.kind)) }</td>
                { for values }
            </tr>
        }
    });
    let shown = s.rows.len().min(SHOWN_VALUES);
    html! {
        <div class="scroll" tabindex="0" aria-label={t(lang, "map_columns")}>
            <table class="grid small" data-testid="map-columns">
                <thead><tr>
                    <th>{ t(lang, "map_column") }</th>
                    <th>{ t(lang, "map_role") }</th>
                    <th>{ t(lang, "type") }</th>
                    { for (1..=shown).map(|n| html! { <th>{ format!("{} {n}", t(lang, "map_row")) }</th> }) }
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The mapping step.
#[function_component(MappingPanel)]
pub fn mapping_panel(p: &MappingProps) -> Html {
    let lang = p.lang;
    let keep = use_state(|| false);
    {
        // every change of the file or the options is sniffed again
        let engine = p.engine.clone();
        use_effect_with(
            (p.view.files.clone(), p.view.file, p.view.shown().clone()),
            move |(_, file, o)| engine.sniff(*file, o),
        );
    }
    let set = {
        let engine = p.engine.clone();
        Callback::from(move |o: LoadOptions| engine.set_mapping_options(o))
    };
    let shown = p.view.shown();
    let rows = OPTION_ROWS.iter().map(|r| {
        let (set, o) = (set.clone(), shown.clone());
        let f = r.set;
        let onchange = Callback::from(move |v: String| {
            let mut o = o.clone();
            f(&mut o, &v);
            set.emit(o)
        });
        html! {
            <div class="field">
                <label for={r.id}>{ t(lang, r.label) }</label>
                { select(r.id, (r.choices)(lang, shown), &(r.current)(shown), onchange) }
            </div>
        }
    });
    let sniff = p.view.sniff.as_ref();
    let key = sniff
        .and_then(|s| s.as_ref().ok())
        .map(|s| s.header_key.clone());
    let reload = {
        let (engine, all, keep, key) = (
            p.engine.clone(),
            p.view.options.clone(),
            keep.clone(),
            key.clone(),
        );
        let o = shown.clone();
        Callback::from(move |_| {
            if let (true, Some(k)) = (*keep, &key) {
                remember(k, &o);
            }
            engine.reload(all.clone())
        })
    };
    let close = {
        let engine = p.engine.clone();
        Callback::from(move |_| engine.close_mapping())
    };
    let toggle = {
        let keep = keep.clone();
        Callback::from(move |_| keep.set(!*keep))
    };
    let body = match sniff {
        None => {
            html! { <p class="muted" data-testid="map-sniffing">{ t(lang, "map_sniffing") }</p> }
        }
        Some(Err(e)) => {
            html! { <p class="error-text" data-testid="map-error">{ super::error_text(lang, e) }</p> }
        }
        Some(Ok(s)) => html! {
            <>
                <p class="muted small" data-testid="map-read-as">
                    { format!("{}{} · {} {} · {}", s.format, if s.container.is_empty() { String::new() } else { format!(" ({})", s.container) }, t(lang, "encoding"), s.encoding,
                        if s.format == "csv" { format!("{} {}", t(lang, "map_delimiter"), if s.delimiter == '\t' { "Tab".to_string() } else { format!("\"{}\"", s.delimiter) }) } else { String::new() }) }
                </p>
                if !s.header {
                    <p class="note" data-testid="map-no-header">{ t(lang, "map_no_header") }</p>
                }
                if let Some(m) = &s.mapping_error {
                    <p class="error-text" data-testid="map-missing">{ crate::ui::i18n::spec_message(lang, m.key.as_deref(), &m.params, &m.message) }</p>
                }
                { columns_table(lang, s, shown, &set) }
            </>
        },
    };
    html! {
        <section class="mapping" data-testid="mapping" data-busy={p.view.busy().to_string()} aria-busy={p.view.busy().to_string()} aria-labelledby="mapping-title">
            <h3 id="mapping-title">{ t(lang, "map_title") }{": "}<span class="muted">{ p.view.files.join(" + ") }</span></h3>
            <div class="fields">
                if p.view.files.len() > 1 {
                    <div class="field">
                        <label for="map-file">{ t(lang, "file") }</label>
                        { select("map-file", p.view.files.iter().enumerate().map(|(i, f)| (i.to_string(), f.clone())).collect(), &p.view.file.to_string(), {
                            let engine = p.engine.clone();
                            Callback::from(move |v: String| if let Ok(i) = v.parse() { engine.set_mapping_file(i) })
                        }) }
                    </div>
                }
                { for rows }
            </div>
            { body }
            <div class="actions">
                <label class="check"><input type="checkbox" id="map-remember" data-testid="map-remember" checked={*keep} onchange={toggle} />{" "}{ t(lang, "map_remember") }</label>
                <button onclick={reload} data-testid="map-reload" disabled={p.view.busy() || !matches!(sniff, Some(Ok(_)))}>{ t(lang, "map_reload") }</button>
                <button class="secondary" onclick={close} data-testid="map-close">{ t(lang, "map_close") }</button>
            </div>
        </section>
    }
}
