//! Configuration: environment variables and a serde config for config
//! files, over the compiled-in providers' descriptors.

use std::collections::BTreeMap;
use std::fmt;

use refundkit_core::descriptor::ProviderDescriptor;
use refundkit_core::transport::{TransportConfig, TransportSettings};
use refundkit_core::{redact_url, ProviderId, RefundError, KEY_NAMESPACE_VARIABLE, REDACTED};
use serde::Deserialize;

use crate::providers::{builtin_providers, descriptor_for, names};
use crate::refunds::Refunds;

/// Names the default provider in the environment.
pub const PROVIDER_VARIABLE: &str = "REFUNDKIT_PROVIDER";

/// A config-file form of [`Refunds`], e.g. from TOML or JSON: the shared
/// settings, and one section per provider named by its id, read by that
/// provider's descriptor (`refundkit::uqpay::UqPaySettings`,
/// `refundkit::wooshpay::WooshPaySettings`):
///
/// ```json
/// { "default": "uqpay",
///   "uqpay": { "client_id": "...", "api_key": "...", "environment": "sandbox",
///              "token_store": "file" },
///   "wooshpay": { "secret_key": "sk_test_..." } }
/// ```
///
/// A section for a provider that is not compiled in is an error. Secrets
/// deserialize into `SecretString` in the provider's settings and never
/// print: `Debug` shows the section names only.
///
/// ```
/// # #[cfg(feature = "wooshpay")] {
/// let config: refundkit::RefundsConfig = serde_json::from_str(
///     r#"{"default": "wooshpay", "wooshpay": {"secret_key": "sk_test_1"}}"#,
/// )?;
/// assert!(!format!("{config:?}").contains("sk_test_1"));
/// let refunds = refundkit::Refunds::from_config(config)?;
/// assert_eq!(refunds.default_provider(), Some(refundkit::wooshpay::PROVIDER));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct RefundsConfig {
    /// The provider new refunds go to (`uqpay`, `wooshpay`, …).
    pub default: Option<String>,
    /// `REFUNDKIT_KEY_NAMESPACE`: the namespace references become keys in.
    #[serde(default)]
    pub key_namespace: Option<String>,
    /// Timeouts and retry bounds for every provider (`REFUNDKIT_TIMEOUT_MS`
    /// and friends in the environment): `{"timeout_ms": 10000,
    /// "connect_timeout_ms": 2000, "retry_attempts": 3, "retry_max_elapsed_ms": 30000}`.
    #[serde(default)]
    pub transport: Option<TransportSettings>,
    /// Each provider's section, by provider id.
    #[serde(flatten)]
    pub providers: BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for RefundsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A default that names no provider may be a pasted key: not shown;
        // the sections may hold secrets: only their names are.
        let default = self.default.as_deref().map(shown_name);
        let sections: BTreeMap<String, BTreeMap<&str, String>> = self
            .providers
            .iter()
            .map(|(name, section)| (shown_name(name), masked_section(section)))
            .collect();
        f.debug_struct("RefundsConfig")
            .field("default", &default)
            .field("key_namespace", &self.key_namespace)
            .field("transport", &self.transport)
            .field("providers", &sections)
            .finish()
    }
}

/// A provider name for `Debug`: shown only when it names a compiled-in
/// provider (anything else may be a pasted key, even a short lower-case one).
fn shown_name(name: &str) -> String {
    match crate::providers::builtin_provider(name) {
        Ok(descriptor) => descriptor.id().to_string(),
        Err(_) => "[unrecognized]".to_owned(),
    }
}

/// A provider's section for `Debug`: this crate does not know which of its
/// settings are secret, so every text is masked but URLs, which show with
/// their credentials and query masked (`https://[REDACTED]@host`);
/// switches show as they are.
fn masked_section(section: &serde_json::Value) -> BTreeMap<&str, String> {
    let Some(fields) = section.as_object() else {
        return BTreeMap::from([("", REDACTED.to_owned())]);
    };
    fields
        .iter()
        .map(|(name, value)| {
            let shown = match value {
                serde_json::Value::String(text) if is_url(text) => redact_url(text),
                // A number may be a key typed without quotes: masked too.
                serde_json::Value::Bool(_) | serde_json::Value::Null => value.to_string(),
                _ => REDACTED.to_owned(),
            };
            (name.as_str(), shown)
        })
        .collect()
}

fn is_url(text: &str) -> bool {
    ["http://", "https://", "redis://", "rediss://", "unix://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
}

/// What to set when no provider is configured, for the providers compiled in.
fn no_provider_message(descriptors: &[&'static dyn ProviderDescriptor]) -> String {
    let options: Vec<String> = descriptors
        .iter()
        .map(|descriptor| {
            let selecting: Vec<&str> = descriptor
                .variables()
                .iter()
                .filter(|v| v.selects)
                .map(|v| v.name)
                .collect();
            format!(
                "{} ({})",
                selecting.join(" and "),
                descriptor.display_name()
            )
        })
        .collect();
    if options.is_empty() {
        return "no refund provider is compiled in: enable a provider's cargo feature of the \
                refundkit crate (uqpay, wooshpay), or build Refunds in code"
            .into();
    }
    format!(
        "no refund provider is configured: set {} (the README lists every variable)",
        options.join(", or ")
    )
}

fn parse_provider(
    descriptors: &[&'static dyn ProviderDescriptor],
    setting: &str,
    name: &str,
) -> Result<&'static dyn ProviderDescriptor, RefundError> {
    let id: ProviderId = name.parse().map_err(|_| {
        // The value is not quoted: a key pasted here would reach the logs.
        RefundError::Config(format!(
            "{setting} is not a provider name (compiled in: {})",
            names(descriptors)
        ))
    })?;
    descriptor_for(descriptors, id, setting)
}

impl Refunds {
    /// Configures every compiled-in provider whose variables are present
    /// (for each, the ones its descriptor marks as selecting it, such as
    /// `UQPAY_CLIENT_ID`/`UQPAY_API_KEY` or `WOOSHPAY_SECRET_KEY`; the
    /// README lists them all). `REFUNDKIT_PROVIDER` names the default. A
    /// partial set of variables is a `Config` error naming the missing one;
    /// no provider at all is a `Config` error naming what to set; values
    /// never appear in errors.
    pub fn from_env() -> Result<Self, RefundError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Refunds::from_env`] reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RefundError> {
        Self::from_lookup_with(builtin_providers(), lookup)
    }

    /// [`Refunds::from_lookup`] over `descriptors` instead of the built-in
    /// ones: a merchant's own provider configured from the environment like
    /// a built-in (pass `refundkit::builtin_providers()` plus yours).
    pub fn from_lookup_with(
        descriptors: &[&'static dyn ProviderDescriptor],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, RefundError> {
        let default = match lookup(PROVIDER_VARIABLE).filter(|v| !v.trim().is_empty()) {
            Some(name) => Some(parse_provider(descriptors, PROVIDER_VARIABLE, &name)?.id()),
            None => None,
        };
        let transport = TransportSettings::from_lookup(&lookup)?.apply(TransportConfig::default());
        let mut builder = Refunds::builder();
        for descriptor in descriptors {
            if default != Some(descriptor.id()) && !descriptor.is_selected(&lookup) {
                continue;
            }
            builder =
                builder.with_shared(descriptor.client_from_lookup(&lookup, transport.clone())?);
        }
        if let Some(id) = default {
            builder = builder.default_provider(id);
        }
        if let Some(namespace) = lookup(KEY_NAMESPACE_VARIABLE).filter(|v| !v.trim().is_empty()) {
            builder = builder.key_namespace(namespace);
        }
        let refunds = builder.build()?;
        if refunds.providers().next().is_none() {
            return Err(RefundError::Config(no_provider_message(descriptors)));
        }
        Ok(refunds)
    }

    /// Builds from a [`RefundsConfig`] (e.g. a section of your config file).
    /// A section for a provider that is not compiled in is an error.
    pub fn from_config(config: RefundsConfig) -> Result<Self, RefundError> {
        Self::from_config_with(builtin_providers(), config)
    }

    /// [`Refunds::from_config`] over `descriptors` instead of the built-in ones.
    pub fn from_config_with(
        descriptors: &[&'static dyn ProviderDescriptor],
        config: RefundsConfig,
    ) -> Result<Self, RefundError> {
        let mut builder = Refunds::builder();
        let transport = config
            .transport
            .unwrap_or_default()
            .apply(TransportConfig::default());
        for (name, section) in config.providers {
            let descriptor = parse_provider(descriptors, "a config section", &name)?;
            builder =
                builder.with_shared(descriptor.client_from_settings(section, transport.clone())?);
        }
        if let Some(name) = &config.default {
            builder = builder.default_provider(parse_provider(descriptors, "default", name)?.id());
        }
        if let Some(namespace) = config.key_namespace {
            builder = builder.key_namespace(namespace);
        }
        builder.build()
    }
}
