//! Transport settings shared by every adapter.

use std::time::Duration;

use super::retry::RetryPolicy;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Transport settings shared by every adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Whole-request timeout (connect, send, receive).
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Larger response bodies are refused.
    pub max_response_bytes: usize,
    /// The retry loop's bounds.
    pub retry: RetryPolicy,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
        }
    }
}

impl TransportConfig {
    /// With the per-request timeout set.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With the retry policy set.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// With the response-size cap set.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }
}

/// `REFUNDKIT_TIMEOUT_MS`: the per-request timeout, in milliseconds.
pub const TIMEOUT_VARIABLE: &str = "REFUNDKIT_TIMEOUT_MS";
/// `REFUNDKIT_CONNECT_TIMEOUT_MS`: the connect timeout, in milliseconds.
pub const CONNECT_TIMEOUT_VARIABLE: &str = "REFUNDKIT_CONNECT_TIMEOUT_MS";
/// `REFUNDKIT_RETRY_ATTEMPTS`: attempts per call, the first included (≥ 1).
pub const RETRY_ATTEMPTS_VARIABLE: &str = "REFUNDKIT_RETRY_ATTEMPTS";
/// `REFUNDKIT_RETRY_MAX_ELAPSED_MS`: no attempt starts after this long.
pub const RETRY_MAX_ELAPSED_VARIABLE: &str = "REFUNDKIT_RETRY_MAX_ELAPSED_MS";

/// The transport settings a deployment can give without code, each optional.
/// Deserializes from a config file (`{"timeout_ms": 10000, …}`) and reads
/// from the environment (`REFUNDKIT_TIMEOUT_MS`, …).
///
/// ```
/// use std::time::Duration;
/// use refundkit_core::transport::{TransportConfig, TransportSettings};
///
/// let settings = TransportSettings::from_lookup(|name| match name {
///     "REFUNDKIT_TIMEOUT_MS" => Some("2500".to_string()),
///     "REFUNDKIT_RETRY_ATTEMPTS" => Some("2".to_string()),
///     _ => None,
/// })?;
/// let config = settings.apply(TransportConfig::default());
/// assert_eq!(config.timeout, Duration::from_millis(2500));
/// assert_eq!(config.retry.max_attempts, 2);
/// # Ok::<(), refundkit_core::RefundError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TransportSettings {
    /// Per-request timeout in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Connect timeout in milliseconds.
    pub connect_timeout_ms: Option<u64>,
    /// Attempts per call, the first included (at least 1).
    pub retry_attempts: Option<u32>,
    /// Total time bound of the retry loop in milliseconds.
    pub retry_max_elapsed_ms: Option<u64>,
}

impl TransportSettings {
    /// Reads the `REFUNDKIT_*` transport variables through `lookup`; a value
    /// that is not a positive whole number is a `Config` error naming the
    /// variable (not quoting the value).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, crate::RefundError> {
        let number = |name: &str| -> Result<Option<u64>, crate::RefundError> {
            match lookup(name).map(|text| text.trim().to_string()) {
                None => Ok(None),
                Some(text) if text.is_empty() => Ok(None),
                Some(text) => match text.parse::<u64>() {
                    Ok(value) if value > 0 => Ok(Some(value)),
                    _ => Err(crate::RefundError::Config(format!(
                        "{name} must be a positive whole number"
                    ))),
                },
            }
        };
        let attempts = match number(RETRY_ATTEMPTS_VARIABLE)? {
            Some(value) => Some(u32::try_from(value).map_err(|_| {
                crate::RefundError::Config(format!("{RETRY_ATTEMPTS_VARIABLE} is too large"))
            })?),
            None => None,
        };
        Ok(Self {
            timeout_ms: number(TIMEOUT_VARIABLE)?,
            connect_timeout_ms: number(CONNECT_TIMEOUT_VARIABLE)?,
            retry_attempts: attempts,
            retry_max_elapsed_ms: number(RETRY_MAX_ELAPSED_VARIABLE)?,
        })
    }

    /// `config` with every setting given here replacing its value.
    pub fn apply(&self, mut config: TransportConfig) -> TransportConfig {
        if let Some(ms) = self.timeout_ms {
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.connect_timeout_ms {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(attempts) = self.retry_attempts {
            config.retry = config.retry.with_max_attempts(attempts);
        }
        if let Some(ms) = self.retry_max_elapsed_ms {
            config.retry = config.retry.with_max_elapsed(Duration::from_millis(ms));
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_variable_without_quoting_them() {
        for value in ["0", "-5", "ten", "1.5"] {
            let error = TransportSettings::from_lookup(|name| {
                (name == TIMEOUT_VARIABLE).then(|| value.to_string())
            })
            .unwrap_err();
            let text = error.to_string();
            assert!(
                text.contains(TIMEOUT_VARIABLE) && !text.contains(value),
                "{text}"
            );
        }
    }

    #[test]
    fn absent_settings_leave_the_defaults() {
        let settings = TransportSettings::from_lookup(|_| None).unwrap();
        assert_eq!(
            settings.apply(TransportConfig::default()),
            TransportConfig::default()
        );
    }
}
