//! `RedisTokenStore` on a real three-primary Redis Cluster (private
//! `redis-server` processes): the store follows the slot map from any seed
//! node, and four worker processes still lose no refund and mint once per
//! expiry.

use std::sync::Arc;
use std::time::Duration;

use refundkit::uqpay::{
    AccessToken, CredentialGeneration, MintedToken, RedisTokenStore, TokenStore, TokenStoreSetting,
    UqPayClient, UqPayConfig,
};
use refundkit::{
    ExposeSecret, IdempotencyKey, Money, OffsetDateTime, RefundAmount, RefundProvider,
    RefundReason, RefundRequest, SecretString,
};
use refundkit_testkit::{Simulator, SupersededAnswer};
use refundkit_tests::fleet::{run_fleet, unique, FleetSpec, FleetStore, RedisCluster};

const WORKER: &str = env!("CARGO_BIN_EXE_refundkit-fleet-worker");

/// A client id whose keys live on another node than the seed (so the
/// store must follow a MOVED redirect).
async fn client_id_off_the_seed(seed: &str) -> String {
    let mut plain = redis::Client::open(seed)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    loop {
        let client_id = unique("cluster");
        let config = UqPayConfig::builder(&client_id, SecretString::from("k"))
            .build()
            .unwrap();
        let store = RedisTokenStore::new(&SecretString::from(seed), &config).unwrap();
        let answer: redis::RedisResult<Option<String>> = redis::cmd("HGET")
            .arg(store.token_key())
            .arg("sealed")
            .query_async(&mut plain)
            .await;
        if answer.is_err() {
            return client_id;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_shares_one_token_across_slots_and_processes() {
    let Some(cluster) = RedisCluster::start("a_redis_cluster_shares_one_token") else {
        return;
    };
    let seed = cluster.url();
    let client_id = client_id_off_the_seed(&seed).await;
    let sim = Simulator::builder()
        .uqpay_credentials(&client_id, "cluster-api-key")
        .start()
        .await
        .unwrap();
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let config = UqPayConfig::builder(&client_id, SecretString::from("cluster-api-key"))
        .base_url(&sim.uqpay_base_url())
        .token_store(TokenStoreSetting::Redis(SecretString::from(seed.clone())))
        .build()
        .unwrap();
    let store = Arc::new(RedisTokenStore::new(&SecretString::from(seed.clone()), &config).unwrap());
    let client = UqPayClient::with_token_store(config.clone(), store.clone()).unwrap();
    for n in 0..3 {
        let request = RefundRequest::builder(
            payment.as_str(),
            RefundAmount::Partial(Money::parse("0.01", "USD").unwrap()),
            RefundReason::RequestedByCustomer,
        )
        .idempotency_key(IdempotencyKey::derive("cluster", &n.to_string()).unwrap())
        .build()
        .unwrap();
        client.create_refund(&request).await.unwrap();
    }
    assert_eq!(sim.uqpay().tokens_minted(), 1);
    let stored = store.get().await.unwrap();
    // Fenced writes on the cluster: a stale writer loses.
    let stale = AccessToken::new(
        MintedToken {
            value: SecretString::from("stale"),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(60),
        },
        CredentialGeneration(stored.generation().0.saturating_sub(1)),
    );
    assert!(!store.store_if_newer(&stale).await.unwrap());
    let other = RedisTokenStore::new(&SecretString::from(seed.clone()), &config).unwrap();
    assert_eq!(
        other.get().await.unwrap().value().expose_secret(),
        stored.value().expose_secret()
    );
    drop(sim);

    let spec = FleetSpec {
        processes: 4,
        refunds_per_process: 100,
        concurrency: 64,
        store: FleetStore::Redis(seed),
        superseded: SupersededAnswer::InvalidAuthToken,
        expire_mid_run: true,
    };
    let figures = run_fleet(WORKER.as_ref(), &[], &spec).await;
    let summary = figures.summary(&spec);
    println!("cluster: {summary}");
    assert_eq!(figures.failed, 0, "{summary}");
    assert_eq!(figures.mints, 1 + figures.expiries, "{summary}");
}
