//! The audit log cannot be quietly resealed: someone who can write to the
//! database but does not hold the audit key edits an entry and recomputes every
//! later hash and the head; verification still names the entry, and a
//! checkpoint kept outside the platform proves what the log held.

use std::process::Command;

use onewindow_tests::{AUDITOR, CLERK, Db};
use reqwest::StatusCode;

use crate::platform::{Server, application, idle_server, on_both_databases};

on_both_databases!(an_edited_and_resealed_log_is_named_and_a_checkpoint_proves_the_past);

/// `onewindow audit <args>` on the test platform's configuration: exit code and output.
fn audit(s: &Server, args: &[&str]) -> (i32, String) {
    let output = Command::new(onewindow_tests::onewindow_binary())
        .arg("audit")
        .args(args)
        .arg("--config")
        .arg(s._dir.path().join("onewindow.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

async fn an_edited_and_resealed_log_is_named_and_a_checkpoint_proves_the_past(db: Db) {
    let s = idle_server(db).await;
    for _ in 0..3 {
        let (status, _) = s
            .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let checkpoint = s._dir.path().join("checkpoint.toml");
    let (code, said) = audit(&s, &["checkpoint", "--out", checkpoint.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
    let (code, said) = audit(
        &s,
        &["verify", "--checkpoint", checkpoint.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("every one sealed") && said.contains("holds"),
        "{said}"
    );

    // Entry 2 is edited, and every later hash and the head recomputed.
    let pool = s.platform().store.pool();
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    let mut prev = entries[0].hash.clone();
    for entry in &entries[1..] {
        let mut entry = entry.clone();
        if entry.seq == 2 {
            entry.actor = "clerk:forger".into();
        }
        entry.prev_hash = prev;
        entry.hash = entry.computed_hash();
        sqlx::query("UPDATE audit SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&entry.actor)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .bind(entry.seq)
            .execute(pool)
            .await
            .unwrap();
        prev = entry.hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(pool)
        .await
        .unwrap();
    let (resealed, (seq, head)) = s.platform().store.audit_log().await.unwrap();
    assert_eq!(
        onewindow::audit::verify_with_head(&resealed, (seq, &head)),
        Ok(resealed.len() as u64),
        "the hash chain alone is fooled"
    );

    let (status, answer) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["valid"], false, "{answer:#}");
    let first_break = answer["first_break"].as_str().unwrap();
    assert!(
        first_break.starts_with("entry 2 is not sealed"),
        "{first_break}"
    );
    let (code, said) = audit(
        &s,
        &["verify", "--checkpoint", checkpoint.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("entry 2 is not sealed"), "{said}");
}
