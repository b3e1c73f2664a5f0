//! The CLI's configuration: the process environment, with the defaults each
//! compiled-in provider asks a short-lived process to use
//! (`ProviderDescriptor::short_lived_defaults`) for variables left unset —
//! for UQPay its token in the shared file store (`UQPAY_TOKEN_STORE=file`),
//! so that an operator's command reuses the token the backend on this host
//! uses instead of minting one (a new UQPay token invalidates the previous
//! one at once).

use refundkit::{RefundError, Refunds};

/// `name` from `read`, or the default a provider asks a short-lived process
/// to use when it is unset or blank.
pub fn with_cli_defaults(name: &str, read: impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = read(name);
    if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        return value;
    }
    refundkit::builtin_providers()
        .iter()
        .flat_map(|descriptor| descriptor.short_lived_defaults())
        .find(|(variable, _)| *variable == name)
        .map(|(_, default)| (*default).to_string())
        .or(value)
}

/// [`Refunds::from_env`] with the CLI's defaults.
pub fn refunds() -> Result<Refunds, RefundError> {
    Refunds::from_lookup(|name| with_cli_defaults(name, |name| std::env::var(name).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use refundkit::uqpay::ENV_TOKEN_STORE;

    #[test]
    fn the_token_store_defaults_to_file_and_the_variable_wins() {
        let unset = |_: &str| None;
        assert_eq!(
            with_cli_defaults(ENV_TOKEN_STORE, unset).as_deref(),
            Some("file")
        );
        let empty = |_: &str| Some(" ".to_string());
        assert_eq!(
            with_cli_defaults(ENV_TOKEN_STORE, empty).as_deref(),
            Some("file")
        );
        let memory = |_: &str| Some("memory".to_string());
        assert_eq!(
            with_cli_defaults(ENV_TOKEN_STORE, memory).as_deref(),
            Some("memory")
        );
        assert_eq!(with_cli_defaults("UQPAY_CLIENT_ID", unset), None);
    }
}
