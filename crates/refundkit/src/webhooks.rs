//! Webhook verification by provider, for code that holds only the secrets.

use http::HeaderMap;
use refundkit_core::{ProviderKind, RefundError, RefundEvent, WebhookError};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::config::ensure_compiled;

/// The environment variable holding `provider`'s webhook secret.
pub fn secret_variable(provider: ProviderKind) -> Result<&'static str, RefundError> {
    ensure_compiled(provider)?;
    match provider {
        ProviderKind::UqPay => Ok("UQPAY_WEBHOOK_SECRET"),
        ProviderKind::WooshPay => Ok("WOOSHPAY_WEBHOOK_SECRET"),
        other => Err(RefundError::Config(format!("{other} has no webhooks"))),
    }
}

/// Verifies a delivery from `provider` signed with `secret` at `now`.
pub fn verify(
    provider: ProviderKind,
    secret: &SecretString,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<RefundEvent, RefundError> {
    ensure_compiled(provider)?;
    let result: Result<RefundEvent, WebhookError> = match provider {
        #[cfg(feature = "uqpay")]
        ProviderKind::UqPay => {
            refundkit_uqpay::webhook::verify_and_parse(secret, headers, body, now)
        }
        #[cfg(feature = "wooshpay")]
        ProviderKind::WooshPay => {
            refundkit_wooshpay::webhook::verify_and_parse(secret, headers, body, now)
        }
        other => {
            let _ = (secret, headers, body, now);
            return Err(RefundError::Config(format!("{other} has no webhooks")));
        }
    };
    Ok(result?)
}

/// Verifies a delivery from `provider` with the secret from its environment
/// variable (`UQPAY_WEBHOOK_SECRET`, `WOOSHPAY_WEBHOOK_SECRET`), now.
pub fn verify_from_env(
    provider: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<RefundEvent, RefundError> {
    verify_from_env_at(provider, headers, body, OffsetDateTime::now_utc())
}

/// [`verify_from_env`] with the timestamp checked against `now` (a stored
/// delivery verified later).
pub fn verify_from_env_at(
    provider: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<RefundEvent, RefundError> {
    let variable = secret_variable(provider)?;
    let secret = std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| RefundError::Config(format!("{variable} is not set")))?;
    verify(provider, &SecretString::from(secret), headers, body, now)
}
