//! Delimited text: the fuzzed bytes follow a header line, so the CSV loader reads them.
#![no_main]
#[path = "../harness.rs"]
mod harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = b"user_id,event,timestamp,country,revenue\n".to_vec();
    input.extend_from_slice(data);
    harness::check(&input, &Default::default()).unwrap();
});
