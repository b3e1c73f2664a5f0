//! UQPay's [`ProviderDescriptor`]: its variables, its config-file section,
//! how to build its client and verify its webhooks.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use refundkit_core::descriptor::{Lookup, ProviderDescriptor, Variable};
use refundkit_core::transport::TransportConfig;
use refundkit_core::{
    redact_url, ExposeSecret, OffsetDateTime, ProviderId, RefundError, RefundEvent, RefundProvider,
    SecretString, REDACTED,
};
use serde::Deserialize;

use crate::config::{
    ENV_API_KEY, ENV_BASE_URL, ENV_CLIENT_ID, ENV_ENVIRONMENT, ENV_ON_BEHALF_OF, ENV_WEBHOOK_SECRET,
};
use crate::{webhook, Environment, TokenStoreSetting, UqPayClient, UqPayConfig, ENV_TOKEN_STORE};

/// UQPay's descriptor, for the facade's `from_env`/`from_config`, the CLI
/// and the testkit.
///
/// ```
/// use refundkit_core::descriptor::ProviderDescriptor;
///
/// let descriptor = &refundkit_uqpay::DESCRIPTOR;
/// assert_eq!(descriptor.id(), refundkit_uqpay::PROVIDER);
/// let lookup = |name: &str| (name == "UQPAY_API_KEY").then(|| "k".to_string());
/// assert!(descriptor.is_selected(&lookup));
/// // A partial set of variables is an error naming the missing one.
/// let error = descriptor.client_from_lookup(&lookup, Default::default()).unwrap_err();
/// assert!(error.to_string().contains("UQPAY_CLIENT_ID"));
/// ```
pub static DESCRIPTOR: UqPayDescriptor = UqPayDescriptor;

/// The type of [`DESCRIPTOR`].
#[derive(Debug, Clone, Copy)]
pub struct UqPayDescriptor;

const VARIABLES: &[Variable] = &[
    Variable::new(ENV_CLIENT_ID, "API client id (x-client-id)").selects(),
    Variable::new(ENV_API_KEY, "API key").secret().selects(),
    Variable::new(
        ENV_ENVIRONMENT,
        "sandbox or production (optional with UQPAY_BASE_URL)",
    ),
    Variable::new(
        ENV_BASE_URL,
        "overrides the environment's URL (tests, proxies)",
    ),
    Variable::new(ENV_ON_BEHALF_OF, "default connected sub-account (a UUID)"),
    Variable::new(ENV_WEBHOOK_SECRET, "webhook signing secret").secret(),
    Variable::new(
        ENV_TOKEN_STORE,
        "where the access token is shared: memory, file, file:PATH, redis://…",
    )
    .secret(),
];

const OPTION_NAMES: &[Variable] = &[
    Variable::new(
        "payment_attempt_id",
        "refund this payment attempt of the intent",
    ),
    Variable::new(
        "on_behalf_of",
        "act for this connected sub-account (a UUID)",
    ),
];

/// A short-lived process keeps the token in a file so the next run reuses
/// it instead of minting one (each mint invalidates the tokens before it).
const SHORT_LIVED_DEFAULTS: &[(&str, &str)] = &[(ENV_TOKEN_STORE, "file")];

impl ProviderDescriptor for UqPayDescriptor {
    fn id(&self) -> ProviderId {
        crate::PROVIDER
    }

    fn display_name(&self) -> &'static str {
        "UQPay"
    }

    fn variables(&self) -> &'static [Variable] {
        VARIABLES
    }

    fn client_from_lookup(
        &self,
        lookup: Lookup<'_>,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let config = UqPayConfig::from_lookup(lookup)?.with_transport(transport);
        Ok(Arc::new(UqPayClient::new(config)?))
    }

    fn client_from_settings(
        &self,
        settings: serde_json::Value,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let settings: UqPaySettings =
            refundkit_core::descriptor::parse_settings(crate::PROVIDER, settings)?;
        Ok(Arc::new(UqPayClient::new(
            settings.into_config(transport)?,
        )?))
    }

    fn webhook_secret_variable(&self) -> Option<&'static str> {
        Some(ENV_WEBHOOK_SECRET)
    }

    fn verify_webhook(
        &self,
        secret: &SecretString,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        Ok(webhook::verify_and_parse(secret, headers, body, now)?)
    }

    fn short_lived_defaults(&self) -> &'static [(&'static str, &'static str)] {
        SHORT_LIVED_DEFAULTS
    }

    fn option_names(&self) -> &'static [Variable] {
        OPTION_NAMES
    }
}

/// UQPay's section of a config file (same meaning as the `UQPAY_*`
/// variables): `{"client_id": "...", "api_key": "...", "environment":
/// "sandbox", "token_store": "file"}`.
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
    /// `UQPAY_ENVIRONMENT`: `sandbox` or `production` (optional with `base_url`).
    #[serde(default)]
    pub environment: Option<String>,
    /// `UQPAY_BASE_URL`: overrides the environment's URL (tests, proxies).
    #[serde(default)]
    pub base_url: Option<String>,
    /// `UQPAY_ON_BEHALF_OF`: default connected sub-account.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// `UQPAY_WEBHOOK_SECRET`.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// `UQPAY_TOKEN_STORE`: `memory` (default), `file`, `file:PATH`,
    /// `redis://…` or `rediss://…` (secret: a Redis URL may hold a password).
    /// `file` resolves against `XDG_CACHE_HOME` / `HOME` of this process.
    #[serde(default)]
    pub token_store: Option<SecretString>,
}

impl UqPaySettings {
    /// The client configuration these settings describe.
    pub fn into_config(self, transport: TransportConfig) -> Result<UqPayConfig, RefundError> {
        let environment = match (&self.environment, &self.base_url) {
            (None, Some(_)) => Environment::Sandbox,
            (environment, _) => environment
                .as_deref()
                .and_then(Environment::from_setting)
                .ok_or_else(|| {
                    RefundError::Config("uqpay.environment must be sandbox or production".into())
                })?,
        };
        let mut config = UqPayConfig::builder(self.client_id, self.api_key)
            .environment(environment)
            .transport(transport);
        if let Some(url) = &self.base_url {
            config = config.base_url(url);
        }
        if let Some(account) = self.on_behalf_of {
            config = config.on_behalf_of(account);
        }
        if let Some(secret) = self.webhook_secret {
            config = config.webhook_secret(secret);
        }
        if let Some(store) = &self.token_store {
            let setting =
                TokenStoreSetting::parse(store.expose_secret(), |name| std::env::var(name).ok())
                    .map_err(|_| {
                        RefundError::Config(
                            "uqpay.token_store must be memory, file, file:PATH, redis://… or rediss://… (file needs XDG_CACHE_HOME or HOME)".into(),
                        )
                    })?;
            config = config.token_store(setting);
        }
        config.build()
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
            .field("token_store", &mask(&self.token_store))
            .finish()
    }
}
