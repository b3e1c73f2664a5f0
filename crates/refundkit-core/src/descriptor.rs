//! What a provider crate tells the router, the CLI and the testkit about
//! itself: its id, its variables, how to build its client, how to verify
//! its webhooks.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::error::RefundError;
use crate::ids::ProviderId;
use crate::provider::RefundProvider;
use crate::transport::TransportConfig;
use crate::webhook::RefundEvent;

/// Reads a setting by name: the process environment, or a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One environment variable a provider reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Variable {
    /// `ACME_API_KEY`.
    pub name: &'static str,
    /// One line on what it holds.
    pub about: &'static str,
    /// Whether its value is a secret (never printed).
    pub secret: bool,
    /// Whether setting it asks for the provider to be configured
    /// (`from_env` builds every provider one of whose selecting variables
    /// is set).
    pub selects: bool,
}

impl Variable {
    /// A variable that is not a secret and selects nothing.
    pub const fn new(name: &'static str, about: &'static str) -> Self {
        Self {
            name,
            about,
            secret: false,
            selects: false,
        }
    }

    /// The same variable, marked as holding a secret.
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// The same variable, marked as selecting its provider when set.
    pub const fn selects(mut self) -> Self {
        self.selects = true;
        self
    }
}

/// A provider crate's description of itself, the one thing the facade's
/// `Refunds::from_env` / `from_config`, the CLI and the testkit loop over,
/// so none of them names a provider. Each adapter exports one as a
/// `static` (`DESCRIPTOR` in the adapter); a merchant's own provider can
/// too.
///
/// ```
/// use std::sync::Arc;
/// use refundkit_core::descriptor::{Lookup, ProviderDescriptor, Variable};
/// use refundkit_core::transport::TransportConfig;
/// use refundkit_core::{ProviderId, RefundError, RefundProvider};
///
/// #[derive(Debug)]
/// struct Acme;
///
/// impl ProviderDescriptor for Acme {
///     fn id(&self) -> ProviderId {
///         ProviderId::from_static("acme")
///     }
///     fn display_name(&self) -> &'static str {
///         "Acme Pay"
///     }
///     fn variables(&self) -> &'static [Variable] {
///         const VARIABLES: &[Variable] =
///             &[Variable::new("ACME_API_KEY", "the API key").secret().selects()];
///         VARIABLES
///     }
///     fn client_from_lookup(
///         &self,
///         lookup: Lookup<'_>,
///         _transport: TransportConfig,
///     ) -> Result<Arc<dyn RefundProvider>, RefundError> {
///         let _key = lookup("ACME_API_KEY")
///             .ok_or_else(|| RefundError::Config("ACME_API_KEY is missing or empty".into()))?;
///         Err(RefundError::Config("this sketch builds no client".into()))
///     }
///     fn client_from_settings(
///         &self,
///         _settings: serde_json::Value,
///         _transport: TransportConfig,
///     ) -> Result<Arc<dyn RefundProvider>, RefundError> {
///         Err(RefundError::Config("this sketch builds no client".into()))
///     }
/// }
///
/// let lookup = |name: &str| (name == "ACME_API_KEY").then(|| "k".to_string());
/// assert!(Acme.is_selected(&lookup));
/// assert!(!Acme.is_selected(&|_: &str| None));
/// ```
pub trait ProviderDescriptor: Send + Sync + fmt::Debug {
    /// The provider's id, the name in its refs (`acme:RF1`).
    fn id(&self) -> ProviderId;

    /// Its name for people (`Acme Pay`).
    fn display_name(&self) -> &'static str;

    /// Every environment variable it reads.
    fn variables(&self) -> &'static [Variable];

    /// Whether the settings read through `lookup` ask for this provider:
    /// one of its selecting variables is set to something non-blank.
    fn is_selected(&self, lookup: Lookup<'_>) -> bool {
        self.variables()
            .iter()
            .filter(|variable| variable.selects)
            .any(|variable| lookup(variable.name).is_some_and(|value| !value.trim().is_empty()))
    }

    /// Builds its client from variables read through `lookup` (the
    /// process environment in `from_env`; a simulator's variables,
    /// `refundkit_testkit::ProviderSim::variables`, in tests), with the
    /// transport settings shared by every provider (read once by the
    /// caller from `REFUNDKIT_TIMEOUT_MS` and friends). A missing required
    /// variable is a `Config` error naming it; values never appear in errors.
    fn client_from_lookup(
        &self,
        lookup: Lookup<'_>,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError>;

    /// Builds its client from its section of a config file (the adapter's
    /// own settings type, deserialized from `settings`), with the
    /// transport settings shared by every provider.
    fn client_from_settings(
        &self,
        settings: serde_json::Value,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError>;

    /// The variable holding its webhook signing secret, when it has webhooks.
    fn webhook_secret_variable(&self) -> Option<&'static str> {
        None
    }

    /// Verifies a webhook delivery signed with `secret` at `now` and parses
    /// the refund event. Unsupported unless the provider has webhooks.
    fn verify_webhook(
        &self,
        secret: &SecretString,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<RefundEvent, RefundError> {
        let _ = (secret, headers, body, now);
        Err(RefundError::Unsupported {
            provider: self.id(),
            operation: "verify_webhook",
        })
    }

    /// Values a short-lived process (a CLI, a cron job) should use for
    /// variables it leaves unset, e.g. a token cache on disk rather than
    /// in memory. `client_from_lookup` still reads what is set.
    fn short_lived_defaults(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// What to use instead of `operation` (`list_refunds`) when the
    /// provider does not offer it, for tools to print.
    fn instead_of(&self, operation: &str) -> Option<&'static str> {
        let _ = operation;
        None
    }

    /// The names its [`crate::ProviderOptions`] accept, with one line each.
    fn option_names(&self) -> &'static [Variable] {
        &[]
    }
}

/// What is wrong with a provider's config-file section, for an error: the
/// field serde names when one is unknown or missing, never a value (a
/// wrong-type message would quote it, so it is described generically).
fn settings_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.starts_with("unknown field") || text.starts_with("missing field") {
        text
    } else {
        "a value has the wrong type".to_owned()
    }
}

/// A provider's config-file section read into its settings type `S`, for
/// [`ProviderDescriptor::client_from_settings`]: a problem is a `Config`
/// error that names the provider and the field, never a value.
pub fn parse_settings<S: serde::de::DeserializeOwned>(
    provider: ProviderId,
    settings: serde_json::Value,
) -> Result<S, RefundError> {
    serde_json::from_value(settings).map_err(|error| {
        RefundError::Config(format!("{provider} settings: {}", settings_problem(&error)))
    })
}

/// The descriptor with `id` among `descriptors`.
pub fn find(
    descriptors: &[&'static dyn ProviderDescriptor],
    id: ProviderId,
) -> Option<&'static dyn ProviderDescriptor> {
    descriptors.iter().copied().find(|d| d.id() == id)
}
