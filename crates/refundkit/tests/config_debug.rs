//! Configuration never prints a secret (issue 9): `Debug` of the serde config
//! and of the WooshPay builder masks keys, webhook secrets and credentials in
//! base URLs; a key pasted where a provider name goes is not quoted back.
#![cfg(all(feature = "uqpay", feature = "wooshpay"))]

use std::collections::HashMap;

use refundkit::wooshpay::WooshPayConfig;
use refundkit::{RefundError, Refunds, RefundsConfig, SecretString, PROVIDER_VARIABLE};

const UQPAY_KEY: &str = "uqpay-api-key-SECRET-1234";
const WOOSHPAY_KEY: &str = "sk_test_SECRET_5678";
const UQPAY_WEBHOOK_SECRET: &str = "uqpay-whsec-SECRET-42";
const WOOSHPAY_WEBHOOK_SECRET: &str = "whsec_SECRET_43";
/// A key pasted as the user of a base URL, as `https://sk_…:@host` does.
const URL_USER: &str = "sk_test_URLUSER01";
const URL_PASSWORD: &str = "URLPASS9876";
const PASTED_KEY: &str = "sk_live_PASTED_KEY_0042";

fn assert_no_secret(text: &str) {
    for secret in [
        UQPAY_KEY,
        WOOSHPAY_KEY,
        UQPAY_WEBHOOK_SECRET,
        WOOSHPAY_WEBHOOK_SECRET,
        URL_USER,
        URL_PASSWORD,
        PASTED_KEY,
    ] {
        assert!(!text.contains(secret), "{secret} leaked in: {text}");
    }
}

fn config_json(default: &str) -> String {
    serde_json::json!({
        "default": default,
        "uqpay": {
            "client_id": "client-1",
            "api_key": UQPAY_KEY,
            "environment": "sandbox",
            "base_url": format!("https://{URL_USER}:@uq.example.com/api"),
            "webhook_secret": UQPAY_WEBHOOK_SECRET
        },
        "wooshpay": {
            "secret_key": WOOSHPAY_KEY,
            "base_url": format!("https://merchant:{URL_PASSWORD}@woosh.example.com"),
            "webhook_secret": WOOSHPAY_WEBHOOK_SECRET
        }
    })
    .to_string()
}

#[test]
fn a_refunds_config_shows_no_secret_or_url_credential_in_debug() {
    let config: RefundsConfig = serde_json::from_str(&config_json("uqpay")).unwrap();

    let text = format!("{config:?} {config:#?}");

    assert_no_secret(&text);
    assert!(
        text.contains("uq.example.com"),
        "the host still shows: {text}"
    );
    assert!(text.contains("woosh.example.com"), "{text}");
    assert!(text.contains("[REDACTED]"), "{text}");
}

#[test]
fn a_refunds_config_whose_default_is_a_pasted_key_does_not_show_it_in_debug() {
    let json = serde_json::json!({
        "default": PASTED_KEY,
        "wooshpay": { "secret_key": WOOSHPAY_KEY }
    });
    let config: RefundsConfig = serde_json::from_value(json).unwrap();

    assert_no_secret(&format!("{config:?}"));
}

#[test]
fn a_wooshpay_config_builder_shows_no_url_credentials_in_debug() {
    let builder = WooshPayConfig::builder(SecretString::from(WOOSHPAY_KEY))
        .base_url(&format!(
            "https://{URL_USER}:{URL_PASSWORD}@woosh.example.com"
        ))
        .webhook_secret(SecretString::from(WOOSHPAY_WEBHOOK_SECRET));

    let text = format!("{builder:?}");

    assert_no_secret(&text);
    assert!(text.contains("woosh.example.com"), "{text}");
}

#[test]
fn a_key_pasted_into_refundkit_provider_is_not_quoted_in_the_error() {
    let variables: HashMap<&str, &str> = HashMap::from([
        (PROVIDER_VARIABLE, PASTED_KEY),
        ("WOOSHPAY_SECRET_KEY", WOOSHPAY_KEY),
    ]);

    let result = Refunds::from_lookup(|name| variables.get(name).map(|v| v.to_string()));

    match result {
        Err(RefundError::Config(message)) => {
            assert!(message.contains(PROVIDER_VARIABLE), "{message}");
            assert_no_secret(&message);
        }
        other => panic!("expected a Config error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_key_pasted_as_the_default_provider_of_a_config_is_not_quoted_in_the_error() {
    let json = serde_json::json!({
        "default": PASTED_KEY,
        "wooshpay": { "secret_key": WOOSHPAY_KEY }
    });
    let config: RefundsConfig = serde_json::from_value(json).unwrap();

    let error = Refunds::from_config(config).map(|_| ()).unwrap_err();

    assert!(
        matches!(&error, RefundError::Config(message) if message.contains("default")),
        "{error:?}"
    );
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn a_secret_written_as_a_number_or_in_a_url_query_is_masked_in_debug() {
    let config: RefundsConfig = serde_json::from_value(serde_json::json!({
        "wooshpay": {
            "secret_key": 98765432109876_u64,
            "base_url": "https://woosh.example.com/v1?token=QUERYSECRET42"
        }
    }))
    .unwrap();
    let text = format!("{config:?}");
    assert!(!text.contains("98765432109876"), "{text}");
    assert!(!text.contains("QUERYSECRET42"), "{text}");
    assert!(text.contains("woosh.example.com"), "{text}");
}
