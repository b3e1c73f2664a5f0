//! Configuration: environment variables and a serde config for config files.

use refundkit_core::{ProviderKind, RefundError};
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RefundsConfig {
    /// The provider new refunds go to (`uqpay` or `wooshpay`).
    pub default: Option<String>,
    /// UQPay settings.
    pub uqpay: Option<UqPaySettings>,
    /// WooshPay settings.
    pub wooshpay: Option<WooshPaySettings>,
}

/// UQPay settings in a [`RefundsConfig`] (same meaning as the `UQPAY_*` variables).
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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

/// Why `kind` cannot be configured in this build, naming the cargo feature.
fn unavailable(kind: ProviderKind) -> RefundError {
    match kind {
        ProviderKind::UqPay | ProviderKind::WooshPay => RefundError::Config(format!(
            "provider {kind} is not compiled in: enable the `{kind}` cargo feature of the refundkit crate"
        )),
        _ => RefundError::Config(format!(
            "provider {kind} cannot be configured here; build it in code with Refunds::builder()"
        )),
    }
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
        RefundError::Config(format!(
            "{setting} names an unknown provider {name:?} (expected uqpay or wooshpay)"
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
        builder.build()
    }

    /// Builds from a [`RefundsConfig`] (e.g. a section of your config file).
    /// A section for a provider that is not compiled in is an error naming
    /// the cargo feature.
    pub fn from_config(config: RefundsConfig) -> Result<Self, RefundError> {
        let mut builder = Refunds::builder();
        if let Some(settings) = config.uqpay {
            builder = builder.with_shared(uqpay_from_settings(settings)?);
        }
        if let Some(settings) = config.wooshpay {
            builder = builder.with_shared(wooshpay_from_settings(settings)?);
        }
        if let Some(name) = &config.default {
            builder = builder.default_provider(parse_provider("default", name)?);
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

fn uqpay_from_settings(settings: UqPaySettings) -> Result<Arc<dyn RefundProvider>, RefundError> {
    #[cfg(feature = "uqpay")]
    {
        use refundkit_uqpay::{Environment, UqPayClient, UqPayConfig};
        let environment = Environment::from_setting(&settings.environment).ok_or_else(|| {
            RefundError::Config("uqpay.environment must be sandbox or production".into())
        })?;
        let mut config =
            UqPayConfig::builder(settings.client_id, settings.api_key).environment(environment);
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
        let _ = settings;
        Err(unavailable(ProviderKind::UqPay))
    }
}

fn wooshpay_from_settings(
    settings: WooshPaySettings,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    #[cfg(feature = "wooshpay")]
    {
        use refundkit_wooshpay::{WooshPayClient, WooshPayConfig};
        let mut config = WooshPayConfig::builder(settings.secret_key);
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
        let _ = settings;
        Err(unavailable(ProviderKind::WooshPay))
    }
}
