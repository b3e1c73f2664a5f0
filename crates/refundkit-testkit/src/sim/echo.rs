//! The "echo secrets" mode: a careless provider that quotes back every
//! credential it received, in every answer, so a test can prove that none of
//! them reaches a client's errors, values, `Debug` output or logs.
//!
//! When on, each answer carries the credentials of the request it answers:
//! - in an `x-request-id` and a `request-id` header;
//! - in every JSON object with `metadata` (a refund): metadata entries (one
//!   of them keyed by a credential) and the `description`;
//! - appended to every `message` (and bare string `error`) of an error body;
//! - appended to any body that is not JSON (an HTML page).
//!
//! The credentials are UQPay's `x-api-key` and `x-auth-token` (with and
//! without `Bearer `), WooshPay's `Authorization` value, its base64 part, the
//! decoded `key:` and the key alone.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use super::server::Reply;
use crate::util::lock;

/// The switch of one simulated provider (off by default), and every
/// credential echoed while it was on.
#[derive(Debug, Default)]
pub(crate) struct EchoSecrets {
    on: AtomicBool,
    echoed: Mutex<BTreeSet<String>>,
}

impl EchoSecrets {
    pub fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }

    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// Every credential echoed so far, in every form it was echoed in.
    pub fn echoed(&self) -> Vec<String> {
        lock(&self.echoed).iter().cloned().collect()
    }

    /// `reply` with the credentials of `request_headers` echoed into it, when
    /// the mode is on; `reply` unchanged otherwise.
    pub fn apply(&self, request_headers: &HeaderMap, reply: Reply) -> Reply {
        if !self.is_on() {
            return reply;
        }
        let secrets = received_credentials(request_headers);
        if secrets.is_empty() {
            return reply;
        }
        lock(&self.echoed).extend(secrets.iter().cloned());
        echo_into(reply, &secrets)
    }
}

/// Every credential a request carried, in each form a provider might quote.
pub(crate) fn received_credentials(headers: &HeaderMap) -> Vec<String> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut found = Vec::new();
    if let Some(key) = value("x-api-key") {
        found.push(key);
    }
    if let Some(token) = value("x-auth-token") {
        if let Some(bare) = token.strip_prefix("Bearer ") {
            found.push(bare.to_string());
        }
        found.push(token);
    }
    if let Some(authorization) = value("authorization") {
        if let Some(encoded) = authorization.strip_prefix("Basic ") {
            found.push(encoded.to_string());
            if let Some(decoded) = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            {
                if let Some((user, _password)) = decoded.split_once(':') {
                    found.push(user.to_string());
                }
                found.push(decoded);
            }
        }
        found.push(authorization);
    }
    found.retain(|secret| !secret.trim().is_empty());
    found
}

fn echo_into(mut reply: Reply, secrets: &[String]) -> Reply {
    let joined = secrets.join(" ");
    reply.headers.retain(|(name, _)| {
        !name.eq_ignore_ascii_case("x-request-id") && !name.eq_ignore_ascii_case("request-id")
    });
    reply = reply
        .with_header("x-request-id", format!("req {joined}"))
        .with_header("request-id", format!("req {joined}"));
    let body = match serde_json::from_slice::<Value>(&reply.body) {
        Ok(mut json) => {
            echo_into_json(&mut json, secrets, &joined);
            json.to_string()
        }
        Err(_) => format!(
            "{} (received credentials: {joined})",
            String::from_utf8_lossy(&reply.body)
        ),
    };
    reply.body = Bytes::from(body);
    reply
}

fn echo_into_json(value: &mut Value, secrets: &[String], joined: &str) {
    match value {
        Value::Object(map) => {
            map.values_mut()
                .for_each(|v| echo_into_json(v, secrets, joined));
            for field in ["message", "error"] {
                if let Some(Value::String(text)) = map.get_mut(field) {
                    text.push_str(&format!(" (received credentials: {joined})"));
                }
            }
            if map.contains_key("metadata") {
                let mut metadata = match map.remove("metadata") {
                    Some(Value::Object(metadata)) => metadata,
                    _ => serde_json::Map::new(),
                };
                for (n, secret) in secrets.iter().enumerate() {
                    metadata.insert(format!("echo_{n}"), Value::String(secret.clone()));
                }
                if let Some(first) = secrets.first() {
                    metadata.insert(first.clone(), Value::String("echoed key".into()));
                }
                map.insert("metadata".into(), Value::Object(metadata));
                map.insert(
                    "description".into(),
                    Value::String(format!("refund by {joined}")),
                );
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| echo_into_json(v, secrets, joined)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn basic_auth_is_echoed_in_every_form() {
        let encoded = STANDARD.encode("sk_test_abc:");
        let found =
            received_credentials(&headers(&[("authorization", &format!("Basic {encoded}"))]));
        assert!(found.contains(&encoded));
        assert!(found.contains(&"sk_test_abc".to_string()));
        assert!(found.contains(&"sk_test_abc:".to_string()));
        assert!(found.contains(&format!("Basic {encoded}")));
    }

    #[test]
    fn refunds_errors_and_headers_carry_the_credentials_when_on() {
        let echo = EchoSecrets::default();
        let request = headers(&[
            ("x-api-key", "key-123456"),
            ("x-auth-token", "Bearer tok-1"),
        ]);
        let refund = Reply::json(
            200,
            &serde_json::json!({"data": [{"id": "r1", "metadata": {}}]}),
        );
        assert_eq!(
            echo.apply(&request, refund.clone()),
            refund,
            "off by default"
        );

        echo.set(true);
        let echoed = echo.apply(&request, refund);
        assert!(echo.echoed().contains(&"tok-1".to_string()));
        let body: Value = serde_json::from_slice(&echoed.body).unwrap();
        let item = &body["data"][0];
        assert_eq!(item["metadata"]["echo_0"], "key-123456");
        assert!(item["description"].as_str().unwrap().contains("tok-1"));
        assert!(echoed
            .headers
            .iter()
            .any(|(name, value)| *name == "x-request-id" && value.contains("key-123456")));

        let error = Reply::json(400, &serde_json::json!({"error": {"message": "bad"}}));
        let echoed = echo.apply(&request, error);
        let body: Value = serde_json::from_slice(&echoed.body).unwrap();
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer tok-1"));
    }
}
