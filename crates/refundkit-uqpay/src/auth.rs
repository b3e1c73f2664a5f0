//! UQPay token auth for core's transport: mint with `x-client-id` +
//! `x-api-key`, send `x-auth-token: Bearer <token>`, re-mint once on an
//! expired-token 401.

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};

use async_trait::async_trait;
use http::{HeaderMap, HeaderName};
use refundkit_core::transport::{
    ApiRequest, Authenticator, CredentialGeneration, Operation, Transport,
};
use refundkit_core::{Clock, OffsetDateTime, ProviderError, RefundError, SecretString};
use url::Url;

/// Obtains an access token (no money moves).
pub(crate) const FETCH_TOKEN: Operation = Operation::Other("fetch_token");

use crate::token::{AccessToken, MintedToken, TokenMinter, TokenStore};
use crate::wire::TokenResponse;

/// The header every UQPay call carries (token call included).
pub(crate) const CLIENT_ID_HEADER: &str = "x-client-id";
const API_KEY_HEADER: &str = "x-api-key";
const AUTH_TOKEN_HEADER: &str = "x-auth-token";
/// Made once: a name inserted from text would be copied per request.
const AUTH_TOKEN: HeaderName = HeaderName::from_static(AUTH_TOKEN_HEADER);

/// 401 messages (lower case) that mean "your token expired: mint a new one".
const EXPIRED_TOKEN_MESSAGES: [&str; 4] = [
    "token has expired",
    "login expired",
    "token expired",
    "jwt expired",
];

/// Whether a 401 says the token itself is unknown or superseded (not its
/// format, not the client id, not the caller's IP).
pub(crate) fn says_token_invalid(error: &ProviderError) -> bool {
    let message = error.message.to_ascii_lowercase();
    message.contains("invalid auth token") && !message.contains("format")
}

/// Whether a 401 says the token expired (UQPay SDK patterns, any case).
pub(crate) fn says_token_expired(error: &ProviderError) -> bool {
    let message = error.message.to_ascii_lowercase();
    EXPIRED_TOKEN_MESSAGES
        .iter()
        .any(|pattern| message.contains(pattern))
        || error.provider_code.as_deref() == Some("token_expired")
}

/// Mints, caches and attaches UQPay access tokens.
pub(crate) struct TokenAuth {
    transport: Transport,
    token_url: Url,
    client_id: String,
    api_key: SecretString,
    store: Arc<dyn TokenStore>,
    /// What "now" is when a token's expiry is checked.
    clock: Arc<dyn Clock>,
    /// The token last registered with the scrubber (a token from a shared
    /// store may have been minted by another process). Compared as the same
    /// token, not by generation: generations can repeat across an outage.
    registered: StdMutex<Option<AccessToken>>,
}

impl TokenAuth {
    pub fn new(
        transport: Transport,
        token_url: Url,
        client_id: String,
        api_key: SecretString,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            transport,
            token_url,
            client_id,
            api_key,
            store,
            clock,
            registered: StdMutex::new(None),
        }
    }

    /// The stored token, refreshed first when it is missing or within the
    /// refresh margin of its expiry.
    /// Registers `token` with the scrubber (once per token) and puts its
    /// header on the attempt.
    fn send_with(
        &self,
        token: &AccessToken,
        headers: &mut HeaderMap,
    ) -> Result<CredentialGeneration, RefundError> {
        {
            let mut registered = self
                .registered
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !registered.as_ref().is_some_and(|seen| seen.is_same(token)) {
                self.transport.secrets().add_rotating(token.value());
                *registered = Some(token.clone());
            }
        }
        let bearer = token.bearer_header().ok_or_else(|| {
            RefundError::Config(format!(
                "value of header {AUTH_TOKEN_HEADER} is not valid header text"
            ))
        })?;
        headers.insert(AUTH_TOKEN, bearer.clone());
        Ok(token.generation())
    }

    async fn usable_token(&self) -> Result<AccessToken, RefundError> {
        let stale = match self.store.get().await {
            Some(token) if !token.needs_refresh(self.clock.now_utc()) => return Ok(token),
            Some(token) => Some(token.generation()),
            None => None,
        };
        self.store.refresh(stale, self).await
    }
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenMinter for TokenAuth {
    async fn mint(&self) -> Result<MintedToken, RefundError> {
        let request = ApiRequest::post_empty(FETCH_TOKEN, self.token_url.clone())
            .header(CLIENT_ID_HEADER, &self.client_id)?
            .secret_header(API_KEY_HEADER, &self.api_key)?;
        let secrets = self.transport.secrets().clone();
        self.transport
            .call(&request, None, |decoded: TokenResponse, _| {
                let token = minted_from_wire(decoded)?;
                secrets.add_rotating(&token.value);
                tracing::debug!(provider = "uqpay", expires_at = %token.expires_at, "minted an access token");
                Ok(token)
            })
            .await
    }
}

/// The token answer, checked: a non-empty token and an `expired_at` that
/// is a representable time.
fn minted_from_wire(decoded: TokenResponse) -> Result<MintedToken, RefundError> {
    if decoded.auth_token.trim().is_empty() {
        return Err(RefundError::decode(
            crate::PROVIDER,
            "token response has an empty auth_token",
        ));
    }
    let expires_at = OffsetDateTime::from_unix_timestamp(decoded.expired_at)
        .map_err(|_| RefundError::decode(crate::PROVIDER, "token expired_at is out of range"))?;
    Ok(MintedToken {
        value: SecretString::from(decoded.auth_token),
        expires_at,
    })
}

#[async_trait]
impl Authenticator for TokenAuth {
    async fn authorize(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<CredentialGeneration, RefundError> {
        let token = self.usable_token().await?;
        self.send_with(&token, headers)
    }

    /// A fresh token already in the store, without waiting; otherwise (none,
    /// near expiry, the store busy or shared) `authorize` gets one.
    fn authorize_now(
        &self,
        headers: &mut HeaderMap,
    ) -> Option<Result<CredentialGeneration, RefundError>> {
        let token = self.store.get_now()?;
        if token.needs_refresh(self.clock.now_utc()) {
            return None;
        }
        Some(self.send_with(&token, headers))
    }

    async fn refresh_after_rejection(
        &self,
        error: &ProviderError,
        generation: CredentialGeneration,
    ) -> bool {
        // The store is re-read (shared stores: what every process sees now).
        if let Some(current) = self.store.get().await {
            if current.generation() != generation {
                // Another task or process replaced the rejected token: resend, mint nothing.
                return true;
            }
        }
        if says_token_expired(error) || (self.store.is_shared() && says_token_invalid(error)) {
            // Refreshes once, under the store's lock, only if it still holds `generation`.
            return match self.store.refresh(Some(generation), self).await {
                Ok(_) => true,
                Err(mint_error) => {
                    tracing::warn!(provider = "uqpay", error = %mint_error, "re-minting an expired token failed");
                    false
                }
            };
        }
        // Any other 401 mints nothing; but a refresh in flight (in another
        // process sharing the store) may be about to store the token that
        // superseded ours.
        matches!(
            self.store.refresh(Some(generation), &WaitForRefresh).await,
            Ok(token) if token.generation() != generation
        )
    }
}

/// A minter that mints nothing: [`TokenStore::refresh`] with it waits for a
/// refresh in flight and returns its token, or fails.
struct WaitForRefresh;

#[async_trait]
impl TokenMinter for WaitForRefresh {
    async fn mint(&self) -> Result<MintedToken, RefundError> {
        Err(RefundError::Config(
            "the rejected token is still the stored one".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UqPayErrorClassifier;
    use crate::token::InMemoryTokenStore;
    use refundkit_core::transport::{RetryPolicy, TransportConfig};
    use refundkit_core::ErrorKind;
    use std::time::Duration;

    fn minted(value: &str) -> MintedToken {
        MintedToken {
            value: SecretString::from(value),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
        }
    }

    /// Auth whose token endpoint is unreachable: any mint fails.
    fn auth(store: Arc<dyn TokenStore>) -> TokenAuth {
        auth_at(store, refundkit_core::system_clock())
    }

    fn auth_at(store: Arc<dyn TokenStore>, clock: Arc<dyn Clock>) -> TokenAuth {
        let transport = Transport::new(
            crate::PROVIDER,
            TransportConfig::default().with_retry(RetryPolicy::never()),
            UqPayErrorClassifier,
        )
        .unwrap();
        let url = Url::parse("http://127.0.0.1:9/api/v1/connect/token").unwrap();
        TokenAuth::new(
            transport,
            url,
            "client".into(),
            SecretString::from("key"),
            store,
            clock,
        )
    }

    fn unauthorized(message: &str) -> ProviderError {
        ProviderError::new(crate::PROVIDER, ErrorKind::Authentication, 401, message)
    }

    #[test]
    fn expired_token_messages_are_recognised_in_any_case() {
        for message in [
            "token has expired",
            "Login Expired, please sign in",
            "TOKEN EXPIRED",
            "jwt expired",
        ] {
            assert!(says_token_expired(&unauthorized(message)), "{message}");
        }
        for message in ["invalid auth token", "invalid api key", "IP not allowed"] {
            assert!(!says_token_expired(&unauthorized(message)), "{message}");
        }
        assert!(says_token_invalid(&unauthorized("Invalid auth token")));
        for message in [
            "invalid auth token format",
            "invalid api key",
            "token has expired",
        ] {
            assert!(!says_token_invalid(&unauthorized(message)), "{message}");
        }
    }

    #[tokio::test]
    async fn rejection_of_a_superseded_token_resends_without_minting() {
        let store = Arc::new(InMemoryTokenStore::new());
        let old = store.put(minted("old")).await;
        store.put(minted("new")).await;
        let auth = auth(store);
        let rejection = unauthorized("invalid auth token");
        assert!(
            auth.refresh_after_rejection(&rejection, old.generation())
                .await
        );
    }

    #[tokio::test]
    async fn other_rejection_of_the_current_token_is_final() {
        let store = Arc::new(InMemoryTokenStore::new());
        let current = store.put(minted("current")).await;
        let auth = auth(store.clone());
        let rejection = unauthorized("invalid auth token");
        assert!(
            !auth
                .refresh_after_rejection(&rejection, current.generation())
                .await
        );
        assert!(
            store.get().await.is_some(),
            "a non-expiry 401 keeps the token"
        );
    }

    #[tokio::test]
    async fn token_freshness_is_read_against_the_injected_clock() {
        let now = OffsetDateTime::now_utc();
        let clock = refundkit_core::ManualClock::new(now);
        let store = Arc::new(InMemoryTokenStore::new());
        store
            .put(MintedToken {
                value: SecretString::from("t"),
                expires_at: now + Duration::from_secs(1800),
            })
            .await;
        let auth = auth_at(store, Arc::new(clock.clone()));
        // Fresh by the clock: served from the store, no mint (the token
        // endpoint is unreachable, so a mint would fail).
        assert!(auth.usable_token().await.is_ok());
        // Thirty minutes later by the same clock, the token needs a refresh.
        clock.advance(Duration::from_secs(1800));
        assert!(auth.usable_token().await.is_err());
    }

    #[tokio::test]
    async fn a_fresh_token_in_memory_is_sent_without_waiting() {
        let now = OffsetDateTime::now_utc();
        let clock = refundkit_core::ManualClock::new(now);
        let store = Arc::new(InMemoryTokenStore::new());
        let auth = auth_at(store.clone(), Arc::new(clock.clone()));
        let mut headers = HeaderMap::new();
        // Nothing stored yet: the waiting path (which would mint) is asked for.
        assert!(auth.authorize_now(&mut headers).is_none());
        let token = store
            .put(MintedToken {
                value: SecretString::from("eyJ.fresh.token"),
                expires_at: now + Duration::from_secs(1800),
            })
            .await;
        let generation = auth.authorize_now(&mut headers).unwrap().unwrap();
        assert_eq!(generation, token.generation());
        assert_eq!(
            headers.get(AUTH_TOKEN).unwrap().to_str().unwrap(),
            "Bearer eyJ.fresh.token"
        );
        assert!(headers.get(AUTH_TOKEN).unwrap().is_sensitive());
        // Registered with the scrubber, as by `authorize`.
        assert!(auth.transport.secrets().found_in("echo eyJ.fresh.token"));
        // Near expiry: left to `authorize`, which refreshes.
        clock.advance(Duration::from_secs(1800));
        assert!(auth.authorize_now(&mut headers).is_none());
    }
}
