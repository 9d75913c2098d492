//! The sandbox keeps misbehaving adapters from hurting the host or each other.

use std::time::{Duration, Instant};

use onewindow::adapter::{Adapter as _, CallError, LoadError};
use onewindow::model::AdapterError;
use onewindow::runtime::{Runtime, WasmAdapter};
use onewindow_tests::{TestPackage, components, fixture_manifest, runtime};

fn load(runtime: &Runtime, id: &str, behaviour: &str, config: &str, limits: &str) -> WasmAdapter {
    let package = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &fixture_manifest(id, behaviour, config, limits),
    );
    runtime
        .load_dir(package.path())
        .unwrap_or_else(|e| panic!("loading {id}: {e}"))
}

/// A healthy adapter answers with the name from its config.
async fn assert_healthy(runtime: &Runtime) {
    let healthy = load(runtime, "healthy", "ok", "name = \"健康\"", "");
    let matters = healthy
        .list_matters()
        .await
        .expect("the healthy adapter answers");
    assert_eq!(matters[0].name, "健康");
}

#[tokio::test]
async fn a_trapping_adapter_fails_that_call_only() {
    let (runtime, _exchange) = runtime();
    let trapping = load(&runtime, "trapping", "trap", "", "");
    let err = trapping.list_matters().await.unwrap_err();
    let CallError::Trap {
        adapter,
        function,
        cause,
    } = &err
    else {
        panic!("expected a trap, got {err:?}");
    };
    assert_eq!(adapter, "trapping");
    assert_eq!(*function, "matters.list");
    assert!(cause.contains("the fixture was told to trap"), "{cause}");
    assert!(err.is_retryable());
    // The same adapter can be called again, and so can others.
    assert!(matches!(
        trapping.list_matters().await,
        Err(CallError::Trap { .. })
    ));
    assert_healthy(&runtime).await;
}

/// Each call has a fresh instance: nothing one applicant's call left in
/// memory (a static, the stack, the heap) is there for the next call.
#[tokio::test]
async fn a_call_finds_nothing_an_earlier_call_left_in_memory() {
    let (runtime, _exchange) = runtime();
    let adapter = load(&runtime, "remembering", "ok", "submit = \"remember\"", "");
    for case_no in ["20261201-000001", "20261201-000002", "20261201-000003"] {
        let submission: onewindow::model::CaseSubmission =
            serde_json::from_value(serde_json::json!({
                "case_no": case_no,
                "matter_code": "SC-001",
                "applicant": {"type": "person", "id_number": "330122199001011234", "name": "陈明"},
                "accepted_at": "2026-12-01T09:30:00+08:00",
                "form": {}, "attachments": [], "licenses": []
            }))
            .unwrap();
        let answer = adapter.submit_case(&submission).await.unwrap();
        let found = answer
            .strip_prefix(&format!("{case_no}:own "))
            .unwrap_or_else(|| panic!("unexpected answer {answer:?}"));
        let (own, others) = found.split_once(", others ").unwrap();
        // Its own secret is found (in the static, on the stack, in the heap):
        // the search works.
        assert!(own.parse::<usize>().unwrap() > 2, "{answer}");
        assert_eq!(others, "{}", "{case_no} found what an earlier call left");
    }
}

#[tokio::test]
async fn a_looping_adapter_is_stopped_at_its_timeout() {
    let (runtime, _exchange) = runtime();
    let looping = load(&runtime, "looping", "loop", "", "call-timeout-ms = 200");
    let started = Instant::now();
    let err = looping.list_matters().await.unwrap_err();
    assert!(
        matches!(&err, CallError::Timeout { adapter, ms: 200, .. } if adapter == "looping"),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        err.to_string(),
        "adapter looping: matters.list timed out after 200 ms and was stopped"
    );
    assert_healthy(&runtime).await;
}

/// On one executor thread: a looping adapter yields at every epoch tick, so it
/// holds no thread that the others need.
#[tokio::test(flavor = "current_thread")]
async fn healthy_adapters_answer_while_another_loops() {
    let (runtime, _exchange) = runtime();
    let looping = load(&runtime, "looping", "loop", "", "call-timeout-ms = 3000");
    let healthy = load(&runtime, "healthy", "ok", "", "");
    let stuck = tokio::spawn(async move { looping.list_matters().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..20 {
        healthy
            .list_matters()
            .await
            .expect("healthy answers while another adapter loops");
    }
    assert!(
        !stuck.is_finished(),
        "the looping call should still be running"
    );
    assert!(matches!(
        stuck.await.unwrap(),
        Err(CallError::Timeout { .. })
    ));
}

#[tokio::test]
async fn a_memory_bomb_is_stopped_at_its_cap() {
    let (runtime, _exchange) = runtime();
    let bomb = load(&runtime, "bomb", "memory", "", "memory-mib = 16");
    let err = bomb.list_matters().await.unwrap_err();
    assert!(
        matches!(&err, CallError::MemoryLimit { adapter, mib: 16, .. } if adapter == "bomb"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("exceeded its memory cap of 16 MiB")
    );
    assert_healthy(&runtime).await;
}

/// Serves one fixed answer to any request on 127.0.0.1, counting requests.
async fn tiny_server(
    answer: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (url, hits)
}

#[tokio::test]
async fn outbound_requests_reach_only_granted_prefixes() {
    use std::sync::atomic::Ordering;
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let (runtime, _exchange) = runtime();
    let (granted, granted_hits) = tiny_server("granted answer").await;
    let (other, other_hits) = tiny_server("must not be reached").await;
    let grants = format!("[grants]\noutbound = [\"{granted}/legacy\"]\n");

    let allowed = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &format!(
            "{}{grants}",
            fixture_manifest(
                "caller",
                "http",
                &format!("url = \"{granted}/legacy/ws\""),
                ""
            )
        ),
    );
    let adapter = runtime.load_dir(allowed.path()).unwrap();
    let answer = adapter
        .list_matters()
        .await
        .expect("a granted request goes out");
    assert_eq!(answer[0].name, "200 granted answer");
    assert_eq!(granted_hits.load(Ordering::SeqCst), 1);

    for url in [
        format!("{other}/legacy/ws"),
        format!("{granted}/admin"),
        format!("{granted}/legacyx"),
    ] {
        let denied = TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!(
                "{}{grants}",
                fixture_manifest("caller", "http", &format!("url = \"{url}\""), "")
            ),
        );
        let adapter = runtime.load_dir(denied.path()).unwrap();
        let err = adapter.list_matters().await.unwrap_err();
        let CallError::Adapter {
            error: AdapterError::Invalid(message),
            ..
        } = &err
        else {
            panic!("expected the adapter's own invalid error for {url}, got {err:?}");
        };
        assert!(
            message.contains("the host denied the request") && message.contains(&url),
            "{message}"
        );
    }
    assert_eq!(
        other_hits.load(Ordering::SeqCst),
        0,
        "an ungranted server was reached"
    );
    assert_eq!(
        granted_hits.load(Ordering::SeqCst),
        1,
        "an ungranted path was requested"
    );
    let logged = logs.contents();
    assert!(
        logged.contains("refused an outbound request the manifest does not grant")
            && logged.contains(&format!("{other}/legacy/ws"))
            && logged.contains("adapter=caller"),
        "the refusal is logged with the adapter and URL: {logged}"
    );
}

#[tokio::test]
async fn the_exchange_directory_is_the_only_reachable_folder() {
    let (runtime, exchange) = runtime();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "机密").unwrap();
    std::fs::write(exchange.path().join("secret.txt"), "exchange root").unwrap();
    let grants = "[grants]\nexchange-dir = \"real-estate\"\n";

    let read = |path: &str, grants: &str| {
        let package = TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!(
                "{}{grants}",
                fixture_manifest("files", "file", &format!("path = \"{path}\""), "")
            ),
        );
        let adapter = runtime.load_dir(package.path()).unwrap();
        async move { adapter.list_matters().await.map(|m| m[0].name.clone()) }
    };

    // Loading created the folder; a file put there is readable at /exchange.
    read("/exchange/none.txt", grants).await.unwrap_err();
    let dir = exchange.path().join("real-estate");
    std::fs::write(dir.join("inbox.csv"), "受理编号,状态").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), dir.join("link.txt")).unwrap();
    assert_eq!(
        read("/exchange/inbox.csv", grants).await.unwrap(),
        "受理编号,状态"
    );

    let escapes = [
        "/exchange/../secret.txt".to_owned(),
        "/exchange/link.txt".to_owned(),
        outside.path().join("secret.txt").display().to_string(),
        "/etc/passwd".to_owned(),
    ];
    for path in &escapes {
        let err = read(path, grants).await.unwrap_err();
        assert!(
            matches!(&err, CallError::Adapter { error: AdapterError::NotFound(m), .. } if m.contains("cannot read")),
            "{path}: {err:?}"
        );
    }
    // Without the grant there is no /exchange at all.
    assert!(read("/exchange/inbox.csv", "").await.is_err());
}

/// One runtime serves a component built on 0.1.0 and one built on 0.2.0 side
/// by side; what only 0.2.0 has is refused for the older one with a message,
/// and a manifest that names the other version is refused at load.
#[tokio::test]
async fn components_on_contracts_0_1_and_0_2_are_served_side_by_side() {
    let (runtime, _exchange) = runtime();
    let load = |component: &str, api: &str, name: &str| {
        let manifest = fixture_manifest(name, "ok", &format!("name = \"{name}\""), "")
            .replace("onewindow:adapter@0.1.0", api);
        let package = TestPackage::new(component, &manifest);
        runtime.load_dir(package.path())
    };
    let old = load(
        components::FIXTURE_ADAPTER,
        "onewindow:adapter@0.1.0",
        "old",
    )
    .unwrap();
    let new = load(
        components::FIXTURE_ADAPTER_0_2,
        "onewindow:adapter@0.2.0",
        "new",
    )
    .unwrap();
    assert_eq!((old.contract(), new.contract()), ("0.1.0", "0.2.0"));
    for (adapter, name) in [(&old, "old"), (&new, "new")] {
        let matters = adapter.list_matters().await.unwrap();
        assert_eq!(matters[0].name, name);
        assert!(matters[0].form.is_empty());
    }
    let file = onewindow::model::Attachment {
        material_code: "M1".into(),
        file_name: "补正.pdf".into(),
        media_type: "application/pdf".into(),
        content_base64: b"%PDF".to_vec(),
    };
    new.supplement_case("C1", std::slice::from_ref(&file), "补")
        .await
        .unwrap();
    new.withdraw_case("C1", "不办了").await.unwrap();
    let err = old.supplement_case("C1", &[file], "补").await.unwrap_err();
    assert!(matches!(err, CallError::OlderContract { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "adapter old is built on onewindow:adapter 0.1.0, which has no cases.supplement; rebuild it on 0.2.0"
    );
    let err = old.withdraw_case("C1", "不办了").await.unwrap_err();
    assert!(matches!(err, CallError::OlderContract { .. }), "{err:?}");
    // Pushes reach both, the media type as a header.
    let headers = onewindow_tests::content_type("text/plain");
    assert!(
        old.on_notify(&headers, b"x")
            .await
            .unwrap()
            .events
            .is_empty()
    );
    assert!(
        new.on_notify(&headers, b"x")
            .await
            .unwrap()
            .events
            .is_empty()
    );

    let err = load(
        components::FIXTURE_ADAPTER,
        "onewindow:adapter@0.2.0",
        "liar",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "adapter liar: its manifest says api = \"onewindow:adapter@0.2.0\" but the component is built on onewindow:adapter@0.1.0; correct the manifest's api"
    );
}

#[tokio::test]
async fn a_component_for_another_contract_version_is_refused_before_it_runs() {
    let (runtime, _exchange) = runtime();
    let manifest = |id: &str| {
        onewindow::manifest::Manifest::parse(
            &fixture_manifest(id, "ok", "", ""),
            std::path::Path::new("adapter.toml"),
        )
        .unwrap()
    };
    let future = wat_component("onewindow:adapter/matters@0.9.0");
    let err = runtime
        .load(manifest("future"), &future, String::new())
        .unwrap_err();
    assert!(matches!(err, LoadError::Contract { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "adapter future: the component targets onewindow:adapter matters@0.9.0 but this host serves versions 0.1.0, 0.2.0; rebuild it against the served contract"
    );

    let stranger = wat_component("example:other/thing@1.0.0");
    let err = runtime
        .load(manifest("stranger"), &stranger, String::new())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("exports none of onewindow:adapter/matters, cases or licenses"),
        "{err}"
    );

    let garbage = runtime
        .load(manifest("garbage"), b"not wasm at all", String::new())
        .unwrap_err();
    assert!(matches!(garbage, LoadError::Compile { .. }), "{garbage:?}");
}

/// A component that exports one empty instance under `name`.
fn wat_component(name: &str) -> Vec<u8> {
    format!("(component (instance $i) (export \"{name}\" (instance $i)))").into_bytes()
}

#[tokio::test]
async fn bad_packages_say_what_is_wrong_and_load_nothing() {
    let (runtime, _exchange) = runtime();
    let missing = TestPackage::new(
        "/nonexistent/adapter.wasm",
        &fixture_manifest("missing", "ok", "", ""),
    );
    let err = runtime.load_dir(missing.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot read /nonexistent/adapter.wasm"),
        "{err}"
    );

    let tampered = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &format!(
            "sha256 = \"{}\"\n{}",
            "0".repeat(64),
            fixture_manifest("tampered", "ok", "", "")
        ),
    );
    let err = runtime.load_dir(tampered.path()).unwrap_err().to_string();
    assert!(err.contains("but the manifest says 0000"), "{err}");

    let no_manifest = tempfile::tempdir().unwrap();
    let err = runtime
        .load_dir(no_manifest.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("adapter.toml"), "{err}");
}

/// Log lines written while a test runs on its (current-thread) runtime.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let logs = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || logs.clone())
            .finish()
    }

    fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What an integrator packs and signs is what the platform verifies and loads:
/// the real fixture component, through a `.tar.gz`.
#[tokio::test]
async fn a_signed_package_verifies_and_its_component_loads() {
    use onewindow::registry::package;
    let source = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &fixture_manifest("packed", "ok", "name = \"已签名\"", ""),
    );
    let keys = tempfile::tempdir().unwrap();
    let (secret, public) = package::new_key_pair("integrator", keys.path()).unwrap();
    package::trust_key(&public, keys.path(), &["packed".into()]).unwrap();
    let key = package::SecretKey::read(&secret).unwrap();
    let (_, files) = package::pack(source.path(), &key).unwrap();
    let archive = files.to_tar_gz();
    let trust = package::TrustStore::load_dir(keys.path()).unwrap();
    let verified = package::verify(
        package::PackageFiles::from_tar_gz(archive.as_slice()).unwrap(),
        &trust,
        true,
    )
    .unwrap();
    assert_eq!(verified.signer.as_deref(), Some("integrator"));
    let (runtime, _exchange) = runtime();
    let adapter = runtime
        .load(verified.manifest, &verified.component, verified.sha256)
        .unwrap();
    assert_eq!(adapter.list_matters().await.unwrap()[0].name, "已签名");
}

/// Repeated traps open the trapping adapter's breaker: it is then refused at
/// once, without running, while a healthy adapter keeps answering; after the
/// cool-down one trial runs again.
#[tokio::test]
async fn repeated_traps_open_the_breaker_of_that_adapter_only() {
    use onewindow::adapter::breaker::BreakerConfig;
    let (runtime, _exchange) = onewindow_tests::runtime_with(BreakerConfig {
        failures: 3,
        cool_down: Duration::from_millis(300),
    });
    let trapping = load(&runtime, "trapping", "trap", "", "");
    let healthy = load(&runtime, "healthy", "ok", "name = \"健康\"", "");
    for _ in 0..3 {
        let err = trapping.list_matters().await.unwrap_err();
        assert_eq!(err.kind(), "trap", "{err}");
        assert_eq!(healthy.list_matters().await.unwrap()[0].name, "健康");
    }
    assert_eq!(trapping.health().breaker, "open");
    let err = trapping.list_matters().await.unwrap_err();
    assert_eq!(err.kind(), "breaker_open", "{err}");
    assert!(err.is_retryable(), "cases wait in the outbox meanwhile");
    assert!(err.to_string().contains("circuit breaker is open"), "{err}");
    assert_eq!(healthy.health().breaker, "closed");
    assert_eq!(healthy.list_matters().await.unwrap()[0].name, "健康");

    tokio::time::sleep(Duration::from_millis(350)).await;
    let err = trapping.list_matters().await.unwrap_err();
    assert_eq!(err.kind(), "trap", "the trial runs the adapter: {err}");
    assert_eq!(
        trapping.health().breaker,
        "open",
        "and a failed trial opens it again"
    );
}

/// A restart compiles nothing it compiled before: the second runtime on the same
/// cache folder finds the component there, and the adapter works the same.
#[tokio::test]
async fn a_second_start_loads_the_component_from_the_compile_cache() {
    use onewindow::runtime::RuntimeConfig;
    let cache = tempfile::tempdir().unwrap();
    let exchange = tempfile::tempdir().unwrap();
    let package = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &fixture_manifest("cached", "ok", "name = \"缓存\"", ""),
    );
    let start = || {
        Runtime::new(RuntimeConfig {
            exchange_root: exchange.path().to_owned(),
            max_instances: 10,
            cache_dir: Some(cache.path().to_owned()),
            ..RuntimeConfig::default()
        })
        .unwrap()
    };
    let first = start();
    first.load_dir(package.path()).unwrap();
    assert_eq!(first.compile_cache_stats(), Some((0, 1)));
    drop(first);
    let second = start();
    let adapter = second.load_dir(package.path()).unwrap();
    assert_eq!(
        second.compile_cache_stats(),
        Some((1, 0)),
        "loaded from the cache"
    );
    assert_eq!(adapter.list_matters().await.unwrap()[0].name, "缓存");
}

#[tokio::test]
async fn an_exchange_folder_serves_one_adapter_id() {
    let (runtime, _exchange) = runtime();
    let grants = "[grants]\nexchange-dir = \"real-estate\"\n";
    let package = |id: &str| {
        TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!("{}{grants}", fixture_manifest(id, "ok", "", "")),
        )
    };
    let owner = package("real-estate");
    runtime.load_dir(owner.path()).unwrap();
    // Another version of the same adapter shares it.
    runtime.load_dir(owner.path()).unwrap();
    let intruder = package("intruder");
    let Err(refused) = runtime.load_dir(intruder.path()) else {
        panic!("another adapter id was given real-estate's exchange folder");
    };
    let LoadError::ExchangeTaken { owner, .. } = &refused else {
        panic!("expected ExchangeTaken, got {refused:?}");
    };
    assert_eq!(owner, "real-estate");
    assert!(
        refused
            .to_string()
            .contains("belongs to adapter real-estate"),
        "{refused}"
    );
}

#[tokio::test]
async fn ten_thousand_requests_in_one_call_are_stopped_at_the_outbound_budget() {
    use std::sync::atomic::Ordering;
    let (runtime, _exchange) = runtime();
    let (url, hits) = tiny_server("ok").await;
    let flooding = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &format!(
            "{}[grants]\noutbound = [\"{url}\"]\n",
            fixture_manifest(
                "flooding",
                "http-flood",
                &format!("url = \"{url}/ws\""),
                "outbound-requests = 20"
            )
        ),
    );
    let adapter = runtime.load_dir(flooding.path()).unwrap();
    let err = adapter.list_matters().await.unwrap_err();
    let CallError::Budget {
        adapter: id,
        function,
        limit,
    } = &err
    else {
        panic!("expected the outbound budget, got {err:?}");
    };
    assert_eq!((id.as_str(), *function), ("flooding", "matters.list"));
    assert_eq!(limit, "limits.outbound-requests = 20");
    assert!(
        err.to_string()
            .contains("went past its limits.outbound-requests = 20"),
        "{err}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        20,
        "no request past the budget went out"
    );
    assert_healthy(&runtime).await;
}

#[tokio::test]
async fn a_log_flood_is_cut_at_the_log_budget_and_counted() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let (runtime, _exchange) = runtime();
    let flooding = load(
        &runtime,
        "chatty",
        "log-flood",
        "name = \"说完了\"",
        "log-kib = 16\ncall-timeout-ms = 60000",
    );
    let matters = flooding
        .list_matters()
        .await
        .expect("the call still answers");
    assert_eq!(matters[0].name, "说完了");
    let text = logs.contents();
    let logged: usize = text
        .lines()
        .filter(|l| l.contains("stream=\"stderr\""))
        .map(str::len)
        .sum();
    assert!(logged > 0, "the first lines are logged");
    assert!(
        logged < 64 * 1024,
        "only about 16 KiB of 2 MB is logged: {logged} bytes"
    );
    assert!(
        text.contains("the call logged more than its limits.log-kib = 16"),
        "the drop is reported"
    );
    assert_healthy(&runtime).await;
}

#[tokio::test]
async fn a_component_that_starts_with_more_memory_than_its_cap_is_refused_at_load() {
    let (runtime, _exchange) = runtime();
    let manifest = onewindow::manifest::Manifest::parse(
        &fixture_manifest("roomy", "ok", "", "memory-mib = 4"),
        std::path::Path::new("adapter.toml"),
    )
    .unwrap();
    // Two core modules of 200 pages (12.5 MiB) each.
    let roomy = b"(component
        (core module $a (memory 200))
        (core module $b (memory 200))
        (core instance (instantiate $a))
        (core instance (instantiate $b)))";
    let err = runtime.load(manifest, roomy, String::new()).unwrap_err();
    assert!(matches!(err, LoadError::InitialMemory { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "adapter roomy: its core modules start with 25.0 MiB of linear memory, more than its limits.memory-mib = 4; raise memory-mib to at least 25"
    );
}

#[tokio::test]
async fn an_adapter_cannot_create_links_in_its_exchange_folder() {
    let (runtime, exchange) = runtime();
    let linking = TestPackage::new(
        components::FIXTURE_ADAPTER,
        &format!(
            "{}[grants]\nexchange-dir = \"real-estate\"\n",
            fixture_manifest("linking", "links", "", "")
        ),
    );
    let adapter = runtime.load_dir(linking.path()).unwrap();
    let matters = adapter.list_matters().await.expect("the call answers");
    assert_eq!(
        matters[0].name,
        "symlink refused (PermissionDenied); hard link refused (PermissionDenied)"
    );
    let dir = exchange.path().join("real-estate");
    assert!(dir.join("target.csv").exists(), "plain files are written");
    for link in ["escape.csv", "hard.csv"] {
        assert!(
            std::fs::symlink_metadata(dir.join(link)).is_err(),
            "{link} was not created"
        );
    }
    assert_healthy(&runtime).await;
}

#[tokio::test]
async fn a_call_that_fills_its_exchange_folder_past_the_quota_is_stopped() {
    let (runtime, exchange) = runtime();
    let dir = exchange.path().join("real-estate");
    let usage = || {
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        let bytes: u64 = entries.iter().map(|e| e.metadata().unwrap().len()).sum();
        (entries.len(), bytes)
    };
    for (limits, chunk_kib, limit, most) in [
        // Bytes: 256 KiB files into 2 MiB.
        (
            "exchange-mib = 2",
            256,
            "limits.exchange-mib = 2",
            (10_000, 64 << 20),
        ),
        // Files: tiny files into 20.
        (
            "exchange-files = 20",
            1,
            "limits.exchange-files = 20",
            (5_000, u64::MAX),
        ),
    ] {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        let package = TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!(
                "{}[grants]\nexchange-dir = \"real-estate\"\n",
                fixture_manifest(
                    "filling",
                    "fill",
                    &format!("chunk-kib = \"{chunk_kib}\""),
                    &format!("{limits}\ncall-timeout-ms = 60000")
                )
            ),
        );
        let adapter = runtime.load_dir(package.path()).unwrap();
        let err = adapter.list_matters().await.unwrap_err();
        assert!(
            matches!(&err, CallError::Budget { adapter, function: "matters.list", limit: l } if adapter == "filling" && l == limit),
            "{limits}: {err:?}"
        );
        let (files, bytes) = usage();
        assert!(
            files < most.0 && bytes < most.1,
            "{limits}: stopped soon after the quota, not at the timeout: {files} files, {bytes} bytes"
        );
        // A call that only reads a full folder still answers.
        let reader = TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!(
                "{}[grants]\nexchange-dir = \"real-estate\"\n",
                fixture_manifest("filling", "file", "path = \"/exchange/fill-0.dat\"", limits)
            ),
        );
        let reader = runtime.load_dir(reader.path()).unwrap();
        reader
            .list_matters()
            .await
            .expect("reading a full folder is allowed");
        assert_healthy(&runtime).await;
    }
}

#[tokio::test]
async fn a_call_that_reads_more_than_its_response_budget_is_stopped() {
    let (runtime, _exchange) = runtime();
    let big: &'static str = Box::leak("证".repeat(1 << 20).into_boxed_str());
    let (big_url, _) = tiny_server(big).await;
    let (small_url, _) = tiny_server("小").await;
    let reader = |id: &str, url: &str| {
        let package = TestPackage::new(
            components::FIXTURE_ADAPTER,
            &format!(
                "{}[grants]\noutbound = [\"{url}\"]\n",
                fixture_manifest(
                    id,
                    "http",
                    &format!("url = \"{url}/doc\""),
                    "response-mib = 1\nmemory-mib = 64"
                )
            ),
        );
        runtime.load_dir(package.path()).unwrap()
    };
    // 3 MiB against a budget of 1.
    let err = reader("greedy", &big_url).list_matters().await.unwrap_err();
    let CallError::Budget {
        adapter,
        function,
        limit,
    } = &err
    else {
        panic!("expected the response budget, got {err:?}");
    };
    assert_eq!(
        (adapter.as_str(), *function, limit.as_str()),
        ("greedy", "matters.list", "limits.response-mib = 1")
    );
    let small = reader("modest", &small_url).list_matters().await.unwrap();
    assert_eq!(small[0].name, "200 小");
    assert_healthy(&runtime).await;
}

#[tokio::test]
async fn a_component_with_more_core_instances_than_a_pool_slot_holds_is_refused_at_load() {
    let (runtime, _exchange) = runtime();
    let manifest = onewindow::manifest::Manifest::parse(
        &fixture_manifest("many", "ok", "", ""),
        std::path::Path::new("adapter.toml"),
    )
    .unwrap();
    let component = |instances: u32| {
        let mut wat = String::from("(component (core module $m)");
        for _ in 0..instances {
            wat.push_str(" (core instance (instantiate $m))");
        }
        wat.push(')');
        wat.into_bytes()
    };
    // As many as a Python adapter built with componentize-py: the pool takes
    // them, and the component is refused only for exporting no contract.
    let err = runtime
        .load(manifest.clone(), &component(14), String::new())
        .unwrap_err();
    assert!(matches!(err, LoadError::Contract { .. }), "{err:?}");
    let err = runtime
        .load(manifest, &component(21), String::new())
        .unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err:?}");
    assert!(
        err.to_string().contains("21 core module instances")
            && err.to_string().contains("maximum of 20"),
        "{err}"
    );
}

/// The host's `codecs` interface answers as `plugins/codes` does, refuses what
/// it must with a message, and cannot be made to allocate a record beyond its cap.
#[tokio::test]
async fn an_adapter_converts_legacy_formats_through_the_host() {
    let (runtime, _exchange) = runtime();
    let manifest = fixture_manifest("codecs", "codecs", "", "")
        .replace("onewindow:adapter@0.1.0", "onewindow:adapter@0.2.0");
    let package = TestPackage::new(components::FIXTURE_ADAPTER_0_2, &manifest);
    let adapter = runtime.load_dir(package.path()).unwrap();
    let matters = adapter.list_matters().await.unwrap();
    let lines: Vec<&str> = matters[0].name.lines().collect();
    assert_eq!(
        lines,
        [
            "张三😀",
            "error: GBK text is cut off: the multi-byte character starting at offset 2 is incomplete",
            "error: character '😀' (U+1F600) at position 3 cannot be represented in GBK",
            "error: record is 14 bytes long, longer than the 12 bytes the layout requires (strip any line terminator before parsing)",
            "姓名=张三,代码=0001",
            "C0EECBC42020202037202020",
            "error: the columns add up to 8589934590 bytes, more than the 1048576 bytes a record may have",
            "error: the record layout has no field named \"地址\"",
            "2018-01-05",
            "2018-11-25T14:03:05",
            "2018年11月25日",
            "error: \"2018-02-30\" is not an ISO date such as 2018-11-25",
            "ok",
            "error: resident ID number check character is 1, expected X",
            "ok",
        ]
    );
}
