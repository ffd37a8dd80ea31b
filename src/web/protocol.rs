//! The wire format between the page and the worker: the typed [`crate::protocol`]
//! messages as JSON inside plain JS objects.
//!
//! Page → worker: `{id, file: File, options: "<LoadOptions JSON>"}` to load a dropped file
//! (the `File` is a structured-clone handle, its bytes are not copied), with `more: [File]`
//! for the other files of one dataset and `file_options: "[<LoadOptions JSON>, ...]"` (one
//! per file, in place of `options`) when each has its own; the same with
//! `sniff: true` to sniff it (a `sniffed` reply, from its first 64 KiB), or
//! `{id, request: "<Request JSON>"}` for everything else.
//! Worker → page: `{id, reply: "<Reply JSON>"}` for the JavaScript module, or
//! `{id, wire: "<Wire JSON>"}` when the app's page started the worker (it names the worker
//! [`APP_WORKER_NAME`]; the [`Wire`] form is cheaper for the page to read); id 0 is a reply
//! to no request (`ready`, or a failure of the worker itself).

use crate::protocol::{Reply, UserError, Wire};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

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

/// The id of a message (0 when absent).
pub fn id_of(v: &JsValue) -> u32 {
    field(v, "id").as_f64().unwrap_or(0.0) as u32
}

/// The name the app's page gives its worker, so that the worker answers in the [`Wire`] form.
pub const APP_WORKER_NAME: &str = "loupe-app";

/// Encodes a reply to request `id`: as [`Wire`] JSON for the app's page (`wire`), else as
/// the documented [`Reply`] JSON.
pub fn encode(id: u32, reply: &Reply, wire: bool) -> JsValue {
    if wire {
        let json = serde_json::to_string(&Wire::from(reply.clone())).unwrap_or_default();
        return object(&[("id", id.into()), ("wire", json.into())]);
    }
    let json = serde_json::to_string(reply).unwrap_or_default();
    object(&[("id", id.into()), ("reply", json.into())])
}

/// Decodes a reply message of a worker named [`APP_WORKER_NAME`] into its request id and
/// reply.
pub fn decode(v: &JsValue) -> (u32, Reply) {
    let json = field(v, "wire").as_string().unwrap_or_default();
    let reply = serde_json::from_str::<Wire>(&json)
        .map(Reply::from)
        .unwrap_or_else(|e| {
            Reply::Error(UserError::new(
                "engine_stopped",
                format!("unreadable reply from the worker: {e}"),
            ))
        });
    (id_of(v), reply)
}
