//! [`RedisTokenStore`]: one token per client id for a fleet, in Redis
//! (cluster-safe: every key of a client id shares one hash tag).

use std::fmt;
use std::time::Duration;

use ::redis::{Client, RedisError, Script};
use async_trait::async_trait;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::{ExposeSecret, RefundError, SecretString};
use tokio::sync::OnceCell;

use super::backend::Backend;
use super::error::TokenStoreError;
use super::redis_connection::{open, Connection};
use super::seal::{environment_name, Sealer};
use super::setting::ENV_TOKEN_STORE;
use super::shared::SharedStore;
use super::{refresh_lock_ttl, short_hash};
use crate::config::UqPayConfig;
use crate::token::{AccessToken, MintedToken, TokenMinter, TokenStore};

const NAME: &str = "redis";

/// Deletes the lock only if it still holds our value.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A fencing generation above the counter and the stored record.
const NEXT_GENERATION: &str = r"
local next = redis.call('INCR', KEYS[1])
local stored = tonumber(redis.call('HGET', KEYS[2], 'generation') or '0')
if next <= stored then
  next = stored + 1
  redis.call('SET', KEYS[1], next)
end
return next";

/// Compare-and-set: write unless the stored generation is this one or newer.
const STORE_IF_NEWER: &str = r"
local stored = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
local generation = tonumber(ARGV[1])
if stored >= generation then
  return 0
end
redis.call('HSET', KEYS[1], 'generation', ARGV[1], 'sealed', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') < generation then
  redis.call('SET', KEYS[2], ARGV[1])
end
return 1";

/// Deletes the record if it still has this generation.
const REMOVE_IF: &str = r"
if redis.call('HGET', KEYS[1], 'generation') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The token of one client id and environment in Redis, shared by a fleet.
///
/// - keys `{refundkit:uqpay:<environment>:<hash of the client id>}:token`,
///   `…:lock` and `…:generation`: one hash tag, so a Redis Cluster keeps
///   them on one slot and the scripts below may touch them together;
/// - one refresh across the fleet under `SET …:lock <random> NX PX <ttl>`
///   (the TTL above the token call's longest run), released only by its
///   owner (compare-and-delete script); the others wait, bounded, and read
///   the new token;
/// - generation-fenced compare-and-set writes (a script): a stale writer
///   never replaces a newer token;
/// - sealed with a key derived from the API key; a value that does not open
///   counts as absent;
/// - while Redis is unreachable, refunds go on with a token kept in the
///   process (one warning per outage), each Redis operation bounded by
///   [`crate::STORE_TIMEOUT`]; it is used again when it answers.
///
/// The connection is opened on first use: a [`ConnectionManager`](::redis::aio::ConnectionManager) (it
/// reconnects by itself) to a standalone server, or — when the server says
/// `cluster_enabled:1` — a Redis Cluster connection seeded with the URL's
/// node, which follows the slot map.
///
/// ```no_run
/// use std::sync::Arc;
/// use refundkit_uqpay::{RedisTokenStore, SecretString, UqPayClient, UqPayConfig};
///
/// # fn run() -> Result<(), refundkit_uqpay::RefundError> {
/// let config = UqPayConfig::builder("my-client-id", SecretString::from("my-api-key")).build()?;
/// let url = SecretString::from("redis://127.0.0.1:6379/");
/// let store = RedisTokenStore::new(&url, &config)?;
/// let client = UqPayClient::with_token_store(config, Arc::new(store))?;
/// # Ok(()) }
/// ```
pub struct RedisTokenStore {
    shared: SharedStore<RedisBackend>,
}

impl RedisTokenStore {
    /// The store of `config`'s client id and environment at `url`
    /// (`redis://` or `rediss://`). Nothing is connected yet. A URL that does
    /// not parse is a [`RefundError::Config`] naming `UQPAY_TOKEN_STORE`,
    /// never the URL.
    pub fn new(url: &SecretString, config: &UqPayConfig) -> Result<Self, RefundError> {
        let client = Client::open(url.expose_secret()).map_err(|_| {
            RefundError::Config(format!("{ENV_TOKEN_STORE} is not a valid Redis URL"))
        })?;
        let environment = environment_name(config.environment());
        let tag = format!(
            "{{refundkit:uqpay:{environment}:{}}}",
            short_hash(&[config.client_id()])
        );
        let lock_ttl = refresh_lock_ttl(config.transport());
        let backend = RedisBackend {
            client,
            connection: OnceCell::new(),
            token_key: format!("{tag}:token"),
            lock_key: format!("{tag}:lock"),
            counter_key: format!("{tag}:generation"),
            lock_ttl,
            unlock: Script::new(UNLOCK),
            next_generation: Script::new(NEXT_GENERATION),
            store_if_newer: Script::new(STORE_IF_NEWER),
            remove_if: Script::new(REMOVE_IF),
        };
        let sealer = Sealer::new(config.api_key(), config.environment(), config.client_id());
        Ok(Self {
            shared: SharedStore::new(backend, sealer, lock_ttl),
        })
    }

    /// The key holding the sealed token (a hash: `generation`, `sealed`).
    pub fn token_key(&self) -> &str {
        &self.shared.backend().token_key
    }

    /// The key of the refresh lock.
    pub fn lock_key(&self) -> &str {
        &self.shared.backend().lock_key
    }

    /// Compare-and-set: writes `token` unless Redis holds its generation or a
    /// newer one, so a slow writer never replaces a newer token. Returns
    /// whether it was written.
    pub async fn store_if_newer(&self, token: &AccessToken) -> Result<bool, TokenStoreError> {
        self.shared.store_if_newer(token).await
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("shared", &self.shared)
            .finish()
    }
}

#[async_trait]
impl TokenStore for RedisTokenStore {
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

pub(crate) struct RedisBackend {
    client: Client,
    connection: OnceCell<Connection>,
    token_key: String,
    lock_key: String,
    counter_key: String,
    lock_ttl: Duration,
    unlock: Script,
    next_generation: Script,
    store_if_newer: Script,
    remove_if: Script,
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the client: its connection info holds the URL's password.
        f.debug_struct("RedisBackend")
            .field("token_key", &self.token_key)
            .field("lock_ttl", &self.lock_ttl)
            .finish_non_exhaustive()
    }
}

/// A Redis failure described by its kind only (never a URL or a reply).
pub(super) fn redis_error(action: &str) -> impl Fn(RedisError) -> TokenStoreError + '_ {
    move |error: RedisError| {
        let kind = if error.is_timeout() {
            "timed out".to_string()
        } else if error.is_connection_refusal() {
            "connection refused".to_string()
        } else if error.is_io_error() || error.is_connection_dropped() {
            "connection lost".to_string()
        } else {
            format!("{:?}", error.kind())
        };
        TokenStoreError::new(NAME, format!("{action}: {kind}"))
    }
}

impl RedisBackend {
    /// The shared connection, opened on first use (inside the runtime).
    async fn connection(&self) -> Result<Connection, TokenStoreError> {
        let connection = self
            .connection
            .get_or_try_init(|| open(&self.client))
            .await?;
        Ok(connection.clone())
    }
}

#[async_trait]
impl Backend for RedisBackend {
    type Lock = String;

    fn name(&self) -> &'static str {
        NAME
    }

    async fn load(&self) -> Result<Option<Vec<u8>>, TokenStoreError> {
        let mut connection = self.connection().await?;
        ::redis::cmd("HGET")
            .arg(&self.token_key)
            .arg("sealed")
            .query_async::<Option<Vec<u8>>>(&mut connection)
            .await
            .map_err(redis_error("reading the token"))
    }

    async fn try_lock(&self) -> Result<Option<String>, TokenStoreError> {
        let mut connection = self.connection().await?;
        let owner = uuid::Uuid::new_v4().to_string();
        let ttl_ms = u64::try_from(self.lock_ttl.as_millis()).unwrap_or(u64::MAX);
        let answer = ::redis::cmd("SET")
            .arg(&self.lock_key)
            .arg(&owner)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<Option<String>>(&mut connection)
            .await
            .map_err(redis_error("taking the refresh lock"))?;
        Ok(answer.map(|_| owner))
    }

    async fn unlock(&self, owner: String) -> Result<(), TokenStoreError> {
        let mut connection = self.connection().await?;
        self.unlock
            .key(&self.lock_key)
            .arg(owner)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(|_| ())
            .map_err(redis_error("releasing the refresh lock"))
    }

    async fn next_generation(&self, _lock: &String) -> Result<u64, TokenStoreError> {
        let mut connection = self.connection().await?;
        self.next_generation
            .key(&self.counter_key)
            .key(&self.token_key)
            .invoke_async::<u64>(&mut connection)
            .await
            .map_err(redis_error("fencing a generation"))
    }

    async fn store_if_newer(
        &self,
        generation: u64,
        expires_in_ms: u64,
        sealed: Vec<u8>,
    ) -> Result<bool, TokenStoreError> {
        let mut connection = self.connection().await?;
        let written = self
            .store_if_newer
            .key(&self.token_key)
            .key(&self.counter_key)
            .arg(generation)
            .arg(sealed)
            .arg(expires_in_ms)
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(redis_error("writing the token"))?;
        Ok(written == 1)
    }

    async fn remove_if(&self, generation: u64) -> Result<(), TokenStoreError> {
        let mut connection = self.connection().await?;
        self.remove_if
            .key(&self.token_key)
            .arg(generation)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(|_| ())
            .map_err(redis_error("removing the token"))
    }
}

#[cfg(test)]
#[path = "redis_tests.rs"]
mod tests;
