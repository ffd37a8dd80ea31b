//! Messages between the page and the worker.
//!
//! Requests (page → worker) are JS objects `{type, id, ...}`:
//! - `{type: "load_file", id, file: File, options: "<LoadOptions JSON>"}`
//! - `{type: "load_sample", id}`
//! - `{type: "run", id, spec: "<Spec JSON>"}`
//!
//! Replies (worker → page) are `{type, id, json}` where `json` is a JSON string:
//! `ready`, `progress` ([`Progress`]), `loaded` ([`Overview`]), `result` ([`RunReply`]) and
//! `error` (a message string).

use crate::engine::analysis::Output;
use crate::engine::ingest::Progress;
use crate::engine::overview::Overview;
use js_sys::{Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// A result with the time the engine took.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunReply {
    /// The analysis result with its warnings and resolved date range.
    pub output: Output,
    /// Milliseconds spent in `analysis::run`.
    pub ms: f64,
}

/// A loaded overview with the time the load took.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoadedReply {
    /// What was loaded.
    pub overview: Overview,
    /// Milliseconds from the request to the finished store.
    pub ms: f64,
    /// File name, or `sample`.
    pub name: String,
    /// Size of the worker's wasm memory after the load, in bytes.
    pub memory_bytes: u64,
}

/// A reply from the worker, decoded.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The worker started.
    Ready,
    /// Import progress.
    Progress(u32, Progress),
    /// A dataset finished loading.
    Loaded(u32, Box<LoadedReply>),
    /// An analysis finished.
    Result(u32, Box<RunReply>),
    /// A request failed.
    Error(u32, String),
}

/// Builds a JS object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// Reads a field of a JS object.
pub fn field(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// Encodes a reply as `{type, id, json}`.
pub fn reply(kind: &str, id: u32, json: String) -> JsValue {
    object(&[
        ("type", kind.into()),
        ("id", id.into()),
        ("json", json.into()),
    ])
}

/// Decodes a reply object.
pub fn decode(v: &JsValue) -> Result<Reply, String> {
    let kind = field(v, "type").as_string().unwrap_or_default();
    let id = field(v, "id").as_f64().unwrap_or(0.0) as u32;
    let json = field(v, "json").as_string().unwrap_or_default();
    let err = |e: serde_json::Error| format!("bad {kind} reply from the worker: {e}");
    Ok(match kind.as_str() {
        "ready" => Reply::Ready,
        "progress" => Reply::Progress(id, serde_json::from_str(&json).map_err(err)?),
        "loaded" => Reply::Loaded(id, serde_json::from_str(&json).map_err(err)?),
        "result" => Reply::Result(id, serde_json::from_str(&json).map_err(err)?),
        "error" => Reply::Error(id, json),
        other => return Err(format!("unknown reply type \"{other}\" from the worker")),
    })
}
