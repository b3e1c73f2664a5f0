//! Where the ledger lives, its API key, and the one option it understands.

use std::fmt;

use refundkit::toolkit::transport::{BaseUrl, TransportConfig, TransportSettings};
use refundkit::toolkit::REDACTED;
use refundkit::{ExposeSecret, ProviderOptions, RefundError, SecretString};

use crate::LEDGER;

/// The variable holding the ledger service's base URL (HTTPS; plain HTTP
/// only on loopback).
pub const ENV_URL: &str = "LEDGER_URL";
/// The variable holding the ledger service's API key (a secret).
pub const ENV_API_KEY: &str = "LEDGER_API_KEY";

/// Settings of a [`crate::LedgerClient`]. `Debug` never shows the API key.
///
/// ```
/// use refundkit_example_ledger::LedgerConfig;
///
/// let env = [("LEDGER_URL", "https://ledger.internal.example"), ("LEDGER_API_KEY", "lk_live_1")];
/// let lookup = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
/// let config = LedgerConfig::from_lookup(lookup)?;
/// assert!(!format!("{config:?}").contains("lk_live_1"));
///
/// let missing = LedgerConfig::from_lookup(|name| (name == "LEDGER_URL").then(|| "https://l.example".into()));
/// assert!(missing.unwrap_err().to_string().contains("LEDGER_API_KEY is missing or empty"));
/// # Ok::<(), refundkit::RefundError>(())
/// ```
#[derive(Clone)]
pub struct LedgerConfig {
    pub(crate) base_url: BaseUrl,
    pub(crate) api_key: SecretString,
    pub(crate) transport: TransportConfig,
}

impl LedgerConfig {
    /// The ledger at `base_url`, called with `api_key`, with the default
    /// transport settings. A bad URL or a blank key is a `Config` error
    /// naming the setting, never its value.
    pub fn new(base_url: &str, api_key: SecretString) -> Result<Self, RefundError> {
        if api_key.expose_secret().trim().is_empty() {
            return Err(RefundError::Config(format!("{ENV_API_KEY} is empty")));
        }
        Ok(Self {
            base_url: BaseUrl::parse(ENV_URL, base_url)?,
            api_key,
            transport: TransportConfig::default(),
        })
    }

    /// Reads [`ENV_URL`] and [`ENV_API_KEY`] (both required) and the shared
    /// `REFUNDKIT_*` transport variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        let required = |name: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| RefundError::Config(format!("{name} is missing or empty")))
        };
        let config = Self::new(
            &required(ENV_URL)?,
            SecretString::from(required(ENV_API_KEY)?),
        )?;
        let transport = TransportSettings::from_lookup(&lookup)?.apply(TransportConfig::default());
        Ok(config.with_transport(transport))
    }

    /// The same configuration with other transport settings (timeouts,
    /// retries).
    #[must_use]
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.transport = transport;
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The transport settings in effect.
    pub fn transport(&self) -> &TransportConfig {
        &self.transport
    }
}

impl fmt::Debug for LedgerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerConfig")
            .field("base_url", &self.base_url.as_url().as_str())
            .field("api_key", &REDACTED)
            .field("transport", &self.transport)
            .finish()
    }
}

/// The name of the ledger's one option: the ledger account a refund is
/// booked against (the service's default account when unset).
pub const ACCOUNT_OPTION: &str = "account";

/// The ledger's own options for a refund; other providers refuse them, and
/// the ledger refuses theirs.
///
/// ```
/// use refundkit::{Money, RefundAmount, RefundReason, RefundRequest};
/// use refundkit_example_ledger::LedgerOptions;
///
/// let request = RefundRequest::builder("lp_000001", RefundAmount::Full, RefundReason::Duplicate)
///     .provider_options(LedgerOptions::account("returns-eu"))
///     .build()?;
/// assert_eq!(request.provider_options().and_then(|o| o.get("account")), Some("returns-eu"));
/// # Ok::<(), refundkit::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerOptions {
    account: String,
}

impl LedgerOptions {
    /// Books the refund against ledger account `account`.
    pub fn account(account: impl Into<String>) -> Self {
        Self {
            account: account.into(),
        }
    }
}

impl From<LedgerOptions> for ProviderOptions {
    fn from(options: LedgerOptions) -> Self {
        ProviderOptions::new(LEDGER).with(ACCOUNT_OPTION, options.account)
    }
}
