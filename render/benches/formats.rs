//! How long each format takes on a receipt far bigger than real runs: 10 000 file changes
//! and 5 000 processes (a chain as deep as that) with 2 000 peers. The budget is
//! one second for the HTML page; the other formats are shown beside it for scale.
//!
//! `cargo bench -p runglass-render` (release build); `-- --rounds N` for more rounds.
//! Prints a markdown table: median, min and max milliseconds, and the output size.

use std::time::Instant;

use runglass_render::{ai, html, json, markdown, reverse_patch, summary_md, terminal};

#[path = "../tests/support/big.rs"]
#[allow(dead_code)]
mod big;

fn main() {
    let rounds = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(7usize);
    let r = big::big_receipt(10_000, 5_000);
    let formats: [(&str, &dyn Fn() -> String); 7] = [
        ("html", &|| html::page(&r)),
        ("markdown", &|| markdown::receipt(&r)),
        ("summary-md", &|| summary_md::summary(&r)),
        ("ai", &|| ai::summary(&r)),
        ("json", &|| json::receipt(&r)),
        ("reverse-patch", &|| reverse_patch::reverse_patch(&r, &|_| None)),
        ("terminal report", &|| terminal::report(&r)),
    ];
    println!("receipt: {} file changes, {} processes, {} peers; {rounds} rounds", r.files.changes.len(), r.processes.len(), r.network.outbound.len());
    println!();
    println!("| format | median ms | min ms | max ms | output |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, render) in formats {
        let mut times = Vec::with_capacity(rounds);
        let mut size = 0;
        for _ in 0..rounds {
            let start = Instant::now();
            let out = std::hint::black_box(render());
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            size = out.len();
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "| {name} | {median:.0} | {:.0} | {:.0} | {:.1} MB |",
            times[0],
            times[times.len() - 1],
            size as f64 / 1e6
        );
    }
}
