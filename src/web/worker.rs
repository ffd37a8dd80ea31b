//! The engine inside a dedicated Web Worker: owns the dataset, answers requests.
//!
//! Files are read in slices of [`SLICE`] bytes with `FileReaderSync` (available in workers
//! only), through a `std::io::Read` adapter, so the CSV loader streams over the `File`
//! exactly as it streams over a native file, and the file is never held whole. The adapter
//! can seek (a zip archive's directory is at its end). Everything
//! else is [`crate::protocol::Session`]: this module only moves messages and bytes.

use super::protocol::{encode, field, id_of, APP_WORKER_NAME};
use crate::engine::error::Error;
use crate::engine::ingest::{self, LoadOptions};
use crate::protocol::{MemoryWatch, Reply, Session, UserError, WASM_MEMORY_LIMIT};
use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom};
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

impl Seek for BlobReader {
    /// Moves the read position; the slice in memory is kept when the position is inside it
    /// (a zip archive's entries are read with a seek before each read).
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => p as f64,
            SeekFrom::End(d) => self.size + d as f64,
            SeekFrom::Current(d) => self.offset - (self.buf.len() - self.pos) as f64 + d as f64,
        };
        if target < 0.0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        }
        let buf_start = self.offset - self.buf.len() as f64;
        if target >= buf_start && target <= self.offset {
            self.pos = (target - buf_start) as usize;
        } else {
            self.offset = target;
            self.buf.clear();
            self.pos = 0;
        }
        Ok(target as u64)
    }
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
    session: Session,
    /// Started by the app's page: replies go in the `Wire` form.
    wire: bool,
}

impl Worker {
    fn post(&self, id: u32, reply: &Reply) {
        let _ = self.scope.post_message(&encode(id, reply, self.wire));
    }

    fn handle(&mut self, msg: JsValue) {
        let id = id_of(&msg);
        let file = field(&msg, "file");
        if file.is_undefined() {
            let json = field(&msg, "request").as_string().unwrap_or_default();
            let reply = self.session.handle_json(&json, &now);
            return self.post(id, &reply);
        }
        let t0 = now();
        let file: web_sys::File = file.unchecked_into();
        let opts_json = field(&msg, "options")
            .as_string()
            .unwrap_or_else(|| "{}".into());
        let opts: LoadOptions = match serde_json::from_str(&opts_json) {
            Ok(o) => o,
            Err(e) => {
                let err = UserError::new("bad_request", format!("bad import options: {e}"));
                return self.post(id, &Reply::Error(err));
            }
        };
        if field(&msg, "sniff").as_bool() == Some(true) {
            let name = file.name();
            let reader = match BlobReader::new(file.into()) {
                Ok(r) => r,
                Err(e) => {
                    return self.post(id, &Reply::Error(UserError::new("io", format!("{e:?}"))))
                }
            };
            let reply = match ingest::sniff_file(reader, &opts) {
                Ok(s) => Reply::Sniffed(Box::new(s)),
                Err(e) => Reply::Error(file_error(&e, &name)),
            };
            return self.post(id, &reply);
        }
        // several files are one dataset: each is sniffed, and a mapping remembered for its
        // header line replaces the detected options for it
        let remembered: std::collections::BTreeMap<String, LoadOptions> = field(&msg, "remembered")
            .as_string()
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let mut files: Vec<web_sys::File> = vec![file];
        let more = field(&msg, "more");
        if more.is_array() {
            files.extend(
                js_sys::Array::from(&more)
                    .iter()
                    .map(|f| f.unchecked_into()),
            );
        }
        let name = files
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(" + ");
        // each file's own options (the mapping step's), else `options` for every file
        let per_file: Vec<LoadOptions> = match field(&msg, "file_options").as_string() {
            None => vec![opts.clone(); files.len()],
            Some(json) => match serde_json::from_str::<Vec<LoadOptions>>(&json) {
                Ok(o) if o.len() == files.len() => o,
                Ok(_) => {
                    let msg = "bad import options: one per file is needed";
                    return self.post(id, &Reply::Error(UserError::new("bad_request", msg)));
                }
                Err(e) => {
                    let err = UserError::new("bad_request", format!("bad import options: {e}"));
                    return self.post(id, &Reply::Error(err));
                }
            },
        };
        let mut sources = Vec::with_capacity(files.len());
        let mut reused = None;
        for (f, opts) in files.into_iter().zip(per_file) {
            let file_name = f.name();
            let mut reader = match BlobReader::new(f.into()) {
                Ok(r) => r,
                Err(e) => {
                    return self.post(id, &Reply::Error(UserError::new("io", format!("{e:?}"))))
                }
            };
            let mut options = opts.clone();
            if opts == LoadOptions::default() && !remembered.is_empty() {
                if let Ok(s) = ingest::sniff_file(&mut reader, &opts) {
                    if let Some(o) = remembered.get(&s.header_key) {
                        options = o.clone();
                        reused = Some(s.header_key);
                    }
                }
                if let Err(e) = reader.seek(SeekFrom::Start(0)) {
                    return self.post(id, &Reply::Error(UserError::new("io", e.to_string())));
                }
            }
            sources.push(ingest::Source {
                name: file_name,
                size: Some(reader.size as u64),
                input: reader,
                options,
            });
        }
        let (scope, wire) = (self.scope.clone(), self.wire);
        let watch = MemoryWatch::new(wasm_memory_bytes(), WASM_MEMORY_LIMIT);
        let mut too_large = None;
        let res = ingest::load_files(sources, &mut |p| {
            if let Some(need) = watch.over(&p, wasm_memory_bytes()) {
                too_large = Some(need);
                return false;
            }
            let _ = scope.post_message(&encode(id, &Reply::Progress(p), wire));
            true
        });
        if let Some(need) = too_large {
            return self.post(id, &Reply::Error(watch.error(&name, need)));
        }
        let reply = match res {
            Ok(data) => {
                let mut reply = self
                    .session
                    .loaded(data, name, now() - t0, wasm_memory_bytes());
                if let Reply::Loaded(l) = &mut reply {
                    l.mapping_reused = reused;
                }
                reply
            }
            Err(e) => Reply::Error(file_error(&e, &name)),
        };
        self.post(id, &reply);
    }
}

/// The error of loading or sniffing the file `name`: named in English, and in the
/// parameters of a keyed error, so the app's translation names it too.
fn file_error(e: &Error, name: &str) -> UserError {
    let mut err = UserError::from(e);
    err.message = format!("{name}: {}", err.message);
    if err.key.is_some() {
        err.params
            .entry("file".into())
            .or_insert_with(|| name.to_string());
    }
    err
}

/// Installs the message handler in the worker's global scope and says `ready`.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let wire = scope.name() == APP_WORKER_NAME;
    let state = Rc::new(RefCell::new(Worker {
        scope: scope.clone(),
        session: Session::new(),
        wire,
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        state.borrow_mut().handle(e.data());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&encode(0, &Reply::Ready, wire));
}
