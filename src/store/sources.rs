//! Source rows: kept in step with the config, and their fetch state.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::Row;

use super::{Store, StoreError, Tx};
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
    /// Not fetched before this (backoff or `Retry-After`), Unix seconds.
    pub retry_at: Option<i64>,
    /// Not fetched before this (the server's `max-age`/`Expires`), Unix seconds.
    pub fresh_until: Option<i64>,
    /// When it answered 410 Gone; it is not fetched until its URL changes.
    pub gone_at: Option<i64>,
    /// Where a permanent redirect says it now lives.
    pub moved_to: Option<String>,
    /// Entries stored for it.
    pub entries: i64,
    /// The daemon running it now and until when its lease lasts (Unix
    /// seconds), if one is (see `store::leases`).
    pub lease: Option<(String, i64)>,
    /// The feed's own title, as last fetched.
    pub feed_title: Option<String>,
}

/// What a fetch needs of a source's row: the validators for a conditional
/// GET, the feed title as last stored, and the consecutive failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// The feed's own title, as last fetched.
    pub feed_title: Option<String>,
    /// Consecutive failures.
    pub error_count: i64,
}

/// The columns [`FetchState`] is read from (the claim returns them too).
pub(super) const FETCH_STATE_COLUMNS: &str = "etag, last_modified, feed_title, error_count";

/// A [`FetchState`] from a row holding [`FETCH_STATE_COLUMNS`].
pub(super) fn fetch_state_from_row(row: &sqlx::any::AnyRow) -> Result<FetchState, StoreError> {
    Ok(FetchState {
        validators: Validators {
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
        },
        feed_title: row.try_get("feed_title")?,
        error_count: row.try_get("error_count")?,
    })
}

impl SourceState {
    /// The earliest time the source may be fetched again, if anything holds it back.
    pub fn not_before(&self) -> Option<i64> {
        self.retry_at.max(self.fresh_until)
    }
}

/// A fetch that worked (including "not modified").
#[derive(Debug, Clone, Copy)]
pub struct Success<'a> {
    /// When, Unix seconds.
    pub at: i64,
    /// HTTP status (200 or 304; 200 for files).
    pub status: u16,
    /// Validators for the next conditional GET.
    pub validators: &'a Validators,
    /// Until when the server says the document stays fresh.
    pub fresh_until: Option<i64>,
    /// Where a permanent redirect pointed, if one did.
    pub moved_to: Option<&'a str>,
    /// The feed's own title, when it differs from the one stored: written,
    /// and the feeds marked for re-rendering, as it names the source there.
    pub feed_title: Option<&'a str>,
}

/// A fetch that did not work.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// When, Unix seconds.
    pub at: i64,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// Why, for `feedfold status`.
    pub error: &'a str,
    /// Not to be fetched again before this (backoff, `Retry-After`).
    pub retry_at: Option<i64>,
    /// 410 Gone: stop fetching it.
    pub gone: bool,
    /// False when nothing was tried (a deferral): the failure count stays.
    pub counts: bool,
}

const STATE_COLUMNS: &str =
    "SELECT s.id, s.name, s.url, s.enabled, s.etag, s.last_modified, s.last_fetch_at,
        s.last_success_at, s.last_status, s.last_error, s.error_count,
        s.retry_at, s.fresh_until, s.gone_at, s.moved_to, s.lease_owner, s.lease_until,
        s.feed_title,
        (SELECT COUNT(*) FROM entries e WHERE e.source_id = s.id) AS entries
    FROM sources s";

impl Store {
    /// Inserts or updates the configured sources by name and returns their ids.
    /// Sources no longer in the config keep their rows (and entries) but are
    /// marked disabled. Only what differs from the stored rows is written:
    /// `feedfold fetch` syncs every source at each start, and rewriting
    /// 5,000 unchanged rows (and their groups) took 10,000 statements.
    pub async fn sync_sources(
        &self,
        sources: &[SourceRecord],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let stored = stored_sources(&mut tx).await?;
        let configured: HashSet<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let mut changed = false;
        for (name, row) in &stored {
            if row.record.enabled && !configured.contains(name.as_str()) {
                sqlx::query("UPDATE sources SET enabled = 0 WHERE id = $1")
                    .bind(row.id)
                    .execute(&mut **tx)
                    .await?;
                changed = true;
            }
        }
        let mut ids = HashMap::new();
        let mut upserts: Vec<&SourceRecord> = Vec::new();
        for source in sources {
            match stored.get(&source.name) {
                Some(row) if row.record.same_as(source) => {
                    ids.insert(source.name.clone(), row.id);
                }
                _ => upserts.push(source),
            }
        }
        changed |= !upserts.is_empty();
        ids.extend(upsert_sources(&mut tx, &upserts).await?);
        // Names, priorities and groups decide how stories are shown.
        if changed {
            tx.mark_changed().await?;
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
        let sql = format!("{STATE_COLUMNS} WHERE s.name = $1");
        self.source_row(sql, name, state_from_row).await
    }

    /// What a fetch of the source named `name` needs of its row (a claimed
    /// run has it from the claim).
    pub async fn fetch_state(&self, name: &str) -> Result<FetchState, StoreError> {
        let sql = format!("SELECT {FETCH_STATE_COLUMNS} FROM sources WHERE name = $1");
        self.source_row(sql, name, fetch_state_from_row).await
    }

    /// The row `sql` finds for the source named `name` (its `$1`), read by
    /// `parse`; an unknown name is an error.
    async fn source_row<T>(
        &self,
        sql: String,
        name: &str,
        parse: fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Only fixed column lists are formatted in; the name is bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(parse)
            .transpose()?
            .ok_or_else(|| StoreError::UnknownSource(name.into()))
    }
}

/// A source's row as stored, to compare with the config.
struct StoredSource {
    id: i64,
    record: SourceRecord,
}

impl SourceRecord {
    /// Whether storing `other` would change nothing (groups as sets).
    fn same_as(&self, other: &SourceRecord) -> bool {
        fn groups(r: &SourceRecord) -> BTreeSet<&str> {
            r.groups.iter().map(String::as_str).collect()
        }
        self.url == other.url
            && self.priority == other.priority
            && self.enabled == other.enabled
            && groups(self) == groups(other)
    }
}

/// Every stored source with its groups, by name.
async fn stored_sources(tx: &mut Tx) -> Result<HashMap<String, StoredSource>, StoreError> {
    let rows = sqlx::query("SELECT id, name, url, priority, enabled FROM sources")
        .fetch_all(&mut **tx)
        .await?;
    let mut by_id = HashMap::new();
    for row in &rows {
        let record = SourceRecord {
            name: row.try_get("name")?,
            url: row.try_get("url")?,
            priority: row.try_get("priority")?,
            groups: Vec::new(),
            enabled: row.try_get::<i64, _>("enabled")? != 0,
        };
        by_id.insert(row.try_get::<i64, _>("id")?, record);
    }
    let groups = sqlx::query("SELECT source_id, name FROM source_groups")
        .fetch_all(&mut **tx)
        .await?;
    for row in &groups {
        if let Some(record) = by_id.get_mut(&row.try_get::<i64, _>("source_id")?) {
            record.groups.push(row.try_get("name")?);
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, record)| (record.name.clone(), StoredSource { id, record }))
        .collect())
}

/// Rows written per statement (sources of four parameters, groups of two):
/// well under both backends' limits.
const UPSERT_CHUNK: usize = 200;

/// Inserts or updates `sources` and their groups; returns their ids by
/// name. A new URL forgets what was learnt about the old one. Up to
/// [`UPSERT_CHUNK`] rows a statement: a first start with 5,000 sources
/// took 10,000 statements, half a second before the first fetch. New
/// sources get their ids in config order, as when each was written in turn.
async fn upsert_sources(
    tx: &mut Tx,
    sources: &[&SourceRecord],
) -> Result<HashMap<String, i64>, StoreError> {
    // A name twice in one statement would be an error on PostgreSQL
    // ("cannot affect row a second time"); the last one wins, in the
    // place of the first, as it did when each was written in turn.
    let mut place: HashMap<&str, usize> = HashMap::new();
    let mut unique: Vec<&SourceRecord> = Vec::with_capacity(sources.len());
    for &source in sources {
        match place.get(source.name.as_str()) {
            Some(&at) => unique[at] = source,
            None => {
                place.insert(&source.name, unique.len());
                unique.push(source);
            }
        }
    }
    let mut ids = HashMap::new();
    for chunk in unique.chunks(UPSERT_CHUNK) {
        ids.extend(upsert_chunk(tx, chunk).await?);
    }
    let written: Vec<(i64, &SourceRecord)> = unique
        .iter()
        .map(|&s| match ids.get(&s.name) {
            Some(&id) => Ok((id, s)),
            None => Err(StoreError::UnknownSource(s.name.clone())),
        })
        .collect::<Result<_, _>>()?;
    let mut of_ids: Vec<i64> = written.iter().map(|&(id, _)| id).collect();
    of_ids.sort_unstable();
    let delete = |list: &str| format!("DELETE FROM source_groups WHERE source_id IN ({list})");
    super::run_in(tx, delete, &of_ids).await?;
    let groups: Vec<(i64, &str)> = written
        .iter()
        .flat_map(|&(id, s)| s.groups.iter().map(move |g| (id, g.as_str())))
        .collect();
    for chunk in groups.chunks(UPSERT_CHUNK) {
        let values = super::tuples(1, chunk.len(), 2);
        let sql = format!(
            "INSERT INTO source_groups (source_id, name) VALUES {values} ON CONFLICT DO NOTHING"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &(id, group) in chunk {
            query = query.bind(id).bind(group);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(ids)
}

/// One statement of [`upsert_sources`]: the rows of `chunk`, their ids by name.
async fn upsert_chunk(
    tx: &mut Tx,
    chunk: &[&SourceRecord],
) -> Result<Vec<(String, i64)>, StoreError> {
    let values = super::tuples(1, chunk.len(), 4);
    let sql = format!(
        "INSERT INTO sources (name, url, priority, enabled) VALUES {values}
         ON CONFLICT (name) DO UPDATE SET priority = excluded.priority,
             enabled = excluded.enabled,
             etag = CASE WHEN sources.url = excluded.url THEN sources.etag END,
             last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified END,
             retry_at = CASE WHEN sources.url = excluded.url THEN sources.retry_at END,
             fresh_until = CASE WHEN sources.url = excluded.url THEN sources.fresh_until END,
             gone_at = CASE WHEN sources.url = excluded.url THEN sources.gone_at END,
             moved_to = CASE WHEN sources.url = excluded.url THEN sources.moved_to END,
             error_count = CASE WHEN sources.url = excluded.url THEN sources.error_count ELSE 0 END,
             url = excluded.url
         RETURNING id, name"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for source in chunk {
        query = query
            .bind(&source.name)
            .bind(&source.url)
            .bind(source.priority)
            .bind(i64::from(source.enabled));
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("id")?)))
        .collect()
}

fn state_from_row(row: &sqlx::any::AnyRow) -> Result<SourceState, StoreError> {
    // The fetch's part is read as the claim reads it.
    let fetch = fetch_state_from_row(row)?;
    Ok(SourceState {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        validators: fetch.validators,
        last_fetch_at: row.try_get("last_fetch_at")?,
        last_success_at: row.try_get("last_success_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        error_count: fetch.error_count,
        retry_at: row.try_get("retry_at")?,
        fresh_until: row.try_get("fresh_until")?,
        gone_at: row.try_get("gone_at")?,
        moved_to: row.try_get("moved_to")?,
        entries: row.try_get("entries")?,
        lease: row
            .try_get::<Option<String>, _>("lease_owner")?
            .zip(row.try_get::<Option<i64>, _>("lease_until")?),
        feed_title: fetch.feed_title,
    })
}
