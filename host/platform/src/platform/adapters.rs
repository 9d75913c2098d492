//! The adapter registry: installed package versions and the active one per
//! adapter, kept in the database so a restart (or another replica) comes back
//! to the same adapters. Installing verifies a package completely and compiles
//! it before anything is stored; activating swaps the served adapter in one
//! step (calls in flight finish on the version they started on).

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::{Platform, PlatformError};
use crate::audit::NewEntry;
use crate::registry::package::{self, PackageFiles};
use std::sync::Arc;

use crate::adapter::Adapter;
use crate::store;

/// One installed version, as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstalledVersion {
    pub id: String,
    pub version: String,
    pub department: String,
    /// `active` (serving), `installed` (ready to activate) or `disabled`
    /// (was active; the adapter is switched off).
    pub state: &'static str,
    pub sha256: String,
    /// Who signed the package (the key's name in the trust store), if signed.
    pub signer: Option<String>,
    pub installed_at: String,
    pub installed_by: String,
    /// When it last became the active version.
    pub activated_at: Option<String>,
}

/// Why a component imports more than its manifest grants: HTTP without any
/// outbound prefix. (Linking has already refused anything the host does not
/// serve at all; every wasip2 component imports the filesystem interfaces, which
/// show it nothing but a granted exchange directory.)
fn beyond_grants(adapter: &dyn Adapter) -> Result<(), String> {
    let imports = adapter.imports();
    let http = imports
        .iter()
        .find(|name| name.starts_with("wasi:http/outgoing-handler"));
    match http {
        Some(name) if adapter.manifest().grants.outbound.is_empty() => Err(format!(
            "the component makes HTTP requests (it imports {name}) but the manifest grants no `grants.outbound` prefix"
        )),
        _ => Ok(()),
    }
}

/// An audit entry about adapter `subject`, now.
fn entry(actor: &str, action: &str, subject: &str, detail: serde_json::Value) -> NewEntry {
    NewEntry {
        at: store::now(),
        actor: actor.to_owned(),
        action: action.into(),
        subject: subject.to_owned(),
        detail,
    }
}

/// A refusal: 422 with the reason, after an audit entry.
fn refused(message: String) -> PlatformError {
    PlatformError::Invalid {
        field: "package".into(),
        message,
    }
}

impl Platform {
    /// The version serving `id` according to the registry (none: never
    /// activated there, or disabled).
    async fn active_version(&self, id: &str) -> Result<Option<String>, PlatformError> {
        let version: Option<Option<String>> =
            sqlx::query_scalar("SELECT version FROM adapter_active WHERE adapter_id = $1")
                .bind(id)
                .fetch_optional(self.store.pool())
                .await?;
        Ok(version.flatten())
    }

    /// Verifies, compiles and stores a package (`.tar.gz` bytes) as an
    /// installed, inactive version. A refused package changes nothing but the
    /// audit log, which records why.
    pub async fn install_package(
        &self,
        archive: &[u8],
        actor: &str,
    ) -> Result<InstalledVersion, PlatformError> {
        let (archive, trust, runtime) = (archive.to_vec(), self.trust.clone(), self.loader.clone());
        let require = self.config.require_signatures;
        // Unpacking and compiling take CPU for seconds: not on the executor.
        let checked = tokio::task::spawn_blocking(move || {
            PackageFiles::from_tar_gz(archive.as_slice())
                .and_then(|files| package::verify(files, &trust, require))
                .map_err(|e| e.to_string())
                .and_then(|verified| {
                    // Compiling checks the contract version, the exports and the
                    // imports against the host before anything is stored.
                    let adapter = runtime
                        .load(
                            verified.manifest.clone(),
                            &verified.component,
                            verified.sha256.clone(),
                        )
                        .map_err(|e| e.to_string())?;
                    beyond_grants(adapter.as_ref()).map(|()| verified)
                })
        })
        .await
        .unwrap_or_else(|e| Err(format!("checking the package failed: {e}")));
        let verified = match checked {
            Ok(verified) => verified,
            Err(reason) => {
                let detail = serde_json::json!({ "reason": reason });
                self.store
                    .audit(entry(actor, "adapter.rejected", "package", detail))
                    .await?;
                return Err(refused(format!("the package was refused: {reason}")));
            }
        };
        let id = verified.manifest.id.clone();
        let version = verified.manifest.version.to_string();
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT sha256 FROM adapter_versions WHERE adapter_id = $1 AND version = $2",
        )
        .bind(&id)
        .bind(&version)
        .fetch_optional(self.store.pool())
        .await?;
        match existing {
            Some(sha) if sha == verified.sha256 => {
                return self.installed_version(&id, &version).await;
            }
            Some(sha) => {
                return Err(PlatformError::Conflict(format!(
                    "{id} {version} is already installed with sha256 {sha}; give the new build a new version"
                )));
            }
            None => {}
        }
        let mut tx = self.store.begin().await?;
        let at = store::now();
        sqlx::query(
            "INSERT INTO adapter_versions (adapter_id, version, sha256, manifest, component, signer, installed_at, installed_by, signature) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&version)
        .bind(&verified.sha256)
        .bind(&verified.manifest_text)
        .bind(&verified.component)
        .bind(&verified.signer)
        .bind(&at)
        .bind(actor)
        .bind(&verified.signature)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "version": version,
            "sha256": verified.sha256,
            "signer": verified.signer,
        });
        self.store
            .append_audit(&mut tx, entry(actor, "adapter.installed", &id, detail))
            .await?;
        tx.commit().await?;
        tracing::info!(adapter = %id, %version, "adapter package installed");
        self.installed_version(&id, &version).await
    }

    /// Loads `id` `version` from the registry, verified again against today's
    /// trust store (a key removed or narrowed since no longer vouches for it).
    async fn load_version(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Arc<dyn Adapter>, PlatformError> {
        let row = sqlx::query(
            "SELECT sha256, manifest, component, signature FROM adapter_versions WHERE adapter_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| {
            PlatformError::NotFound(format!("{id} {version} is not installed"))
        })?;
        let text: String = row.try_get("manifest")?;
        let files = PackageFiles {
            manifest: text.into_bytes(),
            component: row.try_get("component")?,
            signature: row
                .try_get::<Option<String>, _>("signature")?
                .map(String::into_bytes),
        };
        let (trust, runtime) = (self.trust.clone(), self.loader.clone());
        let require = self.config.require_signatures;
        let (id, version) = (id.to_owned(), version.to_owned());
        tokio::task::spawn_blocking(move || {
            let verified = package::verify(files, &trust, require).map_err(|e| {
                PlatformError::Conflict(format!("{id} {version} no longer verifies: {e}"))
            })?;
            runtime
                .load(verified.manifest, &verified.component, verified.sha256)
                .map_err(|e| store::StoreError::Corrupt(format!("{id} {version}: {e}")).into())
        })
        .await
        .map_err(|e| PlatformError::Unavailable(format!("loading an adapter failed: {e}")))?
    }

    /// Makes `version` the one serving `id`; the previous active version is
    /// where [`Platform::rollback_adapter`] goes back to. A version lower than
    /// the active one (a downgrade, which may bring back what a newer version
    /// fixed) is activated only when `allow_downgrade` says so, and audited as
    /// one.
    pub async fn activate_adapter(
        &self,
        id: &str,
        version: &str,
        actor: &str,
        allow_downgrade: bool,
    ) -> Result<InstalledVersion, PlatformError> {
        let current = self.active_version(id).await?;
        let serving = self
            .adapter(id)
            .is_some_and(|a| a.manifest().version.to_string() == version);
        if current.as_deref() == Some(version) && serving {
            return Err(PlatformError::Conflict(format!(
                "{id} {version} is already active"
            )));
        }
        let downgrade = current
            .as_deref()
            .and_then(|c| semver::Version::parse(c).ok())
            .zip(semver::Version::parse(version).ok())
            .is_some_and(|(current, wanted)| wanted < current);
        if downgrade && !allow_downgrade {
            return Err(PlatformError::Conflict(format!(
                "{id} {version} is older than the active {}; a downgrade may bring back what the newer version fixed, so confirm it (`allow_downgrade=true`, `onewindow adapter activate --allow-downgrade`, or the console's confirmation)",
                current.as_deref().unwrap_or_default()
            )));
        }
        let adapter = self.load_version(id, version).await?;
        let action = if downgrade {
            "adapter.downgraded"
        } else {
            "adapter.activated"
        };
        self.switch(id, Some(version), current.as_deref(), actor, action)
            .await?;
        self.install(adapter);
        self.sync_catalogue_of(id).await;
        self.installed_version(id, version).await
    }

    /// Goes back to the version that was active before the current one.
    pub async fn rollback_adapter(
        &self,
        id: &str,
        actor: &str,
    ) -> Result<InstalledVersion, PlatformError> {
        let row = sqlx::query("SELECT version, previous FROM adapter_active WHERE adapter_id = $1")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let (current, previous): (Option<String>, Option<String>) = match &row {
            Some(row) => (row.try_get("version")?, row.try_get("previous")?),
            None => (None, None),
        };
        let Some(previous) = previous else {
            return Err(PlatformError::Conflict(format!(
                "{id} has no earlier active version to roll back to"
            )));
        };
        let adapter = self.load_version(id, &previous).await?;
        self.switch(
            id,
            Some(&previous),
            current.as_deref(),
            actor,
            "adapter.rolled_back",
        )
        .await?;
        self.install(adapter);
        self.sync_catalogue_of(id).await;
        self.installed_version(id, &previous).await
    }

    /// Switches `id` off: no version serves it; its cases wait in the outbox.
    pub async fn disable_adapter(&self, id: &str, actor: &str) -> Result<(), PlatformError> {
        let Some(current) = self.active_version(id).await? else {
            return Err(PlatformError::Conflict(format!(
                "{id} has no active version to disable"
            )));
        };
        self.switch(id, None, Some(&current), actor, "adapter.disabled")
            .await?;
        self.uninstall(id);
        Ok(())
    }

    /// Deletes an installed version that is not active.
    pub async fn delete_adapter_version(
        &self,
        id: &str,
        version: &str,
        actor: &str,
    ) -> Result<(), PlatformError> {
        let state = self.installed_version(id, version).await?.state;
        if state == "active" {
            return Err(PlatformError::Conflict(format!(
                "{id} {version} is active; activate another version or disable the adapter first"
            )));
        }
        let mut tx = self.store.begin().await?;
        sqlx::query("DELETE FROM adapter_versions WHERE adapter_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        // A rollback must not lead to a version that is gone.
        sqlx::query(
            "UPDATE adapter_active SET previous = NULL WHERE adapter_id = $1 AND previous = $2",
        )
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "version": version });
        self.store
            .append_audit(&mut tx, entry(actor, "adapter.deleted", id, detail))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records in one transaction that `id` is now served by `to` (none:
    /// disabled), remembering `from` for a rollback.
    async fn switch(
        &self,
        id: &str,
        to: Option<&str>,
        from: Option<&str>,
        actor: &str,
        action: &str,
    ) -> Result<(), PlatformError> {
        let mut tx = self.store.begin().await?;
        let at = store::now();
        sqlx::query(
            "INSERT INTO adapter_active (adapter_id, version, previous, changed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (adapter_id) DO UPDATE SET version = $2, previous = $3, changed_at = $4",
        )
        .bind(id)
        .bind(to)
        .bind(from)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        if let Some(version) = to {
            sqlx::query(
                "UPDATE adapter_versions SET activated_at = $3 WHERE adapter_id = $1 AND version = $2",
            )
            .bind(id)
            .bind(version)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({ "from": from, "to": to });
        self.store
            .append_audit(&mut tx, entry(actor, action, id, detail))
            .await?;
        tx.commit().await?;
        tracing::info!(adapter = id, ?from, ?to, "{action}");
        Ok(())
    }

    /// Every installed version, by adapter and version.
    pub async fn installed_versions(&self) -> Result<Vec<InstalledVersion>, PlatformError> {
        let rows = sqlx::query(&format!(
            "{VERSION_QUERY} ORDER BY v.adapter_id, v.installed_at"
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn installed_version(
        &self,
        id: &str,
        version: &str,
    ) -> Result<InstalledVersion, PlatformError> {
        let row = sqlx::query(&format!(
            "{VERSION_QUERY} WHERE v.adapter_id = $1 AND v.version = $2"
        ))
        .bind(id)
        .bind(version)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("{id} {version} is not installed")))?;
        version_from_row(&row)
    }

    /// Brings the served adapters in line with the registry: each adapter's
    /// active version is loaded, disabled ones are switched off. Packages from
    /// the adapter folder stay unless the registry says otherwise. Returns the
    /// adapters that changed.
    pub async fn load_registry(&self) -> Result<Vec<String>, PlatformError> {
        let rows = sqlx::query("SELECT adapter_id, version FROM adapter_active")
            .fetch_all(self.store.pool())
            .await?;
        let mut changed = Vec::new();
        for row in rows {
            let id: String = row.try_get("adapter_id")?;
            let version: Option<String> = row.try_get("version")?;
            match version {
                None => {
                    if self.adapter(&id).is_some() {
                        self.uninstall(&id);
                        tracing::info!(adapter = %id, "adapter disabled by the registry");
                        changed.push(id);
                    }
                }
                Some(version) => {
                    let loaded = self
                        .adapter(&id)
                        .is_some_and(|a| a.manifest().version.to_string() == version);
                    if !loaded {
                        // A version that no longer verifies (its key was removed
                        // or narrowed) is not served; the others are.
                        let adapter = match self.load_version(&id, &version).await {
                            Ok(adapter) => adapter,
                            Err(PlatformError::Conflict(reason)) => {
                                tracing::error!(adapter = %id, %version, "not loaded: {reason}");
                                continue;
                            }
                            Err(e) => return Err(e),
                        };
                        tracing::info!(adapter = %id, %version, "adapter loaded from the registry");
                        self.install(adapter);
                        changed.push(id);
                    }
                }
            }
        }
        Ok(changed)
    }
}

const VERSION_QUERY: &str = "SELECT v.adapter_id, v.version, v.sha256, v.manifest, v.signer, v.installed_at, \
     v.installed_by, v.activated_at, a.version AS active_version, a.adapter_id AS active_row \
     FROM adapter_versions v LEFT JOIN adapter_active a ON a.adapter_id = v.adapter_id";

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<InstalledVersion, PlatformError> {
    let version: String = row.try_get("version")?;
    let active: Option<String> = row.try_get("active_version")?;
    let has_row: Option<String> = row.try_get("active_row")?;
    let text: String = row.try_get("manifest")?;
    let department = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| {
            t.get("department")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let state = match (active.as_deref(), has_row.is_some()) {
        (Some(a), _) if a == version => "active",
        (None, true) => "disabled",
        _ => "installed",
    };
    Ok(InstalledVersion {
        id: row.try_get("adapter_id")?,
        version,
        department,
        state,
        sha256: row.try_get("sha256")?,
        signer: row.try_get("signer")?,
        installed_at: row.try_get("installed_at")?,
        installed_by: row.try_get("installed_by")?,
        activated_at: row.try_get("activated_at")?,
    })
}

/// An adapter version, for operators: from the registry or the adapter folder.
#[derive(Default, Serialize, ToSchema)]
pub struct AdapterInfo {
    pub id: String,
    pub version: String,
    department: String,
    sha256: String,
    /// `active` (serving), `installed` (ready to activate) or `disabled`.
    pub state: &'static str,
    /// `registry` (installed through the API) or `folder` (a package in the
    /// adapter folder, loaded at start).
    source: &'static str,
    /// Who signed the package, for registry versions that were signed.
    signer: Option<String>,
    installed_at: Option<String>,
    installed_by: Option<String>,
    /// When it last became the active version (registry versions).
    activated_at: Option<String>,
    /// For the version serving: calls asked of it since it was loaded here.
    calls: Option<u64>,
    /// For the version serving: of those, the ones that failed or were refused.
    failed_calls: Option<u64>,
    /// For the version serving: its circuit breaker, `closed`, `open`
    /// (refusing calls after repeated failures) or `half_open` (a trial call).
    breaker: Option<&'static str>,
    /// For the version serving: the most linear memory any call reached, bytes.
    memory_high_water_bytes: Option<u64>,
    /// For the version serving: the contract interfaces it serves.
    exports: Option<Vec<&'static str>>,
}

fn served(info: &mut AdapterInfo, adapter: &dyn Adapter) {
    let exports = adapter.exports();
    let health = adapter.health();
    info.state = "active";
    info.calls = Some(health.calls);
    info.failed_calls = Some(health.failed_calls);
    info.breaker = Some(health.breaker);
    info.memory_high_water_bytes = Some(health.memory_high_water);
    info.exports = Some(
        [
            ("matters", exports.matters),
            ("cases", exports.cases),
            ("licenses", exports.licenses),
        ]
        .into_iter()
        .filter_map(|(name, exported)| exported.then_some(name))
        .collect(),
    );
}

impl Platform {
    /// Every adapter version, as operators see them (the API and the console).
    pub async fn adapter_infos(&self) -> Result<Vec<AdapterInfo>, PlatformError> {
        let platform = self;
        let mut items: Vec<AdapterInfo> = platform
            .installed_versions()
            .await?
            .into_iter()
            .map(|v| AdapterInfo {
                id: v.id,
                version: v.version,
                department: v.department,
                sha256: v.sha256,
                state: v.state,
                source: "registry",
                signer: v.signer,
                installed_at: Some(v.installed_at),
                installed_by: Some(v.installed_by),
                activated_at: v.activated_at,
                ..AdapterInfo::default()
            })
            .collect();
        for adapter in platform.adapters() {
            let version = adapter.manifest().version.to_string();
            match items.iter_mut().find(|i| {
                i.id == adapter.id() && i.version == version && i.sha256 == adapter.sha256()
            }) {
                Some(info) => served(info, adapter.as_ref()),
                None => {
                    let mut info = AdapterInfo {
                        id: adapter.id().to_owned(),
                        version,
                        department: adapter.manifest().department.clone(),
                        sha256: adapter.sha256().to_owned(),
                        state: "active",
                        source: "folder",
                        ..AdapterInfo::default()
                    };
                    served(&mut info, adapter.as_ref());
                    items.push(info);
                }
            }
        }
        Ok(items)
    }
}
