//! wasm entry of the Web Worker that owns the data (see `loupe::web::worker`).

#[cfg(target_arch = "wasm32")]
fn main() {
    loupe::web::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker binary only runs in a browser (wasm32)");
}
