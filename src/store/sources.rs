//! Source rows: kept in step with the config, and their fetch state.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError};
use crate::fetch::Validators;

/// A source as the config describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// Unique name.
    pub name: String,
    /// Where it is fetched from.
    pub url: String,
    /// Representative priority.
    pub priority: i64,
    /// Group names.
    pub groups: Vec<String>,
    /// Whether it is fetched.
    pub enabled: bool,
}

/// What the database knows about a source's fetching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// URL last configured.
    pub url: String,
    /// Whether the config enables it.
    pub enabled: bool,
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// Last attempt, Unix seconds.
    pub last_fetch_at: Option<i64>,
    /// Last success, Unix seconds.
    pub last_success_at: Option<i64>,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Error of the last attempt, if it failed.
    pub last_error: Option<String>,
    /// Consecutive failures.
    pub error_count: i64,
    /// Entries stored for it.
    pub entries: i64,
}

const STATE_COLUMNS: &str =
    "SELECT s.id, s.name, s.url, s.enabled, s.etag, s.last_modified, s.last_fetch_at,
        s.last_success_at, s.last_status, s.last_error, s.error_count,
        (SELECT COUNT(*) FROM entries e WHERE e.source_id = s.id) AS entries
    FROM sources s";

impl Store {
    /// Inserts or updates the configured sources by name and returns their ids.
    /// Sources no longer in the config keep their rows (and entries) but are
    /// marked disabled.
    pub async fn sync_sources(
        &self,
        sources: &[SourceRecord],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sources SET enabled = 0")
            .execute(&mut *tx)
            .await?;
        let mut ids = HashMap::new();
        for source in sources {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sources (name, url, priority, enabled) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET priority = $3, enabled = $4,
                     etag = CASE WHEN sources.url = $2 THEN sources.etag END,
                     last_modified = CASE WHEN sources.url = $2 THEN sources.last_modified END,
                     url = $2
                 RETURNING id",
            )
            .bind(&source.name)
            .bind(&source.url)
            .bind(source.priority)
            .bind(i64::from(source.enabled))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM source_groups WHERE source_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for group in &source.groups {
                sqlx::query("INSERT INTO source_groups (source_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
            }
            ids.insert(source.name.clone(), id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Every source row, by name.
    pub async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{STATE_COLUMNS} ORDER BY s.name"));
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(state_from_row).collect()
    }

    /// One source's row.
    pub async fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{STATE_COLUMNS} WHERE s.name = $1"));
        let row = sqlx::query(sql)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(state_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::UnknownSource(name.into()))
    }

    /// Records a successful fetch (including "not modified").
    pub async fn record_success(
        &self,
        source_id: i64,
        at: i64,
        status: u16,
        validators: &Validators,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sources SET etag = $2, last_modified = $3, last_fetch_at = $4, last_success_at = $4,
                 last_status = $5, last_error = NULL, error_count = 0
             WHERE id = $1",
        )
        .bind(source_id)
        .bind(validators.etag.as_deref())
        .bind(validators.last_modified.as_deref())
        .bind(at)
        .bind(i64::from(status))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed fetch: the reason, and one more consecutive failure.
    pub async fn record_failure(
        &self,
        source_id: i64,
        at: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sources SET last_fetch_at = $2, last_status = $3, last_error = $4,
                 error_count = error_count + 1
             WHERE id = $1",
        )
        .bind(source_id)
        .bind(at)
        .bind(status.map(i64::from))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn state_from_row(row: &sqlx::any::AnyRow) -> Result<SourceState, StoreError> {
    Ok(SourceState {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        validators: Validators {
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
        },
        last_fetch_at: row.try_get("last_fetch_at")?,
        last_success_at: row.try_get("last_success_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        error_count: row.try_get("error_count")?,
        entries: row.try_get("entries")?,
    })
}
