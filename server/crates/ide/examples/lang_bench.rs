//! Prints how long Nix-language completion and hover take on a generated
//! 1.3 MB module (`cargo run --release -p flakelens-ide --example lang_bench`).
//! A figure to report, not a test.

use std::time::{Duration, Instant};

use flakelens_ide::fixture::Fixture;
use flakelens_syntax::TextSize;

fn main() {
    let mut body = String::from("{ config, lib, pkgs, ... }:\nwith lib;\nlet\n");
    let mut n = 0;
    while body.len() < 1_300_000 {
        body.push_str(&format!(
            "  value{n} = mkIf config.services.s{n}.enable {{ port = {n}; list = [ pkgs.hello \"x{n}\" ]; }};\n"
        ));
        n += 1;
    }
    body.push_str("in {\n  x = builtins.attrNames value1;\n  y = ma;\n}\n");
    let fixture = Fixture::parse(&format!("#- /big.nix\n{body}"));
    let host = fixture.host();
    let analysis = host.analysis();
    let text = analysis.file_text("/big.nix").unwrap();
    println!("file: {} bytes, {n} let bindings", text.len());
    let at =
        |needle: &str, delta: usize| TextSize::from((text.rfind(needle).unwrap() + delta) as u32);
    // Warm the parse (the editor has it cached after the first request).
    let _ = analysis.completions_at("/big.nix", at("y = ma", 6));
    for (what, offset) in [
        ("completion `y = ma|` (names in scope)", at("y = ma", 6)),
        ("completion `builtins.|`", at("builtins.", 9)),
        (
            "completion `[ |pkgs.hello` (list element)",
            at("[ pkgs.hello", 2),
        ),
    ] {
        let mut times = Vec::new();
        let mut count = 0;
        let cpu = on_cpu();
        for _ in 0..15 {
            let start = Instant::now();
            count = analysis.completions_at("/big.nix", offset).unwrap().len();
            times.push(start.elapsed());
        }
        let cpu = (on_cpu() - cpu) / 15;
        println!(
            "{what}: median wall {:?}, mean on-CPU {cpu:?} ({count} items)",
            median(&mut times)
        );
    }
    let offset = at("mkIf", 2);
    let mut times = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        let _ = analysis.hover_at("/big.nix", offset).unwrap();
        times.push(start.elapsed());
    }
    println!("hover on `mkIf`: median {:?}", median(&mut times));
}

/// Time this thread spent running (not waiting for a core), from
/// `/proc/thread-self/schedstat`: the machine is shared, wall time is not.
fn on_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
