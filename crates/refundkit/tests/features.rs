//! Run once per feature combination (`.ci/run` does): only the compiled-in
//! providers can be configured; naming another says which feature to enable.

use std::collections::HashMap;

use refundkit::{ProviderId, RefundError, Refunds};

fn everything_set(default: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
    let mut map: HashMap<&str, &str> = HashMap::from([
        ("UQPAY_CLIENT_ID", "client-1"),
        ("UQPAY_API_KEY", "key"),
        ("UQPAY_ENVIRONMENT", "sandbox"),
        ("WOOSHPAY_SECRET_KEY", "sk_test_x"),
    ]);
    if let Some(default) = default {
        map.insert("REFUNDKIT_PROVIDER", default);
    }
    move |name| map.get(name).map(|v| v.to_string())
}

fn compiled() -> Vec<ProviderId> {
    let mut kinds = Vec::new();
    if cfg!(feature = "uqpay") {
        kinds.push("uqpay".parse().unwrap());
    }
    if cfg!(feature = "wooshpay") {
        kinds.push("wooshpay".parse().unwrap());
    }
    kinds
}

#[test]
fn the_builtin_list_is_the_enabled_features() {
    let builtin: Vec<ProviderId> = refundkit::builtin_providers()
        .iter()
        .map(|descriptor| descriptor.id())
        .collect();
    assert_eq!(builtin, compiled());
}

#[test]
fn only_compiled_in_providers_are_configured() {
    let refunds = Refunds::from_lookup(everything_set(None)).unwrap();
    assert_eq!(refunds.providers().collect::<Vec<_>>(), compiled());
}

#[test]
fn naming_a_provider_that_is_not_compiled_in_names_the_feature() {
    for name in ["uqpay", "wooshpay"] {
        let kind: ProviderId = name.parse().unwrap();
        let result = Refunds::from_lookup(everything_set(Some(name)));
        if compiled().contains(&kind) {
            assert_eq!(result.unwrap().default_provider(), Some(kind));
        } else {
            match result {
                Err(RefundError::Config(message)) => {
                    assert!(
                        message.contains("not compiled in") && message.contains("cargo feature"),
                        "{message}"
                    );
                    let others = compiled()
                        .iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>();
                    assert!(
                        message.contains(&format!("compiled in: {}", others.join(", "))),
                        "{message}"
                    );
                }
                other => panic!("expected a Config error for {name}, got {other:?}"),
            }
        }
    }
}

#[test]
fn adapter_modules_exist_exactly_for_the_enabled_features() {
    #[cfg(feature = "uqpay")]
    let _ = refundkit::uqpay::SANDBOX_BASE_URL;
    #[cfg(feature = "wooshpay")]
    let _ = refundkit::wooshpay::TEST_BASE_URL;
    assert!(!compiled().is_empty());
}
