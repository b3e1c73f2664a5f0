//! One scrubber for every text that leaves the library: the secrets a client
//! was configured with or obtained (API keys, their encodings, access tokens,
//! webhook secrets, URL passwords) are masked wherever a provider echoes them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, RwLock};

use memchr::memmem::Finder;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

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
    /// A prepared substring search per secret, longest secret first (the
    /// order masking needs), remade whenever the list changes: a search
    /// prepared once is a few instructions per text, one prepared per text
    /// costs more than the text. Each searcher holds its own copy of the
    /// secret, which, unlike the `Zeroizing` texts above, is not wiped when
    /// dropped; like the prepared auth headers, it lives as long as the client.
    finders: Vec<Finder<'static>>,
    /// The shortest secret's length: shorter text holds none.
    shortest: usize,
}

impl SecretList {
    fn all(&self) -> impl Iterator<Item = &str> {
        self.fixed
            .iter()
            .chain(self.rotating.iter())
            .map(|secret| secret.as_str())
    }

    /// Remakes the prepared searches after a change.
    fn prepare(&mut self) {
        let mut secrets: Vec<&str> = self.all().collect();
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        let shortest = secrets.last().map_or(usize::MAX, |secret| secret.len());
        let finders = secrets
            .into_iter()
            .map(|secret| Finder::new(secret).into_owned())
            .collect();
        self.finders = finders;
        self.shortest = shortest;
    }

    /// The prepared searches of the secrets in `text`, longest first.
    fn found_in<'a, 't>(
        &'a self,
        text: &'t [u8],
    ) -> impl Iterator<Item = &'a Finder<'static>> + use<'a, 't> {
        let long_enough = text.len() >= self.shortest;
        self.finders
            .iter()
            .filter(move |finder| long_enough && finder.find(text).is_some())
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
            list.prepare();
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
        list.prepare();
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
        self.found_in_bytes(text.as_bytes())
    }

    /// [`Secrets::found_in`] for bytes (a body, raw JSON).
    pub fn found_in_bytes(&self, text: &[u8]) -> bool {
        self.read().found_in(text).next().is_some()
    }

    /// Whether a JSON text may hold a known secret once parsed: it contains
    /// one as written, or a backslash escape (behind which one may hide).
    /// JSON text for which this is false parses into strings none of which
    /// holds a secret: each reads exactly as written in the text.
    pub fn may_be_in_json(&self, json: &[u8]) -> bool {
        let list = self.read();
        !list.finders.is_empty()
            && (memchr::memchr(b'\\', json).is_some() || list.found_in(json).next().is_some())
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
        let found: Vec<&[u8]> = list.found_in(text.as_bytes()).map(Finder::needle).collect();
        for secret in found {
            // Still there after a longer secret was masked?
            if let Ok(secret) = std::str::from_utf8(secret) {
                if text.contains(secret) {
                    *text = text.replace(secret, REDACTED);
                }
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

/// `url` with any user name and password replaced by `[REDACTED]`, for
/// `Debug` output and messages. Text that is not a URL is masked whole when
/// it contains an `@` (it may be a URL with credentials that failed to parse).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            // A query or fragment may carry a credential too (`?password=`).
            if parsed.query().is_some() {
                parsed.set_query(Some(REDACTED));
            }
            if parsed.fragment().is_some() {
                parsed.set_fragment(None);
            }
            if parsed.username().is_empty() && parsed.password().is_none() {
                return parsed.to_string();
            }
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            let text = parsed.to_string();
            match text.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{REDACTED}@{rest}"),
                None => REDACTED.to_string(),
            }
        }
        Err(_) if url.contains('@') || url.contains('?') => REDACTED.to_string(),
        Err(_) => url.to_string(),
    }
}

mod scrub;
pub use scrub::Scrub;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::error::{ProviderError, RefundError};

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

    fn raw(text: &str) -> crate::RawJson {
        crate::RawJson::parse(text).unwrap()
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
    fn raw_json_with_a_secret_keeps_everything_else_as_received() {
        // Key order, whitespace, a number past f64's precision, another
        // string's escapes and an escaped quote next to the secret: only the
        // string holding the secret is written again.
        let text = "{\"z\": 1.000000000000000000001,  \"a\": \"caf\\u00e9 \\\"q\\\"\",\n \
                    \"echo\": \"\\\"api-key-123456\\\"\", \"big\": 123456789012345678901234567890}";
        let scrubbed = secrets().scrubbed(raw(text));
        assert_eq!(
            scrubbed.get(),
            "{\"z\": 1.000000000000000000001,  \"a\": \"caf\\u00e9 \\\"q\\\"\",\n \
             \"echo\": \"\\\"[REDACTED]\\\"\", \"big\": 123456789012345678901234567890}"
        );
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
    fn json_may_hold_a_secret_as_written_or_behind_an_escape() {
        let secrets = secrets();
        assert!(!secrets.may_be_in_json(br#"{"id": "re_1", "note": "api-key"}"#));
        assert!(secrets.may_be_in_json(br#"{"note": "echo api-key-123456"}"#));
        assert!(secrets.may_be_in_json(br#"{"note": "\u0061pi-key-123456"}"#));
        assert!(secrets.may_be_in_json(br#"{"url": "https:\/\/example.com"}"#));
        assert!(!Secrets::new().may_be_in_json(br#"{"note": "\u0061"}"#));
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
        // A credential in the query or fragment is masked too.
        assert_eq!(
            redact_url("postgres://db.internal/refunds?password=hunter22#frag"),
            "postgres://db.internal/refunds?[REDACTED]"
        );
        assert_eq!(
            redact_url("https://u:p@api.example.com/v1?token=abc"),
            "https://[REDACTED]@api.example.com/v1?[REDACTED]"
        );
    }
}
