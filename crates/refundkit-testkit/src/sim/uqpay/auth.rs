//! UQPay access tokens: minting (`POST /api/v1/connect/token`), one live
//! token per client id, expiry, and the header checks of every other call.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::errors;
use crate::sim::server::{Reply, SimRequest};
use crate::sim::{SimCore, SimCredentials};
use crate::util::lock;

#[derive(Debug)]
struct TokenRecord {
    client_id: String,
    expires_at: Instant,
    superseded: bool,
}

/// What a presented token is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid { client_id: String },
    Expired,
    Invalid,
}

/// What a token superseded by a newer mint gets: UQPay documents that it is
/// invalid at once, not the wording of the 401 (both are seen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupersededAnswer {
    /// `401 {"code":"unauthorized","message":"invalid auth token"}` (default).
    #[default]
    InvalidAuthToken,
    /// `401 {"code":"token_expired","message":"token has expired"}`.
    TokenHasExpired,
}

/// Every token minted, and the live one per client id.
#[derive(Debug)]
pub(crate) struct TokenStore {
    ttl: Duration,
    signing_key: [u8; 16],
    tokens: HashMap<String, TokenRecord>,
    current: HashMap<String, String>,
    superseded_answer: SupersededAnswer,
    minted: u64,
    rejected: u64,
}

impl TokenStore {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            signing_key: *uuid::Uuid::new_v4().as_bytes(),
            tokens: HashMap::new(),
            current: HashMap::new(),
            superseded_answer: SupersededAnswer::default(),
            minted: 0,
            rejected: 0,
        }
    }

    pub fn set_superseded_answer(&mut self, answer: SupersededAnswer) {
        self.superseded_answer = answer;
    }

    /// Tokens minted so far.
    pub fn minted(&self) -> u64 {
        self.minted
    }

    /// Calls refused with a 401 for their token so far.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    fn count_rejection(&mut self) {
        self.rejected = self.rejected.saturating_add(1);
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }

    /// Mints a token for `client_id`, invalidating its previous one at once.
    /// Returns the token and `expired_at` in Unix seconds.
    pub fn mint(&mut self, client_id: &str) -> (String, u64) {
        let expires_wall = SystemTime::now() + self.ttl;
        let expired_at = expires_wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let token = self.jwt(client_id, expired_at);
        self.minted = self.minted.saturating_add(1);
        if let Some(previous) = self.current.insert(client_id.to_string(), token.clone()) {
            if let Some(record) = self.tokens.get_mut(&previous) {
                record.superseded = true;
            }
        }
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                client_id: client_id.to_string(),
                expires_at: Instant::now() + self.ttl,
                superseded: false,
            },
        );
        (token, expired_at)
    }

    pub fn check(&self, token: &str) -> TokenCheck {
        match self.tokens.get(token) {
            None => TokenCheck::Invalid,
            Some(record) if record.superseded => match self.superseded_answer {
                SupersededAnswer::InvalidAuthToken => TokenCheck::Invalid,
                SupersededAnswer::TokenHasExpired => TokenCheck::Expired,
            },
            Some(record) if Instant::now() >= record.expires_at => TokenCheck::Expired,
            Some(record) => TokenCheck::Valid {
                client_id: record.client_id.clone(),
            },
        }
    }

    /// Makes every live token expired from now on.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for record in self.tokens.values_mut() {
            record.expires_at = record.expires_at.min(now);
        }
    }

    /// A JWT-shaped token: three base64url parts, HS256-signed claims.
    fn jwt(&self, client_id: &str, expired_at: u64) -> String {
        let header = json!({"alg": "HS256", "typ": "JWT"});
        let issued_at = expired_at.saturating_sub(self.ttl.as_secs());
        let claims = json!({
            "client_id": client_id,
            "bus_type": "acquiring",
            "api_version": "v1.6",
            "iat": issued_at,
            "exp": expired_at,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match Hmac::<Sha256>::new_from_slice(&self.signing_key) {
            Ok(mut mac) => {
                mac.update(signing_input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        };
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// `POST /api/v1/connect/token`.
pub(crate) fn mint_token(core: &SimCore, request: &SimRequest) -> Reply {
    let SimCredentials::UqPay { client_id, api_key } = &core.credentials else {
        return errors::invalid_client_id();
    };
    if request.header("x-client-id") != Some(client_id.as_str()) {
        return errors::invalid_client_id();
    }
    if request.header("x-api-key") != Some(api_key.as_str()) {
        return errors::invalid_api_key();
    }
    let (token, expired_at) = lock(&core.tokens).mint(client_id);
    Reply::json(200, &json!({"auth_token": token, "expired_at": expired_at}))
}

/// Checks `x-auth-token` (`Bearer` + a live token) and `x-client-id`.
pub(crate) fn authorize(core: &SimCore, request: &SimRequest) -> Result<(), Reply> {
    let token = request
        .header("x-auth-token")
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(errors::token_format)?;
    let mut tokens = lock(&core.tokens);
    let check = tokens.check(token);
    if !matches!(check, TokenCheck::Valid { .. }) {
        tokens.count_rejection();
    }
    drop(tokens);
    match check {
        TokenCheck::Invalid => Err(errors::token_invalid()),
        TokenCheck::Expired => Err(errors::token_expired()),
        TokenCheck::Valid { client_id } => {
            if request.header("x-client-id") == Some(client_id.as_str()) {
                Ok(())
            } else {
                Err(errors::client_mismatch())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minting_invalidates_the_previous_token_of_the_client() {
        let mut store = TokenStore::new(Duration::from_secs(1800));
        let (first, expired_at) = store.mint("c1");
        assert_eq!(first.split('.').count(), 3);
        assert!(expired_at > 1_700_000_000);
        let (second, _) = store.mint("c1");
        assert_eq!(store.check(&first), TokenCheck::Invalid);
        assert_eq!(
            store.check(&second),
            TokenCheck::Valid {
                client_id: "c1".into()
            }
        );
        store.expire_all();
        assert_eq!(store.check(&second), TokenCheck::Expired);
        assert_eq!(store.check("nonsense"), TokenCheck::Invalid);
        assert_eq!(store.minted(), 2);
    }

    #[test]
    fn a_superseded_token_can_be_answered_as_expired() {
        let mut store = TokenStore::new(Duration::from_secs(1800));
        store.set_superseded_answer(SupersededAnswer::TokenHasExpired);
        let (first, _) = store.mint("c1");
        store.mint("c1");
        assert_eq!(store.check(&first), TokenCheck::Expired);
        assert_eq!(store.check("nonsense"), TokenCheck::Invalid);
    }
}
