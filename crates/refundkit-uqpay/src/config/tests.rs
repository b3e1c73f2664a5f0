use super::*;
use std::collections::HashMap;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

const COMPLETE: [(&str, &str); 3] = [
    (ENV_CLIENT_ID, "client-1"),
    (ENV_API_KEY, "key-very-secret-123"),
    (ENV_ENVIRONMENT, "production"),
];

#[test]
fn complete_environment_builds_a_production_config() {
    let config = UqPayConfig::from_lookup(lookup(&COMPLETE)).unwrap();
    assert_eq!(config.environment(), Environment::Production);
    assert_eq!(
        config.base_url().as_url().as_str(),
        "https://api.uqpay.com/api"
    );
    assert_eq!(config.client_id(), "client-1");
    assert!(!config.has_webhook_secret());
}

#[test]
fn each_missing_or_empty_required_variable_is_named() {
    for name in [ENV_CLIENT_ID, ENV_API_KEY, ENV_ENVIRONMENT] {
        for replacement in [None, Some(" ")] {
            let mut pairs: Vec<(&str, &str)> = COMPLETE
                .iter()
                .filter(|(k, _)| *k != name)
                .copied()
                .collect();
            if let Some(value) = replacement {
                pairs.push((name, value));
            }
            let error = UqPayConfig::from_lookup(lookup(&pairs)).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, RefundError::Config(_)), "{text}");
            assert!(text.contains(name), "{text}");
        }
    }
}

#[test]
fn bad_values_are_named_without_echoing_them() {
    let cases = [
        (ENV_ENVIRONMENT, "staging-xyz"),
        (ENV_BASE_URL, "http://api.example.com/secretpath"),
        (ENV_ON_BEHALF_OF, "not-a-uuid-value"),
    ];
    for (name, value) in cases {
        let mut pairs: Vec<(&str, &str)> = COMPLETE.to_vec();
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        let text = UqPayConfig::from_lookup(lookup(&pairs))
            .unwrap_err()
            .to_string();
        assert!(text.contains(name), "{text}");
        assert!(!text.contains(value), "{text}");
    }
}

#[test]
fn optional_variables_are_applied() {
    let mut pairs = COMPLETE.to_vec();
    pairs.push((ENV_BASE_URL, "http://127.0.0.1:9/api"));
    pairs.push((ENV_ON_BEHALF_OF, "3F2504E0-4F89-41D3-9A0C-0305E82C3301"));
    pairs.push((ENV_WEBHOOK_SECRET, "whsec"));
    let config = UqPayConfig::from_lookup(lookup(&pairs)).unwrap();
    assert_eq!(
        config.base_url().as_url().as_str(),
        "http://127.0.0.1:9/api"
    );
    assert_eq!(
        config.on_behalf_of(),
        Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
    );
    assert!(config.has_webhook_secret());
}

#[test]
fn builder_defaults_to_sandbox() {
    let config = UqPayConfig::builder("c", SecretString::from("k"))
        .build()
        .unwrap();
    assert_eq!(config.environment(), Environment::Sandbox);
    assert_eq!(config.base_url().as_url().as_str(), SANDBOX_BASE_URL);
}

#[test]
fn builder_debug_hides_the_key_and_credentials_in_a_bad_base_url() {
    let builder = UqPayConfig::builder("c", SecretString::from("key-123456"))
        .base_url("https://user:pa55word@api.example.com")
        .webhook_secret(SecretString::from("whsec-123456"));
    let text = format!("{builder:?}");
    for secret in ["key-123456", "pa55word", "whsec-123456"] {
        assert!(!text.contains(secret), "{text}");
    }
}
