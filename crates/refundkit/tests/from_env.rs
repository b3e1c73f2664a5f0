//! `Refunds::from_env` / `from_lookup` / `from_config`: which providers get
//! configured, and errors that name the variable but never its value.
#![cfg(all(feature = "uqpay", feature = "wooshpay"))]

use std::collections::HashMap;

use refundkit::{RefundError, Refunds, RefundsConfig};

const UQPAY_KEY: &str = "uqpay-api-key-SECRET-1234";
const WOOSHPAY_KEY: &str = "sk_test_SECRET_5678";

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn uqpay_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("UQPAY_CLIENT_ID", "client-1"),
        ("UQPAY_API_KEY", UQPAY_KEY),
        ("UQPAY_ENVIRONMENT", "sandbox"),
    ]
}

fn config_error(result: Result<Refunds, RefundError>) -> String {
    match result {
        Err(RefundError::Config(message)) => {
            assert!(
                !message.contains(UQPAY_KEY) && !message.contains(WOOSHPAY_KEY),
                "{message}"
            );
            message
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
}

#[test]
fn nothing_set_is_a_config_error_naming_the_variables_to_set() {
    // Configuring nothing used to succeed with zero providers and fail only
    // on the first create; now it says what to set, up front.
    let message = config_error(Refunds::from_lookup(lookup(&[])));
    for variable in ["UQPAY_CLIENT_ID", "UQPAY_API_KEY", "WOOSHPAY_SECRET_KEY"] {
        assert!(message.contains(variable), "{message}");
    }
    // The builder still builds an empty router for code that adds providers.
    let refunds = Refunds::builder().build().unwrap();
    assert_eq!(refunds.providers().count(), 0);
    assert_eq!(refunds.default_provider(), None);
}

#[test]
fn each_missing_uqpay_variable_is_named() {
    let full = uqpay_vars();
    for missing in ["UQPAY_CLIENT_ID", "UQPAY_API_KEY", "UQPAY_ENVIRONMENT"] {
        let partial: Vec<_> = full
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let message = config_error(Refunds::from_lookup(lookup(&partial)));
        assert!(message.contains(missing), "{missing}: {message}");
    }
}

#[test]
fn a_default_provider_without_its_variables_names_them() {
    let message = config_error(Refunds::from_lookup(lookup(&[(
        "REFUNDKIT_PROVIDER",
        "wooshpay",
    )])));
    assert!(message.contains("WOOSHPAY_SECRET_KEY"), "{message}");
}

#[test]
fn a_publishable_wooshpay_key_is_refused_without_echoing_it() {
    let message = config_error(Refunds::from_lookup(lookup(&[(
        "WOOSHPAY_SECRET_KEY",
        "pk_test_SECRET_5678",
    )])));
    assert!(!message.contains("SECRET_5678"), "{message}");
}

#[test]
fn an_unknown_default_provider_is_refused() {
    let message = config_error(Refunds::from_lookup(lookup(&[(
        "REFUNDKIT_PROVIDER",
        "stripe",
    )])));
    assert!(message.contains("REFUNDKIT_PROVIDER"), "{message}");
}

#[test]
fn the_internal_test_provider_is_never_named_to_users() {
    // Named as the default, and in a config file: refused, offering only
    // the real providers.
    let named = config_error(Refunds::from_lookup(lookup(&[(
        "REFUNDKIT_PROVIDER",
        "memory",
    )])));
    let mut config = RefundsConfig::default();
    config.default = Some("memory".into());
    let in_file = config_error(Refunds::from_config(config));
    let none = config_error(Refunds::from_lookup(lookup(&[])));
    let unknown = config_error(Refunds::from_lookup(lookup(&[(
        "REFUNDKIT_PROVIDER",
        "stripe",
    )])));
    for message in [named, in_file, none, unknown] {
        assert!(!message.contains("memory"), "{message}");
        assert!(!message.to_lowercase().contains("in-memory"), "{message}");
    }
    // Provider ids are open: a ref of a provider nobody configured parses,
    // and the router refuses it naming only what is configured.
    let stripe: refundkit::RefundRef = "stripe:re_1".parse().unwrap();
    let refunds = Refunds::from_lookup(lookup(&uqpay_vars())).unwrap();
    let routed = refunds.provider(stripe.provider).unwrap_err().to_string();
    assert!(routed.contains("configured: uqpay"), "{routed}");
    assert!(!routed.contains("memory"), "{routed}");
}

#[test]
fn both_providers_with_a_default() {
    let mut vars = uqpay_vars();
    vars.push(("WOOSHPAY_SECRET_KEY", WOOSHPAY_KEY));
    vars.push(("REFUNDKIT_PROVIDER", "wooshpay"));
    let refunds = Refunds::from_lookup(lookup(&vars)).unwrap();
    assert_eq!(
        refunds.providers().collect::<Vec<_>>(),
        vec![refundkit::uqpay::PROVIDER, refundkit::wooshpay::PROVIDER]
    );
    assert_eq!(
        refunds.default_provider(),
        Some(refundkit::wooshpay::PROVIDER)
    );
    let shown = format!("{refunds:?}");
    assert!(
        !shown.contains(UQPAY_KEY) && !shown.contains(WOOSHPAY_KEY),
        "{shown}"
    );
}

#[test]
fn a_single_provider_is_the_default() {
    let refunds = Refunds::from_lookup(lookup(&uqpay_vars())).unwrap();
    assert_eq!(refunds.default_provider(), Some(refundkit::uqpay::PROVIDER));
}

#[tokio::test]
async fn two_providers_and_no_default_make_creates_ask_for_one() {
    let mut vars = uqpay_vars();
    vars.push(("WOOSHPAY_SECRET_KEY", WOOSHPAY_KEY));
    let refunds = Refunds::from_lookup(lookup(&vars)).unwrap();
    let request = refundkit::RefundRequest::builder(
        "pi_1",
        refundkit::RefundAmount::Full,
        refundkit::RefundReason::Duplicate,
    )
    .build()
    .unwrap();
    let message = match refunds.create_refund(&request).await {
        Err(RefundError::Config(message)) => message,
        other => panic!("expected a Config error, got {other:?}"),
    };
    assert!(message.contains("REFUNDKIT_PROVIDER"), "{message}");
}

#[test]
fn config_files_deserialize_and_build() {
    let config: RefundsConfig = serde_json::from_value(serde_json::json!({
        "default": "uqpay",
        "uqpay": {"client_id": "client-1", "api_key": UQPAY_KEY, "environment": "production"},
        "wooshpay": {"secret_key": WOOSHPAY_KEY, "webhook_secret": "whsec_x"}
    }))
    .unwrap();
    assert!(!format!("{config:?}").contains(UQPAY_KEY));
    let refunds = Refunds::from_config(config).unwrap();
    assert_eq!(refunds.providers().count(), 2);
    assert_eq!(refunds.default_provider(), Some(refundkit::uqpay::PROVIDER));
}

#[test]
fn config_files_with_unknown_fields_are_refused() {
    // A provider's section is read by its descriptor: an unknown field in it
    // is refused when the config is built, naming the field.
    let config: RefundsConfig = serde_json::from_value(
        serde_json::json!({"uqpay": {"client_id": "c", "api_key": "k", "environment": "sandbox", "apikey": "typo"}}),
    )
    .unwrap();
    let error = Refunds::from_config(config).unwrap_err().to_string();
    assert!(error.contains("unknown field `apikey`"), "{error}");
    assert!(!error.contains("typo"), "{error}");
    // A section named after no compiled-in provider is refused too.
    let config: RefundsConfig =
        serde_json::from_value(serde_json::json!({"uqpya": {"client_id": "c", "api_key": "k"}}))
            .unwrap();
    let error = Refunds::from_config(config).unwrap_err().to_string();
    assert!(error.contains("not compiled in"), "{error}");
    // A wrong type is described without quoting the value.
    let config: RefundsConfig =
        serde_json::from_value(serde_json::json!({"wooshpay": {"secret_key": 12345678}})).unwrap();
    let error = Refunds::from_config(config).unwrap_err().to_string();
    assert!(
        error.contains("wrong type") && !error.contains("12345678"),
        "{error}"
    );
}

#[test]
fn timeouts_and_retry_bounds_come_from_the_environment_and_config_files() {
    use std::time::Duration;
    let mut vars = uqpay_vars();
    vars.extend([
        ("REFUNDKIT_TIMEOUT_MS", "2500"),
        ("REFUNDKIT_CONNECT_TIMEOUT_MS", "700"),
        ("REFUNDKIT_RETRY_ATTEMPTS", "2"),
        ("REFUNDKIT_RETRY_MAX_ELAPSED_MS", "9000"),
    ]);
    let config = refundkit::uqpay::UqPayConfig::from_lookup(lookup(&vars)).unwrap();
    let transport = config.transport();
    assert_eq!(transport.timeout, Duration::from_millis(2500));
    assert_eq!(transport.connect_timeout, Duration::from_millis(700));
    assert_eq!(transport.retry.max_attempts, 2);
    assert_eq!(transport.retry.max_elapsed, Duration::from_millis(9000));
    let wooshpay = refundkit::wooshpay::WooshPayConfig::from_lookup(lookup(&[
        ("WOOSHPAY_SECRET_KEY", WOOSHPAY_KEY),
        ("REFUNDKIT_TIMEOUT_MS", "1500"),
    ]))
    .unwrap();
    assert_eq!(wooshpay.transport().timeout, Duration::from_millis(1500));

    let mut bad = uqpay_vars();
    bad.push(("REFUNDKIT_RETRY_ATTEMPTS", "many"));
    let message = config_error(Refunds::from_lookup(lookup(&bad)));
    assert!(message.contains("REFUNDKIT_RETRY_ATTEMPTS"), "{message}");

    let file: RefundsConfig = serde_json::from_value(serde_json::json!({
        "transport": {"timeout_ms": 10000, "retry_attempts": 3},
        "wooshpay": {"secret_key": WOOSHPAY_KEY}
    }))
    .unwrap();
    assert!(Refunds::from_config(file).is_ok());
}

#[test]
fn the_token_store_is_configured_by_variable_or_config_file_and_never_echoed() {
    let mut vars = uqpay_vars();
    vars.push(("UQPAY_TOKEN_STORE", "file:/tmp/refundkit-from-env-tokens"));
    let refunds = Refunds::from_lookup(lookup(&vars)).unwrap();
    let uqpay = refunds.provider(refundkit::uqpay::PROVIDER).unwrap();
    assert!(format!("{uqpay:?}").contains("FileTokenStore"), "{uqpay:?}");

    let mut vars = uqpay_vars();
    vars.push(("UQPAY_TOKEN_STORE", "memcached://user:hunter2@cache:11211"));
    let message = config_error(Refunds::from_lookup(lookup(&vars)));
    assert!(
        message.contains("UQPAY_TOKEN_STORE") && !message.contains("hunter2"),
        "{message}"
    );

    let config: RefundsConfig = serde_json::from_value(serde_json::json!({
        "uqpay": {"client_id": "client-1", "api_key": UQPAY_KEY, "environment": "sandbox",
                  "token_store": "memcached://user:hunter2@cache:11211"}
    }))
    .unwrap();
    assert!(!format!("{config:?}").contains("hunter2"));
    let message = config_error(Refunds::from_config(config));
    assert!(
        message.contains("uqpay.token_store") && !message.contains("hunter2"),
        "{message}"
    );

    let config: RefundsConfig = serde_json::from_value(serde_json::json!({
        "uqpay": {"client_id": "client-1", "api_key": UQPAY_KEY, "environment": "sandbox",
                  "token_store": "file:/tmp/refundkit-from-config-tokens"}
    }))
    .unwrap();
    let refunds = Refunds::from_config(config).unwrap();
    let uqpay = refunds.provider(refundkit::uqpay::PROVIDER).unwrap();
    assert!(format!("{uqpay:?}").contains("FileTokenStore"), "{uqpay:?}");
}
