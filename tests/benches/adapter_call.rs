//! What one adapter call costs, against the same work done natively in the host.
//!
//! * `trivial/*`: `cases.events` on the fixture adapter, which answers an empty
//!   page at once. `fresh_instance` is what the platform does for every call
//!   (instantiate from the cached `InstancePre`, call, drop the store);
//!   `warm_instance` calls an instance kept alive; `native` builds the same
//!   answer in Rust.
//! * `translate_1000/*`: the market-supervision adapter turning a pushed GBK XML
//!   notification of 1,000 status changes into unified case events: through the
//!   adapter (`cases.on-notify`) and by the very same Rust code compiled natively.
//!
//! * `activation/*`: loading the market-supervision adapter (compile, check the
//!   contract, link): compiled afresh, and from the compile cache a restart uses.
//!
//! `cargo bench -p onewindow-tests --bench adapter_call` (part of `make bench`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use onewindow::adapter::Adapter as _;
use onewindow::model::EventPage;
use onewindow_tests::{TestPackage, components, fixture_manifest, runtime};

/// The async runtime the benchmarks drive adapter calls on.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn trivial(c: &mut Criterion) {
    let rt = current_thread();
    let (runtime, _exchange) = runtime();
    let package = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &fixture_manifest("bench", "ok", "", ""),
    );
    let adapter = runtime.load_dir(package.path()).unwrap();

    let mut group = c.benchmark_group("trivial");
    group.bench_function("native", |b| {
        b.iter(|| {
            black_box(EventPage {
                events: Vec::new(),
                license_events: Vec::new(),
                next_cursor: None,
                more: false,
            })
        })
    });
    group.bench_function("fresh_instance", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(adapter.case_events(None).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    let mut warm = rt.block_on(adapter.warm_instance()).unwrap();
    group.bench_function("warm_instance", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    warm.case_events(None).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

fn translate(c: &mut Criterion) {
    let rt = current_thread();
    let (runtime, _exchange) = runtime();
    let package = TestPackage::new(
        components::MARKET_SUPERVISION,
        r#"id = "market-supervision"
version = "0.1.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.2.0"
[config]
endpoint = "http://127.0.0.1:9/unused"
"#,
    );
    let adapter = runtime.load_dir(package.path()).unwrap();
    let body = market_supervision::sample_notification(1000);
    let content_type = "text/xml; charset=GBK";
    let headers = [("content-type".to_owned(), content_type.to_owned())];
    let events = rt.block_on(adapter.on_notify(&headers, &body)).unwrap();
    assert_eq!(
        events.events.len(),
        1000,
        "the adapter translates every record"
    );
    assert_eq!(
        market_supervision::parse_notification(&body, content_type)
            .unwrap()
            .len(),
        1000
    );

    let mut group = c.benchmark_group("translate_1000");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("native", |b| {
        b.iter(|| black_box(market_supervision::parse_notification(&body, content_type).unwrap()))
    });
    group.bench_function("adapter", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(adapter.on_notify(&headers, &body).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

fn activation(c: &mut Criterion) {
    use onewindow::runtime::{Runtime, RuntimeConfig};
    let exchange = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let manifest = r#"id = "market-supervision"
version = "0.1.0"
department = "县市场监督管理局"
api = "onewindow:adapter@0.2.0"
"#;
    let package = TestPackage::new(components::MARKET_SUPERVISION, manifest);
    let runtime = |cache_dir: Option<std::path::PathBuf>| {
        Runtime::new(RuntimeConfig {
            exchange_root: exchange.path().to_owned(),
            max_instances: 10,
            cache_dir,
            ..RuntimeConfig::default()
        })
        .unwrap()
    };
    let uncached = runtime(None);
    let cached = runtime(Some(cache.path().to_owned()));
    cached.load_dir(package.path()).unwrap();

    let mut group = c.benchmark_group("activation");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| black_box(uncached.load_dir(package.path()).unwrap()))
    });
    group.bench_function("from_cache", |b| {
        b.iter(|| black_box(cached.load_dir(package.path()).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, trivial, translate, activation);
criterion_main!(benches);
