//! The matter catalogue: synced from every adapter that exports `matters`, stored
//! with its source adapter and version, searched by the clerk.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Platform, PlatformError};
use crate::model::{Matter, MatterKind};
use crate::store::{self, json_column};

/// A matter as the catalogue holds it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogueMatter {
    #[serde(flatten)]
    pub matter: Matter,
    /// Which adapter the matter came from (operators only need it; clerks never do).
    #[serde(skip)]
    pub adapter_id: String,
}

/// Search terms of `GET /api/v1/matters`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatterQuery {
    /// Matches names and codes.
    pub q: Option<String>,
    pub department: Option<String>,
    pub online: Option<bool>,
    pub visits: Option<u32>,
}

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub synced: Vec<(String, usize)>,
    pub failed: Vec<(String, String)>,
}

fn kind_name(kind: MatterKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn from_row(row: &AnyRow) -> Result<CatalogueMatter, PlatformError> {
    let kind: String = row.try_get("kind")?;
    let kind: MatterKind = serde_json::from_value(serde_json::Value::String(kind.clone()))
        .map_err(|_| store::StoreError::Corrupt(format!("unknown matter kind {kind:?}")))?;
    let days = |column: &str| -> Result<u32, PlatformError> {
        let value: i64 = row.try_get(column)?;
        u32::try_from(value)
            .map_err(|_| store::StoreError::Corrupt(format!("{column} is {value}")).into())
    };
    Ok(CatalogueMatter {
        matter: Matter {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            department: row.try_get("department")?,
            kind,
            legal_days: days("legal_days")?,
            promised_days: days("promised_days")?,
            visits: days("visits")?,
            online: row.try_get::<i64, _>("online")? != 0,
            fee: row.try_get("fee")?,
            conditions: row.try_get("conditions")?,
            materials: json_column(row, "materials")?,
            form: json_column(row, "form")?,
        },
        adapter_id: row.try_get("adapter_id")?,
    })
}

const COLUMNS: &str = "code, name, department, kind, legal_days, promised_days, visits, online, fee, conditions, materials, form, adapter_id";

impl Platform {
    /// Replaces each adapter's matters with what it lists now. An adapter that
    /// fails keeps its previous matters; the failure is reported.
    pub async fn sync_catalogue(&self) -> SyncReport {
        self.sync_matters(self.adapters()).await
    }

    /// [`Platform::sync_catalogue`] for the adapter serving `id` alone.
    pub async fn sync_catalogue_of(&self, id: &str) -> SyncReport {
        self.sync_matters(self.adapter(id)).await
    }

    async fn sync_matters(
        &self,
        adapters: impl IntoIterator<Item = std::sync::Arc<dyn crate::adapter::Adapter>>,
    ) -> SyncReport {
        let _one_at_a_time = self.syncing.lock().await;
        let mut report = SyncReport::default();
        for adapter in adapters {
            if !adapter.exports().matters {
                continue;
            }
            match adapter.list_matters().await {
                Ok(matters) => match self.store_matters(adapter.as_ref(), &matters).await {
                    Ok(()) => report.synced.push((adapter.id().to_owned(), matters.len())),
                    Err(e) => report.failed.push((adapter.id().to_owned(), e.to_string())),
                },
                Err(e) => {
                    tracing::warn!(adapter = adapter.id(), "catalogue sync failed: {e}");
                    report.failed.push((adapter.id().to_owned(), e.to_string()));
                }
            }
        }
        report
    }

    async fn store_matters(
        &self,
        adapter: &dyn crate::adapter::Adapter,
        matters: &[Matter],
    ) -> Result<(), PlatformError> {
        for m in matters {
            if m.promised_days > m.legal_days {
                return Err(PlatformError::Invalid {
                    field: "promised_days".into(),
                    message: format!(
                        "adapter {} lists matter {} with promised days {} above legal days {}",
                        adapter.id(),
                        m.code,
                        m.promised_days,
                        m.legal_days
                    ),
                });
            }
        }
        let at = store::now();
        let version = adapter.manifest().version.to_string();
        let mut tx = self.store.begin().await?;
        sqlx::query("DELETE FROM matters WHERE adapter_id = $1")
            .bind(adapter.id())
            .execute(&mut *tx)
            .await?;
        for m in matters {
            sqlx::query(&format!(
                "INSERT INTO matters ({COLUMNS}, adapter_version, synced_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ))
            .bind(&m.code)
            .bind(&m.name)
            .bind(&m.department)
            .bind(kind_name(m.kind))
            .bind(i64::from(m.legal_days))
            .bind(i64::from(m.promised_days))
            .bind(i64::from(m.visits))
            .bind(i64::from(m.online))
            .bind(&m.fee)
            .bind(&m.conditions)
            .bind(serde_json::to_string(&m.materials).expect("materials serialize"))
            .bind(serde_json::to_string(&m.form).expect("form fields serialize"))
            .bind(adapter.id())
            .bind(&version)
            .bind(&at)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    PlatformError::Conflict(format!(
                        "matter {} from adapter {} is already served by another adapter",
                        m.code,
                        adapter.id()
                    ))
                }
                other => other.into(),
            })?;
        }
        tx.commit().await.map_err(PlatformError::from)
    }

    /// Searches the catalogue.
    pub async fn matters(
        &self,
        query: &MatterQuery,
    ) -> Result<Vec<CatalogueMatter>, PlatformError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM matters ORDER BY code"))
            .fetch_all(self.store.pool())
            .await?;
        let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        rows.iter()
            .map(from_row)
            .filter(|m| match m {
                Ok(m) => {
                    let m = &m.matter;
                    q.is_none_or(|q| {
                        m.name.contains(q) || m.code.contains(q) || m.conditions.contains(q)
                    }) && query
                        .department
                        .as_deref()
                        .is_none_or(|d| m.department == d)
                        && query.online.is_none_or(|o| m.online == o)
                        && query.visits.is_none_or(|v| m.visits <= v)
                }
                Err(_) => true,
            })
            .collect()
    }

    /// The departments that have matters in the catalogue, by name.
    pub async fn departments(&self) -> Result<Vec<String>, PlatformError> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT department FROM matters ORDER BY department")
                .fetch_all(self.store.pool())
                .await?,
        )
    }

    /// One matter with its full guide.
    pub async fn matter(&self, code: &str) -> Result<CatalogueMatter, PlatformError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM matters WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.store.pool())
            .await?;
        match row {
            Some(row) => from_row(&row),
            None => Err(PlatformError::NotFound(format!(
                "no matter with code {code:?} in the catalogue"
            ))),
        }
    }
}
