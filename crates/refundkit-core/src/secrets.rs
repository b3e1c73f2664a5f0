//! One scrubber for every text that leaves the library: the secrets a client
//! was configured with or obtained (API keys, their encodings, access tokens,
//! webhook secrets, URL passwords) are masked wherever a provider echoes them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, RwLock};

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{ProviderError, RefundError};
use crate::money::Money;
use crate::query::RefundPage;
use crate::refund::Refund;
use crate::request::RefundReason;
use crate::status::{FailureReason, RefundStatus};
use crate::validation::ValidationError;
use crate::webhook::WebhookError;

/// What a masked secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not scrubbed: masking every "ab" in a
/// message would garble it and protect nothing.
const MIN_SECRET_LEN: usize = 4;

/// How many rotating secrets (access tokens) are remembered: the current one
/// and the few before it, which a provider may still echo.
const ROTATING_KEPT: usize = 8;

/// The secrets of one client, shared by its clones. Cheap to clone.
///
/// ```
/// use refundkit_core::{Secrets, SecretString};
///
/// let secrets = Secrets::new();
/// secrets.add(&SecretString::from("sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
/// assert_eq!(
///     secrets.scrub("bad key sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
///     "bad key [REDACTED]"
/// );
/// assert!(!format!("{secrets:?}").contains("sk_test"));
/// ```
#[derive(Clone, Default)]
pub struct Secrets {
    inner: Arc<RwLock<SecretList>>,
}

#[derive(Default)]
struct SecretList {
    fixed: Vec<Zeroizing<String>>,
    rotating: VecDeque<Zeroizing<String>>,
}

impl SecretList {
    fn all(&self) -> impl Iterator<Item = &str> {
        self.fixed
            .iter()
            .chain(self.rotating.iter())
            .map(|secret| secret.as_str())
    }
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a secret for the life of the client (an API key, its Basic
    /// encoding, a webhook secret).
    pub fn add(&self, secret: &SecretString) {
        self.add_text(secret.expose_secret());
    }

    /// [`Secrets::add`] for text that is secret but not held as a
    /// `SecretString` (the password part of a URL).
    pub fn add_text(&self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut list = self.write();
        if !list.all().any(|known| known == secret) {
            list.fixed.push(Zeroizing::new(secret.to_string()));
        }
    }

    /// Remembers a secret that is replaced over time (an access token); the
    /// newest few are kept.
    pub fn add_rotating(&self, secret: &SecretString) {
        let secret = secret.expose_secret().trim();
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut list = self.write();
        if list.all().any(|known| known == secret) {
            return;
        }
        if list.rotating.len() >= ROTATING_KEPT {
            list.rotating.pop_front();
        }
        list.rotating.push_back(Zeroizing::new(secret.to_string()));
    }

    /// How many secrets are known.
    pub fn len(&self) -> usize {
        let list = self.read();
        list.fixed.len() + list.rotating.len()
    }

    /// True when no secret is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `text` contains a known secret.
    pub fn found_in(&self, text: &str) -> bool {
        self.read().all().any(|secret| text.contains(secret))
    }

    /// `text` with every known secret replaced by `[REDACTED]`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        self.scrub_in_place(&mut text);
        text
    }

    /// Replaces every known secret in `text` by `[REDACTED]`, longest first so
    /// that a secret containing another is masked whole.
    pub fn scrub_in_place(&self, text: &mut String) {
        let list = self.read();
        let mut found: Vec<&str> = list.all().filter(|s| text.contains(s)).collect();
        if found.is_empty() {
            return;
        }
        found.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        for secret in found {
            if text.contains(secret) {
                *text = text.replace(secret, REDACTED);
            }
        }
    }

    /// `value` with every known secret masked in it.
    pub fn scrubbed<T: Scrub>(&self, mut value: T) -> T {
        if !self.is_empty() {
            value.scrub(self);
        }
        value
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, SecretList> {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, SecretList> {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("count", &self.len())
            .finish_non_exhaustive()
    }
}

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
/// for `s`, `\/` for `/`) a secret may hide behind it, and with a secret in
/// it the text is parsed, scrubbed and written again (the rare path).
impl Scrub for Box<serde_json::value::RawValue> {
    fn scrub(&mut self, secrets: &Secrets) {
        let text = self.get();
        if !text.contains('\\') && !secrets.found_in(text) {
            return;
        }
        // A value that does not parse again (it always should) is dropped
        // rather than passed on unscrubbed.
        let scrubbed = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .map(|value| secrets.scrubbed(value))
            .and_then(|value| serde_json::value::to_raw_value(&value).ok());
        *self = scrubbed.unwrap_or_default();
    }
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

/// `url` with any user name and password replaced by `[REDACTED]`, for
/// `Debug` output and messages. Text that is not a URL is masked whole when
/// it contains an `@` (it may be a URL with credentials that failed to parse).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            let text = parsed.to_string();
            match text.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{REDACTED}@{rest}"),
                None => REDACTED.to_string(),
            }
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) if url.contains('@') => REDACTED.to_string(),
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn secrets() -> Secrets {
        let secrets = Secrets::new();
        secrets.add(&SecretString::from("api-key-123456"));
        secrets.add_rotating(&SecretString::from("eyJ.token.one"));
        secrets
    }

    #[test]
    fn every_text_field_of_a_provider_error_is_scrubbed() {
        let mut error = ProviderError::new(
            crate::ids::SAMPLE_PROVIDER,
            ErrorKind::Authentication,
            401,
            "key api-key-123456 is wrong",
        )
        .with_code("eyJ.token.one");
        error.request_id = Some("req-api-key-123456".into());
        let error = secrets().scrubbed(RefundError::Provider(error));
        let text = format!("{error} {error:?}");
        assert!(!text.contains("api-key-123456"), "{text}");
        assert!(!text.contains("eyJ.token.one"), "{text}");
    }

    #[test]
    fn rotating_secrets_keep_only_the_newest_few() {
        let secrets = Secrets::new();
        for n in 0..(ROTATING_KEPT + 2) {
            secrets.add_rotating(&SecretString::from(format!("token-{n:04}")));
        }
        assert_eq!(secrets.len(), ROTATING_KEPT);
        assert_eq!(secrets.scrub("token-0000"), "token-0000");
        assert_eq!(secrets.scrub("token-0009"), REDACTED);
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        let secrets = Secrets::new();
        secrets.add(&SecretString::from("abcd"));
        secrets.add(&SecretString::from("xxabcdxx"));
        assert_eq!(
            secrets.scrub("1 xxabcdxx 2 abcd"),
            "1 [REDACTED] 2 [REDACTED]"
        );
    }

    #[test]
    fn json_keys_and_values_are_scrubbed() {
        let mut raw = serde_json::json!({"api-key-123456": {"echo": ["eyJ.token.one", 3]}});
        raw.scrub(&secrets());
        let text = raw.to_string();
        assert!(!text.contains("api-key") && !text.contains("eyJ"), "{text}");
    }

    fn raw(text: &str) -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn raw_json_without_a_secret_is_kept_as_received() {
        let text = r#"{"z": "last key first", "a": [1, 2.50, "eyJ.token"]}"#;
        let scrubbed = secrets().scrubbed(raw(text));
        assert_eq!(scrubbed.get(), text);
    }

    #[test]
    fn raw_json_keys_and_values_are_scrubbed() {
        let text = r#"{"api-key-123456": {"echo": ["eyJ.token.one", 3]}, "n": 1}"#;
        let scrubbed = secrets().scrubbed(raw(text));
        let value: serde_json::Value = serde_json::from_str(scrubbed.get()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"[REDACTED]": {"echo": ["[REDACTED]", 3]}, "n": 1})
        );
    }

    #[test]
    fn a_secret_written_with_json_escapes_is_scrubbed_from_raw_json() {
        // Both secrets written with `\u` escapes (as text they are not
        // there), and an escaped `/`, harmless, in another string.
        let text = r#"{"echo": "\u0061pi-key-\u0031\u00323456", "t": "eyJ\u002etoken.one",
                       "url": "https:\/\/example.com\/", "\u0061pi-key-123456": 1}"#;
        let scrubbed = secrets().scrubbed(raw(text));
        let value: serde_json::Value = serde_json::from_str(scrubbed.get()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "echo": "[REDACTED]",
                "t": "[REDACTED]",
                "url": "https://example.com/",
                "[REDACTED]": 1
            })
        );
        assert!(!scrubbed.get().contains("api-key") && !scrubbed.get().contains("eyJ"));
    }

    #[test]
    fn a_secret_outside_any_string_leaves_the_raw_json_valid() {
        let secrets = Secrets::new();
        secrets.add(&SecretString::from("1234"));
        let scrubbed = secrets.scrubbed(raw(r#"{"amount": 12345, "note": "x1234"}"#));
        let value: serde_json::Value = serde_json::from_str(scrubbed.get()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"amount": 12345, "note": "x[REDACTED]"})
        );
    }

    #[test]
    fn url_credentials_are_redacted() {
        assert_eq!(
            redact_url("https://sk_test_abc:@api.example.com/v1"),
            "https://[REDACTED]@api.example.com/v1"
        );
        assert_eq!(
            redact_url("redis://:hunter22@127.0.0.1:6379/0"),
            "redis://[REDACTED]@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact_url("https://api.example.com/"),
            "https://api.example.com/"
        );
        assert_eq!(redact_url("not a url with pass@word"), REDACTED);
    }
}
