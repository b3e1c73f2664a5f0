//! [`RawJson`]: a provider's JSON text as received, kept for audit without
//! being parsed a second time or into a tree on every call.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// JSON text as a provider sent it ([`crate::Refund::raw`]): one valid JSON
/// value, UTF-8; a clone is a handle to the same bytes. Empty means JSON
/// `null`.
///
/// The transport keeps the answer's body as it arrived: the typed decode of
/// that body has already proved it JSON, so keeping it costs a UTF-8 check
/// and one copy, not a second parse. Every other way in ([`RawJson::parse`], [`RawJson::from_value`],
/// deserializing) checks it.
///
/// ```
/// use refundkit_core::RawJson;
///
/// let raw = RawJson::parse(r#"{"id": "re_1", "amount": 1001}"#)?;
/// assert_eq!(raw.get(), r#"{"id": "re_1", "amount": 1001}"#);
/// // Parse it only when needed.
/// let value: serde_json::Value = serde_json::from_str(raw.get())?;
/// assert_eq!(value["amount"], 1001);
/// assert!(RawJson::parse("{not json").is_err());
/// assert_eq!(RawJson::default().get(), "null");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RawJson {
    /// UTF-8 JSON text, checked on the way in; empty for `null`.
    text: Bytes,
}

impl RawJson {
    /// Checks that `text` is one JSON value and keeps it as written (the
    /// whitespace around it included).
    pub fn parse(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(Self {
            text: Bytes::from(text),
        })
    }

    /// `value` written as compact JSON.
    pub fn from_value(value: &serde_json::Value) -> Self {
        // Writing a `Value` into memory cannot fail: its keys are strings.
        serde_json::to_vec(value)
            .map(|text| Self {
                text: Bytes::from(text),
            })
            .unwrap_or_default()
    }

    /// A body already read as JSON (by the typed decode): only its UTF-8 is
    /// checked (serde_json skips unread strings without checking them), and
    /// the whitespace around the value left out. `None` when it is not UTF-8.
    ///
    /// Copied once: the body is a slice of the HTTP client's read buffer, and
    /// a refund kept for long must not keep that whole buffer alive.
    pub(crate) fn from_decoded_body(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let trimmed = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r'));
        Some(Self {
            text: Bytes::copy_from_slice(trimmed.as_bytes()),
        })
    }

    /// The JSON text (`null` when there is none).
    pub fn get(&self) -> &str {
        if self.text.is_empty() {
            return "null";
        }
        // Checked on the way in, so this never falls back.
        std::str::from_utf8(&self.text).unwrap_or("null")
    }

    /// The JSON text's bytes, unchecked again (for scanning it).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        if self.text.is_empty() {
            return b"null";
        }
        &self.text
    }

    /// True when there is no JSON (the text is `null`).
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }

    /// The text parsed into a [`serde_json::Value`] (`Null` when there is none).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for RawJson {
    /// Equal when the texts are.
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&self.get()).finish()
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(value: Box<RawValue>) -> Self {
        let text: Box<str> = value.into();
        Self {
            text: Bytes::from(text.into_string()),
        }
    }
}

/// Written as the JSON it holds, not as a string.
impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(self.get()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Read from any JSON value, kept as written.
impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_body_is_kept_as_received() {
        let body = Bytes::from_static(br#"{"id": "re_1"}"#);
        let raw = RawJson::from_decoded_body(&body).unwrap();
        assert_eq!(raw.get(), r#"{"id": "re_1"}"#);
        // Its own copy, not a handle on the client's read buffer.
        assert_ne!(raw.text.as_ptr(), body.as_ptr());
        let shared = raw.clone();
        assert_eq!(shared.text.as_ptr(), raw.text.as_ptr(), "clones share");
        // Invalid UTF-8 inside a string serde_json skipped is refused.
        assert!(RawJson::from_decoded_body(&Bytes::from_static(b"{\"x\": \"\xff\"}")).is_none());
        // The whitespace around the value is left out, as serde_json does.
        let padded = Bytes::from_static(b" \r\n{\"id\": 1}\n ");
        assert_eq!(
            RawJson::from_decoded_body(&padded).unwrap().get(),
            r#"{"id": 1}"#
        );
    }

    #[test]
    fn round_trips_through_serde_as_json_not_as_a_string() {
        #[derive(Serialize)]
        struct Holder {
            raw: RawJson,
        }
        let raw = RawJson::parse(r#"{"b": [1, 2.50], "a": null}"#).unwrap();
        let written = serde_json::to_string(&Holder { raw }).unwrap();
        assert_eq!(written, r#"{"raw":{"b": [1, 2.50], "a": null}}"#);
        let read: RawJson = serde_json::from_str(r#" {"b": [1, 2.50]} "#).unwrap();
        assert_eq!(read.get(), r#"{"b": [1, 2.50]}"#);
        assert_eq!(read.to_value(), serde_json::json!({"b": [1, 2.5]}));
        assert!(RawJson::default().is_null());
        assert!(!read.is_null());
    }

    #[test]
    fn parse_refuses_anything_but_one_json_value() {
        for text in ["", "{", r#"{"a": 1} {"b": 2}"#, "nul"] {
            assert!(RawJson::parse(text).is_err(), "{text}");
        }
    }
}
