//! The Redis engine's lock and fence against a real server
//! (`REFUNDKIT_TEST_REDIS_URL`, started by `.ci/run`; skipped without it,
//! failed under `CI=true`).

use refundkit_core::SecretString;

use super::super::backend::Backend;
use super::RedisTokenStore;
use crate::config::UqPayConfig;

fn store(test: &str) -> Option<RedisTokenStore> {
    let Ok(url) = std::env::var("REFUNDKIT_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: REFUNDKIT_TEST_REDIS_URL is not set under CI"
        );
        eprintln!("skipped {test}: REFUNDKIT_TEST_REDIS_URL is not set");
        return None;
    };
    let client_id = format!("redis-unit-{}", uuid::Uuid::new_v4());
    let config = UqPayConfig::builder(client_id, SecretString::from("key"))
        .build()
        .unwrap();
    Some(RedisTokenStore::new(&SecretString::from(url), &config).unwrap())
}

#[tokio::test]
async fn the_lock_is_exclusive_and_released_only_by_its_owner() {
    let Some(store) = store("the_lock_is_exclusive") else {
        return;
    };
    let backend = store.shared.backend();
    let owner = backend.try_lock().await.unwrap().expect("free lock");
    assert!(backend.try_lock().await.unwrap().is_none(), "held");
    backend.unlock("someone-else".to_string()).await.unwrap();
    assert!(backend.try_lock().await.unwrap().is_none(), "still held");
    backend.unlock(owner).await.unwrap();
    let again = backend.try_lock().await.unwrap().expect("released");
    backend.unlock(again).await.unwrap();
}

#[tokio::test]
async fn fencing_generations_grow_past_the_stored_record() {
    let Some(store) = store("fencing_generations_grow") else {
        return;
    };
    let backend = store.shared.backend();
    let lock = backend.try_lock().await.unwrap().expect("free lock");
    let first = backend.next_generation(&lock).await.unwrap();
    let second = backend.next_generation(&lock).await.unwrap();
    assert!(second > first);
    // A record written with a higher generation (say, by a store seeded
    // after a restart) pushes the counter past it.
    assert!(backend
        .store_if_newer(second + 10, 60_000, b"sealed".to_vec())
        .await
        .unwrap());
    assert!(backend.next_generation(&lock).await.unwrap() > second + 10);
    backend.remove_if(second + 10).await.unwrap();
    assert!(backend.load().await.unwrap().is_none());
    backend.unlock(lock).await.unwrap();
}

#[test]
fn only_cluster_enabled_1_means_a_cluster() {
    use super::super::redis_connection::says_cluster_enabled;
    assert!(says_cluster_enabled("# Cluster\r\ncluster_enabled:1\r\n"));
    assert!(!says_cluster_enabled("# Cluster\r\ncluster_enabled:0\r\n"));
    assert!(!says_cluster_enabled(""));
}
