//! Base URLs (HTTPS only, except loopback) and endpoint paths.

use std::net::IpAddr;

use url::Url;

use crate::error::RefundError;

/// A provider base URL that passed the transport rules: `https`, or `http`
/// on a loopback address (simulators and tests). No query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks `text`; `setting` names where it came from, for the error.
    pub fn parse(setting: &str, text: &str) -> Result<Self, RefundError> {
        let config = |why: &str| RefundError::Config(format!("{setting} {why}"));
        let url = Url::parse(text.trim()).map_err(|_| config("is not a valid URL"))?;
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(config("must be an absolute http(s) URL"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(config("must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(config("must not carry credentials"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(config("must use https (plain http only on loopback)")),
            _ => return Err(config("must use https")),
        }
        Ok(Self(url))
    }

    /// The URL of `segments` below the base; each segment is percent-encoded,
    /// so an id can never change the path.
    pub fn join(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// The base URL.
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_loopback() {
        assert!(BaseUrl::parse("X", "https://api.acme.example/api").is_ok());
        assert!(BaseUrl::parse("X", "http://127.0.0.1:8080/api").is_ok());
        assert!(BaseUrl::parse("X", "http://[::1]:8080").is_ok());
        assert!(BaseUrl::parse("X", "http://localhost:1").is_ok());
        assert!(BaseUrl::parse("X", "http://api.acme.example/api").is_err());
        assert!(BaseUrl::parse("X", "ftp://127.0.0.1").is_err());
        assert!(BaseUrl::parse("X", "https://u:p@api.acme.example").is_err());
    }

    #[test]
    fn joined_segments_are_encoded() {
        let base = BaseUrl::parse("X", "https://api.acme.example/api/").unwrap();
        let url = base.join(&["v2", "payment", "refunds", "../x?y"]);
        assert_eq!(
            url.as_str(),
            "https://api.acme.example/api/v2/payment/refunds/..%2Fx%3Fy"
        );
    }
}
