//! The shared UQPay token stores against real engines (a directory, a real
//! `redis-server`) and the simulator: fencing, sealing at rest, outages,
//! and texts that carry no secret.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use refundkit::uqpay::{
    AccessToken, CredentialGeneration, FileTokenStore, MintedToken, RedisTokenStore, TokenStore,
    TokenStoreSetting, UqPayClient, UqPayConfig, PROBE_INTERVAL, STORE_TIMEOUT,
};
use refundkit::{
    ExposeSecret, IdempotencyKey, Money, OffsetDateTime, RefundAmount, RefundProvider,
    RefundReason, RefundRequest, SecretString,
};
use refundkit_testkit::Simulator;
use refundkit_tests::fleet::{shared_redis_url, unique, RedisServer, TempDir};

const API_KEY: &str = "store-test-api-key";

async fn simulator() -> Simulator {
    Simulator::builder()
        .uqpay_credentials(unique("stores"), API_KEY)
        .start()
        .await
        .unwrap()
}

fn config(sim: &Simulator, store: TokenStoreSetting) -> UqPayConfig {
    UqPayConfig::builder(sim.uqpay_client_id(), SecretString::from(API_KEY))
        .base_url(&sim.uqpay_base_url())
        .token_store(store)
        .build()
        .unwrap()
}

fn token(value: &str, generation: u64) -> AccessToken {
    AccessToken::new(
        MintedToken {
            value: SecretString::from(value),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
        },
        CredentialGeneration(generation),
    )
}

async fn refund(client: &UqPayClient, payment: &str, reference: &str) -> Result<(), String> {
    let request = RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::parse("0.01", "USD").unwrap()),
        RefundReason::RequestedByCustomer,
    )
    .idempotency_key(IdempotencyKey::derive("stores", reference).unwrap())
    .build()
    .unwrap();
    client
        .create_refund(&request)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What the simulator answers to `Bearer <candidate>`.
async fn status_with_token(sim: &Simulator, payment: &str, candidate: &str) -> u16 {
    reqwest::Client::new()
        .get(format!(
            "{}/v2/payment_intents/{payment}",
            sim.uqpay_base_url()
        ))
        .header("x-client-id", sim.uqpay_client_id())
        .header("x-auth-token", format!("Bearer {candidate}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Every way someone might try the stored bytes as a token.
fn candidates(raw: &[u8]) -> Vec<String> {
    let printable: String = String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect();
    vec![
        printable,
        base64::engine::general_purpose::STANDARD.encode(raw),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
        hex::encode(raw),
    ]
}

async fn assert_raw_record_does_not_authenticate(
    sim: &Simulator,
    payment: &str,
    live: &SecretString,
    raw: &[u8],
) {
    let live = live.expose_secret();
    assert_eq!(status_with_token(sim, payment, live).await, 200);
    assert!(
        !String::from_utf8_lossy(raw).contains(live),
        "the token is stored in clear"
    );
    for candidate in candidates(raw) {
        assert_eq!(status_with_token(sim, payment, &candidate).await, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_loses_to_a_newer_generation_in_a_file() {
    let sim = simulator().await;
    let dir = TempDir::new("cas");
    let store = FileTokenStore::new(dir.path(), &config(&sim, TokenStoreSetting::Memory));
    assert!(store.store_if_newer(&token("gen-5", 5)).await.unwrap());
    assert!(!store.store_if_newer(&token("gen-3", 3)).await.unwrap());
    assert!(!store
        .store_if_newer(&token("gen-5-again", 5))
        .await
        .unwrap());
    let current = store.get().await.unwrap();
    assert_eq!(current.generation(), CredentialGeneration(5));
    assert_eq!(current.value().expose_secret(), "gen-5");
    assert!(store.store_if_newer(&token("gen-6", 6)).await.unwrap());
    assert_eq!(
        store.get().await.unwrap().generation(),
        CredentialGeneration(6)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_loses_to_a_newer_generation_in_redis() {
    let Some(url) = shared_redis_url("a_stale_writer_loses_in_redis") else {
        return;
    };
    let sim = simulator().await;
    let config = config(&sim, TokenStoreSetting::Memory);
    let store = RedisTokenStore::new(&SecretString::from(url.clone()), &config).unwrap();
    assert!(store.store_if_newer(&token("gen-5", 5)).await.unwrap());
    assert!(!store.store_if_newer(&token("gen-3", 3)).await.unwrap());
    assert!(!store
        .store_if_newer(&token("gen-5-again", 5))
        .await
        .unwrap());
    // Another process (a store with nothing in memory) reads generation 5.
    let other = RedisTokenStore::new(&SecretString::from(url), &config).unwrap();
    let current = other.get().await.unwrap();
    assert_eq!(current.generation(), CredentialGeneration(5));
    assert_eq!(current.value().expose_secret(), "gen-5");
    assert!(store.token_key().starts_with("{refundkit:uqpay:sandbox:"));
    assert!(!store.token_key().contains(sim.uqpay_client_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_straight_from_the_file_does_not_authenticate() {
    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let dir = TempDir::new("raw-file");
    let config = config(&sim, TokenStoreSetting::File(dir.path().into()));
    let store = Arc::new(FileTokenStore::new(dir.path(), &config));
    let client = UqPayClient::with_token_store(config, store.clone()).unwrap();
    refund(&client, &payment, "raw-file").await.unwrap();
    let raw = std::fs::read(store.token_path()).unwrap();
    let live = store.get().await.unwrap();
    assert_raw_record_does_not_authenticate(&sim, &payment, live.value(), &raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_straight_from_redis_does_not_authenticate() {
    let Some(url) = shared_redis_url("a_token_read_straight_from_redis") else {
        return;
    };
    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let config = config(
        &sim,
        TokenStoreSetting::Redis(SecretString::from(url.clone())),
    );
    let store = Arc::new(RedisTokenStore::new(&SecretString::from(url.clone()), &config).unwrap());
    let client = UqPayClient::with_token_store(config, store.clone()).unwrap();
    refund(&client, &payment, "raw-redis").await.unwrap();
    let mut redis = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let raw: Vec<u8> = redis::cmd("HGET")
        .arg(store.token_key())
        .arg("sealed")
        .query_async(&mut redis)
        .await
        .unwrap();
    let live = store.get().await.unwrap();
    assert_raw_record_does_not_authenticate(&sim, &payment, live.value(), &raw).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_store_is_owner_only_and_leaves_no_temporary_files() {
    use std::os::unix::fs::PermissionsExt;
    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let parent = TempDir::new("perms");
    let dir = parent.path().join("a").join("tokens");
    let config = config(&sim, TokenStoreSetting::File(dir.clone()));
    let client = UqPayClient::new(config).unwrap();
    refund(&client, &payment, "perms").await.unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|name| name.ends_with(".token")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|name| name.ends_with(".tmp")),
        "{names:?}"
    );
    assert!(!names
        .iter()
        .any(|name| name.contains(sim.uqpay_client_id())));
    for name in &names {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_go_on_when_the_file_store_cannot_be_written() {
    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let parent = TempDir::new("unwritable");
    let not_a_directory = parent.path().join("file");
    std::fs::write(&not_a_directory, b"a file where the directory should be").unwrap();
    let dir = not_a_directory.join("tokens");
    let config = config(&sim, TokenStoreSetting::File(dir.clone()));
    let store = Arc::new(FileTokenStore::new(&dir, &config));
    let client = UqPayClient::with_token_store(config, store.clone()).unwrap();
    for index in 0..5 {
        refund(&client, &payment, &format!("unwritable-{index}"))
            .await
            .unwrap();
    }
    assert_eq!(sim.uqpay().tokens_minted(), 1);
    let error = store
        .store_if_newer(&token("a-secret-token", 9))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?} {store:?}");
    assert!(text.contains("file"), "{text}");
    for secret in [API_KEY, "a-secret-token", sim.uqpay_client_id()] {
        assert!(!text.contains(secret), "{text}");
    }
}

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn refunds_go_on_while_redis_is_down_and_it_is_used_again_when_back() {
    const PASSWORD: &str = "hunter2-redis-password";
    let Some(mut server) = RedisServer::start("redis_outage", Some(PASSWORD)) else {
        return;
    };
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("100.00", "USD").unwrap());
    let url = SecretString::from(server.url());
    let config = config(&sim, TokenStoreSetting::Redis(url.clone()));
    let client = UqPayClient::new(config.clone()).unwrap();
    let in_redis = || async {
        RedisTokenStore::new(&url, &config)
            .unwrap()
            .get()
            .await
            .map(|token| token.generation())
    };
    for index in 0..5 {
        refund(&client, &payment, &format!("before-{index}"))
            .await
            .unwrap();
    }
    let generation = in_redis().await.expect("the token is in Redis");

    server.stop();
    for index in 0..10 {
        let started = Instant::now();
        refund(&client, &payment, &format!("during-{index}"))
            .await
            .unwrap();
        assert!(
            started.elapsed() < STORE_TIMEOUT + Duration::from_secs(1),
            "a refund waited {:?} on a store that is down",
            started.elapsed()
        );
    }
    assert_eq!(
        sim.uqpay().tokens_minted(),
        1,
        "the in-process token carried on"
    );

    server.restart();
    tokio::time::sleep(PROBE_INTERVAL + Duration::from_millis(100)).await;
    for index in 0..5 {
        refund(&client, &payment, &format!("after-{index}"))
            .await
            .unwrap();
    }
    assert_eq!(
        in_redis().await,
        Some(generation),
        "the restarted (empty) Redis holds the token again"
    );
    assert_eq!(sim.uqpay().tokens_minted(), 1);

    let logs = logs.text();
    let warnings = logs.lines().filter(|line| line.contains("WARN")).count();
    assert_eq!(warnings, 1, "one warning per outage:\n{logs}");
    assert!(logs.contains("token store is back"), "{logs}");
    assert!(!logs.contains(PASSWORD), "{logs}");
    let debug = format!(
        "{client:?} {:?}",
        RedisTokenStore::new(&url, &config).unwrap()
    );
    assert!(
        !debug.contains(PASSWORD) && !debug.contains(API_KEY),
        "{debug}"
    );
}

#[test]
fn an_unparsable_redis_url_is_named_by_its_variable_not_shown() {
    let config = UqPayConfig::builder("client", SecretString::from(API_KEY))
        .build()
        .unwrap();
    let url = SecretString::from("redis://:hunter2@[not-a-host/");
    let error = RedisTokenStore::new(&url, &config).unwrap_err().to_string();
    assert!(error.contains("UQPAY_TOKEN_STORE"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_token_in_a_shared_store_is_replaced_once_but_not_in_a_private_one() {
    let sim = simulator().await;
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    // A token UQPay does not know (minted by a process that died before storing its own).
    let dir = TempDir::new("dead");
    let config = config(&sim, TokenStoreSetting::File(dir.path().into()));
    let shared = Arc::new(FileTokenStore::new(dir.path(), &config));
    assert!(shared
        .store_if_newer(&token("dead-token", 1))
        .await
        .unwrap());
    let client = UqPayClient::with_token_store(config.clone(), shared.clone()).unwrap();
    refund(&client, &payment, "dead-shared").await.unwrap();
    assert_eq!(sim.uqpay().tokens_minted(), 1);
    assert_eq!(
        shared.get().await.unwrap().generation(),
        CredentialGeneration(2)
    );

    // In one process's own store, an unknown token means another process
    // minted: replacing it would invalidate theirs, so the 401 stands.
    let private = Arc::new(refundkit::uqpay::InMemoryTokenStore::new());
    private
        .put(MintedToken {
            value: SecretString::from("dead-token"),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
        })
        .await;
    let client = UqPayClient::with_token_store(config, private).unwrap();
    let error = refund(&client, &payment, "dead-private").await.unwrap_err();
    assert!(error.contains("invalid auth token"), "{error}");
    assert_eq!(sim.uqpay().tokens_minted(), 1);
}
