//! zip archives: inputs that start like one (a local file header or an empty archive).
#![no_main]
#[path = "../harness.rs"]
mod harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PK") {
        harness::check(data, &Default::default()).unwrap();
    }
});
