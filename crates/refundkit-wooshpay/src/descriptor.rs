//! WooshPay's [`ProviderDescriptor`]: its variables, its config-file
//! section, how to build its client and verify its webhooks.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use refundkit_core::descriptor::{Lookup, ProviderDescriptor, Variable};
use refundkit_core::transport::TransportConfig;
use refundkit_core::{
    redact_url, OffsetDateTime, ProviderId, RefundError, RefundEvent, RefundProvider, SecretString,
    REDACTED,
};
use serde::Deserialize;

use crate::config::{ENV_BASE_URL, ENV_SECRET_KEY, ENV_WEBHOOK_SECRET};
use crate::{webhook, WooshPayClient, WooshPayConfig};

/// WooshPay's descriptor, for the facade's `from_env`/`from_config`, the
/// CLI and the testkit.
///
/// ```
/// use refundkit_core::descriptor::ProviderDescriptor;
///
/// let descriptor = &refundkit_wooshpay::DESCRIPTOR;
/// assert_eq!(descriptor.id(), refundkit_wooshpay::PROVIDER);
/// let lookup = |name: &str| (name == "WOOSHPAY_SECRET_KEY").then(|| "sk_test_1".to_string());
/// assert!(descriptor.is_selected(&lookup));
/// assert!(descriptor.client_from_lookup(&lookup, Default::default()).is_ok());
/// ```
pub static DESCRIPTOR: WooshPayDescriptor = WooshPayDescriptor;

/// The type of [`DESCRIPTOR`].
#[derive(Debug, Clone, Copy)]
pub struct WooshPayDescriptor;

const VARIABLES: &[Variable] = &[
    Variable::new(ENV_SECRET_KEY, "secret key, sk_test_… or sk_live_…")
        .secret()
        .selects(),
    Variable::new(ENV_BASE_URL, "overrides the key's URL (tests, proxies)"),
    Variable::new(ENV_WEBHOOK_SECRET, "webhook signing secret (whsec_…)").secret(),
];

/// `list_refunds` has no documented WooshPay endpoint.
const LIST_INSTEAD: &str = "WooshPay has no documented refund list: read a refund with `refundkit get wooshpay:re_...`, resolve one made with a known reference or key with `refundkit recover --provider wooshpay --payment PI --reference REF ...` (or the library's `Refunds::find_refund_by_key`)";

impl ProviderDescriptor for WooshPayDescriptor {
    fn id(&self) -> ProviderId {
        crate::PROVIDER
    }

    fn display_name(&self) -> &'static str {
        "WooshPay"
    }

    fn variables(&self) -> &'static [Variable] {
        VARIABLES
    }

    fn client_from_lookup(
        &self,
        lookup: Lookup<'_>,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let config = WooshPayConfig::from_lookup(lookup)?.with_transport(transport);
        Ok(Arc::new(WooshPayClient::new(config)?))
    }

    fn client_from_settings(
        &self,
        settings: serde_json::Value,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let settings: WooshPaySettings =
            refundkit_core::descriptor::parse_settings(crate::PROVIDER, settings)?;
        Ok(Arc::new(WooshPayClient::new(
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

    fn instead_of(&self, operation: &str) -> Option<&'static str> {
        (operation == "list_refunds").then_some(LIST_INSTEAD)
    }
}

/// WooshPay's section of a config file (same meaning as the `WOOSHPAY_*`
/// variables): `{"secret_key": "sk_test_..."}`.
///
/// `Debug` masks the secrets and any credentials in the base URL.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WooshPaySettings {
    /// `WOOSHPAY_SECRET_KEY` (`sk_test_…` or `sk_live_…`).
    pub secret_key: SecretString,
    /// `WOOSHPAY_BASE_URL`: overrides the key's URL (tests, proxies).
    #[serde(default)]
    pub base_url: Option<String>,
    /// `WOOSHPAY_WEBHOOK_SECRET` (`whsec_…`).
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
}

impl WooshPaySettings {
    /// The client configuration these settings describe.
    pub fn into_config(self, transport: TransportConfig) -> Result<WooshPayConfig, RefundError> {
        let mut config = WooshPayConfig::builder(self.secret_key).transport(transport);
        if let Some(url) = &self.base_url {
            config = config.base_url(url);
        }
        if let Some(secret) = self.webhook_secret {
            config = config.webhook_secret(secret);
        }
        config.build()
    }
}

impl fmt::Debug for WooshPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WooshPaySettings")
            .field("secret_key", &REDACTED)
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}
