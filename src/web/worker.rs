//! The engine inside a dedicated Web Worker: owns the dataset, answers requests.
//!
//! Files are read in slices of [`SLICE`] bytes with `FileReaderSync` (available in workers
//! only), through a `std::io::Read` adapter, so the CSV loader streams over the `File`
//! exactly as it streams over a native file, and the file is never held whole.

use super::protocol::{field, object, reply, LoadedReply, RunReply};
use crate::engine::analysis::{self, Query};
use crate::engine::ingest::{self, Dataset, LoadOptions};
use crate::engine::overview::overview;
use crate::engine::sample::{self, SampleOptions};
use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

/// Bytes read from the `File` per slice.
pub const SLICE: f64 = 8.0 * 1024.0 * 1024.0;

/// `std::io::Read` over a `Blob`, one slice at a time.
pub struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    offset: f64,
    size: f64,
    buf: Vec<u8>,
    pos: usize,
}

impl BlobReader {
    /// A reader from the start of `blob`.
    pub fn new(blob: Blob) -> Result<Self, JsValue> {
        Ok(BlobReader {
            size: blob.size(),
            blob,
            reader: FileReaderSync::new()?,
            offset: 0.0,
            buf: Vec::new(),
            pos: 0,
        })
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.offset >= self.size {
                return Ok(0);
            }
            let end = (self.offset + SLICE).min(self.size);
            let slice = self
                .blob
                .slice_with_f64_and_f64(self.offset, end)
                .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
            let ab = self.reader.read_as_array_buffer(&slice).map_err(|e| {
                std::io::Error::other(format!("the browser could not read the file: {e:?}"))
            })?;
            self.buf = js_sys::Uint8Array::new(&ab).to_vec();
            self.pos = 0;
            self.offset = end;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Bytes of the module's linear memory (it only grows).
fn wasm_memory_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}

/// Milliseconds from the worker's high-resolution clock.
fn now() -> f64 {
    js_sys::global()
        .unchecked_into::<web_sys::WorkerGlobalScope>()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    data: Option<Dataset>,
}

impl Worker {
    fn post(&self, kind: &str, id: u32, json: String) {
        let _ = self.scope.post_message(&reply(kind, id, json));
    }

    fn loaded(&mut self, id: u32, data: Dataset, name: String, t0: f64) {
        let o = overview(&data.store, &data.report);
        self.data = Some(data);
        let msg = LoadedReply {
            overview: o,
            ms: now() - t0,
            name,
            memory_bytes: wasm_memory_bytes(),
        };
        self.post(
            "loaded",
            id,
            serde_json::to_string(&msg).unwrap_or_default(),
        );
    }

    fn handle(&mut self, msg: JsValue) {
        let kind = field(&msg, "type").as_string().unwrap_or_default();
        let id = field(&msg, "id").as_f64().unwrap_or(0.0) as u32;
        let t0 = now();
        match kind.as_str() {
            "load_sample" => {
                let data = sample::dataset(&SampleOptions::default());
                self.loaded(id, data, "sample".into(), t0);
            }
            "load_file" => {
                let file: web_sys::File = field(&msg, "file").unchecked_into();
                let opts_json = field(&msg, "options")
                    .as_string()
                    .unwrap_or_else(|| "{}".into());
                let opts: LoadOptions = match serde_json::from_str(&opts_json) {
                    Ok(o) => o,
                    Err(e) => return self.post("error", id, format!("bad import options: {e}")),
                };
                let name = file.name();
                let reader = match BlobReader::new(file.into()) {
                    Ok(r) => r,
                    Err(e) => return self.post("error", id, format!("{e:?}")),
                };
                let total = reader.size as u64;
                let scope = self.scope.clone();
                let res = ingest::csv::load(reader, Some(total), &opts, &mut |p| {
                    let _ = scope.post_message(&reply(
                        "progress",
                        id,
                        serde_json::to_string(&p).unwrap_or_default(),
                    ));
                    true
                });
                match res {
                    Ok(data) => self.loaded(id, data, name, t0),
                    Err(e) => self.post("error", id, format!("{name}: {e}")),
                }
            }
            "run" => {
                let Some(data) = &self.data else {
                    return self.post("error", id, "no data loaded yet".into());
                };
                let spec = field(&msg, "spec").as_string().unwrap_or_default();
                let out = Query::from_json(&spec).and_then(|q| analysis::run(&data.store, &q));
                match out {
                    Ok(output) => {
                        let r = RunReply {
                            output,
                            ms: now() - t0,
                        };
                        self.post("result", id, serde_json::to_string(&r).unwrap_or_default())
                    }
                    Err(e) => self.post("error", id, e.to_string()),
                }
            }
            other => self.post("error", id, format!("unknown request \"{other}\"")),
        }
    }
}

/// Installs the message handler in the worker's global scope and says `ready`.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(Worker {
        scope: scope.clone(),
        data: None,
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        state.borrow_mut().handle(e.data());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&object(&[("type", "ready".into()), ("id", 0.into())]));
}
