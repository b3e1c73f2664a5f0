//! The journal: every request a simulator received, secrets masked.

use std::sync::Mutex;
use std::time::SystemTime;

use http::HeaderMap;

use super::fault::Route;
use crate::util::lock;

/// Headers whose values are credentials.
const SECRET_HEADERS: [&str; 3] = ["x-api-key", "x-auth-token", "authorization"];

/// What a masked credential looks like in the journal.
pub const MASK: &str = "[masked]";

/// One request as the simulator received it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as sent (`/api/v2/payment/refunds`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Every header in arrival order, names in lower case. Credentials are
    /// masked: `x-api-key` shows [`MASK`]; `x-auth-token` and
    /// `Authorization` keep their scheme (`Bearer [masked]`).
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    /// The simulated endpoint, `None` for a path the provider does not have.
    pub route: Option<Route>,
    /// When it arrived.
    pub received_at: SystemTime,
}

impl JournalEntry {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Masks a credential header's value, keeping an auth scheme if present.
pub(crate) fn mask_header(name: &str, value: &str) -> String {
    if !SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, _)) if name != "x-api-key" => format!("{scheme} {MASK}"),
        _ => MASK.to_string(),
    }
}

/// The request log of one simulated provider.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Mutex<Vec<JournalEntry>>,
}

impl Journal {
    pub fn record(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        route: Option<Route>,
    ) {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (
                    name.as_str().to_string(),
                    mask_header(name.as_str(), &value),
                )
            })
            .collect();
        lock(&self.entries).push(JournalEntry {
            method: method.to_string(),
            path: path.to_string(),
            query: query.map(str::to_string),
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
            route,
            received_at: SystemTime::now(),
        });
    }

    pub fn entries(&self) -> Vec<JournalEntry> {
        lock(&self.entries).clone()
    }

    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_schemes_kept() {
        assert_eq!(mask_header("x-api-key", "sim-api-key"), MASK);
        assert_eq!(
            mask_header("x-auth-token", "Bearer eyJ.a.b"),
            "Bearer [masked]"
        );
        assert_eq!(mask_header("authorization", "Basic c2s6"), "Basic [masked]");
        assert_eq!(mask_header("x-auth-token", "eyJ.a.b"), MASK);
        assert_eq!(mask_header("x-client-id", "sim-client"), "sim-client");
    }
}
