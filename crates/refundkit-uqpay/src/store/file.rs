//! [`FileTokenStore`]: the token of one client id in a file, shared by every
//! process of the user on this host.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::RefundError;

use super::backend::Backend;
use super::error::TokenStoreError;
use super::seal::{environment_name, read_header, Sealer};
use super::shared::SharedStore;
use super::{refresh_lock_ttl, short_hash};
use crate::config::UqPayConfig;
use crate::token::{AccessToken, MintedToken, TokenMinter, TokenStore};

const NAME: &str = "file";

/// The token of one client id and environment in a file, for every process
/// of the user on this host (a web server, workers, cron jobs, the CLI).
///
/// - one file per client id and environment, named by a hash of both, in a
///   directory the user controls (created `0700`; files `0600`);
/// - refreshed under an OS file lock, so one process mints and the others
///   read its token; written atomically (temporary file + rename);
/// - sealed with a key derived from the API key: the file alone grants no
///   API access, and a file that does not open counts as absent;
/// - while the directory is unusable, refunds go on with a token kept in the
///   process (one warning per outage), each file operation bounded by
///   [`crate::STORE_TIMEOUT`].
///
/// ```no_run
/// use std::sync::Arc;
/// use refundkit_uqpay::{FileTokenStore, SecretString, UqPayClient, UqPayConfig};
///
/// # fn run() -> Result<(), refundkit_uqpay::RefundError> {
/// let config = UqPayConfig::builder("my-client-id", SecretString::from("my-api-key")).build()?;
/// let store = FileTokenStore::new("/var/cache/my-shop/uqpay-tokens", &config);
/// let client = UqPayClient::with_token_store(config, Arc::new(store))?;
/// # Ok(()) }
/// ```
pub struct FileTokenStore {
    shared: SharedStore<FileBackend>,
}

impl FileTokenStore {
    /// The store of `config`'s client id and environment under `directory`
    /// (created on first use). Nothing is read or written yet.
    pub fn new(directory: impl Into<PathBuf>, config: &UqPayConfig) -> Self {
        let environment = config.environment();
        let name = format!(
            "uqpay-{}-{}",
            environment_name(environment),
            short_hash(&[environment_name(environment), config.client_id()])
        );
        let directory = directory.into();
        let backend = FileBackend {
            paths: Arc::new(Paths {
                token: directory.join(format!("{name}.token")),
                refresh_lock: directory.join(format!("{name}.refresh.lock")),
                write_lock: directory.join(format!("{name}.write.lock")),
                counter: directory.join(format!("{name}.generation")),
                directory,
            }),
        };
        let sealer = Sealer::new(config.api_key(), environment, config.client_id());
        Self {
            shared: SharedStore::new(backend, sealer, refresh_lock_ttl(config.transport())),
        }
    }

    /// The directory holding the files.
    pub fn directory(&self) -> &Path {
        &self.shared.backend().paths.directory
    }

    /// The file holding the sealed token.
    pub fn token_path(&self) -> &Path {
        &self.shared.backend().paths.token
    }

    /// Compare-and-set: writes `token` unless the file holds its generation
    /// or a newer one, so a slow writer never replaces a newer token.
    /// Returns whether it was written.
    pub async fn store_if_newer(&self, token: &AccessToken) -> Result<bool, TokenStoreError> {
        self.shared.store_if_newer(token).await
    }
}

impl fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("shared", &self.shared)
            .finish()
    }
}

#[async_trait]
impl TokenStore for FileTokenStore {
    async fn get(&self) -> Option<AccessToken> {
        self.shared.get().await
    }

    async fn put(&self, token: MintedToken) -> AccessToken {
        self.shared.put(token).await
    }

    async fn invalidate(&self, generation: CredentialGeneration) {
        self.shared.invalidate(generation).await
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn refresh(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, RefundError> {
        self.shared.refresh(stale, minter).await
    }
}

struct Paths {
    directory: PathBuf,
    token: PathBuf,
    refresh_lock: PathBuf,
    write_lock: PathBuf,
    counter: PathBuf,
}

pub(crate) struct FileBackend {
    paths: Arc<Paths>,
}

impl fmt::Debug for FileBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBackend")
            .field("token_path", &self.paths.token)
            .finish_non_exhaustive()
    }
}

/// Runs blocking file work off the async runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, TokenStoreError> + Send + 'static,
) -> Result<T, TokenStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| TokenStoreError::new(NAME, "a file task stopped"))?
}

fn io_error(action: &str) -> impl Fn(io::Error) -> TokenStoreError + '_ {
    move |error| TokenStoreError::io(NAME, action, &error)
}

/// Creates the directory (owner only) if it is missing.
fn ensure_directory(directory: &Path) -> Result<(), TokenStoreError> {
    if directory.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(directory)
        .map_err(io_error("creating the token directory"))
}

/// Opens (creating, owner-only) a file for reading and writing.
fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, TokenStoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(TokenStoreError::io(NAME, "reading the token file", &error)),
    }
}

/// The generation in the token file's header (0: none or unreadable).
fn stored_generation(paths: &Paths) -> Result<u64, TokenStoreError> {
    Ok(read_optional(&paths.token)?
        .and_then(|record| read_header(&record))
        .map_or(0, |header| header.generation))
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so readers see the old file or the new one, never a part.
fn write_atomically(directory: &Path, path: &Path, bytes: &[u8]) -> Result<(), TokenStoreError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = directory.join(format!(
        ".{file_name}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let write = || -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    };
    write().map_err(|error| {
        let _ = fs::remove_file(&temporary);
        TokenStoreError::io(NAME, "writing the token file", &error)
    })
}

/// Runs `work` holding the short write lock (compare and write as one step).
fn with_write_lock<T>(
    paths: &Paths,
    work: impl FnOnce(&Paths) -> Result<T, TokenStoreError>,
) -> Result<T, TokenStoreError> {
    ensure_directory(&paths.directory)?;
    let lock = open_private(&paths.write_lock).map_err(io_error("opening the write lock"))?;
    fs4::FileExt::lock(&lock).map_err(io_error("taking the write lock"))?;
    let result = work(paths);
    let _ = fs4::FileExt::unlock(&lock);
    result
}

#[async_trait]
impl Backend for FileBackend {
    type Lock = File;

    fn name(&self) -> &'static str {
        NAME
    }

    async fn load(&self) -> Result<Option<Vec<u8>>, TokenStoreError> {
        let paths = self.paths.clone();
        blocking(move || read_optional(&paths.token)).await
    }

    async fn try_lock(&self) -> Result<Option<File>, TokenStoreError> {
        let paths = self.paths.clone();
        blocking(move || {
            ensure_directory(&paths.directory)?;
            let file =
                open_private(&paths.refresh_lock).map_err(io_error("opening the refresh lock"))?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => Ok(Some(file)),
                Err(fs4::TryLockError::WouldBlock) => Ok(None),
                Err(fs4::TryLockError::Error(error)) => {
                    Err(TokenStoreError::io(NAME, "taking the refresh lock", &error))
                }
            }
        })
        .await
    }

    async fn unlock(&self, lock: File) -> Result<(), TokenStoreError> {
        blocking(move || {
            // Closing the file releases the lock too; unlock first to be explicit.
            fs4::FileExt::unlock(&lock).map_err(io_error("releasing the refresh lock"))
        })
        .await
    }

    async fn next_generation(&self, _lock: &File) -> Result<u64, TokenStoreError> {
        let paths = self.paths.clone();
        blocking(move || {
            with_write_lock(&paths, |paths| {
                let counter = read_optional(&paths.counter)?
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| text.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                let next = counter
                    .max(stored_generation(paths)?)
                    .checked_add(1)
                    .ok_or_else(|| TokenStoreError::new(NAME, "generation counter exhausted"))?;
                write_atomically(
                    &paths.directory,
                    &paths.counter,
                    next.to_string().as_bytes(),
                )?;
                Ok(next)
            })
        })
        .await
    }

    async fn store_if_newer(
        &self,
        generation: u64,
        _expires_in_ms: u64,
        sealed: Vec<u8>,
    ) -> Result<bool, TokenStoreError> {
        let paths = self.paths.clone();
        blocking(move || {
            with_write_lock(&paths, |paths| {
                if stored_generation(paths)? >= generation {
                    return Ok(false);
                }
                write_atomically(&paths.directory, &paths.token, &sealed)?;
                Ok(true)
            })
        })
        .await
    }

    async fn remove_if(&self, generation: u64) -> Result<(), TokenStoreError> {
        let paths = self.paths.clone();
        blocking(move || {
            with_write_lock(&paths, |paths| {
                if stored_generation(paths)? != generation {
                    return Ok(());
                }
                match fs::remove_file(&paths.token) {
                    Ok(()) => Ok(()),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(error) => Err(TokenStoreError::io(NAME, "removing the token file", &error)),
                }
            })
        })
        .await
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
