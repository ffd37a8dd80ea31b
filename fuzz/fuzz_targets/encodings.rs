//! Text in other encodings: the first byte chooses the encoding option (or detection), the
//! rest is the file.
#![no_main]
#[path = "../harness.rs"]
mod harness;
use libfuzzer_sys::fuzz_target;
use loupe::engine::ingest::LoadOptions;

const ENCODINGS: [Option<&str>; 6] = [
    None,
    Some("utf-16le"),
    Some("utf-16be"),
    Some("gbk"),
    Some("shift_jis"),
    Some("windows-1252"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let opts = LoadOptions {
        encoding: ENCODINGS[first as usize % ENCODINGS.len()].map(str::to_string),
        ..Default::default()
    };
    harness::check(rest, &opts).unwrap();
});
