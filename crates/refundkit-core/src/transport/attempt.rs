//! One attempt: send, read the answer within the size cap, and judge how
//! it ended ([`super::outcome`]), traced as one span.

use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use super::*;

impl Transport {
    /// The attempt inside its span. Not an `async fn`: the future returned is
    /// the attempt's own, not one holding the request beside it.
    pub(super) fn traced_attempt<'a>(
        &'a self,
        request: &'a ApiRequest,
        outgoing: reqwest::Request,
        attempt: u32,
    ) -> tracing::instrument::Instrumented<impl std::future::Future<Output = Attempt> + 'a> {
        let span = tracing::info_span!(
            "refundkit.http",
            provider = %self.inner.provider,
            operation = request.operation.as_str(),
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.attempt(request, outgoing).instrument(span)
    }

    pub(super) async fn attempt(
        &self,
        request: &ApiRequest,
        outgoing: reqwest::Request,
    ) -> Attempt {
        let started = Instant::now();
        let span = tracing::Span::current();
        // Read only when someone records it (a clock read costs).
        let record_latency = |span: &tracing::Span| {
            if !span.is_disabled() {
                let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                span.record("latency_ms", ms);
            }
        };
        // In a block of its own: the response is moved into the body's read,
        // not also kept beside it in this future's state.
        let (status, headers, reading) = {
            let mut response = match self.inner.client.execute(outgoing).await {
                Ok(response) => response,
                Err(error) => {
                    record_latency(&span);
                    let (error, end) = self.transport_failure(&error);
                    tracing::info!(error = %error.code(), "attempt failed before a response");
                    return Attempt::Failed { error, end };
                }
            };
            let status = response.status().as_u16();
            span.record("status", status);
            let headers = std::mem::take(response.headers_mut());
            (status, headers, self.read_capped(response))
        };
        let body = reading.await;
        record_latency(&span);
        tracing::info!("attempt finished");
        // The provider answered; a broken or oversized body is still an answer
        // we could not read, so whatever the status, it may have acted.
        let body = match body {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                let cap = self.inner.config.max_response_bytes;
                return Attempt::unanswered(RefundError::decode(
                    self.inner.provider,
                    format!("HTTP {status} answer with a body over the {cap}-byte cap"),
                ));
            }
            Err(BodyError::Read(error)) => {
                return Attempt::unanswered(self.transport_failure(&error).0);
            }
        };
        if (200..300).contains(&status) {
            return Attempt::Success(ApiResponse {
                status,
                headers,
                body,
                decoded: false,
            });
        }
        self.error_answer(request, status, headers, body)
    }

    /// A non-2xx answer, classified by the adapter and judged by core.
    pub(super) fn error_answer(
        &self,
        request: &ApiRequest,
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    ) -> Attempt {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let response = ErrorResponse {
            status,
            headers,
            body,
            retry_after,
        };
        let classifier = &self.inner.classifier;
        let mut error =
            self.scrub_error(request, classifier.classify(request.operation, &response));
        // Cut only after scrubbing: a cut through a secret would leave its prefix.
        shorten_message(&mut error.message);
        error.retry_after = error.retry_after.or(retry_after);
        let end = judge_error_answer(status, error.kind, classifier.is_documented(&response));
        Attempt::Failed {
            error: RefundError::Provider(error),
            end,
        }
    }

    /// Maps a reqwest failure: connect errors certainly did not deliver the request.
    pub(super) fn transport_failure(&self, error: &reqwest::Error) -> (RefundError, AttemptEnd) {
        let provider = self.inner.provider;
        if error.is_connect() {
            let failure = RefundError::Transport {
                provider,
                message: error_chain(error),
                maybe_delivered: false,
            };
            return (failure, AttemptEnd::NOT_SENT);
        }
        if error.is_timeout() {
            let failure = RefundError::Timeout {
                provider,
                after: self.inner.config.timeout,
            };
            return (failure, AttemptEnd::UNANSWERED);
        }
        let failure = RefundError::Transport {
            provider,
            message: error_chain(error),
            maybe_delivered: true,
        };
        (failure, AttemptEnd::UNANSWERED)
    }

    pub(super) async fn read_capped(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Bytes, BodyError> {
        let cap = self.inner.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(BodyError::TooLarge);
        }
        // Small answers come in one chunk: kept as it is, not copied.
        let Some(first) = response.chunk().await.map_err(BodyError::Read)? else {
            return Ok(Bytes::new());
        };
        if first.len() > cap {
            return Err(BodyError::TooLarge);
        }
        let Some(second) = response.chunk().await.map_err(BodyError::Read)? else {
            return Ok(first);
        };
        let mut body = BytesMut::from(first);
        let mut next = Some(second);
        while let Some(chunk) = next {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
            next = response.chunk().await.map_err(BodyError::Read)?;
        }
        Ok(body.freeze())
    }
}

/// What one attempt sends: a table of the request's headers (values shared
/// handles, not bytes) with room for the auth header and reqwest's
/// `user-agent`. Not more: reqwest sends a copy of this table, sized to its
/// length, which hyper grows for `host` whatever room this one had.
pub(super) fn outgoing(request: &ApiRequest) -> reqwest::Request {
    let mut outgoing = reqwest::Request::new(request.method.clone(), request.url.clone());
    let headers = outgoing.headers_mut();
    headers.reserve(super::request::SMALL_HEADER_TABLE);
    for (name, value) in &request.headers {
        headers.append(name.clone(), value.clone());
    }
    if let Some(body) = &request.body {
        *outgoing.body_mut() = Some(reqwest::Body::from(body.clone()));
    }
    outgoing
}

pub(super) enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}
