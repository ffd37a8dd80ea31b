//! wasm entry of the page: mounts the yew app (see `loupe::ui`).

#[cfg(target_arch = "wasm32")]
fn main() {
    loupe::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the app binary only runs in a browser (wasm32); use `make serve`");
}
