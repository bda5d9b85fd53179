//! Schema migrations, compiled in and applied at start.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::{Backend, Store, StoreError};

/// (version, description, SQLite text, PostgreSQL text)
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "fetch state",
        include_str!("../../migrations/sqlite/0002_fetch_state.sql"),
        include_str!("../../migrations/postgres/0002_fetch_state.sql"),
    ),
    (
        3,
        "entries by update time",
        include_str!("../../migrations/sqlite/0003_entries_updated.sql"),
        include_str!("../../migrations/postgres/0003_entries_updated.sql"),
    ),
    (
        4,
        "scraped articles",
        include_str!("../../migrations/sqlite/0004_articles.sql"),
        include_str!("../../migrations/postgres/0004_articles.sql"),
    ),
    (
        5,
        "source leases",
        include_str!("../../migrations/sqlite/0005_leases.sql"),
        include_str!("../../migrations/postgres/0005_leases.sql"),
    ),
    (
        6,
        "change counter",
        include_str!("../../migrations/sqlite/0006_changes.sql"),
        include_str!("../../migrations/postgres/0006_changes.sql"),
    ),
    (
        7,
        "index of edited entries",
        include_str!("../../migrations/sqlite/0007_entries_edited.sql"),
        include_str!("../../migrations/postgres/0007_entries_edited.sql"),
    ),
    (
        8,
        "entries by time, with their fingerprints",
        include_str!("../../migrations/sqlite/0008_entries_by_time.sql"),
        include_str!("../../migrations/postgres/0008_entries_by_time.sql"),
    ),
    (
        9,
        "stories merged into others",
        include_str!("../../migrations/sqlite/0009_story_merges.sql"),
        include_str!("../../migrations/postgres/0009_story_merges.sql"),
    ),
    (
        10,
        "site templates",
        include_str!("../../migrations/sqlite/0010_site_templates.sql"),
        include_str!("../../migrations/postgres/0010_site_templates.sql"),
    ),
    (
        11,
        "shingle sketches and title keys for two-stage matching",
        include_str!("../../migrations/sqlite/0011_sketches.sql"),
        include_str!("../../migrations/postgres/0011_sketches.sql"),
    ),
    (
        12,
        "enclosures and categories of entries",
        include_str!("../../migrations/sqlite/0012_enclosures.sql"),
        include_str!("../../migrations/postgres/0012_enclosures.sql"),
    ),
    (
        13,
        "retention: decisions by story, maintenance leases",
        include_str!("../../migrations/sqlite/0013_retention.sql"),
        include_str!("../../migrations/postgres/0013_retention.sql"),
    ),
    (
        15,
        "feed titles of sources",
        include_str!("../../migrations/sqlite/0015_feed_titles.sql"),
        include_str!("../../migrations/postgres/0015_feed_titles.sql"),
    ),
    (
        16,
        "tombstones of pruned entries",
        include_str!("../../migrations/sqlite/0016_tombstones.sql"),
        include_str!("../../migrations/postgres/0016_tombstones.sql"),
    ),
    (
        17,
        "WebSub subscriptions to sources' hubs",
        include_str!("../../migrations/sqlite/0017_websub_subscriptions.sql"),
        include_str!("../../migrations/postgres/0017_websub_subscriptions.sql"),
    ),
    (
        18,
        "site-template lines of two pages or more, for published text",
        include_str!("../../migrations/sqlite/0018_published_templates.sql"),
        include_str!("../../migrations/postgres/0018_published_templates.sql"),
    ),
    (
        19,
        "events: related coverage of stories",
        include_str!("../../migrations/sqlite/0019_events.sql"),
        include_str!("../../migrations/postgres/0019_events.sql"),
    ),
    (
        20,
        "no fingerprint band rows",
        include_str!("../../migrations/sqlite/0020_no_band_rows.sql"),
        include_str!("../../migrations/postgres/0020_no_band_rows.sql"),
    ),
];

/// Applies every migration not yet applied, under a lock, so daemons
/// starting together do not race: sqlx takes an advisory lock on PostgreSQL;
/// on SQLite (where sqlx takes none) everything runs in one `BEGIN IMMEDIATE`
/// transaction, each migration in a savepoint, and a second daemon waits for
/// the write lock and then finds the work done.
pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match store.backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    let migrator = Migrator::with_migrations(migrations);
    match store.backend {
        Backend::Postgres => migrator.run(&store.pool).await?,
        Backend::Sqlite => {
            if let Err(error) = migrate_sqlite(store, &migrator).await {
                // A read-only file that needs no migration still serves
                // reads (`feed`, `status`, `prune --dry-run`).
                if !(read_only(&error) && up_to_date(store).await) {
                    return Err(error);
                }
                return Ok(());
            }
            incremental_vacuum(store).await?;
        }
    }
    Ok(())
}

async fn migrate_sqlite(store: &Store, migrator: &Migrator) -> Result<(), StoreError> {
    let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await?;
    // `run` on a transaction makes this future not `Send` (sqlx's
    // "Acquire is not general enough"); sqlx offers `run_direct` for it.
    migrator.run_direct(None, &mut *tx, false).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether SQLite refused to write because the file (or the URL's
/// `mode=ro`) is read-only.
fn read_only(error: &StoreError) -> bool {
    let text = match error {
        StoreError::Query(e) => e.to_string(),
        StoreError::Migrate(e) => e.to_string(),
        _ => return false,
    };
    text.contains("readonly") || text.contains("read-only")
}

/// Whether every migration compiled in has been applied.
async fn up_to_date(store: &Store) -> bool {
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    sqlx::query_scalar::<_, i64>("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&store.pool)
        .await
        .is_ok_and(|applied| applied >= newest)
}

/// Converts a SQLite file made before retention to `auto_vacuum =
/// INCREMENTAL`, so that pruning can shrink it. The mode of a file that
/// has tables only changes with a `VACUUM`, which cannot run inside a
/// transaction and rewrites the whole file, once. If another process holds
/// the database (a running daemon) or it is read-only, the conversion waits
/// for a later start: pruning still works, the file just does not shrink.
async fn incremental_vacuum(store: &Store) -> Result<(), StoreError> {
    const INCREMENTAL: i64 = 2;
    let mut conn = store.pool.acquire().await?;
    let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&mut *conn)
        .await?;
    if mode == INCREMENTAL {
        return Ok(());
    }
    tracing::info!("converting the SQLite file to incremental auto-vacuum (a one-time VACUUM)");
    // Set again on this connection: `VACUUM` applies the mode it has.
    sqlx::query("PRAGMA auto_vacuum = INCREMENTAL")
        .execute(&mut *conn)
        .await?;
    if let Err(error) = sqlx::query("VACUUM").execute(&mut *conn).await {
        tracing::warn!(%error, "could not convert the SQLite file to incremental auto-vacuum; trying again at the next start");
    }
    Ok(())
}
