//! Credentials, environment, base URL and the builder.

use std::fmt;
use std::time::Duration;

use refundkit_core::transport::{BaseUrl, TransportConfig, TransportSettings};
use refundkit_core::webhook::DEFAULT_TOLERANCE;
use refundkit_core::{Currency, ExposeSecret, RefundError, SecretString};

use crate::mapping::CurrencyExponents;

/// WooshPay's test-mode host, used for `sk_test_` keys.
pub const TEST_BASE_URL: &str = "https://apitest.wooshpay.com";
/// WooshPay's live-mode host, used for `sk_live_` keys.
pub const LIVE_BASE_URL: &str = "https://api.wooshpay.com";

/// The variable holding the secret key (`sk_test_…` or `sk_live_…`).
pub const ENV_SECRET_KEY: &str = "WOOSHPAY_SECRET_KEY";
/// The optional variable overriding the base URL (simulators, proxies).
pub const ENV_BASE_URL: &str = "WOOSHPAY_BASE_URL";
/// The optional variable holding the webhook endpoint secret (`whsec_…`).
pub const ENV_WEBHOOK_SECRET: &str = "WOOSHPAY_WEBHOOK_SECRET";

/// The largest minor-unit exponent a currency override may set (ISO 4217's
/// largest is 4).
const MAX_EXPONENT: u32 = 4;

/// Which WooshPay mode a secret key belongs to, read from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyMode {
    Test,
    Live,
    /// Not an `sk_test_` / `sk_live_` key: only usable with an explicit base URL.
    Unrecognized,
}

/// Settings of a [`crate::WooshPayClient`]. Build it with
/// [`WooshPayConfig::builder`] or [`WooshPayConfig::from_env`].
///
/// `Debug` never shows the secret key or the webhook secret.
///
/// # Example
///
/// From variables, as [`WooshPayConfig::from_env`] reads them (timeouts and
/// retries from the `REFUNDKIT_*` ones):
///
/// ```
/// use std::time::Duration;
///
/// use refundkit_wooshpay::{WooshPayConfig, LIVE_BASE_URL};
///
/// let vars = [
///     ("WOOSHPAY_SECRET_KEY", "sk_live_example"),
///     ("WOOSHPAY_WEBHOOK_SECRET", "whsec_example"),
///     ("REFUNDKIT_TIMEOUT_MS", "5000"),
/// ];
/// let lookup = |name: &str| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string());
/// let config = WooshPayConfig::from_lookup(lookup)?;
/// assert!(config.base_url().as_url().as_str().starts_with(LIVE_BASE_URL)); // from the key's mode
/// assert!(config.has_webhook_secret());
/// assert_eq!(config.transport().timeout, Duration::from_millis(5000));
/// assert!(!format!("{config:?}").contains("sk_live_example"));
///
/// let none = WooshPayConfig::from_lookup(|_| None).unwrap_err();
/// assert!(none.to_string().contains("WOOSHPAY_SECRET_KEY is not set"));
/// # Ok::<(), refundkit_core::RefundError>(())
/// ```
#[derive(Clone)]
pub struct WooshPayConfig {
    pub(crate) secret_key: SecretString,
    pub(crate) base_url: BaseUrl,
    pub(crate) webhook_secret: Option<SecretString>,
    pub(crate) webhook_tolerance: Duration,
    pub(crate) exponents: CurrencyExponents,
    pub(crate) transport: TransportConfig,
}

impl WooshPayConfig {
    /// Starts a configuration for the secret key `secret_key`.
    ///
    /// `sk_test_` keys talk to [`TEST_BASE_URL`], `sk_live_` keys to
    /// [`LIVE_BASE_URL`]. Publishable (`pk_`) keys are always refused.
    ///
    /// ```
    /// use refundkit_core::SecretString;
    /// use refundkit_wooshpay::WooshPayConfig;
    ///
    /// let config = WooshPayConfig::builder(SecretString::from("sk_test_example"))
    ///     .webhook_secret(SecretString::from("whsec_example"))
    ///     .build()?;
    /// assert_eq!(config.base_url().as_url().as_str(), "https://apitest.wooshpay.com/");
    /// assert!(WooshPayConfig::builder(SecretString::from("pk_test_example")).build().is_err());
    /// # Ok::<(), refundkit_core::RefundError>(())
    /// ```
    pub fn builder(secret_key: SecretString) -> WooshPayConfigBuilder {
        WooshPayConfigBuilder {
            secret_key,
            base_url: None,
            webhook_secret: None,
            webhook_tolerance: DEFAULT_TOLERANCE,
            zero_decimal: None,
            exponent_overrides: Vec::new(),
            transport: TransportConfig::default(),
        }
    }

    /// Reads `WOOSHPAY_SECRET_KEY` (required), `WOOSHPAY_BASE_URL` and
    /// `WOOSHPAY_WEBHOOK_SECRET` (optional) from the process environment.
    pub fn from_env() -> Result<Self, RefundError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`WooshPayConfig::from_env`] with variables read through `lookup`.
    /// A missing or empty secret key is a [`RefundError::Config`] naming the
    /// variable, never its value; empty optional variables count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        let secret_key = match lookup(ENV_SECRET_KEY) {
            Some(value) if !value.is_empty() => SecretString::from(value),
            Some(_) => return Err(RefundError::Config(format!("{ENV_SECRET_KEY} is empty"))),
            None => return Err(RefundError::Config(format!("{ENV_SECRET_KEY} is not set"))),
        };
        let optional = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let mut builder = Self::builder(secret_key);
        if let Some(base_url) = optional(ENV_BASE_URL) {
            builder = builder.base_url(&base_url);
        }
        if let Some(secret) = optional(ENV_WEBHOOK_SECRET) {
            builder = builder.webhook_secret(SecretString::from(secret));
        }
        let transport = TransportSettings::from_lookup(&lookup)?.apply(TransportConfig::default());
        builder.transport(transport).build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// Whether a webhook secret is configured.
    pub fn has_webhook_secret(&self) -> bool {
        self.webhook_secret.is_some()
    }

    /// The allowed distance between a webhook's timestamp and now.
    pub fn webhook_tolerance(&self) -> Duration {
        self.webhook_tolerance
    }

    /// The minor-unit exponent amounts of `currency` are sent and read with.
    pub fn currency_exponent(&self, currency: Currency) -> u32 {
        self.exponents.exponent(currency)
    }

    /// The transport settings (timeouts, retries, response cap).
    pub fn transport(&self) -> &TransportConfig {
        &self.transport
    }

    /// The same configuration with other transport settings (what a
    /// descriptor does with the settings shared by every provider).
    #[must_use]
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.transport = transport;
        self
    }
}

impl fmt::Debug for WooshPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WooshPayConfig")
            .field("secret_key", &"[REDACTED]")
            .field("base_url", &self.base_url.as_url().as_str())
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("webhook_tolerance", &self.webhook_tolerance)
            .field("exponents", &self.exponents)
            .field("transport", &self.transport)
            .finish()
    }
}

/// Builds a [`WooshPayConfig`]; see [`WooshPayConfig::builder`].
#[must_use]
pub struct WooshPayConfigBuilder {
    secret_key: SecretString,
    base_url: Option<String>,
    webhook_secret: Option<SecretString>,
    webhook_tolerance: Duration,
    zero_decimal: Option<Vec<Currency>>,
    exponent_overrides: Vec<(Currency, u32)>,
    transport: TransportConfig,
}

impl WooshPayConfigBuilder {
    /// Sends requests to `base_url` instead of the host the key's prefix picks
    /// (a simulator or a proxy). HTTPS only, except on loopback; checked in
    /// [`build`](Self::build).
    pub fn base_url(mut self, base_url: &str) -> Self {
        self.base_url = Some(base_url.to_string());
        self
    }

    /// The webhook endpoint's secret (`whsec_…`, returned by WooshPay only when
    /// the endpoint is created). Treated as an opaque string.
    pub fn webhook_secret(mut self, secret: SecretString) -> Self {
        self.webhook_secret = Some(secret);
        self
    }

    /// The allowed distance between a webhook's timestamp and now (default 300 s).
    pub fn webhook_tolerance(mut self, tolerance: Duration) -> Self {
        self.webhook_tolerance = tolerance;
        self
    }

    /// Replaces the zero-decimal currency list (default: Stripe's,
    /// [`crate::ZERO_DECIMAL_CURRENCIES`]). Amounts in these currencies are sent
    /// and read in whole units; every other currency uses its ISO 4217 exponent.
    pub fn zero_decimal_currencies(
        mut self,
        currencies: impl IntoIterator<Item = Currency>,
    ) -> Self {
        self.zero_decimal = Some(currencies.into_iter().collect());
        self
    }

    /// Sends and reads amounts of `currency` with `exponent` fraction digits,
    /// overriding both the zero-decimal list and ISO 4217 (at most 4).
    pub fn currency_exponent(mut self, currency: Currency, exponent: u32) -> Self {
        self.exponent_overrides.push((currency, exponent));
        self
    }

    /// The transport settings (timeouts, retries, response cap).
    pub fn transport(mut self, transport: TransportConfig) -> Self {
        self.transport = transport;
        self
    }

    /// Checks the key and the base URL and returns the configuration.
    pub fn build(self) -> Result<WooshPayConfig, RefundError> {
        let mode = check_secret_key(self.secret_key.expose_secret())?;
        let base_url = match (&self.base_url, mode) {
            (Some(text), _) => {
                let base_url = BaseUrl::parse(ENV_BASE_URL, text)?;
                check_host_matches_mode(&base_url, mode)?;
                base_url
            }
            (None, KeyMode::Test) => BaseUrl::parse(ENV_BASE_URL, TEST_BASE_URL)?,
            (None, KeyMode::Live) => BaseUrl::parse(ENV_BASE_URL, LIVE_BASE_URL)?,
            (None, KeyMode::Unrecognized) => {
                return Err(RefundError::Config(format!(
                    "{ENV_SECRET_KEY} does not start with sk_test_ or sk_live_, so the WooshPay \
                     host cannot be chosen; set {ENV_BASE_URL} to use such a key"
                )))
            }
        };
        let mut exponents = match self.zero_decimal {
            Some(list) => CurrencyExponents::with_zero_decimal(list),
            None => CurrencyExponents::default(),
        };
        for (currency, exponent) in self.exponent_overrides {
            if exponent > MAX_EXPONENT {
                return Err(RefundError::Config(format!(
                    "the exponent override for {currency} is {exponent}; at most {MAX_EXPONENT} is allowed"
                )));
            }
            exponents.set(currency, exponent);
        }
        Ok(WooshPayConfig {
            secret_key: self.secret_key,
            base_url,
            webhook_secret: self.webhook_secret,
            webhook_tolerance: self.webhook_tolerance,
            exponents,
            transport: self.transport,
        })
    }
}

impl fmt::Debug for WooshPayConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WooshPayConfigBuilder")
            .field("secret_key", &"[REDACTED]")
            // Unchecked text may carry credentials (`https://sk_…:@host`).
            .field(
                "base_url",
                &self.base_url.as_deref().map(refundkit_core::redact_url),
            )
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("webhook_tolerance", &self.webhook_tolerance)
            .field("zero_decimal", &self.zero_decimal)
            .field("exponent_overrides", &self.exponent_overrides)
            .field("transport", &self.transport)
            .finish()
    }
}

/// Refuses keys that cannot be a WooshPay secret key; messages name the
/// setting, never its value.
fn check_secret_key(key: &str) -> Result<KeyMode, RefundError> {
    let refuse = |why: &str| Err(RefundError::Config(format!("{ENV_SECRET_KEY} {why}")));
    if key.is_empty() {
        return refuse("is empty");
    }
    if key.starts_with("pk_") {
        return refuse(
            "is a publishable key (pk_…); WooshPay refunds need a secret key (sk_test_… or sk_live_…)",
        );
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("contains blanks or control characters (a stray newline?)");
    }
    if key.contains(':') {
        return refuse("contains ':', which HTTP Basic credentials cannot carry in a user name");
    }
    Ok(if key.starts_with("sk_test_") {
        KeyMode::Test
    } else if key.starts_with("sk_live_") {
        KeyMode::Live
    } else {
        KeyMode::Unrecognized
    })
}

/// Refuses a test key sent to the live host and a live key sent to the test
/// host: the request would fail, or worse, land in the wrong mode.
fn check_host_matches_mode(base_url: &BaseUrl, mode: KeyMode) -> Result<(), RefundError> {
    let host = base_url.as_url().host_str().unwrap_or_default();
    let host_of = |url: &str| url.trim_start_matches("https://").to_string();
    let mismatch = match mode {
        KeyMode::Test => host.eq_ignore_ascii_case(&host_of(LIVE_BASE_URL)),
        KeyMode::Live => host.eq_ignore_ascii_case(&host_of(TEST_BASE_URL)),
        KeyMode::Unrecognized => false,
    };
    if mismatch {
        return Err(RefundError::Config(format!(
            "{ENV_BASE_URL} points at the other WooshPay mode than {ENV_SECRET_KEY} \
             (sk_test_ keys use {TEST_BASE_URL}, sk_live_ keys {LIVE_BASE_URL})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
