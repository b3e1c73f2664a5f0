//! Opening a journal: the URL, the SQLite file (created owner-only), the
//! pool, and the embedded migrations.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use sqlx::any::AnyPoolOptions;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::AnyPool;
use sqlx::Executor;

use crate::error::JournalError;

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Which database a journal lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// One SQLite file, no server.
    Sqlite,
    /// A PostgreSQL database shared by a fleet.
    Postgres,
}

impl Backend {
    /// The backend a journal URL names: `sqlite://PATH` (or `sqlite:PATH`)
    /// and `postgres://...` / `postgresql://...`.
    pub fn of_url(url: &str) -> Result<Self, JournalError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(JournalError::Config(
                "the journal URL must start with sqlite: or postgres:// (e.g. sqlite://refundkit.db)"
                    .into(),
            ))
        }
    }
}

/// The file a `sqlite:` URL names: `sqlite://refundkit.db`,
/// `sqlite:///var/lib/refundkit.db`, `sqlite:refundkit.db`; the query string
/// is ignored. `None` for an in-memory database.
pub(crate) fn sqlite_path(url: &str) -> Result<Option<PathBuf>, JournalError> {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() {
        return Err(JournalError::Config(
            "the sqlite journal URL names no file (e.g. sqlite://refundkit.db)".into(),
        ));
    }
    if path == ":memory:" {
        return Ok(None);
    }
    Ok(Some(PathBuf::from(path)))
}

/// Creates the SQLite file readable and writable by its owner only (0600)
/// when it does not exist; an existing file keeps its permissions.
pub(crate) fn create_owner_only(path: &Path) -> Result<(), JournalError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(JournalError::Config(format!(
            "cannot create the journal file {}: {error}",
            path.display()
        ))),
    }
}

fn install_drivers() {
    // Ignored when the application installed its own set already.
    let _ = sqlx::any::install_drivers(&[
        #[cfg(feature = "postgres")]
        sqlx::postgres::any::DRIVER,
        #[cfg(feature = "sqlite")]
        sqlx::sqlite::any::DRIVER,
    ]);
}

/// Connects, creating the SQLite file if needed, and applies the migrations.
pub(crate) async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<(Backend, AnyPool), JournalError> {
    let backend = Backend::of_url(url)?;
    let connect_url = match backend {
        Backend::Sqlite => {
            if !cfg!(feature = "sqlite") {
                return Err(JournalError::Config(
                    "this build has no sqlite journal (enable the `sqlite` feature)".into(),
                ));
            }
            match sqlite_path(url)? {
                Some(path) => {
                    create_owner_only(&path)?;
                    format!("sqlite://{}", path.display())
                }
                // One connection: each in-memory connection is its own database.
                None => "sqlite::memory:".to_string(),
            }
        }
        Backend::Postgres => {
            if !cfg!(feature = "postgres") {
                return Err(JournalError::Config(
                    "this build has no postgres journal (enable the `postgres` feature)".into(),
                ));
            }
            url.to_string()
        }
    };
    install_drivers();
    let in_memory = backend == Backend::Sqlite && sqlite_path(url)?.is_none();
    let max_connections = if in_memory { 1 } else { max_connections };
    let options = AnyPoolOptions::new().max_connections(max_connections);
    let options = match backend {
        // Writers wait for each other instead of failing with SQLITE_BUSY.
        Backend::Sqlite => options.after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout = 30000").await?;
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        }),
        Backend::Postgres => options,
    };
    let pool = options.connect(&connect_url).await.map_err(|error| {
        JournalError::Config(format!(
            "cannot open the journal {}: {}",
            refundkit_core::redact_url(url),
            error
        ))
    })?;
    let migrator = Migrator::new(Embedded(backend))
        .await
        .map_err(|error| JournalError::Config(format!("journal migrations: {error}")))?;
    migrator
        .run(&pool)
        .await
        .map_err(|error| JournalError::Config(format!("journal migrations: {error}")))?;
    Ok((backend, pool))
}

/// The migrations compiled into the crate, one set per backend.
#[derive(Debug)]
struct Embedded(Backend);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let sql: [(i64, &'static str, &'static str); 2] = match self.0 {
            Backend::Sqlite => [
                (
                    1,
                    "journal",
                    include_str!("../migrations/sqlite/0001_journal.sql"),
                ),
                (
                    2,
                    "provider_options",
                    include_str!("../migrations/sqlite/0002_provider_options.sql"),
                ),
            ],
            Backend::Postgres => [
                (
                    1,
                    "journal",
                    include_str!("../migrations/postgres/0001_journal.sql"),
                ),
                (
                    2,
                    "provider_options",
                    include_str!("../migrations/postgres/0002_provider_options.sql"),
                ),
            ],
        };
        let migrations = sql
            .into_iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}
