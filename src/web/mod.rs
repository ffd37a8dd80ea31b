//! The browser side of the engine (wasm32 only).
//!
//! The page never parses data. It hands a `File` handle to a dedicated Web Worker
//! ([`worker`]), which reads the file in slices with `FileReaderSync`, builds the store and
//! answers specs. The protocol ([`protocol`]) is plain JS objects over `postMessage`: the
//! `File` travels as a structured-clone handle (no bytes are copied), everything else is a
//! small JSON string. [`client`] is the page's handle on a worker.
//!
//! Cancelling a load terminates the loading worker; the app loads each file in a fresh
//! worker and only swaps it in when the load succeeds, so the previous dataset survives a
//! cancelled or failed load.

pub mod client;
pub mod protocol;
pub mod worker;
