//! The API key, the token and the webhook secret never show in `Debug` or
//! error messages. (Logs: `tests/logs.rs`.)

use refundkit_core::RefundRequest;
use refundkit_uqpay::{
    AccessToken, CredentialGeneration, InMemoryTokenStore, MintedToken, SecretString, TokenStore,
    UqPayConfig,
};

use crate::common::*;
use crate::leaky::*;

#[tokio::test]
async fn debug_and_display_of_every_config_client_store_and_error_hide_secrets() {
    let server = leaky_server().await;
    let client = client_with_webhook_secret(&server);
    let mut texts = run_flows(&client).await;
    assert!(texts.len() >= 2, "the denied read fails: {texts:?}");

    let builder = UqPayConfig::builder(CLIENT_ID, SecretString::from(API_KEY))
        .webhook_secret(SecretString::from(WEBHOOK_SECRET));
    texts.push(format!("{builder:?}"));
    let config = builder.build().unwrap();
    texts.push(format!("{config:?}"));
    texts.push(format!("{client:?}"));
    texts.push(format!("{:?}", client.config()));

    let store = InMemoryTokenStore::new();
    let minted = MintedToken {
        value: SecretString::from(TOKEN),
        expires_at: time::OffsetDateTime::now_utc(),
    };
    texts.push(format!("{minted:?}"));
    let stored = store.put(minted.clone()).await;
    texts.push(format!("{stored:?}"));
    texts.push(format!("{store:?}"));
    texts.push(format!(
        "{:?}",
        AccessToken::new(minted, CredentialGeneration(7))
    ));

    texts.push(token_call_error_echoing_the_api_key().await);
    let empty_key = UqPayConfig::builder(CLIENT_ID, SecretString::from(" ")).build();
    texts.push(format!("{:?}", empty_key.unwrap_err()));
    let request: RefundRequest = partial("1", "USD");
    texts.push(format!("{request:?}"));

    for text in &texts {
        assert_no_secret(text);
    }
    assert!(texts.iter().any(|t| t.contains("[REDACTED]")), "{texts:?}");
}
