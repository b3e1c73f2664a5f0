//! The ledger's [`ProviderDescriptor`]: what `Refunds::from_lookup_with`
//! and `Refunds::from_config_with` read to configure it beside the
//! built-in providers.

use std::fmt;
use std::sync::Arc;

use refundkit::toolkit::descriptor::{parse_settings, Lookup, ProviderDescriptor, Variable};
use refundkit::toolkit::transport::TransportConfig;
use refundkit::toolkit::{redact_url, REDACTED};
use refundkit::{ProviderId, RefundError, RefundProvider, SecretString};
use serde::Deserialize;

use crate::config::{ENV_API_KEY, ENV_URL};
use crate::{LedgerClient, LedgerConfig, LEDGER};

/// The ledger's descriptor: pass it with `refundkit::builtin_providers()`
/// to `Refunds::from_lookup_with` or `Refunds::from_config_with`.
///
/// ```
/// use refundkit::toolkit::descriptor::ProviderDescriptor;
/// use refundkit_example_ledger::DESCRIPTOR;
///
/// let settings = serde_json::json!({"url": "https://ledger.internal.example", "api_key": "lk_1"});
/// assert!(DESCRIPTOR.client_from_settings(settings, Default::default()).is_ok());
/// let typo = serde_json::json!({"url": "https://ledger.internal.example", "apikey": "lk_1"});
/// let error = DESCRIPTOR.client_from_settings(typo, Default::default()).unwrap_err();
/// assert!(error.to_string().contains("unknown field"), "{error}");
/// assert!(!error.to_string().contains("lk_1"));
/// ```
pub static DESCRIPTOR: LedgerDescriptor = LedgerDescriptor;

/// The type of [`DESCRIPTOR`].
#[derive(Debug, Clone, Copy)]
pub struct LedgerDescriptor;

const VARIABLES: &[Variable] = &[
    Variable::new(ENV_URL, "the ledger service's base URL").selects(),
    Variable::new(ENV_API_KEY, "the ledger service's API key")
        .secret()
        .selects(),
];

impl ProviderDescriptor for LedgerDescriptor {
    fn id(&self) -> ProviderId {
        LEDGER
    }

    fn display_name(&self) -> &'static str {
        "In-house ledger"
    }

    fn variables(&self) -> &'static [Variable] {
        VARIABLES
    }

    fn client_from_lookup(
        &self,
        lookup: Lookup<'_>,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let config = LedgerConfig::from_lookup(lookup)?.with_transport(transport);
        Ok(Arc::new(LedgerClient::new(config)?))
    }

    fn client_from_settings(
        &self,
        settings: serde_json::Value,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        let settings: LedgerSettings = parse_settings(LEDGER, settings)?;
        let config = LedgerConfig::new(&settings.url, settings.api_key)?.with_transport(transport);
        Ok(Arc::new(LedgerClient::new(config)?))
    }
}

/// The ledger's section of a config file, meaning what the variables do:
/// `{"url": "https://…", "api_key": "…"}`. `Debug` masks the key.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LedgerSettings {
    /// [`ENV_URL`](crate::ENV_URL).
    pub url: String,
    /// [`ENV_API_KEY`](crate::ENV_API_KEY).
    pub api_key: SecretString,
}

impl fmt::Debug for LedgerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerSettings")
            .field("url", &redact_url(&self.url))
            .field("api_key", &REDACTED)
            .finish()
    }
}
