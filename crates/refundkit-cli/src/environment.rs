//! The CLI's configuration: the process environment, with one default of
//! its own — UQPay's token in the shared file store (`UQPAY_TOKEN_STORE=file`)
//! unless the variable says otherwise, so that an operator's command reuses
//! the token the backend on this host uses instead of minting one (a new
//! UQPay token invalidates the previous one at once).

use refundkit::uqpay::TOKEN_STORE_VAR;
use refundkit::{RefundError, Refunds};

/// The CLI's default `UQPAY_TOKEN_STORE`.
pub const DEFAULT_TOKEN_STORE: &str = "file";

/// `name` from `read`, or the CLI's default for `UQPAY_TOKEN_STORE`.
pub fn with_cli_defaults(name: &str, read: impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = read(name);
    if name == TOKEN_STORE_VAR && value.as_deref().is_none_or(|v| v.trim().is_empty()) {
        return Some(DEFAULT_TOKEN_STORE.to_string());
    }
    value
}

/// [`Refunds::from_env`] with the CLI's defaults.
pub fn refunds() -> Result<Refunds, RefundError> {
    Refunds::from_lookup(|name| with_cli_defaults(name, |name| std::env::var(name).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_store_defaults_to_file_and_the_variable_wins() {
        let unset = |_: &str| None;
        assert_eq!(
            with_cli_defaults(TOKEN_STORE_VAR, unset).as_deref(),
            Some("file")
        );
        let empty = |_: &str| Some(" ".to_string());
        assert_eq!(
            with_cli_defaults(TOKEN_STORE_VAR, empty).as_deref(),
            Some("file")
        );
        let memory = |_: &str| Some("memory".to_string());
        assert_eq!(
            with_cli_defaults(TOKEN_STORE_VAR, memory).as_deref(),
            Some("memory")
        );
        assert_eq!(with_cli_defaults("UQPAY_CLIENT_ID", unset), None);
    }
}
