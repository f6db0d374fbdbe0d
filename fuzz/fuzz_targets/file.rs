//! Fuzz target `file`: see `flakelens::fuzz::analyse_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flakelens::fuzz::analyse_file(data));
