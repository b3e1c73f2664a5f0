//! What an adapter plugs into the transport: error classification and credentials.

use std::fmt;

use async_trait::async_trait;
use http::header::HeaderMap;
use secrecy::SecretString;

use super::request::ErrorResponse;
use super::Operation;
use crate::error::{ProviderError, RefundError};

/// Turns a provider's error answers into [`ProviderError`]s. Pure.
pub trait ErrorClassifier: Send + Sync + fmt::Debug {
    /// Classifies one error answer.
    fn classify(&self, operation: Operation, response: &ErrorResponse) -> ProviderError;
}

/// Which credentials an attempt carried, so a rejection can be matched to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialGeneration(pub u64);

/// Adds credentials to each attempt and reacts when they are refused.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Inserts the auth headers (sensitive) for the next attempt.
    async fn authorize(&self, headers: &mut HeaderMap)
        -> Result<CredentialGeneration, RefundError>;

    /// Called once per call when an attempt made with `generation` got an
    /// `Authentication` error. Return true when fresh credentials are ready
    /// and the request should be sent again.
    async fn refresh_after_rejection(
        &self,
        error: &ProviderError,
        generation: CredentialGeneration,
    ) -> bool;

    /// Secrets that never travel in a header but might be echoed back (a raw
    /// API key inside a Basic header): scrubbed from every message too.
    fn scrub_values(&self) -> Vec<SecretString> {
        Vec::new()
    }
}
