//! Fuzz target `workspace`: see `flakelens::fuzz::analyse_workspace`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flakelens::fuzz::analyse_workspace(data));
