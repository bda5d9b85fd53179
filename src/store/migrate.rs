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
        15,
        "feed titles of sources",
        include_str!("../../migrations/sqlite/0015_feed_titles.sql"),
        include_str!("../../migrations/postgres/0015_feed_titles.sql"),
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
            let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await?;
            // `run` on a transaction makes this future not `Send` (sqlx's
            // "Acquire is not general enough"); sqlx offers `run_direct` for it.
            migrator.run_direct(None, &mut *tx, false).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
