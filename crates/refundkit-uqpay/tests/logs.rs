//! TRACE-level logs of create, get and 401 flows never contain the API key
//! or a token. A binary of its own: tracing's callsite interest cache is
//! global, and tests registering callsites in parallel could hide events
//! from a thread-local subscriber.

#[allow(dead_code)]
#[path = "it/common.rs"]
mod common;
#[path = "it/leaky.rs"]
mod leaky;

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use leaky::*;

#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn trace_logs_of_create_get_and_401_flows_hide_secrets() {
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = leaky_server().await;
    let client = client_with_webhook_secret(&server);
    run_flows(&client).await;
    token_call_error_echoing_the_api_key().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("refundkit.http"),
        "logs were captured: {text}"
    );
    assert!(text.contains("minted an access token"), "{text}");
    assert!(
        text.contains("credentials refreshed"),
        "the 401 flow ran: {text}"
    );
    assert_no_secret(&text);
}
