//! A webhook receiver for both providers in a few lines (feature `axum`):
//! `cargo run -p refundkit --features axum --example webhook_server`, with
//! `UQPAY_*` / `WOOSHPAY_*` (and their `*_WEBHOOK_SECRET`) set, listens on
//! 127.0.0.1:8080 (or `LISTEN`).

use std::sync::Arc;

use axum::routing::post;
use axum::Router;
use refundkit::axum::{VerifiedWebhook, WebhookReceiver};
use refundkit::Refunds;

async fn on_refund_event(VerifiedWebhook(event): VerifiedWebhook) -> &'static str {
    // Deduplicate by event_id; re-read the refund before acting on money.
    println!(
        "{} {} {} {}",
        event.event_id,
        event.kind.as_str(),
        event.refund.refund_ref(),
        event.refund.status
    );
    "ok"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let refunds = Arc::new(Refunds::from_env()?);
    let route = |provider| {
        Router::new()
            .route("/", post(on_refund_event))
            .with_state(WebhookReceiver::new(refunds.clone(), provider))
    };
    let app = Router::new()
        .nest("/webhooks/uqpay", route(refundkit::uqpay::PROVIDER))
        .nest("/webhooks/wooshpay", route(refundkit::wooshpay::PROVIDER));
    let address = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("receiving refund webhooks on http://{address}/webhooks/{{uqpay,wooshpay}}");
    axum::serve(listener, app).await?;
    Ok(())
}
