//! `UQPAY_TOKEN_STORE`: which token store a client uses. Errors name the
//! variable, never its value (a Redis URL may carry a password).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use refundkit_core::{ExposeSecret, RefundError, SecretString};

use super::file::FileTokenStore;
use crate::config::UqPayConfig;
use crate::token::{InMemoryTokenStore, TokenStore};

/// The variable choosing the token store: `memory`, `file`, `file:PATH`,
/// `redis://…` or `rediss://…`.
pub const ENV_TOKEN_STORE: &str = "UQPAY_TOKEN_STORE";

/// Where a client keeps its UQPay token (`UQPAY_TOKEN_STORE`).
///
/// `Debug` never shows a Redis URL (it may carry a password).
///
/// ```
/// use refundkit_uqpay::TokenStoreSetting;
///
/// let lookup = |name: &str| (name == "HOME").then(|| "/home/shop".to_string());
/// let setting = TokenStoreSetting::parse("file", lookup).unwrap();
/// assert_eq!(
///     setting,
///     TokenStoreSetting::File("/home/shop/.cache/refundkit/uqpay-tokens".into())
/// );
/// assert_eq!(TokenStoreSetting::parse("memory", lookup).unwrap(), TokenStoreSetting::Memory);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum TokenStoreSetting {
    /// In this process only ([`InMemoryTokenStore`]): the library's default.
    #[default]
    Memory,
    /// A directory shared by the processes of this host ([`FileTokenStore`]).
    File(PathBuf),
    /// A Redis server shared by a fleet (`RedisTokenStore`, cargo feature
    /// `redis`): a `redis://` or `rediss://` URL.
    Redis(SecretString),
}

impl TokenStoreSetting {
    /// Parses a `UQPAY_TOKEN_STORE` value. `file` means
    /// `$XDG_CACHE_HOME/refundkit/uqpay-tokens`, else
    /// `$HOME/.cache/refundkit/uqpay-tokens`, read through `lookup`.
    pub fn parse(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("memory") {
            return Ok(Self::Memory);
        }
        if text.eq_ignore_ascii_case("file") {
            return Self::default_directory(lookup).map(Self::File).ok_or_else(|| {
                RefundError::Config(format!(
                    "{ENV_TOKEN_STORE}=file needs XDG_CACHE_HOME or HOME to find the cache directory; use file:PATH"
                ))
            });
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.trim().is_empty() {
                return Err(RefundError::Config(format!(
                    "{ENV_TOKEN_STORE}=file:PATH needs a directory"
                )));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        let lower = text.get(..9).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("redis://") || lower.starts_with("rediss://") {
            return Ok(Self::Redis(SecretString::from(text.to_string())));
        }
        Err(RefundError::Config(format!(
            "{ENV_TOKEN_STORE} must be memory, file, file:PATH, redis://… or rediss://…"
        )))
    }

    /// `$XDG_CACHE_HOME/refundkit/uqpay-tokens`, else
    /// `$HOME/.cache/refundkit/uqpay-tokens` (empty values count as unset).
    pub fn default_directory(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let cache = match set("XDG_CACHE_HOME") {
            Some(cache) => PathBuf::from(cache),
            None => PathBuf::from(set("HOME")?).join(".cache"),
        };
        Some(cache.join("refundkit").join("uqpay-tokens"))
    }

    /// The store this setting names, for `config`'s client id.
    pub fn build(&self, config: &UqPayConfig) -> Result<Arc<dyn TokenStore>, RefundError> {
        match self {
            Self::Memory => Ok(Arc::new(InMemoryTokenStore::new())),
            Self::File(directory) => Ok(Arc::new(FileTokenStore::new(directory, config))),
            #[cfg(feature = "redis")]
            Self::Redis(url) => Ok(Arc::new(super::RedisTokenStore::new(url, config)?)),
            #[cfg(not(feature = "redis"))]
            Self::Redis(_) => Err(RefundError::Config(format!(
                "{ENV_TOKEN_STORE} names a Redis server, but refundkit-uqpay was built without its `redis` feature"
            ))),
        }
    }
}

impl PartialEq for TokenStoreSetting {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Memory, Self::Memory) => true,
            (Self::File(a), Self::File(b)) => a == b,
            (Self::Redis(a), Self::Redis(b)) => a.expose_secret() == b.expose_secret(),
            _ => false,
        }
    }
}

impl fmt::Debug for TokenStoreSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::File(directory) => f.debug_tuple("File").field(directory).finish(),
            Self::Redis(_) => f.write_str("Redis([REDACTED])"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn every_documented_value_parses() {
        let home = env(&[("HOME", "/home/u")]);
        let xdg = env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/cache")]);
        assert_eq!(
            TokenStoreSetting::parse("file", &home).unwrap(),
            TokenStoreSetting::File("/home/u/.cache/refundkit/uqpay-tokens".into())
        );
        assert_eq!(
            TokenStoreSetting::parse("FILE", &xdg).unwrap(),
            TokenStoreSetting::File("/cache/refundkit/uqpay-tokens".into())
        );
        assert_eq!(
            TokenStoreSetting::parse("file:/srv/tokens", &home).unwrap(),
            TokenStoreSetting::File("/srv/tokens".into())
        );
        assert_eq!(
            TokenStoreSetting::parse(" memory ", &home).unwrap(),
            TokenStoreSetting::Memory
        );
        for url in [
            "redis://127.0.0.1:6379/",
            "rediss://:pw@cache.internal:6380/0",
        ] {
            assert_eq!(
                TokenStoreSetting::parse(url, &home).unwrap(),
                TokenStoreSetting::Redis(SecretString::from(url))
            );
        }
    }

    #[test]
    fn errors_name_the_variable_and_never_the_value() {
        let nothing = env(&[]);
        for (value, needle) in [
            ("file", "XDG_CACHE_HOME or HOME"),
            ("file:", "needs a directory"),
            ("memcached://user:hunter2@host", "must be memory"),
            ("http://user:hunter2@host", "must be memory"),
        ] {
            let error = TokenStoreSetting::parse(value, &nothing)
                .unwrap_err()
                .to_string();
            assert!(error.contains(ENV_TOKEN_STORE), "{error}");
            assert!(error.contains(needle), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn debug_never_shows_a_redis_url() {
        let setting = TokenStoreSetting::Redis(SecretString::from("redis://:hunter2@host:6379/"));
        let text = format!("{setting:?}");
        assert_eq!(text, "Redis([REDACTED])");
    }
}
