//! Configuration: environment variables and a serde config for config files.

use std::fmt;

use refundkit_core::transport::{TransportConfig, TransportSettings};
use refundkit_core::{redact_url, ProviderKind, RefundError, KEY_NAMESPACE_VARIABLE, REDACTED};
use secrecy::SecretString;
use serde::Deserialize;

use std::sync::Arc;

use refundkit_core::RefundProvider;

use crate::refunds::Refunds;

/// Names the default provider in the environment.
pub const PROVIDER_VARIABLE: &str = "REFUNDKIT_PROVIDER";

/// A config-file form of [`Refunds`], e.g. from TOML or JSON:
///
/// ```json
/// { "default": "uqpay",
///   "uqpay": { "client_id": "...", "api_key": "...", "environment": "sandbox",
///              "token_store": "file" },
///   "wooshpay": { "secret_key": "sk_test_..." } }
/// ```
///
/// Secrets deserialize into [`SecretString`] and never print.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RefundsConfig {
    /// The provider new refunds go to (`uqpay` or `wooshpay`).
    pub default: Option<String>,
    /// `REFUNDKIT_KEY_NAMESPACE`: the namespace references become keys in.
    #[serde(default)]
    pub key_namespace: Option<String>,
    /// Timeouts and retry bounds for every provider (`REFUNDKIT_TIMEOUT_MS`
    /// and friends in the environment): `{"timeout_ms": 10000,
    /// "connect_timeout_ms": 2000, "retry_attempts": 3, "retry_max_elapsed_ms": 30000}`.
    #[serde(default)]
    pub transport: Option<TransportSettings>,
    /// UQPay settings.
    pub uqpay: Option<UqPaySettings>,
    /// WooshPay settings.
    pub wooshpay: Option<WooshPaySettings>,
}

/// UQPay settings in a [`RefundsConfig`] (same meaning as the `UQPAY_*` variables).
///
/// `Debug` masks the secrets and any credentials in the base URL.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UqPaySettings {
    /// `UQPAY_CLIENT_ID`.
    pub client_id: String,
    /// `UQPAY_API_KEY`.
    pub api_key: SecretString,
    /// `UQPAY_ENVIRONMENT`: `sandbox` or `production`.
    pub environment: String,
    /// `UQPAY_BASE_URL`: overrides the environment's URL (tests, proxies).
    pub base_url: Option<String>,
    /// `UQPAY_ON_BEHALF_OF`: default connected sub-account.
    pub on_behalf_of: Option<String>,
    /// `UQPAY_WEBHOOK_SECRET`.
    pub webhook_secret: Option<SecretString>,
    /// `UQPAY_TOKEN_STORE`: `memory` (default), `file`, `file:PATH`,
    /// `redis://…` or `rediss://…` (secret: a Redis URL may hold a password).
    /// `file` resolves against `XDG_CACHE_HOME` / `HOME` of this process.
    #[serde(default)]
    pub token_store: Option<SecretString>,
}

/// WooshPay settings in a [`RefundsConfig`] (same meaning as the `WOOSHPAY_*` variables).
///
/// `Debug` masks the secrets and any credentials in the base URL.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WooshPaySettings {
    /// `WOOSHPAY_SECRET_KEY` (`sk_test_…` or `sk_live_…`).
    pub secret_key: SecretString,
    /// `WOOSHPAY_BASE_URL`: overrides the key's URL (tests, proxies).
    pub base_url: Option<String>,
    /// `WOOSHPAY_WEBHOOK_SECRET` (`whsec_…`).
    pub webhook_secret: Option<SecretString>,
}

impl fmt::Debug for RefundsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A default that names no provider may be a pasted key: not shown.
        let default = self
            .default
            .as_deref()
            .map(|name| match name.parse::<ProviderKind>() {
                Ok(kind) => kind.as_str(),
                Err(_) => "[unrecognized]",
            });
        f.debug_struct("RefundsConfig")
            .field("default", &default)
            .field("key_namespace", &self.key_namespace)
            .field("transport", &self.transport)
            .field("uqpay", &self.uqpay)
            .field("wooshpay", &self.wooshpay)
            .finish()
    }
}

/// `[REDACTED]` for a present secret.
fn mask<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| REDACTED)
}

impl fmt::Debug for UqPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UqPaySettings")
            .field("client_id", &self.client_id)
            .field("api_key", &REDACTED)
            .field("environment", &self.environment)
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("on_behalf_of", &self.on_behalf_of)
            .field("webhook_secret", &mask(&self.webhook_secret))
            .finish()
    }
}

impl fmt::Debug for WooshPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WooshPaySettings")
            .field("secret_key", &REDACTED)
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("webhook_secret", &mask(&self.webhook_secret))
            .finish()
    }
}

/// Why `kind` cannot be configured in this build, naming the cargo feature.
fn unavailable(kind: ProviderKind) -> RefundError {
    match kind {
        ProviderKind::UqPay | ProviderKind::WooshPay => RefundError::Config(format!(
            "provider {kind} is not compiled in: enable the `{kind}` cargo feature of the refundkit crate"
        )),
        // The in-memory test provider: not for users' settings, never named.
        _ => RefundError::Config(
            "only uqpay and wooshpay can be configured from settings; build other providers in code with Refunds::builder()".into(),
        ),
    }
}

/// What to set when no provider is configured, for the providers compiled in.
fn no_provider_message() -> String {
    let mut options = Vec::new();
    if cfg!(feature = "uqpay") {
        options.push(
            "UQPAY_CLIENT_ID and UQPAY_API_KEY (UqPay; UQPAY_ENVIRONMENT or UQPAY_BASE_URL too)",
        );
    }
    if cfg!(feature = "wooshpay") {
        options.push("WOOSHPAY_SECRET_KEY (WooshPay)");
    }
    format!(
        "no refund provider is configured: set {}",
        options.join(", or ")
    )
}

/// Refuses a provider this build cannot serve, naming the cargo feature.
pub(crate) fn ensure_compiled(kind: ProviderKind) -> Result<(), RefundError> {
    let compiled = (kind == ProviderKind::UqPay && cfg!(feature = "uqpay"))
        || (kind == ProviderKind::WooshPay && cfg!(feature = "wooshpay"));
    if compiled {
        Ok(())
    } else {
        Err(unavailable(kind))
    }
}

fn parse_provider(setting: &str, name: &str) -> Result<ProviderKind, RefundError> {
    let kind: ProviderKind = name.parse().map_err(|_| {
        // The value is not quoted: a key pasted here would reach the logs.
        RefundError::Config(format!(
            "{setting} names no known provider (expected uqpay or wooshpay)"
        ))
    })?;
    ensure_compiled(kind)?;
    Ok(kind)
}

fn present(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> bool {
    lookup(name).is_some_and(|value| !value.trim().is_empty())
}

impl Refunds {
    /// Configures every compiled-in provider whose variables are present:
    /// UQPay when `UQPAY_CLIENT_ID` or `UQPAY_API_KEY` is set, WooshPay when
    /// `WOOSHPAY_SECRET_KEY` is set (see the README for all variables).
    /// `REFUNDKIT_PROVIDER` names the default. A partial set of variables is a
    /// `Config` error naming the missing one; values never appear in errors.
    pub fn from_env() -> Result<Self, RefundError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Refunds::from_env`] reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        let default = match lookup(PROVIDER_VARIABLE).filter(|v| !v.trim().is_empty()) {
            Some(name) => Some(parse_provider(PROVIDER_VARIABLE, &name)?),
            None => None,
        };
        let mut builder = Refunds::builder();
        for (kind, variables) in [
            (
                ProviderKind::UqPay,
                &["UQPAY_CLIENT_ID", "UQPAY_API_KEY"][..],
            ),
            (ProviderKind::WooshPay, &["WOOSHPAY_SECRET_KEY"][..]),
        ] {
            let named = default == Some(kind);
            if !named && !variables.iter().any(|name| present(&lookup, name)) {
                continue;
            }
            if ensure_compiled(kind).is_err() {
                tracing::warn!(provider = %kind, "variables are set but the provider is not compiled in; ignoring them");
                continue;
            }
            builder = builder.with_shared(client_from_lookup(kind, &lookup)?);
        }
        if let Some(kind) = default {
            builder = builder.default_provider(kind);
        }
        if let Some(namespace) = lookup(KEY_NAMESPACE_VARIABLE).filter(|v| !v.trim().is_empty()) {
            builder = builder.key_namespace(namespace);
        }
        let refunds = builder.build()?;
        if refunds.providers().next().is_none() {
            return Err(RefundError::Config(no_provider_message()));
        }
        Ok(refunds)
    }

    /// Builds from a [`RefundsConfig`] (e.g. a section of your config file).
    /// A section for a provider that is not compiled in is an error naming
    /// the cargo feature.
    pub fn from_config(config: RefundsConfig) -> Result<Self, RefundError> {
        let mut builder = Refunds::builder();
        let transport = config.transport.unwrap_or_default();
        if let Some(settings) = config.uqpay {
            builder = builder.with_shared(uqpay_from_settings(settings, &transport)?);
        }
        if let Some(settings) = config.wooshpay {
            builder = builder.with_shared(wooshpay_from_settings(settings, &transport)?);
        }
        if let Some(name) = &config.default {
            builder = builder.default_provider(parse_provider("default", name)?);
        }
        if let Some(namespace) = config.key_namespace {
            builder = builder.key_namespace(namespace);
        }
        builder.build()
    }
}

/// The client of a compiled-in provider, configured from variables.
fn client_from_lookup(
    kind: ProviderKind,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    match kind {
        #[cfg(feature = "uqpay")]
        ProviderKind::UqPay => {
            let config = refundkit_uqpay::UqPayConfig::from_lookup(lookup)?;
            Ok(Arc::new(refundkit_uqpay::UqPayClient::new(config)?))
        }
        #[cfg(feature = "wooshpay")]
        ProviderKind::WooshPay => {
            let config = refundkit_wooshpay::WooshPayConfig::from_lookup(lookup)?;
            Ok(Arc::new(refundkit_wooshpay::WooshPayClient::new(config)?))
        }
        other => {
            let _ = lookup;
            Err(unavailable(other))
        }
    }
}

fn uqpay_from_settings(
    settings: UqPaySettings,
    transport: &TransportSettings,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    #[cfg(feature = "uqpay")]
    {
        use refundkit_uqpay::{Environment, UqPayClient, UqPayConfig};
        let environment = Environment::from_setting(&settings.environment).ok_or_else(|| {
            RefundError::Config("uqpay.environment must be sandbox or production".into())
        })?;
        let mut config = UqPayConfig::builder(settings.client_id, settings.api_key)
            .environment(environment)
            .transport(transport.apply(TransportConfig::default()));
        if let Some(url) = &settings.base_url {
            config = config.base_url(url);
        }
        if let Some(account) = settings.on_behalf_of {
            config = config.on_behalf_of(account);
        }
        if let Some(secret) = settings.webhook_secret {
            config = config.webhook_secret(secret);
        }
        if let Some(store) = &settings.token_store {
            use secrecy::ExposeSecret;
            let setting = refundkit_uqpay::TokenStoreSetting::parse(store.expose_secret(), |name| {
                std::env::var(name).ok()
            })
            .map_err(|_| {
                RefundError::Config(
                    "uqpay.token_store must be memory, file, file:PATH, redis://… or rediss://… (file needs XDG_CACHE_HOME or HOME)".into(),
                )
            })?;
            config = config.token_store(setting);
        }
        Ok(Arc::new(UqPayClient::new(config.build()?)?))
    }
    #[cfg(not(feature = "uqpay"))]
    {
        let _ = (settings, transport);
        Err(unavailable(ProviderKind::UqPay))
    }
}

fn wooshpay_from_settings(
    settings: WooshPaySettings,
    transport: &TransportSettings,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    #[cfg(feature = "wooshpay")]
    {
        use refundkit_wooshpay::{WooshPayClient, WooshPayConfig};
        let mut config = WooshPayConfig::builder(settings.secret_key)
            .transport(transport.apply(TransportConfig::default()));
        if let Some(url) = &settings.base_url {
            config = config.base_url(url);
        }
        if let Some(secret) = settings.webhook_secret {
            config = config.webhook_secret(secret);
        }
        Ok(Arc::new(WooshPayClient::new(config.build()?)?))
    }
    #[cfg(not(feature = "wooshpay"))]
    {
        let _ = (settings, transport);
        Err(unavailable(ProviderKind::WooshPay))
    }
}
