//! Cluster introspection and repair: `explain` and `split`.

use sqlx::Row;

use super::entries::{new_story, record_decision, story_key, touch_story};
use super::{Store, StoreError};
use crate::dedup::{Decision, Evidence};

/// One entry's place in its story, for `feedfold explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The entry's row id.
    pub entry: i64,
    /// Its source.
    pub source: String,
    /// Its title.
    pub title: String,
    /// Its link.
    pub url: Option<String>,
    /// Its fingerprint, if it had enough text.
    pub fingerprint: Option<u64>,
    /// The story's public key.
    pub story: String,
    /// Every decision about it, oldest first.
    pub decisions: Vec<DecisionRecord>,
}

/// A recorded clustering decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// `new`, `same-url`, `verified` (a simhash candidate whose text
    /// verified), `simhash` (matched on the fingerprint alone), `merge` (its
    /// story was merged into another by `matched`, a new entry that matched
    /// both) or `split`.
    pub rule: String,
    /// The entry it was matched to.
    pub matched: Option<MatchedEntry>,
    /// Hamming distance, for `simhash` and `verified`.
    pub distance: Option<i64>,
    /// When, Unix seconds.
    pub at: i64,
    /// Site-template lines left out of the entry's text before it was
    /// fingerprinted (`None`: not recorded).
    pub template_lines: Option<i64>,
    /// The second stage's figures, for `verified`.
    pub evidence: Option<Evidence>,
}

/// The other side of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedEntry {
    /// Row id.
    pub entry: i64,
    /// Source name.
    pub source: String,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
}

impl Store {
    /// Entries matching `item`: a row id, a story key or tag URI (all its
    /// members; for a story merged into another, that story's members), an
    /// article URL, or `SOURCE:GUID`.
    pub async fn find_entries(&self, item: &str) -> Result<Vec<i64>, StoreError> {
        let key = item.rsplit_once("story/").map_or(item, |(_, k)| k);
        let id: Option<i64> = item.parse().ok();
        let (source, guid) = item.split_once(':').unwrap_or(("", ""));
        let ids = sqlx::query_scalar(
            "SELECT e.id FROM entries e
             JOIN stories s ON s.id = e.story_id
             JOIN sources src ON src.id = e.source_id
             WHERE e.id = $1 OR s.story_key = $2 OR e.url = $3 OR e.canonical_url = $3
                OR s.id = (SELECT m.merged_into FROM stories m WHERE m.story_key = $2)
                OR (src.name = $4 AND e.guid = $5)
             ORDER BY e.id",
        )
        .bind(id.unwrap_or(-1))
        .bind(key)
        .bind(item)
        .bind(source)
        .bind(guid)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// Why an entry is in its story.
    pub async fn explain(&self, entry: i64) -> Result<Explanation, StoreError> {
        let row = sqlx::query(
            "SELECT e.id, src.name, e.title, e.url, e.fingerprint, s.story_key
             FROM entries e JOIN sources src ON src.id = e.source_id JOIN stories s ON s.id = e.story_id
             WHERE e.id = $1",
        )
        .bind(entry)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::UnknownEntry(entry.to_string()))?;
        let decisions = sqlx::query(
            "SELECT d.rule, d.distance, d.decided_at, d.template_lines, d.resemblance,
                    d.containment, d.sample, d.same_title, d.same_site, m.id AS m_id, ms.name AS m_source, m.title AS m_title,
                    m.url AS m_url
             FROM decisions d
             LEFT JOIN entries m ON m.id = d.matched_entry_id
             LEFT JOIN sources ms ON ms.id = m.source_id
             WHERE d.entry_id = $1 ORDER BY d.id",
        )
        .bind(entry)
        .fetch_all(&self.pool)
        .await?;
        Ok(Explanation {
            entry: row.try_get("id")?,
            source: row.try_get("name")?,
            title: row.try_get("title")?,
            url: row.try_get("url")?,
            fingerprint: row
                .try_get::<Option<i64>, _>("fingerprint")?
                .map(|f| f as u64),
            story: row.try_get("story_key")?,
            decisions: decisions
                .iter()
                .map(decision_from_row)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Takes an entry out of its story for good: it gets a story of its own,
    /// and later fetches never move it back. Returns the new story's key.
    pub async fn split(&self, entry: i64, now: i64) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT src.name, e.guid, e.story_id, COALESCE(e.published, e.first_seen) AS t
             FROM entries e JOIN sources src ON src.id = e.source_id WHERE e.id = $1",
        )
        .bind(entry)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::UnknownEntry(entry.to_string()))?;
        let (source, guid): (String, String) = (row.try_get("name")?, row.try_get("guid")?);
        let old_story: i64 = row.try_get("story_id")?;
        let key = story_key("split", &source, &guid);
        let story = new_story(&mut tx, &key, row.try_get("t")?, now).await?;
        sqlx::query("UPDATE entries SET story_id = $2, pinned = 1 WHERE id = $1")
            .bind(entry)
            .bind(story)
            .execute(&mut **tx)
            .await?;
        record_decision(&mut tx, entry, story, &Decision::New, now).await?;
        sqlx::query("UPDATE decisions SET rule = 'split' WHERE id = (SELECT MAX(id) FROM decisions WHERE entry_id = $1)")
            .bind(entry)
            .execute(&mut **tx)
            .await?;
        touch_story(&mut tx, old_story, now).await?;
        tx.mark_changed().await?;
        tx.commit().await?;
        Ok(key)
    }
}

fn decision_from_row(row: &sqlx::any::AnyRow) -> Result<DecisionRecord, StoreError> {
    let matched = match row.try_get::<Option<i64>, _>("m_id")? {
        Some(entry) => Some(MatchedEntry {
            entry,
            source: row.try_get("m_source")?,
            title: row.try_get("m_title")?,
            url: row.try_get("m_url")?,
        }),
        None => None,
    };
    Ok(DecisionRecord {
        rule: row.try_get("rule")?,
        matched,
        distance: row.try_get("distance")?,
        at: row.try_get("decided_at")?,
        template_lines: row.try_get("template_lines")?,
        evidence: evidence_from_row(row)?,
    })
}

fn evidence_from_row(row: &sqlx::any::AnyRow) -> Result<Option<Evidence>, StoreError> {
    let figure = |name: &str| -> Result<Option<i64>, StoreError> { Ok(row.try_get(name)?) };
    let (Some(resemblance), Some(containment), Some(sample), Some(same_title)) = (
        figure("resemblance")?,
        figure("containment")?,
        figure("sample")?,
        figure("same_title")?,
    ) else {
        return Ok(None);
    };
    let permille = |x: i64| x.clamp(0, 1000) as u16;
    Ok(Some(Evidence {
        resemblance: permille(resemblance),
        containment: permille(containment),
        sample: u32::try_from(sample).unwrap_or(0),
        same_title: same_title != 0,
        same_site: figure("same_site")?.is_some_and(|x| x != 0),
    }))
}
