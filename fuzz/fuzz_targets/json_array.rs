//! A JSON array: the fuzzed bytes follow `[` and one whole object, so the array scanner
//! reads them.
#![no_main]
#[path = "../harness.rs"]
mod harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = br#"[{"distinct_id":"u1","event":"open","timestamp":1704448800},"#.to_vec();
    input.extend_from_slice(data);
    harness::check(&input, &Default::default()).unwrap();
});
