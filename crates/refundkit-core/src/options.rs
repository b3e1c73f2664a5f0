//! Options that one provider understands, carried by a request without core
//! knowing their fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::validation::ValidationError;

/// Longest option name or value.
const MAX_OPTION_LEN: usize = 255;

/// One provider's options for a request, as that provider's adapter writes
/// them: a provider id and named text values. Adapters offer a typed form
/// (an adapter's own options type) that converts into this one and reads
/// it back with [`ProviderOptions::for_provider`]; an adapter refuses the
/// options of another provider and names it never heard of. The flat form
/// is what a journal stores and what the CLI's `--option name=value` builds.
///
/// ```
/// use refundkit_core::{ProviderId, ProviderOptions};
///
/// const ACME: ProviderId = ProviderId::from_static("acme");
/// let options = ProviderOptions::new(ACME).with("ledger", "eu-1");
/// assert_eq!(options.get("ledger"), Some("eu-1"));
///
/// // What an adapter does: its own options, only names it knows.
/// assert!(ProviderOptions::for_provider(Some(&options), ACME, &["ledger"])?.is_some());
/// let other = ProviderId::from_static("globex");
/// let refused = ProviderOptions::for_provider(Some(&options), other, &["ledger"]).unwrap_err();
/// assert_eq!(refused.field(), "provider_options");
/// # Ok::<(), refundkit_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderOptions {
    provider: ProviderId,
    values: BTreeMap<String, String>,
}

impl ProviderOptions {
    /// No options yet, for `provider`.
    pub fn new(provider: ProviderId) -> Self {
        Self {
            provider,
            values: BTreeMap::new(),
        }
    }

    /// Sets option `name` to `value`. A name is 1 to 255 ASCII letters,
    /// digits and `_`; a value 1 to 255 characters without controls. They
    /// are checked when the request is built ([`crate::RefundRequestBuilder::build`])
    /// and when an adapter reads them: a bad one is refused, never dropped.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// The provider these options are for.
    pub fn provider(&self) -> ProviderId {
        self.provider
    }

    /// Option `name`, when set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every option, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// For adapters: `options` when they are `provider`'s and name only
    /// options in `known`; `None` when the request carries none. Another
    /// provider's options, or a name not in `known`, is an error naming the
    /// `provider_options` field — refused before anything is sent.
    pub fn for_provider<'a>(
        options: Option<&'a ProviderOptions>,
        provider: ProviderId,
        known: &[&str],
    ) -> Result<Option<&'a ProviderOptions>, ValidationError> {
        let Some(options) = options else {
            return Ok(None);
        };
        options.validate()?;
        if options.provider != provider {
            return Err(ValidationError::new(
                "provider_options",
                format!(
                    "are {}'s options; a refund at {provider} cannot carry them",
                    options.provider
                ),
            ));
        }
        if let Some(name) = options
            .values
            .keys()
            .find(|name| !known.contains(&name.as_str()))
        {
            let expected = if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            };
            return Err(ValidationError::new(
                "provider_options",
                format!("{provider} has no option {name} (it knows: {expected})"),
            ));
        }
        Ok(Some(options))
    }

    /// Checks every name and value; the error names the option, never
    /// quotes its value.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (name, value) in &self.values {
            check_name(name)?;
            check_value(name, value)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), ValidationError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_OPTION_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "provider_options",
            "option names must be 1 to 255 ASCII letters, digits and '_'",
        ))
    }
}

fn check_value(name: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || value.chars().count() > MAX_OPTION_LEN {
        return Err(ValidationError::new(
            "provider_options",
            format!("option {name} must be 1 to 255 characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "provider_options",
            format!("option {name} must not contain control characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OTHER_PROVIDER, SAMPLE_PROVIDER};

    #[test]
    fn names_and_values_are_checked() {
        let options = ProviderOptions::new(SAMPLE_PROVIDER);
        assert!(options.clone().with("attempt_id", "PA1").validate().is_ok());
        for (name, value) in [("", "zq9"), ("a-b", "zq9"), ("a", ""), ("a", "zq\ny")] {
            let bad = options.clone().with(name, value);
            let error = bad.validate().unwrap_err();
            assert_eq!(error.field(), "provider_options");
            assert!(
                value.is_empty() || !error.to_string().contains(value),
                "{error}"
            );
            let read = ProviderOptions::for_provider(Some(&bad), SAMPLE_PROVIDER, &[name]);
            assert_eq!(read.unwrap_err().field(), "provider_options");
        }
    }

    #[test]
    fn an_adapter_takes_only_its_own_known_options() {
        let options = ProviderOptions::new(SAMPLE_PROVIDER).with("attempt_id", "PA1");
        assert_eq!(
            ProviderOptions::for_provider(Some(&options), SAMPLE_PROVIDER, &["attempt_id"])
                .unwrap()
                .and_then(|o| o.get("attempt_id")),
            Some("PA1")
        );
        assert_eq!(
            ProviderOptions::for_provider(None, SAMPLE_PROVIDER, &[]).unwrap(),
            None
        );
        let foreign =
            ProviderOptions::for_provider(Some(&options), OTHER_PROVIDER, &["attempt_id"])
                .unwrap_err();
        assert!(foreign.to_string().contains("acme's options"), "{foreign}");
        let unknown = ProviderOptions::for_provider(Some(&options), SAMPLE_PROVIDER, &["account"])
            .unwrap_err();
        assert!(
            unknown.to_string().contains("no option attempt_id"),
            "{unknown}"
        );
    }

    #[test]
    fn options_round_trip_through_json() {
        let options = ProviderOptions::new(SAMPLE_PROVIDER).with("a", "1");
        let json = serde_json::to_string(&options).unwrap();
        assert_eq!(json, r#"{"provider":"acme","values":{"a":"1"}}"#);
        assert_eq!(
            serde_json::from_str::<ProviderOptions>(&json).unwrap(),
            options
        );
    }
}
