//! The signing policy: keys scoped to adapter ids, every loaded package
//! verified, downgrades confirmed, and archives whose headers lie refused
//! before they are read.

use onewindow::registry::package;
use onewindow_tests::{CLERK, Db, OPERATOR};
use reqwest::StatusCode;
use serde_json::json;

use crate::platform::{Server, fixture, fixture_manifest, idle_server};

const ADMIN: &str = "/api/v1/admin/adapters";

fn upload(files: &package::PackageFiles) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/gzip", files.to_tar_gz()))
}

/// A package of the fixture adapter signed by a new key, `name`, that the
/// platform trusts for `scope` only (from its next start).
fn signed_by_scoped_key(s: &Server, name: &str, scope: &str, id: &str) -> package::PackageFiles {
    let keys = s._dir.path().join("other-keys");
    let (secret, public) = package::new_key_pair(name, &keys).unwrap();
    package::trust_key(&public, &s.config.trust_dir, &[scope.to_owned()]).unwrap();
    let source = s._dir.path().join(format!("source-{name}"));
    std::fs::create_dir_all(&source).unwrap();
    let manifest = fixture_manifest("1.0.0", "范围外")
        .replace("id = \"fixture\"", &format!("id = \"{id}\""))
        + onewindow_tests::FIXTURE_GRANT;
    std::fs::write(source.join("adapter.toml"), manifest).unwrap();
    package::pack(&source, &package::SecretKey::read(&secret).unwrap())
        .unwrap()
        .1
}

async fn audited(s: &Server, action: &str) -> Vec<onewindow::audit::Entry> {
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    entries.into_iter().filter(|e| e.action == action).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_scoped_to_tax_cannot_sign_another_adapter() {
    let mut s = idle_server(Db::Sqlite).await;
    let outside = signed_by_scoped_key(&s, "tax-team", "tax", "market-supervision");
    let inside = signed_by_scoped_key(&s, "tax-team-2", "tax", "tax");
    s.restart(false).await;
    let (status, refused) = s
        .send("POST", ADMIN, Some(OPERATOR), upload(&outside))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:#}");
    let message = refused["message"].as_str().unwrap();
    for part in [
        "\"market-supervision\"",
        "\"tax-team\"",
        "may sign only tax",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert_eq!(audited(&s, "adapter.rejected").await.len(), 1);
    let (status, installed) = s.send("POST", ADMIN, Some(OPERATOR), upload(&inside)).await;
    assert_eq!(status, StatusCode::CREATED, "{installed:#}");
    assert_eq!(installed["signer"], "tax-team-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_signatures_required_every_loaded_package_is_verified() {
    let mut s = idle_server(Db::Sqlite).await;
    // The test platform's folder packages are signed, so they load.
    assert!(s.platform().adapter("market-supervision").is_some());

    // An unsigned package dropped into the adapter folder is not loaded.
    let unsigned = s.config.adapter_dir.join("fixture");
    std::fs::create_dir_all(&unsigned).unwrap();
    std::fs::write(
        unsigned.join("adapter.toml"),
        onewindow_tests::fixture_package_manifest("1.0.0", "name = \"未签名\"", "")
            + onewindow_tests::FIXTURE_GRANT,
    )
    .unwrap();
    // A registry version, installed and active, then its key is no longer trusted.
    let (status, _) = s
        .send(
            "POST",
            ADMIN,
            Some(OPERATOR),
            upload(&fixture(&s, "2.0.0", "已签名")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    s.restart(false).await;
    assert!(
        s.platform().adapter("fixture").is_none(),
        "the unsigned folder package is refused"
    );
    let (status, _) = s
        .call(
            "POST",
            &format!("{ADMIN}/fixture/activate/2.0.0"),
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(s.platform().adapter("fixture").is_some());

    // Its key is narrowed to tax: at the next start neither the registry's
    // version nor the folder's packages of that key are served, and the
    // platform says why when asked to activate it again.
    let trusted = s
        .config
        .trust_dir
        .join(format!("{}.pub", onewindow_tests::INTEGRATOR));
    let public = std::fs::read_to_string(&trusted).unwrap();
    std::fs::write(
        &trusted,
        public.replace("adapters = [\"*\"]", "adapters = [\"tax\"]"),
    )
    .unwrap();
    s.restart(false).await;
    assert!(s.platform().adapter("fixture").is_none());
    assert!(s.platform().adapter("market-supervision").is_none());
    let (status, refused) = s
        .call(
            "POST",
            &format!("{ADMIN}/fixture/activate/2.0.0"),
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused:#}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("fixture 2.0.0 no longer verifies"),
        "{message}"
    );
    assert!(message.contains("may sign only tax"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downgrade_needs_its_confirmation_and_is_audited() {
    let s = idle_server(Db::Sqlite).await;
    for (version, name) in [("1.0.0", "版本一"), ("2.0.0", "版本二")] {
        let (status, body) = s
            .send(
                "POST",
                ADMIN,
                Some(OPERATOR),
                upload(&fixture(&s, version, name)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body:#}");
    }
    let activate = |v: &str| format!("{ADMIN}/fixture/activate/{v}");
    let (status, _) = s
        .call("POST", &activate("2.0.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = s
        .call("POST", &activate("1.0.0"), Some(OPERATOR), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("older than the active 2.0.0"),
        "{refused:#}"
    );
    assert_eq!(
        s.platform()
            .adapter("fixture")
            .unwrap()
            .manifest()
            .version
            .to_string(),
        "2.0.0",
        "nothing changed"
    );
    let (status, body) = s
        .call(
            "POST",
            &format!("{}?allow_downgrade=true", activate("1.0.0")),
            Some(OPERATOR),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let downgrades = audited(&s, "adapter.downgraded").await;
    assert_eq!(downgrades.len(), 1);
    assert_eq!(
        downgrades[0].detail,
        json!({"from": "2.0.0", "to": "1.0.0"})
    );
    // Clerks still cannot.
    let (status, _) = s
        .call(
            "POST",
            &format!("{}?allow_downgrade=true", activate("2.0.0")),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A GNU long-name header that claims 2 GiB, in an upload of a few hundred
/// bytes: refused as what it is, before anything is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_whose_long_name_header_claims_gigabytes_is_refused_unread() {
    let s = idle_server(Db::Sqlite).await;
    let mut header = tar::Header::new_gnu();
    header.set_path("././@LongLink").unwrap();
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_size(2 << 30);
    header.set_cksum();
    let mut tarball = header.as_bytes().to_vec();
    tarball.extend(vec![b'a'; 4096]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &tarball).unwrap();
    let bomb = gz.finish().unwrap();
    let (status, refused) = s
        .send(
            "POST",
            ADMIN,
            Some(OPERATOR),
            Some(("application/gzip", bomb)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("GNU long-name"),
        "{refused:#}"
    );
}
