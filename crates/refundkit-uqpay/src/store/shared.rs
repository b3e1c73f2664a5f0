//! [`SharedStore`]: the [`TokenStore`] logic common to every store shared by
//! processes — read-through to the shared record, one refresh across all
//! processes under the engine's lock, generation-fenced writes, sealing, and
//! an in-process fallback while the engine is unavailable.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::{OffsetDateTime, RefundError};
use tokio::sync::Mutex;

use super::backend::Backend;
use super::error::TokenStoreError;
use super::outage::Outage;
use super::seal::Sealer;
use super::STORE_TIMEOUT;
use crate::token::{AccessToken, MintedToken, TokenMinter, TokenStore};

/// How often a process waiting for another's refresh looks again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// What waiting for the refresh lock ended with.
enum Acquired<L> {
    /// The lock is ours.
    Lock(L),
    /// Another process stored a newer token meanwhile.
    Current(AccessToken),
}

/// Why a shared refresh did not produce a token from the store.
enum SharedFailure {
    /// The engine failed before anything was minted: mint in-process instead.
    Store(TokenStoreError),
    /// The token call failed: the caller gets this error.
    Mint(RefundError),
    /// A token was minted but could not be stored: use it, keep it in-process.
    StoreAfterMint(AccessToken, TokenStoreError),
}

/// A [`TokenStore`] over a shared [`Backend`].
pub(crate) struct SharedStore<B: Backend> {
    backend: B,
    sealer: Sealer,
    /// The last token seen or minted: what refunds use while the engine is down.
    local: StdMutex<Option<AccessToken>>,
    /// The highest generation seen, for in-process mints during an outage.
    last_generation: AtomicU64,
    /// In-process single flight in front of the engine's lock.
    refresh_lock: Mutex<()>,
    outage: Outage,
    lock_wait: Duration,
}

impl<B: Backend> SharedStore<B> {
    /// `lock_wait`: how long to wait for another process's refresh (above
    /// the longest token call).
    pub fn new(backend: B, sealer: Sealer, lock_wait: Duration) -> Self {
        Self {
            backend,
            sealer,
            local: StdMutex::new(None),
            last_generation: AtomicU64::new(0),
            refresh_lock: Mutex::new(()),
            outage: Outage::default(),
            lock_wait,
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Writes `token` unless the store holds its generation or a newer one.
    pub async fn store_if_newer(&self, token: &AccessToken) -> Result<bool, TokenStoreError> {
        let sealed = self
            .sealer
            .seal(token)
            .ok_or_else(|| TokenStoreError::new(self.backend.name(), "sealing the token failed"))?;
        let expires_in_ms =
            u64::try_from((token.expires_at() - OffsetDateTime::now_utc()).whole_milliseconds())
                .unwrap_or(0)
                .max(1_000);
        self.timed(
            self.backend
                .store_if_newer(token.generation().0, expires_in_ms, sealed),
        )
        .await
    }

    /// The token in the store right now (a record that does not open is absent).
    pub async fn read_shared(&self) -> Result<Option<AccessToken>, TokenStoreError> {
        let record = self.timed(self.backend.load()).await?;
        let token = record.and_then(|bytes| self.sealer.open(&bytes));
        if let Some(token) = &token {
            self.note_generation(token.generation().0);
        }
        Ok(token)
    }

    async fn timed<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, TokenStoreError>>,
    ) -> Result<T, TokenStoreError> {
        match tokio::time::timeout(STORE_TIMEOUT, operation).await {
            Ok(result) => result,
            Err(_) => Err(TokenStoreError::new(
                self.backend.name(),
                format!("no answer within {} ms", STORE_TIMEOUT.as_millis()),
            )),
        }
    }

    fn local(&self) -> Option<AccessToken> {
        self.local.lock().ok().and_then(|local| local.clone())
    }

    fn set_local(&self, token: &AccessToken) {
        self.note_generation(token.generation().0);
        if let Ok(mut local) = self.local.lock() {
            *local = Some(token.clone());
        }
    }

    fn note_generation(&self, generation: u64) {
        self.last_generation
            .fetch_max(generation, Ordering::Relaxed);
    }

    /// The generation of an in-process mint: above every one seen.
    fn next_local_generation(&self) -> CredentialGeneration {
        let previous = self.last_generation.fetch_add(1, Ordering::Relaxed);
        CredentialGeneration(previous.saturating_add(1))
    }

    /// The store answered with `shared`. A newer in-process token (minted
    /// while the store was down) is written back and wins.
    async fn adopt(&self, shared: AccessToken) -> AccessToken {
        if let Some(local) = self.local() {
            if local.generation().0 > shared.generation().0 && self.seed(&local).await {
                return local;
            }
            // The same token as the one in hand (generations can repeat
            // across an outage, so the value is compared too): keep it, its
            // prepared header is already built.
            if local.is_same(&shared) {
                return local;
            }
        }
        self.set_local(&shared);
        shared
    }

    /// The store holds no usable record: write back the in-process token, if
    /// it is still valid (the store restarted empty, or is newly reachable).
    async fn reseed(&self) -> Option<AccessToken> {
        let local = self.local()?;
        if local.expires_at() <= OffsetDateTime::now_utc() {
            return None;
        }
        self.seed(&local).await;
        Some(local)
    }

    async fn seed(&self, token: &AccessToken) -> bool {
        match self.store_if_newer(token).await {
            Ok(written) => written,
            Err(error) => {
                self.outage.failed(&error, Instant::now());
                false
            }
        }
    }

    /// Takes the refresh lock, polling while another process holds it. With
    /// `stale: Some(g)`, a token other than `g` appearing in the store ends
    /// the wait: it is returned instead.
    async fn acquire(
        &self,
        stale: Option<Option<CredentialGeneration>>,
    ) -> Result<Acquired<B::Lock>, TokenStoreError> {
        let deadline = Instant::now().checked_add(self.lock_wait);
        loop {
            if let Some(stale) = stale {
                if let Some(current) = self.read_shared().await? {
                    if Some(current.generation()) != stale {
                        self.set_local(&current);
                        return Ok(Acquired::Current(current));
                    }
                }
            }
            if let Some(lock) = self.timed(self.backend.try_lock()).await? {
                return Ok(Acquired::Lock(lock));
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(TokenStoreError::new(
                    self.backend.name(),
                    "another process held the refresh lock longer than a token call may take",
                ));
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
    }

    async fn release(&self, lock: B::Lock) {
        if let Err(error) = self.timed(self.backend.unlock(lock)).await {
            tracing::debug!(provider = "uqpay", error = %error, "releasing the refresh lock failed; it expires by itself");
        }
    }

    async fn refresh_shared(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, SharedFailure> {
        let lock = match self
            .acquire(Some(stale))
            .await
            .map_err(SharedFailure::Store)?
        {
            Acquired::Current(current) => return Ok(current),
            Acquired::Lock(lock) => lock,
        };
        let outcome = self.mint_under_lock(&lock, stale, minter).await;
        self.release(lock).await;
        outcome
    }

    /// Stores `minted` as the newest token (fenced under the lock).
    async fn put_shared(&self, minted: MintedToken) -> Result<AccessToken, SharedFailure> {
        let lock = match self.acquire(None).await.map_err(SharedFailure::Store)? {
            Acquired::Lock(lock) => lock,
            Acquired::Current(current) => return Ok(current),
        };
        let outcome = match self.timed(self.backend.next_generation(&lock)).await {
            Ok(generation) => {
                let token = AccessToken::new(minted, CredentialGeneration(generation));
                match self.store_if_newer(&token).await {
                    Ok(_) => {
                        self.set_local(&token);
                        Ok(token)
                    }
                    Err(error) => Err(SharedFailure::StoreAfterMint(token, error)),
                }
            }
            Err(error) => Err(SharedFailure::Store(error)),
        };
        self.release(lock).await;
        outcome
    }

    async fn mint_under_lock(
        &self,
        lock: &B::Lock,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, SharedFailure> {
        if let Some(current) = self.read_shared().await.map_err(SharedFailure::Store)? {
            if Some(current.generation()) != stale {
                self.set_local(&current);
                return Ok(current);
            }
        }
        let generation = self
            .timed(self.backend.next_generation(lock))
            .await
            .map_err(SharedFailure::Store)?;
        let minted = minter.mint().await.map_err(SharedFailure::Mint)?;
        let token = AccessToken::new(minted, CredentialGeneration(generation));
        match self.store_if_newer(&token).await {
            Ok(true) => {
                self.set_local(&token);
                Ok(token)
            }
            // A newer generation got in (a writer fenced after us): it wins.
            Ok(false) => match self.read_shared().await {
                Ok(Some(newer)) => {
                    self.set_local(&newer);
                    Ok(newer)
                }
                _ => {
                    self.set_local(&token);
                    Ok(token)
                }
            },
            Err(error) => Err(SharedFailure::StoreAfterMint(token, error)),
        }
    }

    /// Single flight within this process only (the store is down).
    async fn refresh_local(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, RefundError> {
        if let Some(local) = self.local() {
            if Some(local.generation()) != stale {
                return Ok(local);
            }
        }
        let minted = minter.mint().await?;
        let token = AccessToken::new(minted, self.next_local_generation());
        self.set_local(&token);
        Ok(token)
    }
}

impl<B: Backend + fmt::Debug> fmt::Debug for SharedStore<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedStore")
            .field("backend", &self.backend)
            .field("sealed", &true)
            .field("store_down", &self.outage.is_down())
            .field(
                "last_generation",
                &self.last_generation.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<B: Backend + fmt::Debug> TokenStore for SharedStore<B> {
    async fn get(&self) -> Option<AccessToken> {
        let now = Instant::now();
        if !self.outage.should_try(now) {
            return self.local();
        }
        match self.read_shared().await {
            Ok(Some(shared)) => {
                self.outage.succeeded();
                Some(self.adopt(shared).await)
            }
            Ok(None) => {
                self.outage.succeeded();
                self.reseed().await
            }
            Err(error) => {
                self.outage.failed(&error, now);
                self.local()
            }
        }
    }

    async fn put(&self, token: MintedToken) -> AccessToken {
        let _single_flight = self.refresh_lock.lock().await;
        match self.put_shared(token.clone()).await {
            Ok(stored) => stored,
            Err(SharedFailure::StoreAfterMint(stored, error)) => {
                self.outage.failed(&error, Instant::now());
                self.set_local(&stored);
                stored
            }
            Err(SharedFailure::Store(error)) => {
                self.outage.failed(&error, Instant::now());
                let stored = AccessToken::new(token, self.next_local_generation());
                self.set_local(&stored);
                stored
            }
            Err(SharedFailure::Mint(_)) => {
                let stored = AccessToken::new(token, self.next_local_generation());
                self.set_local(&stored);
                stored
            }
        }
    }

    async fn invalidate(&self, generation: CredentialGeneration) {
        if let Ok(mut local) = self.local.lock() {
            if local.as_ref().map(AccessToken::generation) == Some(generation) {
                *local = None;
            }
        }
        if let Err(error) = self.timed(self.backend.remove_if(generation.0)).await {
            self.outage.failed(&error, Instant::now());
        }
    }

    async fn refresh(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, RefundError> {
        let _single_flight = self.refresh_lock.lock().await;
        if self.outage.should_try(Instant::now()) {
            match self.refresh_shared(stale, minter).await {
                Ok(token) => {
                    self.outage.succeeded();
                    return Ok(token);
                }
                Err(SharedFailure::Mint(error)) => return Err(error),
                Err(SharedFailure::StoreAfterMint(token, error)) => {
                    self.outage.failed(&error, Instant::now());
                    self.set_local(&token);
                    return Ok(token);
                }
                Err(SharedFailure::Store(error)) => self.outage.failed(&error, Instant::now()),
            }
        }
        self.refresh_local(stale, minter).await
    }
}
