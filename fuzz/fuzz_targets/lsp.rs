//! Fuzz target `lsp`: see `flakelens::fuzz::lsp_session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flakelens::fuzz::lsp_session(data));
