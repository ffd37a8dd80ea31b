//! The page's handle on a worker: spawn, send requests, receive decoded replies.

use super::protocol::{decode, object, APP_WORKER_NAME};
use crate::protocol::{Reply, Request, UserError};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// The script Trunk emits for the worker binary (relative, so any sub-path works).
pub const WORKER_URL: &str = "./worker_loader.js";

/// A running worker. Dropping it terminates the worker.
pub struct WorkerClient {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    queue: Rc<RefCell<Vec<JsValue>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl WorkerClient {
    /// Starts a worker; `on_reply` receives every reply with the id of its request.
    pub fn spawn(on_reply: impl Fn(u32, Reply) + 'static) -> Result<Self, String> {
        let opts = web_sys::WorkerOptions::new();
        opts.set_name(APP_WORKER_NAME);
        let worker = Worker::new_with_options(WORKER_URL, &opts)
            .map_err(|e| format!("could not start the worker: {e:?}"))?;
        let on_reply = Rc::new(on_reply);
        let r = on_reply.clone();
        let ready = Rc::new(Cell::new(false));
        let queue: Rc<RefCell<Vec<JsValue>>> = Rc::default();
        let (w, rd, q) = (worker.clone(), ready.clone(), queue.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match decode(&e.data()) {
                (id, Reply::Ready) => {
                    // requests sent before the wasm module started are held until now
                    rd.set(true);
                    for m in q.borrow_mut().drain(..) {
                        let _ = w.post_message(&m);
                    }
                    r(id, Reply::Ready)
                }
                (id, reply) => r(id, reply),
            }
        });
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                on_reply(
                    0,
                    Reply::Error(UserError::new(
                        "engine_stopped",
                        format!(
                            "the engine stopped ({}); open the file again to continue",
                            e.message()
                        ),
                    )),
                );
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(WorkerClient {
            worker,
            ready,
            queue,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn send(&self, msg: JsValue) {
        if self.ready.get() {
            let _ = self.worker.post_message(&msg);
        } else {
            self.queue.borrow_mut().push(msg);
        }
    }

    /// Asks the worker to read `files` (the handles are cloned, not the bytes; several are
    /// one dataset) with the options of each (`options_json`: a JSON array, one per file);
    /// `remembered` maps header keys to remembered options (used for a file when its
    /// options are the defaults and its header line has a key there).
    pub fn load_files(
        &self,
        id: u32,
        files: &[web_sys::File],
        options_json: &str,
        remembered: &str,
    ) {
        let more: js_sys::Array = files.iter().skip(1).collect();
        self.send(object(&[
            ("id", id.into()),
            ("file", files[0].clone().into()),
            ("more", more.into()),
            ("file_options", options_json.into()),
            ("remembered", remembered.into()),
        ]));
    }

    /// Asks the worker to sniff `file` with the options (a `sniffed` reply).
    pub fn sniff_file(&self, id: u32, file: &web_sys::File, options_json: &str) {
        self.send(object(&[
            ("id", id.into()),
            ("file", file.clone().into()),
            ("options", options_json.into()),
            ("sniff", true.into()),
        ]));
    }

    /// Sends a request.
    pub fn request(&self, id: u32, req: &Request) {
        let json = serde_json::to_string(req).unwrap_or_default();
        self.send(object(&[("id", id.into()), ("request", json.into())]));
    }
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
