//! Webhook verification by provider, for code that holds only the secrets.

use http::HeaderMap;
use refundkit_core::{ProviderId, RefundError, RefundEvent};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::providers::{builtin_providers, descriptor_for};

/// The environment variable holding `provider`'s webhook secret.
pub fn secret_variable(provider: ProviderId) -> Result<&'static str, RefundError> {
    descriptor_for(builtin_providers(), provider, "the webhook's provider")?
        .webhook_secret_variable()
        .ok_or_else(|| RefundError::Config(format!("{provider} has no webhooks")))
}

/// Verifies a delivery from `provider` signed with `secret` at `now`.
pub fn verify(
    provider: ProviderId,
    secret: &SecretString,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<RefundEvent, RefundError> {
    descriptor_for(builtin_providers(), provider, "the webhook's provider")?
        .verify_webhook(secret, headers, body, now)
}

/// Verifies a delivery from `provider` with the secret from its environment
/// variable (`UQPAY_WEBHOOK_SECRET`, `WOOSHPAY_WEBHOOK_SECRET`), now.
pub fn verify_from_env(
    provider: ProviderId,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<RefundEvent, RefundError> {
    verify_from_env_at(provider, headers, body, OffsetDateTime::now_utc())
}

/// [`verify_from_env`] with the timestamp checked against `now` (a stored
/// delivery verified later).
pub fn verify_from_env_at(
    provider: ProviderId,
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
