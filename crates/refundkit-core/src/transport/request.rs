//! One request as the retry loop sends it, and the answers it hands back.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::RefundError;
use crate::idempotency::IdempotencyKey;
use crate::ids::ProviderId;
use crate::raw::RawJson;

/// What a call does; decides tracing names and the outcome-unknown rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Creates a refund: money moves, so a lost answer is `OutcomeUnknown`.
    CreateRefund,
    /// Reads one refund.
    GetRefund,
    /// Lists refunds.
    ListRefunds,
    /// Any other call that moves no money (a payment read, a token fetch),
    /// named for spans in snake_case by the adapter.
    Other(&'static str),
}

impl Operation {
    /// The snake_case name used in spans.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreateRefund => "create_refund",
            Operation::GetRefund => "get_refund",
            Operation::ListRefunds => "list_refunds",
            Operation::Other(name) => name,
        }
    }
}

/// One request, described once and sent as often as the retry loop decides.
#[derive(Clone)]
pub struct ApiRequest {
    pub(super) operation: Operation,
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<Bytes>,
    pub(super) idempotency_key: Option<IdempotencyKey>,
}

/// Headers a request's table, and each attempt's, hold without growing:
/// six, the most a table of the allocator's small sizes has (a seventh
/// doubles it past 1 KiB, off glibc's fast path).
pub(super) const SMALL_HEADER_TABLE: usize = 6;

impl ApiRequest {
    /// A GET of `url`.
    pub fn get(operation: Operation, url: Url) -> Self {
        Self::new(operation, Method::GET, url)
    }

    /// A POST of `url` with `body` as JSON.
    pub fn post_json(
        operation: Operation,
        url: Url,
        body: &impl serde::Serialize,
    ) -> Result<Self, RefundError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| RefundError::Config(format!("request body is not serializable: {e}")))?;
        let mut request = Self::new(operation, Method::POST, url);
        request
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request.body = Some(Bytes::from(json));
        Ok(request)
    }

    /// A POST of `url` without a body.
    pub fn post_empty(operation: Operation, url: Url) -> Self {
        Self::new(operation, Method::POST, url)
    }

    fn new(operation: Operation, method: Method, url: Url) -> Self {
        // Room for accept, content type, idempotency key and an adapter's
        // own headers (each attempt sends a copy, see `attempt::outgoing`).
        let mut headers = HeaderMap::with_capacity(SMALL_HEADER_TABLE);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Self {
            operation,
            method,
            url,
            headers,
            body: None,
            idempotency_key: None,
        }
    }

    /// Adds a plain header. Values that are not valid header text are refused.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, RefundError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            RefundError::Config(format!("value of header {name} is not valid header text"))
        })?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Adds a header whose value the adapter prepared once (a client id): the
    /// value is shared, not copied, by every request and attempt.
    pub fn prepared_header(mut self, name: &'static str, value: &HeaderValue) -> Self {
        self.headers
            .insert(HeaderName::from_static(name), value.clone());
        self
    }

    /// Adds a secret header: marked sensitive, scrubbed from error messages.
    pub fn secret_header(
        mut self,
        name: &'static str,
        value: &SecretString,
    ) -> Result<Self, RefundError> {
        insert_secret(&mut self.headers, name, value)?;
        Ok(self)
    }

    /// Sends `key` in header `name` on every attempt, and names it in
    /// `OutcomeUnknown` if the outcome is lost.
    pub fn idempotency_key(mut self, name: &'static str, key: &IdempotencyKey) -> Self {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        key.as_uuid().hyphenated().encode_lower(&mut text);
        // Shared from the start: every attempt's copy is a handle, not bytes.
        if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from_owner(text)) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
        self.idempotency_key = Some(*key);
        self
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// True for a create carrying an idempotency key: the calls whose lost
    /// outcome is `OutcomeUnknown`.
    pub fn creates(&self) -> bool {
        self.operation == Operation::CreateRefund && self.idempotency_key.is_some()
    }

    /// The headers sent on every attempt (secret ones are marked sensitive).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

/// Inserts a sensitive header whose value comes from a secret.
pub fn insert_secret(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &SecretString,
) -> Result<(), RefundError> {
    let mut value = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
        RefundError::Config(format!("value of header {name} is not valid header text"))
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most the configured cap.
    pub body: Bytes,
    /// Whether the whole body has decoded as JSON ([`super::Transport::call`]).
    pub(super) decoded: bool,
}

impl ApiResponse {
    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self, provider: ProviderId) -> Result<T, RefundError> {
        super::decode_json(provider, &self.body)
    }

    /// The body as raw JSON text, for audit (`Refund::raw`): copied once, not
    /// parsed into a tree. In [`super::Transport::call`]'s
    /// `map` the body has already decoded as JSON, so only its UTF-8 is
    /// checked; anywhere else it is checked as JSON too. JSON `null` when the
    /// body is not JSON.
    pub fn raw_json(&self) -> RawJson {
        let is_json =
            self.decoded || serde_json::from_slice::<serde::de::IgnoredAny>(&self.body).is_ok();
        is_json
            .then(|| RawJson::from_decoded_body(&self.body))
            .flatten()
            .unwrap_or_default()
    }
}

/// An error answer (non-2xx), handed to the adapter's classifier.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body (may be empty, HTML, or anything).
    pub body: Bytes,
    /// `Retry-After`, parsed.
    pub retry_after: Option<Duration>,
}
