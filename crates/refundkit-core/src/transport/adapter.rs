//! What an adapter plugs into the transport: error classification and credentials.

use std::fmt;

use async_trait::async_trait;
use http::header::HeaderMap;

use super::request::ErrorResponse;
use super::Operation;
use crate::error::{ProviderError, RefundError};

/// Turns a provider's error answers into [`ProviderError`]s. Pure.
pub trait ErrorClassifier: Send + Sync + fmt::Debug {
    /// Classifies one error answer.
    fn classify(&self, operation: Operation, response: &ErrorResponse) -> ProviderError;

    /// Whether the body is an error object in the provider's documented
    /// shape. Only such a 4xx counts as the provider refusing a create; any
    /// other answer to a create (HTML from a proxy, an empty body) may follow
    /// a refund that happened, so it ends `OutcomeUnknown`. The default,
    /// `false`, is the safe answer.
    fn is_documented(&self, response: &ErrorResponse) -> bool {
        let _ = response;
        false
    }
}

/// Which credentials an attempt carried, so a rejection can be matched to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialGeneration(pub u64);

/// Adds credentials to each attempt and reacts when they are refused.
///
/// Register every credential it sends (and every token it obtains) with
/// [`super::Transport::secrets`], so that an echo of it is masked in every
/// message.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Inserts the auth headers (sensitive) for the next attempt.
    async fn authorize(&self, headers: &mut HeaderMap)
        -> Result<CredentialGeneration, RefundError>;

    /// [`Authenticator::authorize`] when it needs no waiting (a static key,
    /// a token in hand that is still fresh): `None` sends the transport to
    /// `authorize`. The transport asks this first, so that the common case
    /// builds no future. The default is `None`.
    fn authorize_now(
        &self,
        headers: &mut HeaderMap,
    ) -> Option<Result<CredentialGeneration, RefundError>> {
        let _ = headers;
        None
    }

    /// Called once per call when an attempt made with `generation` got an
    /// `Authentication` error. Return true when fresh credentials are ready
    /// and the request should be sent again.
    async fn refresh_after_rejection(
        &self,
        error: &ProviderError,
        generation: CredentialGeneration,
    ) -> bool;
}
