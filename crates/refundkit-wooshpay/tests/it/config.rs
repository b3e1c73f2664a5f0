//! Configuration from variables: what is required, what is refused, and that
//! errors name the variable, never its value.

use std::collections::HashMap;

use refundkit_core::RefundError;
use refundkit_wooshpay::WooshPayConfig;

fn from(vars: &[(&str, &str)]) -> Result<WooshPayConfig, RefundError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    WooshPayConfig::from_lookup(|name| vars.get(name).cloned())
}

fn config_message(result: Result<WooshPayConfig, RefundError>) -> String {
    match result {
        Err(RefundError::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn missing_or_empty_secret_key_names_the_variable() {
    assert!(config_message(from(&[])).contains("WOOSHPAY_SECRET_KEY"));
    assert!(config_message(from(&[("WOOSHPAY_SECRET_KEY", "")])).contains("WOOSHPAY_SECRET_KEY"));
}

#[test]
fn test_key_alone_picks_the_test_host() {
    let config = from(&[("WOOSHPAY_SECRET_KEY", "sk_test_abc")]).unwrap();
    assert_eq!(
        config.base_url().as_url().as_str(),
        "https://apitest.wooshpay.com/"
    );
    assert!(!config.has_webhook_secret());
}

#[test]
fn live_key_alone_picks_the_live_host() {
    let config = from(&[("WOOSHPAY_SECRET_KEY", "sk_live_abc")]).unwrap();
    assert_eq!(
        config.base_url().as_url().as_str(),
        "https://api.wooshpay.com/"
    );
}

#[test]
fn publishable_key_is_refused_without_echoing_it() {
    for vars in [
        vec![("WOOSHPAY_SECRET_KEY", "pk_live_secretish123")],
        vec![
            ("WOOSHPAY_SECRET_KEY", "pk_live_secretish123"),
            ("WOOSHPAY_BASE_URL", "http://127.0.0.1:9"),
        ],
    ] {
        let message = config_message(from(&vars));
        assert!(message.contains("WOOSHPAY_SECRET_KEY"), "{message}");
        assert!(!message.contains("secretish123"), "{message}");
    }
}

#[test]
fn unknown_prefix_needs_a_base_url() {
    let message = config_message(from(&[("WOOSHPAY_SECRET_KEY", "sim_key_1")]));
    assert!(message.contains("WOOSHPAY_BASE_URL"), "{message}");
    let config = from(&[
        ("WOOSHPAY_SECRET_KEY", "sim_key_1"),
        ("WOOSHPAY_BASE_URL", "http://127.0.0.1:8080"),
    ])
    .unwrap();
    assert_eq!(
        config.base_url().as_url().as_str(),
        "http://127.0.0.1:8080/"
    );
}

#[test]
fn optional_variables_are_read_and_empty_ones_ignored() {
    let config = from(&[
        ("WOOSHPAY_SECRET_KEY", "sk_test_abc"),
        ("WOOSHPAY_BASE_URL", "http://localhost:4010"),
        ("WOOSHPAY_WEBHOOK_SECRET", "whsec_abc"),
    ])
    .unwrap();
    assert_eq!(
        config.base_url().as_url().as_str(),
        "http://localhost:4010/"
    );
    assert!(config.has_webhook_secret());
    let empty = from(&[
        ("WOOSHPAY_SECRET_KEY", "sk_test_abc"),
        ("WOOSHPAY_BASE_URL", ""),
        ("WOOSHPAY_WEBHOOK_SECRET", ""),
    ])
    .unwrap();
    assert_eq!(
        empty.base_url().as_url().as_str(),
        "https://apitest.wooshpay.com/"
    );
    assert!(!empty.has_webhook_secret());
}

#[test]
fn plain_http_base_url_is_refused_and_named() {
    let message = config_message(from(&[
        ("WOOSHPAY_SECRET_KEY", "sk_test_abc"),
        ("WOOSHPAY_BASE_URL", "http://api.wooshpay.example"),
    ]));
    assert!(message.contains("WOOSHPAY_BASE_URL"), "{message}");
}
