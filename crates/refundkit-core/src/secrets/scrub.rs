//! [`Scrub`]: every type whose text leaves the library, masked field by
//! field with a client's [`Secrets`].

use crate::error::{ProviderError, RefundError};
use crate::money::Money;
use crate::query::RefundPage;
use crate::raw::RawJson;
use crate::refund::Refund;
use crate::request::RefundReason;
use crate::status::{FailureReason, RefundStatus};
use crate::validation::ValidationError;
use crate::webhook::WebhookError;

use super::Secrets;

/// A value whose text can be scrubbed of secrets before it leaves the library.
pub trait Scrub {
    /// Masks every secret of `secrets` in this value's text.
    fn scrub(&mut self, secrets: &Secrets);
}

impl Scrub for String {
    fn scrub(&mut self, secrets: &Secrets) {
        secrets.scrub_in_place(self);
    }
}

impl<T: Scrub> Scrub for Option<T> {
    fn scrub(&mut self, secrets: &Secrets) {
        if let Some(value) = self {
            value.scrub(secrets);
        }
    }
}

impl<T: Scrub> Scrub for Vec<T> {
    fn scrub(&mut self, secrets: &Secrets) {
        self.iter_mut().for_each(|value| value.scrub(secrets));
    }
}

impl<T: Scrub> Scrub for Box<T> {
    fn scrub(&mut self, secrets: &Secrets) {
        (**self).scrub(secrets);
    }
}

impl<T: Scrub, E: Scrub> Scrub for Result<T, E> {
    fn scrub(&mut self, secrets: &Secrets) {
        match self {
            Ok(value) => value.scrub(secrets),
            Err(error) => error.scrub(secrets),
        }
    }
}

impl Scrub for serde_json::Value {
    fn scrub(&mut self, secrets: &Secrets) {
        match self {
            serde_json::Value::String(text) => text.scrub(secrets),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| v.scrub(secrets)),
            serde_json::Value::Object(map) => {
                let keys_with_secrets: Vec<String> = map
                    .keys()
                    .filter(|key| secrets.found_in(key))
                    .cloned()
                    .collect();
                for key in keys_with_secrets {
                    if let Some(value) = map.remove(&key) {
                        map.insert(secrets.scrub(&key), value);
                    }
                }
                map.values_mut().for_each(|v| v.scrub(secrets));
            }
            serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            }
        }
    }
}

impl Scrub for Refund {
    fn scrub(&mut self, secrets: &Secrets) {
        self.id.scrub(secrets);
        self.payment_id.scrub(secrets);
        self.description.scrub(secrets);
        if let RefundStatus::Unknown(raw) = &mut self.status {
            raw.scrub(secrets);
        }
        if let Some(RefundReason::Other(raw)) = &mut self.reason {
            raw.scrub(secrets);
        }
        if let Some(FailureReason::Other(raw)) = &mut self.failure {
            raw.scrub(secrets);
        }
        if self.metadata.keys().any(|key| secrets.found_in(key)) {
            let metadata = std::mem::take(&mut self.metadata);
            self.metadata = metadata
                .into_iter()
                .map(|(key, value)| (secrets.scrub(&key), value))
                .collect();
        }
        self.metadata
            .values_mut()
            .for_each(|value| value.scrub(secrets));
        self.raw.scrub(secrets);
    }
}

/// Raw JSON text (`Refund::raw`), scrubbed as its parsed form would be: every
/// string and key. Without a backslash in the text every string reads as
/// written, so text holding no secret needs nothing; with an escape (`\u0073`
/// for `s`, `\/` for `/`) a secret may hide behind it, and then each string
/// is read with its escapes and only those holding a secret are written
/// again. Everything else — numbers, key order, whitespace, the other
/// strings' escapes — stays as received.
impl Scrub for RawJson {
    fn scrub(&mut self, secrets: &Secrets) {
        if !secrets.may_be_in_json(self.as_bytes()) {
            return;
        }
        // Text that is not the JSON it was checked to be (it always is) is
        // dropped rather than passed on unscrubbed.
        *self = scrub_json_strings(self.get(), secrets)
            .and_then(|text| RawJson::parse(text).ok())
            .unwrap_or_default();
    }
}

/// `json` with every string token (key or value) that holds a secret, as
/// written or behind an escape, replaced by its scrubbed text; `None` when
/// a string is not terminated or not valid JSON text.
fn scrub_json_strings(json: &str, secrets: &Secrets) -> Option<String> {
    let mut scrubbed = String::with_capacity(json.len());
    let mut rest = json;
    // In JSON a quote outside a string opens one, and inside one it is
    // escaped: every unescaped quote found from outside starts a token.
    while let Some(open) = rest.find('"') {
        let (before, from_quote) = rest.split_at_checked(open)?;
        scrubbed.push_str(before);
        let (token, after) = from_quote.split_at_checked(string_token_len(from_quote)?)?;
        let text: String = serde_json::from_str(token).ok()?;
        if secrets.found_in(&text) {
            scrubbed.push_str(&serde_json::to_string(&secrets.scrub(&text)).ok()?);
        } else {
            scrubbed.push_str(token);
        }
        rest = after;
    }
    scrubbed.push_str(rest);
    Some(scrubbed)
}

/// The length in bytes of the JSON string token `text` starts with, both
/// quotes included.
fn string_token_len(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate().skip(1) {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return at.checked_add(1),
            _ => {}
        }
    }
    None
}

/// Values with no text to mask.
macro_rules! nothing_to_scrub {
    ($($type:ty),*) => {$(
        impl Scrub for $type {
            fn scrub(&mut self, _secrets: &Secrets) {}
        }
    )*};
}

nothing_to_scrub!((), bool, u64, time::OffsetDateTime);

impl<A: Scrub, B: Scrub> Scrub for (A, B) {
    fn scrub(&mut self, secrets: &Secrets) {
        self.0.scrub(secrets);
        self.1.scrub(secrets);
    }
}

impl Scrub for Money {
    /// Digits and a validated currency code: nothing that could be a secret.
    fn scrub(&mut self, _secrets: &Secrets) {}
}

impl Scrub for RefundPage {
    fn scrub(&mut self, secrets: &Secrets) {
        self.refunds.scrub(secrets);
    }
}

impl Scrub for ProviderError {
    fn scrub(&mut self, secrets: &Secrets) {
        self.message.scrub(secrets);
        self.provider_code.scrub(secrets);
        self.request_id.scrub(secrets);
    }
}

impl Scrub for ValidationError {
    fn scrub(&mut self, secrets: &Secrets) {
        self.scrub_message(secrets);
    }
}

impl Scrub for WebhookError {
    fn scrub(&mut self, secrets: &Secrets) {
        if let WebhookError::MalformedHeader { reason, .. } = self {
            reason.scrub(secrets);
        }
    }
}

impl Scrub for RefundError {
    fn scrub(&mut self, secrets: &Secrets) {
        match self {
            RefundError::Invalid(error) => error.scrub(secrets),
            RefundError::Provider(error) => error.scrub(secrets),
            RefundError::OutcomeUnknown { source, .. } => source.scrub(secrets),
            RefundError::IntegrityMismatch {
                refund,
                expected,
                actual,
                ..
            } => {
                refund.scrub(secrets);
                expected.scrub(secrets);
                actual.scrub(secrets);
            }
            RefundError::Transport { message, .. } | RefundError::Decode { message, .. } => {
                message.scrub(secrets)
            }
            RefundError::Config(message) => message.scrub(secrets),
            RefundError::Webhook(error) => error.scrub(secrets),
            RefundError::StillPending { refund, .. } => refund.scrub(secrets),
            RefundError::NothingLeftToRefund { payment_id, .. } => payment_id.scrub(secrets),
            RefundError::PaymentNotRefundable {
                payment_id, reason, ..
            } => {
                payment_id.scrub(secrets);
                reason.scrub(secrets);
            }
            RefundError::Timeout { .. } | RefundError::Unsupported { .. } => {}
        }
    }
}
