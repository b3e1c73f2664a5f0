//! Keeping secrets out of every message the transport passes on.

use http::header::{HeaderMap, HeaderValue};

/// What failed and its causes in one line. The top-level text is left out
/// because it repeats the URL.
pub(super) fn error_chain(error: &reqwest::Error) -> String {
    let mut text = String::from(if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The values of sensitive headers, and the credential after an auth scheme
/// (`Bearer x` → `x`), to scrub from any text we pass on.
pub(super) fn sensitive_values(headers: &HeaderMap) -> Vec<String> {
    sensitive_texts(headers.values())
}

/// [`sensitive_values`] over any header values.
pub(super) fn sensitive_texts<'a>(values_in: impl Iterator<Item = &'a HeaderValue>) -> Vec<String> {
    let mut values = Vec::new();
    for value in values_in.filter(|v| v.is_sensitive()) {
        if let Ok(text) = value.to_str() {
            if let Some((_, credential)) = text.split_once(' ') {
                values.push(credential.trim().to_string());
            }
            values.push(text.to_string());
        }
    }
    values.retain(|v| v.len() >= 4);
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
}

/// The sensitive header values one attempt sent, kept as shared handles (not
/// copies) and read only if its error must be scrubbed. The usual one or two
/// are held inline.
#[derive(Default)]
pub(super) struct AttemptSecrets {
    inline: [Option<HeaderValue>; 2],
    more: Vec<HeaderValue>,
}

impl AttemptSecrets {
    /// Keeps the sensitive values of `headers`, forgetting the last attempt's.
    pub(super) fn keep_from(&mut self, headers: &HeaderMap) {
        self.inline = [None, None];
        self.more.clear();
        for value in headers.values().filter(|v| v.is_sensitive()) {
            match self.inline.iter_mut().find(|slot| slot.is_none()) {
                Some(slot) => *slot = Some(value.clone()),
                None => self.more.push(value.clone()),
            }
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &HeaderValue> {
        self.inline.iter().flatten().chain(&self.more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{insert_secret, ApiRequest, Operation};

    /// The error path's scrubber, as the transport applies it.
    fn scrub(text: &str, secrets: &[String]) -> String {
        crate::transport::scrub_with(secrets.to_vec(), text.to_string())
    }
    use http::header::HeaderValue;
    use secrecy::SecretString;
    use url::Url;

    #[test]
    fn scrub_removes_header_values_and_bare_credentials() {
        let mut headers = HeaderMap::new();
        insert_secret(
            &mut headers,
            "x-auth-token",
            &SecretString::from("Bearer eyJ.secret.jwt"),
        )
        .unwrap();
        headers.insert("x-client-id", HeaderValue::from_static("client-1"));
        let secrets = sensitive_values(&headers);
        assert_eq!(
            scrub(
                "token eyJ.secret.jwt is expired (Bearer eyJ.secret.jwt)",
                &secrets
            ),
            "token [REDACTED] is expired ([REDACTED])"
        );
        assert_eq!(scrub("client-1", &secrets), "client-1");
    }

    #[test]
    fn request_debug_shows_no_headers() {
        let url = Url::parse("https://api.example.com/v1/refunds").unwrap();
        let request = ApiRequest::post_empty(Operation::Other("fetch_token"), url)
            .secret_header("x-api-key", &SecretString::from("super-secret-key"))
            .unwrap();
        assert!(!format!("{request:?}").contains("super-secret-key"));
        assert!(request.headers().get("x-api-key").unwrap().is_sensitive());
    }
}
