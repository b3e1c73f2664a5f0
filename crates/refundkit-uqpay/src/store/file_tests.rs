//! `FileTokenStore` (and so `SharedStore`) on a real directory: two stores
//! on one directory stand for two processes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::{ExposeSecret, OffsetDateTime, RefundError, SecretString};

use super::FileTokenStore;
use crate::config::UqPayConfig;
use crate::token::{MintedToken, TokenMinter, TokenStore};

struct Dir(std::path::PathBuf);

impl Dir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("rk-file-store-{}", uuid::Uuid::new_v4()));
        Self(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(api_key: &str) -> UqPayConfig {
    UqPayConfig::builder("client-7", SecretString::from(api_key))
        .build()
        .unwrap()
}

struct CountingMinter(AtomicUsize);

#[async_trait]
impl TokenMinter for CountingMinter {
    async fn mint(&self) -> Result<MintedToken, RefundError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok(MintedToken {
            value: SecretString::from(format!("jwt-{n}")),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_at_once_mint_once() {
    let dir = Dir::new();
    let first = Arc::new(FileTokenStore::new(&dir.0, &config("key")));
    let second = Arc::new(FileTokenStore::new(&dir.0, &config("key")));
    let minter = Arc::new(CountingMinter(AtomicUsize::new(0)));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20 {
        let store = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let minter = minter.clone();
        tasks.spawn(async move { store.refresh(None, &*minter).await.unwrap().generation() });
    }
    let mut generations = Vec::new();
    while let Some(generation) = tasks.join_next().await {
        generations.push(generation.unwrap());
    }
    assert_eq!(minter.0.load(Ordering::SeqCst), 1);
    assert!(generations.iter().all(|g| *g == generations[0]));
    let read = second.get().await.unwrap();
    assert_eq!(read.generation(), generations[0]);
    assert_eq!(read.value().expose_secret(), "jwt-0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_generation_gets_the_newer_token_without_a_mint() {
    let dir = Dir::new();
    let store = FileTokenStore::new(&dir.0, &config("key"));
    let minter = CountingMinter(AtomicUsize::new(0));
    let first = store.refresh(None, &minter).await.unwrap();
    let second = store
        .refresh(Some(first.generation()), &minter)
        .await
        .unwrap();
    assert!(second.generation().0 > first.generation().0);
    let again = store
        .refresh(Some(first.generation()), &minter)
        .await
        .unwrap();
    assert_eq!(again.generation(), second.generation());
    assert_eq!(minter.0.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_sealed_with_another_api_key_is_absent_and_replaced() {
    let dir = Dir::new();
    let old = FileTokenStore::new(&dir.0, &config("old-key"));
    let minter = CountingMinter(AtomicUsize::new(0));
    let sealed_with_old = old.refresh(None, &minter).await.unwrap();
    let rotated = FileTokenStore::new(&dir.0, &config("new-key"));
    assert!(rotated.get().await.is_none());
    let fresh = rotated.refresh(None, &minter).await.unwrap();
    assert!(fresh.generation().0 > sealed_with_old.generation().0);
    assert_eq!(
        rotated.get().await.unwrap().value().expose_secret(),
        "jwt-1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_drops_only_the_named_generation() {
    let dir = Dir::new();
    let store = FileTokenStore::new(&dir.0, &config("key"));
    let minter = CountingMinter(AtomicUsize::new(0));
    let token = store.refresh(None, &minter).await.unwrap();
    store
        .invalidate(CredentialGeneration(token.generation().0 + 1))
        .await;
    assert!(store.get().await.is_some());
    store.invalidate(token.generation()).await;
    assert!(store.get().await.is_none());
    assert!(!store.token_path().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_shows_no_token_key_or_client_id() {
    let dir = Dir::new();
    let store = FileTokenStore::new(&dir.0, &config("the-api-key"));
    store
        .refresh(None, &CountingMinter(AtomicUsize::new(0)))
        .await
        .unwrap();
    let text = format!("{store:?}");
    assert!(text.contains("FileTokenStore"), "{text}");
    for secret in ["the-api-key", "jwt-0", "client-7"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(store.is_shared());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_stores_each_token_as_the_newest() {
    let dir = Dir::new();
    let store = FileTokenStore::new(&dir.0, &config("key"));
    let minted = |value: &str| MintedToken {
        value: SecretString::from(value),
        expires_at: OffsetDateTime::now_utc() + Duration::from_secs(1800),
    };
    let first = store.put(minted("one")).await;
    let second = store.put(minted("two")).await;
    assert!(second.generation().0 > first.generation().0);
    let other = FileTokenStore::new(&dir.0, &config("key"));
    let read = other.get().await.unwrap();
    assert_eq!(read.generation(), second.generation());
    assert_eq!(read.value().expose_secret(), "two");
}

#[tokio::test]
async fn reading_the_token_in_hand_again_reuses_its_prepared_header() {
    let dir = Dir::new();
    let store = FileTokenStore::new(&dir.0, &config("key"));
    let minter = CountingMinter(AtomicUsize::new(0));
    store.refresh(None, &minter).await.unwrap();
    let first = store.get().await.unwrap();
    let again = store.get().await.unwrap();
    // The same token, so the same prepared `Bearer` header, not a new one.
    assert_eq!(first.generation(), again.generation());
    assert!(std::ptr::eq(
        first.bearer_header().unwrap(),
        again.bearer_header().unwrap()
    ));
    // Another process's newer token is adopted, header and all.
    let other = FileTokenStore::new(&dir.0, &config("key"));
    other
        .refresh(Some(first.generation()), &minter)
        .await
        .unwrap();
    let newer = store.get().await.unwrap();
    assert!(newer.generation().0 > first.generation().0);
    assert_ne!(newer.value().expose_secret(), first.value().expose_secret());
}
