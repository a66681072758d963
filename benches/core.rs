//! Core speed: parse + validate a generated 10 000-rule config, match 10 000 URLs against it, and
//! judge the DNS of its hostnames. Target (release, 2-core machine): parse + validate under 20 ms.

use std::hint::black_box;

use cfingress::config::files::{parse_json, to_json_string};
use cfingress::config::matching::Matcher;
use cfingress::config::validate::validate;
use cfingress::fixtures::{dns_snapshot, scale_config, urls};
use criterion::{Criterion, criterion_group, criterion_main};

fn core(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let config = scale_config(n, 42);
        let text = match to_json_string(&config, false) {
            Ok(t) => t,
            Err(e) => panic!("fixture does not encode: {e}"),
        };
        let mut group = c.benchmark_group(format!("{n}_rules"));
        group.sample_size(20);
        group.bench_function("parse", |b| b.iter(|| parse_json(black_box(&text))));
        group.bench_function("validate", |b| b.iter(|| validate(black_box(&config))));
        group.bench_function("parse_and_validate", |b| {
            b.iter(|| parse_json(black_box(&text)).map(|l| validate(&l.config)))
        });
        let requests = urls(n, 10_000, 7);
        let matcher = Matcher::new(config.rules());
        // Compile every path regex once before timing steady-state matching.
        for u in &requests {
            let _ = matcher.match_url(u);
        }
        group.bench_function("match_10k_urls", |b| {
            b.iter(|| {
                requests
                    .iter()
                    .filter_map(|u| matcher.match_url(black_box(u)).ok())
                    .sum::<usize>()
            })
        });
        group.bench_function("index_and_match_10k_urls_cold", |b| {
            b.iter(|| {
                let m = Matcher::new(config.rules());
                requests
                    .iter()
                    .filter_map(|u| m.match_url(black_box(u)).ok())
                    .sum::<usize>()
            })
        });
        let snap = dns_snapshot(&config, "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415");
        group.bench_function("dns_check", |b| {
            b.iter(|| cfingress::dns::check(black_box(&config), black_box(&snap)))
        });
        group.finish();
    }
}

criterion_group!(benches, core);
criterion_main!(benches);
