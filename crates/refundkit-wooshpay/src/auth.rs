//! WooshPay HTTP Basic auth for core's transport: the secret key as user
//! name and an empty password, built once per client and sent on every
//! request; a 401 is final (a static key cannot be refreshed).

use std::fmt;

use async_trait::async_trait;
use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use refundkit_core::transport::{Authenticator, CredentialGeneration};
use refundkit_core::{ExposeSecret, ProviderError, RefundError, SecretString};
use secrecy::zeroize::Zeroizing;

/// HTTP Basic with the secret key as user name and an empty password. The
/// header is made once per client, sensitive, and shared by every request.
#[derive(Clone)]
pub(crate) struct BasicAuth {
    pub(crate) header_value: SecretString,
    /// The base64 part alone, which a provider may echo without `Basic `.
    pub(crate) encoded: SecretString,
    /// `header_value` as the header sent.
    header: HeaderValue,
}

impl BasicAuth {
    pub(crate) fn new(secret_key: &SecretString) -> Result<Self, RefundError> {
        let credentials = Zeroizing::new(format!("{}:", secret_key.expose_secret()));
        let encoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(credentials.as_bytes()),
        );
        let header_value = SecretString::from(format!("Basic {}", encoded.as_str()));
        // Base64 is always header text.
        let mut header = HeaderValue::from_str(header_value.expose_secret()).map_err(|_| {
            RefundError::Config("value of header authorization is not valid header text".into())
        })?;
        header.set_sensitive(true);
        Ok(Self {
            header_value,
            encoded: SecretString::from(encoded.as_str()),
            header,
        })
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BasicAuth([REDACTED])")
    }
}

#[async_trait]
impl Authenticator for BasicAuth {
    async fn authorize(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<CredentialGeneration, RefundError> {
        headers.insert(AUTHORIZATION, self.header.clone());
        Ok(CredentialGeneration(0))
    }

    /// The key is static: always at once.
    fn authorize_now(
        &self,
        headers: &mut HeaderMap,
    ) -> Option<Result<CredentialGeneration, RefundError>> {
        headers.insert(AUTHORIZATION, self.header.clone());
        Some(Ok(CredentialGeneration(0)))
    }

    /// A static key cannot be refreshed: a 401 is final.
    async fn refresh_after_rejection(
        &self,
        _error: &ProviderError,
        _generation: CredentialGeneration,
    ) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_value_is_the_key_as_user_with_an_empty_password() {
        let auth = BasicAuth::new(&SecretString::from("sk_test_abc")).unwrap();
        // base64("sk_test_abc:")
        assert_eq!(auth.header_value.expose_secret(), "Basic c2tfdGVzdF9hYmM6");
        assert_eq!(format!("{auth:?}"), "BasicAuth([REDACTED])");
    }
}
