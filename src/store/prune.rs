//! Retention: deleting what `daemon.keep` no longer covers, and on demand
//! everything a source brought.
//!
//! The unit is a story, never an entry alone, so no story is ever left half
//! deleted: a story goes when it started before the served window and every
//! one of its copies was first seen before the retention cutoff, together
//! with its entries, their sketches (columns of `entries`),
//! decisions and article pages, and the rows of stories merged into it.
//! Each batch is one short write transaction; between batches the writers
//! that were waiting (ingest) take their turn.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Store, StoreError, WriteTx, in_list, placeholders, run_in};

/// Bind parameters per statement, under SQLite's and PostgreSQL's limits.
const CHUNK: usize = 500;

/// Stories per prune transaction: each batch holds the write lock for a few
/// milliseconds (see README, "Retention and backup").
pub const PRUNE_BATCH: usize = 200;

/// What retention keeps, as Unix-second cutoffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The time of the run: pruned items' tombstones are dated by it.
    pub now: i64,
    /// Entries first seen before this are past `daemon.keep`.
    pub keep_since: i64,
    /// Stories that started at or after this are in the served window
    /// (`output.window`) and are never cut.
    pub window_since: i64,
}

/// Rows removed (or, for a dry run, that would be), per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Stories, counting the rows of stories merged into them.
    pub stories: u64,
    /// Entries (with their sketches).
    pub entries: u64,
    /// Clustering decisions.
    pub decisions: u64,
    /// Scraped article pages no remaining entry links to.
    pub articles: u64,
    /// Learnt site-template lines (see `store::templates`) last seen on a
    /// page first seen before the retention cutoff, or of a removed source.
    pub site_templates: u64,
    /// Write transactions used.
    pub batches: u64,
}

impl PruneReport {
    /// Whether nothing was (or would be) removed.
    pub fn is_empty(&self) -> bool {
        self.stories + self.entries + self.decisions + self.articles + self.site_templates == 0
    }

    fn add(&mut self, other: &PruneReport) {
        self.stories += other.stories;
        self.entries += other.entries;
        self.decisions += other.decisions;
        self.articles += other.articles;
        self.site_templates += other.site_templates;
        self.batches += other.batches;
    }
}

/// An entry about to go: its id, and the link its article page is cached
/// under, with that link's canonical form (indexed, so the entries still
/// sharing the page are found without a scan).
struct Doomed {
    id: i64,
    url: Option<String>,
    canonical: Option<String>,
}

impl Store {
    /// Deletes, batch by batch, every story past `retention` (see the
    /// module doc). `batch` is the number of stories per transaction.
    pub async fn prune(
        &self,
        retention: Retention,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        let mut total = PruneReport::default();
        let mut after = None;
        loop {
            let (report, last) = self.prune_batch(retention, after, batch.max(1)).await?;
            total.add(&report);
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
            // Writers queued behind this batch go first.
            tokio::task::yield_now().await;
        }
        total.site_templates = self.forget_templates(retention.keep_since, false).await?;
        self.forget_tombstones(retention.keep_since).await?;
        Ok(total)
    }

    /// Deletes the tombstones of items no feed has listed since `since`:
    /// an item that comes back after that is new again.
    async fn forget_tombstones(&self, since: i64) -> Result<(), StoreError> {
        let mut write = self.begin_write().await?;
        sqlx::query("DELETE FROM tombstones WHERE last_seen < $1")
            .bind(since)
            .execute(&mut **write)
            .await?;
        write.commit().await?;
        Ok(())
    }

    /// Deletes (or with `dry_run` counts) the site-template lines last seen
    /// before `since`: they were learnt from pages now past `keep` (the
    /// lines' own 90-day forgetting, `templates::FORGET_AFTER_SECS`, would
    /// let them outlive a shorter `keep`). One short transaction per site.
    async fn forget_templates(&self, since: i64, dry_run: bool) -> Result<u64, StoreError> {
        // Read first, without the write lock (index `site_templates_by_age`
        // answers it), so that only sites with something to forget cost a
        // write transaction: a write per site on every run slowed the ingest
        // of daemons sharing a SQLite file.
        let sites: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT site FROM site_templates WHERE last_seen < $1")
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
        let mut forgotten = 0;
        for site in sites {
            if dry_run {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM site_templates WHERE site = $1 AND last_seen < $2",
                )
                .bind(&site)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
                forgotten += u64::try_from(n).unwrap_or(0);
                continue;
            }
            let mut write = self.begin_write().await?;
            let done = sqlx::query("DELETE FROM site_templates WHERE site = $1 AND last_seen < $2")
                .bind(&site)
                .bind(since)
                .execute(&mut **write)
                .await?;
            write.commit().await?;
            forgotten += done.rows_affected();
        }
        Ok(forgotten)
    }

    /// One transaction of [`Store::prune`]: up to `limit` stories after
    /// `after` (their start time and id). Returns what went, and where the
    /// next batch starts (`None`: nothing is left).
    async fn prune_batch(
        &self,
        retention: Retention,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<(PruneReport, Option<(i64, i64)>), StoreError> {
        let mut write = self.begin_write().await?;
        let roots = expired_roots(&mut write, retention, after, limit).await?;
        let next = (roots.len() == limit)
            .then(|| roots.last().copied())
            .flatten();
        let ids: Vec<i64> = roots.iter().map(|&(_, id)| id).collect();
        let stories = with_merged(&mut write, &ids).await?;
        let doomed = entries_of_stories(&mut write, &stories).await?;
        bury(&mut write, &doomed, retention.now).await?;
        let mut report = delete_entries(&mut write, &doomed).await?;
        report.add(&delete_stories(&mut write, &stories).await?);
        report.batches = 1;
        self.finish(write, &report, &doomed).await?;
        Ok((report, next))
    }

    /// Deletes every entry of source `name` at once (in batches of `batch`
    /// entries), and the stories left without entries, inside the served
    /// window or not; other sources' copies stay, and so do their stories.
    /// The source's own row goes too when `keep_row` is false.
    pub async fn prune_source(
        &self,
        name: &str,
        batch: usize,
        keep_row: bool,
    ) -> Result<PruneReport, StoreError> {
        let source = self.source_id(name).await?;
        let mut total = PruneReport::default();
        loop {
            let mut write = self.begin_write().await?;
            let doomed = source_entries(&mut write, source, batch.max(1)).await?;
            if doomed.is_empty() {
                if !keep_row {
                    // What was learnt of the site goes with it.
                    let lines = sqlx::query("DELETE FROM site_templates WHERE site = $1")
                        .bind(name)
                        .execute(&mut **write)
                        .await?;
                    total.site_templates += lines.rows_affected();
                    sqlx::query("DELETE FROM tombstones WHERE source_id = $1")
                        .bind(source)
                        .execute(&mut **write)
                        .await?;
                    sqlx::query("DELETE FROM sources WHERE id = $1")
                        .bind(source)
                        .execute(&mut **write)
                        .await?;
                }
                write.commit().await?;
                return Ok(total);
            }
            let ids: Vec<i64> = doomed.iter().map(|d| d.id).collect();
            let touched = in_list(
                &mut write,
                |l| format!("SELECT DISTINCT story_id AS id FROM entries WHERE id IN ({l})"),
                &ids,
            )
            .await?;
            let touched = column(&touched, "id")?;
            let mut report = delete_entries(&mut write, &doomed).await?;
            let empty = in_list(
                &mut write,
                |l| {
                    format!(
                        "SELECT s.id FROM stories s WHERE s.id IN ({l}) AND s.merged_into IS NULL
                         AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id)"
                    )
                },
                &touched,
            )
            .await?;
            let stories = with_merged(&mut write, &column(&empty, "id")?).await?;
            report.add(&delete_stories(&mut write, &stories).await?);
            report.batches = 1;
            self.finish(write, &report, &doomed).await?;
            total.add(&report);
            tokio::task::yield_now().await;
        }
    }

    /// What [`Store::prune`] would delete now, without deleting anything or
    /// taking the write lock.
    pub async fn prune_preview(
        &self,
        retention: Retention,
        batch: usize,
    ) -> Result<PruneReport, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut preview = Preview::default();
        let mut after = None;
        loop {
            let roots = expired_roots(&mut conn, retention, after, batch.max(1)).await?;
            let ids: Vec<i64> = roots.iter().map(|&(_, id)| id).collect();
            let stories = with_merged(&mut conn, &ids).await?;
            let doomed = entries_of_stories(&mut conn, &stories).await?;
            preview.add(&mut conn, &stories, doomed).await?;
            if roots.len() < batch.max(1) {
                break;
            }
            after = roots.last().copied();
        }
        let mut report = preview.finish(&mut conn).await?;
        drop(conn);
        report.site_templates = self.forget_templates(retention.keep_since, true).await?;
        Ok(report)
    }

    /// What [`Store::prune_source`] would delete now, without deleting.
    pub async fn prune_source_preview(
        &self,
        name: &str,
        keep_row: bool,
    ) -> Result<PruneReport, StoreError> {
        let source = self.source_id(name).await?;
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT id, url, canonical_url, story_id FROM entries WHERE source_id = $1",
        )
        .bind(source)
        .fetch_all(&mut *conn)
        .await?;
        let doomed = doomed_from(&rows)?;
        let touched: HashSet<i64> = column(&rows, "story_id")?.into_iter().collect();
        let touched: Vec<i64> = touched.into_iter().collect();
        // Stories with a copy from another source stay.
        let kept = in_list(
            &mut conn,
            |l| {
                format!(
                    "SELECT DISTINCT story_id AS id FROM entries WHERE story_id IN ({l}) AND source_id <> {source}"
                )
            },
            &touched,
        )
        .await?;
        let kept: HashSet<i64> = column(&kept, "id")?.into_iter().collect();
        let empty: Vec<i64> = touched.into_iter().filter(|s| !kept.contains(s)).collect();
        let stories = with_merged(&mut conn, &empty).await?;
        let mut preview = Preview::default();
        preview.add(&mut conn, &stories, doomed).await?;
        let mut report = preview.finish(&mut conn).await?;
        if !keep_row {
            let lines: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM site_templates WHERE site = $1")
                    .bind(name)
                    .fetch_one(&mut *conn)
                    .await?;
            report.site_templates = u64::try_from(lines).unwrap_or(0);
        }
        Ok(report)
    }

    /// The row id of source `name`.
    async fn source_id(&self, name: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT id FROM sources WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::UnknownSource(name.to_owned()))
    }

    /// Commits a batch, then drops its entries from this process's copy of
    /// the fingerprints (another process's copy re-reads candidates from
    /// the database before using them, and rebuilds daily).
    async fn finish(
        &self,
        mut write: WriteTx,
        report: &PruneReport,
        doomed: &[Doomed],
    ) -> Result<(), StoreError> {
        if report.is_empty() {
            write.commit().await?;
            return Ok(());
        }
        write.mark_changed().await?;
        // The copy lacks these rows before the database does: a commit that
        // fails leaves it in doubt, to be rebuilt (see `Candidates::forget`);
        // one that succeeds vouches for it again, unless it was in doubt
        // before.
        let trusted = !write.candidates.in_doubt();
        for entry in doomed {
            write.candidates.forget(entry.id);
        }
        write.synced = trusted;
        write.commit().await?;
        Ok(())
    }

    /// SQLite: hands the pages freed by deletes back to the file system
    /// (`PRAGMA incremental_vacuum`, in steps so writers can go between),
    /// then checkpoints the WAL (passively) so the file itself shrinks. Returns the
    /// pages freed. PostgreSQL's autovacuum does this by itself: 0.
    pub async fn reclaim_space(&self) -> Result<u64, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        let mut freed = 0;
        loop {
            let _turn = self.write_turn.lock().await;
            let mut conn = self.writer().acquire().await?;
            let before: i64 = sqlx::query_scalar("PRAGMA freelist_count")
                .fetch_one(&mut *conn)
                .await?;
            if before == 0 {
                break;
            }
            // 2,048 pages (8 MiB at 4 KiB pages) per step.
            sqlx::query("PRAGMA incremental_vacuum(2048)")
                .execute(&mut *conn)
                .await?;
            let after: i64 = sqlx::query_scalar("PRAGMA freelist_count")
                .fetch_one(&mut *conn)
                .await?;
            freed += u64::try_from(before - after).unwrap_or(0);
            if after >= before {
                break;
            }
        }
        let mut conn = self.pool.acquire().await?;
        // Passive: it neither waits for readers nor holds writers back (a
        // TRUNCATE checkpoint blocked ingest for 1.9 s in the soak). Readers
        // in the middle of a query may keep it from reaching the end of the
        // WAL: the file then shrinks at a later checkpoint. Not an error.
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *conn)
            .await?;
        Ok(freed)
    }

    /// Brings the query planner's statistics up to date after the tables
    /// grew or shrank. PostgreSQL: `ANALYZE` of feedfold's growing tables
    /// (autovacuum does it too, where it runs; a database with it off, or a
    /// daemon that grew a table by 50,000 rows since, plans point lookups
    /// from empty-table figures), skipping a table another session holds
    /// (an autovacuum run) rather than queueing behind it. SQLite: `PRAGMA
    /// optimize` over every table (0x10000: not only those this connection
    /// read), each index sampled at most 1,000 rows.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Postgres => {
                sqlx::query(
                    "ANALYZE (SKIP_LOCKED) entries, stories, decisions, articles,
                         site_templates, tombstones, sources",
                )
                .execute(&self.pool)
                .await?;
            }
            Backend::Sqlite => {
                let _turn = self.write_turn.lock().await;
                let mut conn = self.writer().acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA optimize = 0x10002")
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Claims maintenance task `task` for this daemon if no other daemon
    /// holds it and it last ran at least `every` seconds before `now`; the
    /// claim lasts `ttl` seconds. Several daemons sharing a database thus
    /// take turns: one runs it, the others skip.
    pub async fn claim_task(
        &self,
        task: &str,
        now: i64,
        every: i64,
        ttl: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.small_write_turn().await;
        let won = sqlx::query(
            "UPDATE maintenance SET owner = $2, until = $3, last_run = $4
             WHERE task = $1 AND (last_run IS NULL OR last_run <= $5)
               AND (until IS NULL OR until < $4 OR owner = $2)
             RETURNING task",
        )
        .bind(task)
        .bind(&*self.holder)
        .bind(now.saturating_add(ttl))
        .bind(now)
        .bind(now.saturating_sub(every))
        .fetch_optional(self.writer())
        .await?;
        Ok(won.is_some())
    }

    /// Ends this daemon's claim on `task` (its run finished).
    pub async fn release_task(&self, task: &str) -> Result<(), StoreError> {
        let _turn = self.small_write_turn().await;
        sqlx::query("UPDATE maintenance SET until = NULL WHERE task = $1 AND owner = $2")
            .bind(task)
            .bind(&*self.holder)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

/// Root stories (not merged into another) past `retention`, oldest first,
/// after `after`: (start time, id).
async fn expired_roots(
    conn: &mut AnyConnection,
    retention: Retention,
    after: Option<(i64, i64)>,
    limit: usize,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let (published, id) = after.unwrap_or((i64::MIN, i64::MIN));
    let rows = sqlx::query(
        "SELECT s.published, s.id FROM stories s
         WHERE s.merged_into IS NULL AND s.published < $1
           AND (s.published > $3 OR (s.published = $3 AND s.id > $4))
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id AND e.first_seen >= $2)
         ORDER BY s.published, s.id LIMIT $5",
    )
    .bind(retention.window_since)
    .bind(retention.keep_since)
    .bind(published)
    .bind(id)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("published")?, r.try_get("id")?)))
        .collect()
}

/// `roots` and the stories merged into them.
async fn with_merged(conn: &mut AnyConnection, roots: &[i64]) -> Result<Vec<i64>, StoreError> {
    let merged = in_list(
        conn,
        |l| format!("SELECT id FROM stories WHERE merged_into IN ({l})"),
        roots,
    )
    .await?;
    let mut all = roots.to_vec();
    all.extend(column(&merged, "id")?);
    Ok(all)
}

async fn entries_of_stories(
    conn: &mut AnyConnection,
    stories: &[i64],
) -> Result<Vec<Doomed>, StoreError> {
    let rows = in_list(
        conn,
        |l| format!("SELECT id, url, canonical_url FROM entries WHERE story_id IN ({l})"),
        stories,
    )
    .await?;
    doomed_from(&rows)
}

async fn source_entries(
    conn: &mut AnyConnection,
    source: i64,
    limit: usize,
) -> Result<Vec<Doomed>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, url, canonical_url FROM entries WHERE source_id = $1 ORDER BY id LIMIT $2",
    )
    .bind(source)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    doomed_from(&rows)
}

fn doomed_from(rows: &[AnyRow]) -> Result<Vec<Doomed>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(Doomed {
                id: r.try_get("id")?,
                url: r.try_get("url")?,
                canonical: r.try_get("canonical_url")?,
            })
        })
        .collect()
}

/// Leaves a tombstone for each of `doomed` (its source and GUID, seen `now`),
/// so that an item its feed still lists is not stored again as new.
async fn bury(conn: &mut AnyConnection, doomed: &[Doomed], now: i64) -> Result<(), StoreError> {
    let ids: Vec<i64> = doomed.iter().map(|d| d.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO tombstones (source_id, guid, last_seen)
             SELECT source_id, guid, $1 FROM entries WHERE id IN ({})
             ON CONFLICT (source_id, guid) DO UPDATE SET last_seen = excluded.last_seen",
            placeholders(2, chunk.len())
        );
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for &id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes `doomed` entries with their decisions, and the
/// article pages no remaining entry links to.
async fn delete_entries(
    conn: &mut AnyConnection,
    doomed: &[Doomed],
) -> Result<PruneReport, StoreError> {
    let ids: Vec<i64> = doomed.iter().map(|d| d.id).collect();
    let delete = |table: &'static str, key: &'static str| {
        move |l: &str| format!("DELETE FROM {table} WHERE {key} IN ({l})")
    };
    let decisions = run_in(conn, delete("decisions", "entry_id"), &ids).await?;
    let entries = run_in(conn, delete("entries", "id"), &ids).await?;
    let unused = unused_pages(conn, doomed, &HashSet::new()).await?;
    let articles = run_text_in(conn, "DELETE FROM articles WHERE url IN", &unused).await?;
    Ok(PruneReport {
        entries,
        decisions,
        articles,
        ..PruneReport::default()
    })
}

/// Deletes story rows (whose entries are gone) and the decisions naming them.
async fn delete_stories(
    conn: &mut AnyConnection,
    stories: &[i64],
) -> Result<PruneReport, StoreError> {
    let decisions = run_in(
        conn,
        |l| format!("DELETE FROM decisions WHERE story_id IN ({l})"),
        stories,
    )
    .await?;
    let stories = run_in(
        conn,
        |l| format!("DELETE FROM stories WHERE id IN ({l})"),
        stories,
    )
    .await?;
    Ok(PruneReport {
        stories,
        decisions,
        ..PruneReport::default()
    })
}

/// The links of `doomed` entries that no other entry has (entries in
/// `gone` count as deleted too): their article pages can go.
async fn unused_pages(
    conn: &mut AnyConnection,
    doomed: &[Doomed],
    gone: &HashSet<i64>,
) -> Result<Vec<String>, StoreError> {
    let doomed_ids: HashSet<i64> = doomed.iter().map(|d| d.id).collect();
    let mut canonicals: Vec<&str> = doomed
        .iter()
        .filter_map(|d| d.canonical.as_deref())
        .collect();
    canonicals.sort_unstable();
    canonicals.dedup();
    let mut used = HashSet::new();
    for chunk in canonicals.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, url FROM entries WHERE canonical_url IN ({})",
            placeholders(1, chunk.len())
        );
        // Only numbered placeholders are formatted in; the links are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for canonical in chunk {
            query = query.bind(*canonical);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: i64 = row.try_get("id")?;
            if !doomed_ids.contains(&id) && !gone.contains(&id) {
                used.insert(row.try_get::<Option<String>, _>("url")?);
            }
        }
    }
    // An entry without a canonical link cannot be looked up by it: its page
    // stays, rather than risk deleting one another entry still shows.
    let mut unused: Vec<String> = doomed
        .iter()
        .filter(|d| d.canonical.is_some())
        .filter_map(|d| d.url.clone())
        .filter(|url| !used.contains(&Some(url.clone())))
        .collect();
    unused.sort_unstable();
    unused.dedup();
    Ok(unused)
}

/// Rows counted for a dry run, each once however many batches saw it.
#[derive(Default)]
struct Preview {
    stories: HashSet<i64>,
    entries: HashSet<i64>,
    decisions: HashSet<i64>,
    doomed: Vec<Doomed>,
}

impl Preview {
    async fn add(
        &mut self,
        conn: &mut AnyConnection,
        stories: &[i64],
        doomed: Vec<Doomed>,
    ) -> Result<(), StoreError> {
        let ids: Vec<i64> = doomed.iter().map(|d| d.id).collect();
        for (key, list) in [("entry_id", ids.as_slice()), ("story_id", stories)] {
            let rows = in_list(
                conn,
                |l| format!("SELECT id FROM decisions WHERE {key} IN ({l})"),
                list,
            )
            .await?;
            self.decisions.extend(column(&rows, "id")?);
        }
        self.stories.extend(stories);
        self.entries.extend(&ids);
        self.doomed.extend(doomed);
        Ok(())
    }

    async fn finish(self, conn: &mut AnyConnection) -> Result<PruneReport, StoreError> {
        let unused = unused_pages(conn, &self.doomed, &self.entries).await?;
        let mut articles = 0;
        for chunk in unused.chunks(CHUNK) {
            let sql = format!(
                "SELECT COUNT(*) FROM articles WHERE url IN ({})",
                placeholders(1, chunk.len())
            );
            // Only numbered placeholders are formatted in; the links are bound.
            let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            for url in chunk {
                query = query.bind(url.as_str());
            }
            articles += u64::try_from(query.fetch_one(&mut *conn).await?).unwrap_or(0);
        }
        Ok(PruneReport {
            stories: self.stories.len() as u64,
            entries: self.entries.len() as u64,
            decisions: self.decisions.len() as u64,
            articles,
            site_templates: 0,
            batches: 0,
        })
    }
}

/// Runs `head (list)` over text values; returns the rows it changed.
async fn run_text_in(
    conn: &mut AnyConnection,
    head: &'static str,
    values: &[String],
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in values.chunks(CHUNK) {
        let sql = format!("{head} ({})", placeholders(1, chunk.len()));
        // Only numbered placeholders are formatted in; the values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in chunk {
            query = query.bind(value.as_str());
        }
        changed += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(changed)
}

fn column(rows: &[AnyRow], name: &str) -> Result<Vec<i64>, StoreError> {
    rows.iter()
        .map(|r| r.try_get(name).map_err(StoreError::from))
        .collect()
}

/// The retention cutoffs at `now` for `keep` and `window` (seconds).
pub fn retention_at(now: i64, keep_secs: i64, window_secs: i64) -> Retention {
    Retention {
        now,
        keep_since: now.saturating_sub(keep_secs),
        window_since: now.saturating_sub(window_secs),
    }
}

/// Counts, grouped for printing: `(table, rows)` in deletion order.
impl PruneReport {
    /// Table names and row counts, for printing.
    pub fn tables(&self) -> [(&'static str, u64); 5] {
        [
            ("stories", self.stories),
            ("entries", self.entries),
            ("decisions", self.decisions),
            ("articles", self.articles),
            ("site_templates", self.site_templates),
        ]
    }
}
