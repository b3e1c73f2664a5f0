//! Where UQPay access tokens live. Minting a new Acquiring token invalidates
//! the previous one at once, so every store refreshes single-flight: however
//! many tasks find the token stale, one token request is made.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::HeaderValue;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::{ExposeSecret, OffsetDateTime, RefundError, SecretString};
use secrecy::zeroize::Zeroizing;
use tokio::sync::Mutex;

/// Tokens are replaced this long before UQPay's `expired_at`.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A token as the token endpoint returned it.
#[derive(Clone)]
pub struct MintedToken {
    /// The JWT, without the `Bearer ` prefix.
    pub value: SecretString,
    /// When UQPay stops accepting it (`expired_at`).
    pub expires_at: OffsetDateTime,
}

impl refundkit_core::Scrub for MintedToken {
    /// The token is the secret being handed over: never masked in itself.
    fn scrub(&mut self, _secrets: &refundkit_core::Secrets) {}
}

impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("value", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A stored token with the generation that tells it apart from the tokens
/// before and after it. Cheap to clone: clones share the token and its
/// prepared header.
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<StoredToken>,
}

struct StoredToken {
    value: SecretString,
    expires_at: OffsetDateTime,
    generation: CredentialGeneration,
    /// `Bearer <token>`, sensitive, made once per token; `None` when the
    /// token is not valid header text.
    bearer: Option<HeaderValue>,
}

impl AccessToken {
    /// A stored token; stores number their tokens so that a rejection of an
    /// old one can be told from a rejection of the current one.
    pub fn new(token: MintedToken, generation: CredentialGeneration) -> Self {
        let bearer = Zeroizing::new(format!("Bearer {}", token.value.expose_secret()));
        let bearer = HeaderValue::from_str(&bearer).ok().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        Self {
            inner: Arc::new(StoredToken {
                value: token.value,
                expires_at: token.expires_at,
                generation,
                bearer,
            }),
        }
    }

    /// Whether `other` is this very token: the same one in hand, or the same
    /// value with the same generation and expiry read again from a store.
    pub fn is_same(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.inner.generation == other.inner.generation
                && self.inner.expires_at == other.inner.expires_at
                && self.inner.value.expose_secret() == other.inner.value.expose_secret())
    }

    /// The JWT, without the `Bearer ` prefix.
    pub fn value(&self) -> &SecretString {
        &self.inner.value
    }

    /// When UQPay stops accepting it.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.inner.expires_at
    }

    /// Which token this is.
    pub fn generation(&self) -> CredentialGeneration {
        self.inner.generation
    }

    /// The `x-auth-token` value, `Bearer <token>`, marked sensitive.
    pub(crate) fn bearer_header(&self) -> Option<&HeaderValue> {
        self.inner.bearer.as_ref()
    }

    /// True from [`REFRESH_MARGIN`] before expiry on. Checked arithmetic:
    /// an `expires_at` at the edge of the calendar cannot overflow.
    pub fn needs_refresh(&self, now: OffsetDateTime) -> bool {
        match now.checked_add(time::Duration::seconds(REFRESH_MARGIN.as_secs() as i64)) {
            Some(threshold) => threshold >= self.inner.expires_at,
            None => true,
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[REDACTED]")
            .field("expires_at", &self.inner.expires_at)
            .field("generation", &self.inner.generation.0)
            .finish()
    }
}

/// Obtains a new token from UQPay (the client's token endpoint call).
#[async_trait]
pub trait TokenMinter: Send + Sync {
    /// Requests a new token. Each call invalidates UQPay's previous token.
    async fn mint(&self) -> Result<MintedToken, RefundError>;
}

/// Keeps one token per client id and environment. Implement it over a shared
/// store (with a lock around [`TokenStore::refresh`]) to share one token
/// across processes; [`InMemoryTokenStore`] serves one process.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The current token, if any (possibly close to expiry).
    async fn get(&self) -> Option<AccessToken>;

    /// Stores a freshly minted token as the current one and returns it with
    /// its new generation.
    async fn put(&self, token: MintedToken) -> AccessToken;

    /// Drops the current token if it is still `generation`.
    async fn invalidate(&self, generation: CredentialGeneration);

    /// Whether every process using this client id goes through this store
    /// (default: no). A shared store's current token that UQPay calls
    /// invalid is dead for every process, so it is replaced once, under the
    /// lock; a process-local store's is left alone: some process outside it
    /// minted, and replacing its token would start a war of mints.
    fn is_shared(&self) -> bool {
        false
    }

    /// The current token when it can be had without waiting (a store in
    /// memory whose lock is free), else `None`: the caller then awaits
    /// [`TokenStore::get`]. The default is `None` (shared stores read their
    /// backend).
    fn get_now(&self) -> Option<AccessToken> {
        None
    }

    /// Single-flight refresh. `stale` is the token the caller found unusable
    /// (`None`: it found none). If by the time the refresh lock is held the
    /// current token is another one, that token is returned and nothing is
    /// minted; otherwise `minter` is called once and its token stored.
    async fn refresh(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, RefundError>;
}

/// The default [`TokenStore`]: one token in memory, refreshed single-flight
/// within this process.
#[derive(Default)]
pub struct InMemoryTokenStore {
    current: Mutex<Option<AccessToken>>,
    last_generation: AtomicU64,
    refresh_lock: Mutex<()>,
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for InMemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryTokenStore")
            .field(
                "last_generation",
                &self.last_generation.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn get(&self) -> Option<AccessToken> {
        self.current.lock().await.clone()
    }

    fn get_now(&self) -> Option<AccessToken> {
        self.current
            .try_lock()
            .ok()
            .and_then(|current| current.clone())
    }

    async fn put(&self, token: MintedToken) -> AccessToken {
        let generation = self.last_generation.fetch_add(1, Ordering::Relaxed) + 1;
        let token = AccessToken::new(token, CredentialGeneration(generation));
        *self.current.lock().await = Some(token.clone());
        token
    }

    async fn invalidate(&self, generation: CredentialGeneration) {
        let mut current = self.current.lock().await;
        if current.as_ref().map(AccessToken::generation) == Some(generation) {
            *current = None;
        }
    }

    async fn refresh(
        &self,
        stale: Option<CredentialGeneration>,
        minter: &dyn TokenMinter,
    ) -> Result<AccessToken, RefundError> {
        let _single_flight = self.refresh_lock.lock().await;
        if let Some(current) = self.get().await {
            if Some(current.generation()) != stale {
                return Ok(current);
            }
        }
        let minted = minter.mint().await?;
        Ok(self.put(minted).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct CountingMinter(AtomicUsize);

    #[async_trait]
    impl TokenMinter for CountingMinter {
        async fn mint(&self) -> Result<MintedToken, RefundError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(MintedToken {
                value: SecretString::from(format!("token-{n}")),
                expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
            })
        }
    }

    #[tokio::test]
    async fn concurrent_refreshes_of_the_same_stale_token_mint_once() {
        let store = Arc::new(InMemoryTokenStore::new());
        let minter = Arc::new(CountingMinter(AtomicUsize::new(0)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (store, minter) = (store.clone(), minter.clone());
            tasks.spawn(async move { store.refresh(None, &*minter).await.unwrap().generation() });
        }
        while let Some(generation) = tasks.join_next().await {
            assert_eq!(generation.unwrap(), CredentialGeneration(1));
        }
        assert_eq!(minter.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refresh_of_an_old_generation_returns_the_newer_token() {
        let store = InMemoryTokenStore::new();
        let minter = CountingMinter(AtomicUsize::new(0));
        let first = store.refresh(None, &minter).await.unwrap();
        let second = store
            .refresh(Some(first.generation()), &minter)
            .await
            .unwrap();
        assert_eq!(second.generation(), CredentialGeneration(2));
        let again = store
            .refresh(Some(first.generation()), &minter)
            .await
            .unwrap();
        assert_eq!(again.generation(), second.generation());
        assert_eq!(minter.0.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_named_generation() {
        let store = InMemoryTokenStore::new();
        let minter = CountingMinter(AtomicUsize::new(0));
        let token = store.refresh(None, &minter).await.unwrap();
        store.invalidate(CredentialGeneration(99)).await;
        assert!(store.get().await.is_some());
        store.invalidate(token.generation()).await;
        assert!(store.get().await.is_none());
    }

    #[test]
    fn tokens_need_refresh_five_minutes_before_expiry() {
        let expires_at = OffsetDateTime::from_unix_timestamp(10_000).unwrap();
        let token = AccessToken::new(
            MintedToken {
                value: SecretString::from("jwt"),
                expires_at,
            },
            CredentialGeneration(1),
        );
        assert!(!token.needs_refresh(expires_at - Duration::from_secs(301)));
        assert!(token.needs_refresh(expires_at - Duration::from_secs(300)));
        assert!(!format!("{token:?}").contains("jwt"));
    }

    #[test]
    fn tokens_at_the_edges_of_the_calendar_do_not_overflow() {
        for expires_at in [
            time::PrimitiveDateTime::MIN.assume_utc(),
            time::PrimitiveDateTime::MAX.assume_utc(),
        ] {
            let token = AccessToken::new(
                MintedToken {
                    value: SecretString::from("jwt"),
                    expires_at,
                },
                CredentialGeneration(1),
            );
            let now = OffsetDateTime::now_utc();
            assert_eq!(token.needs_refresh(now), expires_at < now);
            assert!(token.needs_refresh(time::PrimitiveDateTime::MAX.assume_utc()));
        }
    }
}
