//! gzip streams (one or several members): inputs that start with the gzip magic.
#![no_main]
#[path = "../harness.rs"]
mod harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&[0x1f, 0x8b]) {
        harness::check(data, &Default::default()).unwrap();
    }
});
