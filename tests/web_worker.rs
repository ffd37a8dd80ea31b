//! Browser tests that run inside a dedicated Web Worker, where the engine lives in the app:
//! reading a browser `Blob` in slices with `FileReaderSync` and importing it.
#![cfg(target_arch = "wasm32")]

use loupe::engine::ingest::{csv, LoadOptions};
use loupe::web::worker::{BlobReader, SLICE};
use std::io::Read;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob(text: &str) -> web_sys::Blob {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(text.as_bytes()));
    web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap()
}

#[wasm_bindgen_test]
fn blob_reader_returns_every_byte_across_slices() {
    // longer than one slice, so the reader must cross a slice boundary
    let line = "u1,view_item,2025-01-01T00:00:00Z,CN\n";
    let n = (SLICE as usize / line.len()) + 1000;
    let mut text = String::from("user_id,event,timestamp,country\n");
    for _ in 0..n {
        text.push_str(line);
    }
    let mut out = Vec::new();
    BlobReader::new(blob(&text))
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out.len(), text.len());
    assert!(out == text.as_bytes());
    let d = csv::load(
        BlobReader::new(blob(&text)).unwrap(),
        Some(text.len() as u64),
        &LoadOptions::default(),
        &mut |_| true,
    )
    .unwrap();
    assert_eq!(d.report.imported as usize, n);
    assert_eq!(d.report.rows_in as usize, n);
}

#[wasm_bindgen_test]
fn rejected_rows_are_reported_from_a_blob() {
    let text = "uid,event,time\nu1,a,2025-01-01\nu2,,2025-01-01\nu3,b,soon\n";
    let d = csv::load(
        BlobReader::new(blob(text)).unwrap(),
        None,
        &LoadOptions::default(),
        &mut |_| true,
    )
    .unwrap();
    assert_eq!(
        (d.report.rows_in, d.report.imported, d.report.rejected),
        (3, 1, 2)
    );
    let lines: Vec<u64> = d.report.reject_samples.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4]);
}
