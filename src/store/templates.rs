//! Site templates in the store (issue 14): per site and text line, how many
//! stored pages of the site carried the line. Loaded once per source pass,
//! counted up in the transaction that stores the pass's new entries, and
//! shared by every daemon on the database. See `dedup::template`.

use std::collections::{HashMap, HashSet};

use super::{Store, StoreError, Tx, placeholders};

/// Lines kept per site at most; past it, the site's lines seen on one page
/// only go, the least recently seen first.
pub const MAX_LINES_PER_SITE: i64 = 20_000;

/// A line not seen on any newly stored page for this long is forgotten: the
/// site changed its template, or the line was never one.
pub const FORGET_AFTER_SECS: i64 = 90 * 24 * 3600;

/// Parameters per statement at most, as elsewhere in the store.
const MAX_PARAMS: usize = 1000;

/// The line keys of one page of a site, to be counted if the page is stored
/// as a new entry (and only then).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageLines {
    /// The entry's GUID within its source.
    pub guid: String,
    /// Its text lines' keys, each once.
    pub keys: Vec<u64>,
    /// Template lines left out of its text before it was fingerprinted,
    /// recorded with its clustering decision.
    pub removed: u32,
}

impl Store {
    /// What is known of `site`'s template: each line key with the number of
    /// pages it was seen on, leaving out lines not seen for
    /// [`FORGET_AFTER_SECS`] before `now`.
    pub async fn site_template(&self, site: &str, now: i64) -> Result<Vec<(u64, u32)>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT line, pages FROM site_templates WHERE site = $1 AND last_seen >= $2",
        )
        .bind(site)
        .bind(now.saturating_sub(FORGET_AFTER_SECS))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(line, pages)| (line as u64, u32::try_from(pages.max(0)).unwrap_or(u32::MAX)))
            .collect())
    }

    /// The lines of each of `sites`' templates seen on three pages or more
    /// (what published text may leave out; [`crate::dedup::template::Templates`]
    /// has the rule), with their page counts, leaving out lines not seen
    /// for [`FORGET_AFTER_SECS`] before `now`.
    pub async fn shared_lines(
        &self,
        sites: &[&str],
        now: i64,
    ) -> Result<HashMap<String, Vec<(u64, u32)>>, StoreError> {
        let mut lines: HashMap<String, Vec<(u64, u32)>> = HashMap::new();
        for chunk in sites.chunks(MAX_PARAMS - 1) {
            let list = placeholders(2, chunk.len());
            // `pages >= 3` word for word as the partial index
            // `site_templates_shared` says, so that SQLite uses it.
            let sql = format!(
                "SELECT site, line, pages FROM site_templates
                 WHERE site IN ({list}) AND pages >= 3 AND last_seen >= $1"
            );
            let cutoff = now.saturating_sub(FORGET_AFTER_SECS);
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(cutoff);
            for site in chunk {
                query = query.bind(*site);
            }
            let rows: Vec<(String, i64, i64)> = query.fetch_all(&self.pool).await?;
            for (site, line, pages) in rows {
                let pages = u32::try_from(pages.max(0)).unwrap_or(u32::MAX);
                lines.entry(site).or_default().push((line as u64, pages));
            }
        }
        Ok(lines)
    }

    /// Which of `guids` the source has stored already.
    pub async fn stored_guids(
        &self,
        source_id: i64,
        guids: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut stored = HashSet::new();
        for chunk in guids.chunks(MAX_PARAMS - 1) {
            let list = placeholders(2, chunk.len());
            let sql = format!("SELECT guid FROM entries WHERE source_id = $1 AND guid IN ({list})");
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(source_id);
            for guid in chunk {
                query = query.bind(*guid);
            }
            let found: Vec<String> = query.fetch_all(&self.pool).await?;
            stored.extend(found);
        }
        Ok(stored)
    }
}

/// Counts the pages of `site` stored as new entries in this transaction
/// (`pages`, one per entry), then bounds the site's rows.
pub(super) async fn record(
    tx: &mut Tx,
    site: &str,
    pages: &[&[u64]],
    now: i64,
) -> Result<(), StoreError> {
    let mut counts: HashMap<u64, i64> = HashMap::new();
    for keys in pages {
        for &key in *keys {
            *counts.entry(key).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return Ok(());
    }
    // Sorted, so that concurrent writers lock rows in one order.
    let mut rows: Vec<(u64, i64)> = counts.into_iter().collect();
    rows.sort_unstable();
    // $1 site, $2 now, then (line, pages) pairs.
    for chunk in rows.chunks((MAX_PARAMS - 2) / 2) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, $2)", 3 + 2 * i, 4 + 2 * i))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO site_templates (site, line, pages, last_seen) VALUES {values}
             ON CONFLICT (site, line) DO UPDATE
             SET pages = site_templates.pages + excluded.pages, last_seen = excluded.last_seen"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(site).bind(now);
        for &(line, pages) in chunk {
            query = query.bind(line as i64).bind(pages);
        }
        query.execute(&mut **tx).await?;
    }
    prune(tx, site, now).await
}

/// Forgets `site`'s lines not seen for [`FORGET_AFTER_SECS`], and past
/// [`MAX_LINES_PER_SITE`] of the others its single-page lines, least
/// recently seen first. One statement (it runs with every batch stored, in
/// the turn to write): the count of lines kept is a subquery, read once.
async fn prune(tx: &mut Tx, site: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM site_templates WHERE site = $1 AND (last_seen < $2 OR line IN (
             SELECT line FROM site_templates WHERE site = $1 AND pages = 1 AND last_seen >= $2
             ORDER BY last_seen, line
             LIMIT (SELECT CASE WHEN COUNT(*) > $3 THEN COUNT(*) - $3 ELSE 0 END
                    FROM site_templates WHERE site = $1 AND last_seen >= $2)))",
    )
    .bind(site)
    .bind(now.saturating_sub(FORGET_AFTER_SECS))
    .bind(MAX_LINES_PER_SITE)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
