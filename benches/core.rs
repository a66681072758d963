//! Core speed: parse + validate a generated 10 000-rule config, match 10 000 URLs against it, and
//! judge the DNS of its hostnames; reading the same config as config.yml (the fast reader and the
//! general parser side by side), reading both formats at 100 000 rules, and writing a config back
//! after one edit keeping its layout.
//! Targets (release, 2-core machine): parse + validate under 20 ms; the format-preserving rewrite
//! of a 10 000-rule config.yml after one edit in tens of milliseconds.

use std::hint::black_box;

use cfingress::config::files::{
    Format, Shape, parse_json, parse_yaml, to_json_string, to_yaml_string,
};
use cfingress::config::matching::Matcher;
use cfingress::config::model::Setting;
use cfingress::config::preserve::rewrite;
use cfingress::config::validate::validate;
use cfingress::config::{yamlfast, yamltree};
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
        let yaml = match to_yaml_string(&config) {
            Ok(t) => t,
            Err(e) => panic!("fixture does not encode as YAML: {e}"),
        };
        group.bench_function("parse_yaml", |b| b.iter(|| parse_yaml(black_box(&yaml))));
        group.bench_function("yaml_tree_fast_reader", |b| {
            b.iter(|| yamlfast::parse(black_box(&yaml)).is_some())
        });
        group.bench_function("yaml_tree_general_parser", |b| {
            b.iter(|| yamltree::parse(black_box(&yaml)).is_ok())
        });
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
        // One edit in the middle of the list, written back into the file's own text (which
        // includes re-reading the result to check it).
        let mut edited = config.clone();
        edited.rules_mut()[n / 2].service = Setting::Set("http://10.9.9.9:8080".to_owned());
        let mut moved = config.clone();
        let rule = moved.rules_mut().remove(n / 4);
        moved.rules_mut().insert(3 * n / 4, rule);
        for (name, after) in [("one_edit", &edited), ("move_rule", &moved)] {
            group.bench_function(format!("rewrite_yaml_{name}"), |b| {
                b.iter(|| {
                    rewrite(
                        black_box(&yaml),
                        Format::Yaml,
                        Shape::ConfigYml,
                        &config,
                        after,
                    )
                })
            });
        }
        group.bench_function("rewrite_json_one_edit", |b| {
            b.iter(|| {
                rewrite(
                    black_box(&text),
                    Format::Json,
                    Shape::Bare,
                    &config,
                    &edited,
                )
            })
        });
        group.finish();
    }
}

/// Reading a 100 000-rule config in both formats (what the editor's launch and `validate` pay).
fn large(c: &mut Criterion) {
    let config = scale_config(100_000, 42);
    let (json, yaml) = match (to_json_string(&config, false), to_yaml_string(&config)) {
        (Ok(j), Ok(y)) => (j, y),
        _ => panic!("fixture does not encode"),
    };
    let mut group = c.benchmark_group("100000_rules");
    group.sample_size(10);
    group.bench_function("parse", |b| b.iter(|| parse_json(black_box(&json))));
    group.bench_function("parse_yaml", |b| b.iter(|| parse_yaml(black_box(&yaml))));
    group.finish();
}

criterion_group!(benches, core, large);
criterion_main!(benches);
