//! Backups of a SQLite database, taken while daemons keep using it.

use std::path::{Path, PathBuf};

use super::{Backend, Store, StoreError};

/// Why a backup was not taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target exists and overwriting it was not asked for.
    #[error("{0}: already exists (use --force to replace it)")]
    Exists(PathBuf),
    /// The database is PostgreSQL, which has its own tools.
    #[error("feedfold backup copies SQLite databases; for PostgreSQL use pg_dump")]
    Postgres,
    /// The folder the copy would go in does not exist.
    #[error("{0}: no such folder")]
    NoFolder(PathBuf),
    /// The target path cannot be given to SQLite.
    #[error("{0}: not a usable file name (it must be valid UTF-8)")]
    BadPath(PathBuf),
    /// Writing the copy or moving it into place failed.
    #[error("{path}: {error}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The database failed while copying (a full disk shows here).
    #[error("copying the database to {path}: {error}")]
    Copy {
        /// The file being written.
        path: PathBuf,
        /// The database's error.
        error: StoreError,
    },
}

impl Store {
    /// Writes a consistent copy of the SQLite database to `target` with
    /// `VACUUM INTO`: one read transaction, so writers (a running daemon)
    /// carry on and the copy is the database as of one moment, compacted.
    /// The copy is written next to `target` under a temporary name and
    /// renamed into place, so `target` is never half written. Returns the
    /// copy's size in bytes.
    pub async fn backup(&self, target: &Path, force: bool) -> Result<u64, BackupError> {
        if self.backend != Backend::Sqlite {
            return Err(BackupError::Postgres);
        }
        if !force && target.exists() {
            return Err(BackupError::Exists(target.to_owned()));
        }
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(BackupError::NoFolder(folder.to_owned()));
        }
        let partial = partial_name(target);
        remove_if_there(&partial)?;
        let name = partial
            .to_str()
            .ok_or_else(|| BackupError::BadPath(target.to_owned()))?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(name)
            .execute(&self.pool)
            .await;
        if let Err(error) = copied {
            // A full disk leaves a partial file behind; it is no backup.
            let _ = std::fs::remove_file(&partial);
            return Err(BackupError::Copy {
                path: target.to_owned(),
                error: error.into(),
            });
        }
        let io = |path: &Path| {
            let path = path.to_owned();
            move |error| BackupError::Io { path, error }
        };
        std::fs::rename(&partial, target).map_err(io(target))?;
        let size = std::fs::metadata(target).map_err(io(target))?.len();
        Ok(size)
    }
}

/// `DIR/.NAME.partial`, beside the target so the rename stays on one file system.
fn partial_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    target.with_file_name(format!(".{name}.partial"))
}

fn remove_if_there(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(BackupError::Io {
            path: path.to_owned(),
            error,
        }),
        _ => Ok(()),
    }
}
