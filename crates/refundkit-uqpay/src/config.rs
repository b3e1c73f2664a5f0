//! UQPay credentials, environment, base URL and webhook settings: a builder
//! and `from_env`. Errors name the setting, never its value.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use refundkit_core::transport::{BaseUrl, TransportConfig, TransportSettings};
use refundkit_core::webhook::DEFAULT_TOLERANCE;
use refundkit_core::{system_clock, Clock, ExposeSecret, RefundError, SecretString};

use crate::currency_cache::CurrencyCheck;

use crate::store::{TokenStoreSetting, ENV_TOKEN_STORE};

/// The UQPay sandbox API base URL.
pub const SANDBOX_BASE_URL: &str = "https://api-sandbox.uqpaytech.com/api";
/// The UQPay production API base URL.
pub const PRODUCTION_BASE_URL: &str = "https://api.uqpay.com/api";

/// The variable holding the API client id (sent as `x-client-id`).
pub const ENV_CLIENT_ID: &str = "UQPAY_CLIENT_ID";
/// The variable holding the API key.
pub const ENV_API_KEY: &str = "UQPAY_API_KEY";
/// The variable choosing the environment: `sandbox` or `production`.
pub const ENV_ENVIRONMENT: &str = "UQPAY_ENVIRONMENT";
/// The optional variable overriding the base URL (simulators, proxies).
pub const ENV_BASE_URL: &str = "UQPAY_BASE_URL";
/// The optional variable naming the default connected sub-account (a UUID).
pub const ENV_ON_BEHALF_OF: &str = "UQPAY_ON_BEHALF_OF";
/// The optional variable holding the webhook signing secret.
pub const ENV_WEBHOOK_SECRET: &str = "UQPAY_WEBHOOK_SECRET";

/// Which UQPay environment to talk to. Credentials of one do not work on the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://api-sandbox.uqpaytech.com/api`: no real money.
    Sandbox,
    /// `https://api.uqpay.com/api`: real money.
    Production,
}

impl Environment {
    /// The API base URL of this environment.
    pub fn base_url(self) -> &'static str {
        match self {
            Environment::Sandbox => SANDBOX_BASE_URL,
            Environment::Production => PRODUCTION_BASE_URL,
        }
    }

    /// `sandbox` or `production` (any case).
    pub fn from_setting(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}

/// Everything a [`crate::UqPayClient`] needs. Build it with
/// [`UqPayConfig::builder`] or [`UqPayConfig::from_env`].
///
/// `Debug` shows the client id and URLs, never the API key or webhook secret.
///
/// # Example
///
/// ```
/// use std::time::Duration;
///
/// use refundkit_uqpay::{Environment, SecretString, TransportConfig, UqPayConfig, SANDBOX_BASE_URL};
///
/// let config = UqPayConfig::builder("my-client-id", SecretString::from("my-api-key"))
///     .environment(Environment::Sandbox)
///     .transport(TransportConfig::default().with_timeout(Duration::from_secs(10)))
///     .build()?;
/// assert!(config.base_url().as_url().as_str().starts_with(SANDBOX_BASE_URL));
/// assert_eq!(config.transport().timeout, Duration::from_secs(10));
/// assert!(!format!("{config:?}").contains("my-api-key"));
///
/// // The same from variables (`from_env` reads the process's). With
/// // UQPAY_BASE_URL, UQPAY_ENVIRONMENT may be left out; a missing variable
/// // is named, its value never shown.
/// let vars = [("UQPAY_CLIENT_ID", "my-client-id"), ("UQPAY_BASE_URL", "http://127.0.0.1:8080/api")];
/// let lookup = |name: &str| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string());
/// let missing = UqPayConfig::from_lookup(lookup).unwrap_err();
/// assert_eq!(missing.to_string(), "configuration error: UQPAY_API_KEY is missing or empty");
/// # Ok::<(), refundkit_uqpay::RefundError>(())
/// ```
#[derive(Clone)]
pub struct UqPayConfig {
    client_id: String,
    api_key: SecretString,
    environment: Environment,
    base_url: BaseUrl,
    on_behalf_of: Option<String>,
    currency_check: CurrencyCheck,
    webhook_secret: Option<SecretString>,
    webhook_tolerance: Duration,
    transport: TransportConfig,
    token_store: TokenStoreSetting,
    clock: Arc<dyn Clock>,
}

impl UqPayConfig {
    /// Starts a configuration with the API client id and key (sandbox by default).
    pub fn builder(client_id: impl Into<String>, api_key: SecretString) -> UqPayConfigBuilder {
        UqPayConfigBuilder {
            client_id: client_id.into(),
            api_key,
            environment: Environment::Sandbox,
            base_url: None,
            on_behalf_of: None,
            currency_check: CurrencyCheck::default(),
            webhook_secret: None,
            webhook_tolerance: DEFAULT_TOLERANCE,
            transport: TransportConfig::default(),
            token_store: TokenStoreSetting::Memory,
            clock: system_clock(),
        }
    }

    /// Reads `UQPAY_CLIENT_ID`, `UQPAY_API_KEY`, `UQPAY_ENVIRONMENT`
    /// (`sandbox` | `production`; optional when `UQPAY_BASE_URL` is set) and
    /// the optional `UQPAY_BASE_URL`, `UQPAY_ON_BEHALF_OF`,
    /// `UQPAY_WEBHOOK_SECRET` and `UQPAY_TOKEN_STORE` (see
    /// [`TokenStoreSetting::parse`]) from the process environment.
    pub fn from_env() -> Result<Self, RefundError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`UqPayConfig::from_env`] with the variables read through `lookup`
    /// (tests, layered configuration). A required variable that is missing or
    /// empty is a [`RefundError::Config`] naming it; empty optional ones count
    /// as absent.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        let optional = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let required = |name: &str| {
            optional(name).ok_or_else(|| RefundError::Config(format!("{name} is missing or empty")))
        };
        let client_id = required(ENV_CLIENT_ID)?;
        let api_key = SecretString::from(required(ENV_API_KEY)?);
        // With UQPAY_BASE_URL the URL is given, so the environment may be
        // left out (it then only labels the configuration: sandbox).
        let environment = match (optional(ENV_ENVIRONMENT), optional(ENV_BASE_URL)) {
            (None, Some(_)) => Environment::Sandbox,
            _ => Environment::from_setting(&required(ENV_ENVIRONMENT)?).ok_or_else(|| {
                RefundError::Config(format!("{ENV_ENVIRONMENT} must be sandbox or production"))
            })?,
        };
        let mut builder = Self::builder(client_id, api_key).environment(environment);
        if let Some(url) = optional(ENV_BASE_URL) {
            builder = builder.base_url(&url);
        }
        if let Some(account) = optional(ENV_ON_BEHALF_OF) {
            builder = builder.on_behalf_of(account);
        }
        if let Some(secret) = optional(ENV_WEBHOOK_SECRET) {
            builder = builder.webhook_secret(SecretString::from(secret));
        }
        if let Some(store) = optional(ENV_TOKEN_STORE) {
            builder = builder.token_store(TokenStoreSetting::parse(&store, &lookup)?);
        }
        let transport = TransportSettings::from_lookup(&lookup)?.apply(TransportConfig::default());
        builder.transport(transport).build()
    }

    /// The API client id (sent as `x-client-id`; not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The base URL in use (the environment's, unless overridden).
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The default sub-account (`x-on-behalf-of`) for creates, if any.
    pub fn on_behalf_of(&self) -> Option<&str> {
        self.on_behalf_of.as_deref()
    }

    /// How a partial refund's currency is checked ([`CurrencyCheck`]).
    pub fn currency_check(&self) -> CurrencyCheck {
        self.currency_check
    }

    /// Whether a webhook secret is configured.
    pub fn has_webhook_secret(&self) -> bool {
        self.webhook_secret.is_some()
    }

    /// How far a webhook timestamp may be from now.
    pub fn webhook_tolerance(&self) -> Duration {
        self.webhook_tolerance
    }

    /// The transport settings (timeouts, retries).
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

    /// Where [`crate::UqPayClient::new`] keeps the token (default: in memory).
    pub fn token_store(&self) -> &TokenStoreSetting {
        &self.token_store
    }

    pub(crate) fn api_key(&self) -> &SecretString {
        &self.api_key
    }

    pub(crate) fn webhook_secret(&self) -> Option<&SecretString> {
        self.webhook_secret.as_ref()
    }

    /// The clock token expiry and the find-by-key search windows are read
    /// against (the system clock unless set).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}

impl fmt::Debug for UqPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UqPayConfig")
            .field("client_id", &self.client_id)
            .field("api_key", &"[REDACTED]")
            .field("environment", &self.environment)
            .field("base_url", &self.base_url.as_url().as_str())
            .field("on_behalf_of", &self.on_behalf_of)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("webhook_tolerance", &self.webhook_tolerance)
            .field("transport", &self.transport)
            .field("token_store", &self.token_store)
            .finish()
    }
}

/// Builds a [`UqPayConfig`]; see [`UqPayConfig::builder`]. Every value is
/// checked in [`UqPayConfigBuilder::build`].
#[must_use]
pub struct UqPayConfigBuilder {
    client_id: String,
    api_key: SecretString,
    environment: Environment,
    base_url: Option<String>,
    on_behalf_of: Option<String>,
    currency_check: CurrencyCheck,
    webhook_secret: Option<SecretString>,
    webhook_tolerance: Duration,
    transport: TransportConfig,
    token_store: TokenStoreSetting,
    clock: Arc<dyn Clock>,
}

impl UqPayConfigBuilder {
    /// The environment (default: sandbox).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Overrides the environment's base URL (simulators, proxies). Must be
    /// `https`, or `http` on loopback; checked in `build`.
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_string());
        self
    }

    /// The connected sub-account (a UUID) that creates act for by default;
    /// a request's own `on_behalf_of` wins.
    pub fn on_behalf_of(mut self, account_id: impl Into<String>) -> Self {
        self.on_behalf_of = Some(account_id.into());
        self
    }

    /// How a partial refund's currency is checked before the create
    /// (default [`CurrencyCheck::Cached`]: one payment-intent read per payment).
    pub fn currency_check(mut self, check: CurrencyCheck) -> Self {
        self.currency_check = check;
        self
    }

    /// The secret webhook deliveries are signed with.
    pub fn webhook_secret(mut self, secret: SecretString) -> Self {
        self.webhook_secret = Some(secret);
        self
    }

    /// How far a webhook timestamp may be from now (default 300 s).
    pub fn webhook_tolerance(mut self, tolerance: Duration) -> Self {
        self.webhook_tolerance = tolerance;
        self
    }

    /// Timeouts and retry policy.
    pub fn transport(mut self, transport: TransportConfig) -> Self {
        self.transport = transport;
        self
    }

    /// Where [`crate::UqPayClient::new`] keeps the token (default
    /// [`TokenStoreSetting::Memory`]). Every process using this client id
    /// must share one store: see [`crate::FileTokenStore`].
    pub fn token_store(mut self, setting: TokenStoreSetting) -> Self {
        self.token_store = setting;
        self
    }

    /// The clock to read the time from (default: the system clock). Tests
    /// set a [`refundkit_core::ManualClock`] to age a token without waiting.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks every value and returns the configuration.
    pub fn build(self) -> Result<UqPayConfig, RefundError> {
        let config = |message: String| RefundError::Config(message);
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() {
            return Err(config(format!("{ENV_CLIENT_ID} must not be empty")));
        }
        if HeaderValue::from_str(&client_id).is_err() {
            return Err(config(format!("{ENV_CLIENT_ID} is not valid header text")));
        }
        let api_key = self.api_key.expose_secret();
        if api_key.trim().is_empty() {
            return Err(config(format!("{ENV_API_KEY} must not be empty")));
        }
        if HeaderValue::from_str(api_key).is_err() {
            return Err(config(format!("{ENV_API_KEY} is not valid header text")));
        }
        if let Some(secret) = &self.webhook_secret {
            if secret.expose_secret().is_empty() {
                return Err(config(format!("{ENV_WEBHOOK_SECRET} must not be empty")));
            }
        }
        let base_url = match &self.base_url {
            Some(url) => BaseUrl::parse(ENV_BASE_URL, url)?,
            None => BaseUrl::parse(ENV_BASE_URL, self.environment.base_url())?,
        };
        let on_behalf_of = match self.on_behalf_of {
            Some(account) => Some(crate::mapping::sub_account_id(&account).map_err(|_| {
                config(format!(
                    "{ENV_ON_BEHALF_OF} (on_behalf_of) must be a sub-account UUID"
                ))
            })?),
            None => None,
        };
        Ok(UqPayConfig {
            client_id,
            api_key: self.api_key,
            environment: self.environment,
            base_url,
            on_behalf_of,
            currency_check: self.currency_check,
            webhook_secret: self.webhook_secret,
            webhook_tolerance: self.webhook_tolerance,
            transport: self.transport,
            token_store: self.token_store,
            clock: self.clock,
        })
    }
}

impl fmt::Debug for UqPayConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UqPayConfigBuilder")
            .field("client_id", &self.client_id)
            .field("api_key", &"[REDACTED]")
            .field("environment", &self.environment)
            // Unchecked text could carry credentials (`https://user:pass@…`).
            .field(
                "base_url",
                &self
                    .base_url
                    .as_ref()
                    .map(|url| match BaseUrl::parse(ENV_BASE_URL, url) {
                        Ok(url) => url.to_string(),
                        Err(_) => "[invalid]".to_string(),
                    }),
            )
            .field("on_behalf_of", &self.on_behalf_of)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("token_store", &self.token_store)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
