//! Decoding a provider's JSON with messages that name the field and the
//! expected shape, never the offending value: a provider may echo a secret
//! (or a card number) in any field, and serde's own messages quote it.

use serde::de::DeserializeOwned;

use crate::error::RefundError;
use crate::ids::ProviderId;

/// Decodes `body` as JSON into `T`; a failure is a [`RefundError::Decode`]
/// whose message names the path of the failing field (`data[0].amount`) and
/// what was expected there.
pub fn decode_json<T: DeserializeOwned>(
    provider: ProviderId,
    body: &[u8],
) -> Result<T, RefundError> {
    // Tracking the path costs an allocation per field: only a body that
    // fails is decoded again with it, for the message.
    match serde_json::from_slice(body) {
        Ok(decoded) => Ok(decoded),
        Err(_) => Err(decode_json_tracked::<T>(provider, body)
            .err()
            .unwrap_or_else(|| RefundError::decode(provider, "the body did not decode"))),
    }
}

/// [`decode_json`] with the failing field's path tracked.
fn decode_json_tracked<T: DeserializeOwned>(
    provider: ProviderId,
    body: &[u8],
) -> Result<T, RefundError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let decoded: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        RefundError::decode(provider, describe(&path, error.inner()))
    })?;
    deserializer
        .end()
        .map_err(|error| RefundError::decode(provider, describe("", &error)))?;
    Ok(decoded)
}

/// [`decode_json`] for a JSON value already parsed (an item of a list).
pub fn decode_value<T: DeserializeOwned>(
    provider: ProviderId,
    value: serde_json::Value,
) -> Result<T, RefundError> {
    if let Ok(decoded) = T::deserialize(&value) {
        return Ok(decoded);
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        RefundError::decode(provider, describe(&path, error.inner()))
    })
}

/// A value-free description of a serde_json error at `path`.
fn describe(path: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let place = format!("line {}, column {}", error.line(), error.column());
    match error.classify() {
        Category::Io => format!("the body could not be read ({place})"),
        Category::Eof => format!("the body ends early: truncated JSON ({place})"),
        Category::Syntax => format!("the body is not valid JSON ({place})"),
        Category::Data => {
            let field = if path == "." || path.is_empty() {
                "the body".to_string()
            } else {
                format!("field `{path}`")
            };
            format!("{field} {} ({place})", expectation(&error.to_string()))
        }
    }
}

/// What serde expected, from its message, without what it found: serde's
/// messages are `<what was found>, expected <shape> at line …`, `missing
/// field `x``, `duplicate field `x``; the found part is dropped.
fn expectation(message: &str) -> String {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
    if let Some((_, expected)) = message.split_once(", expected ") {
        return format!("is not {expected}");
    }
    for fixed in ["missing field", "duplicate field"] {
        if message.starts_with(fixed) {
            return format!("has a {message}");
        }
    }
    "has a value of the wrong shape".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wire {
        id: String,
        amount: u64,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        code: u8,
    }

    fn message(body: &str) -> String {
        match decode_json::<Wire>(crate::ids::SAMPLE_PROVIDER, body.as_bytes()) {
            Err(RefundError::Decode { message, .. }) => message,
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_types_name_the_field_and_the_shape_but_not_the_value() {
        let text = message(r#"{"id":"a","amount":"sk_live_SECRET","items":[]}"#);
        assert!(text.contains("field `amount`"), "{text}");
        assert!(text.contains("u64"), "{text}");
        assert!(!text.contains("sk_live_SECRET"), "{text}");
        let text = message(r#"{"id":"a","amount":1,"items":[{"code":"sk_live_SECRET"}]}"#);
        assert!(text.contains("field `items[0].code`"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn missing_fields_truncation_and_trailing_bytes_are_decode_errors() {
        assert!(message(r#"{"id":"a","items":[]}"#).contains("missing field `amount`"));
        assert!(message(r#"{"id":"a","amo"#).contains("truncated"));
        assert!(
            message(r#"{"id":"a","amount":1,"items":[]} sk_live_SECRET"#)
                .contains("not valid JSON")
        );
        assert!(!message("sk_live_SECRET").contains("SECRET"));
    }
}
