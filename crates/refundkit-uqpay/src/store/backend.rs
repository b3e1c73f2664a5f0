//! What a shared store engine (a directory, Redis) provides to
//! [`super::shared::SharedStore`]: sealed records, a refresh lock, fencing
//! generations and a compare-and-set write. Records are opaque bytes here;
//! sealing happens above.

use async_trait::async_trait;

use super::error::TokenStoreError;

/// One engine holding the token record of one client id and environment.
#[async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    /// Proof of holding the refresh lock; released by [`Backend::unlock`].
    type Lock: Send + Sync;

    /// `"file"` or `"redis"` (for errors and warnings).
    fn name(&self) -> &'static str;

    /// The sealed record, if there is one.
    async fn load(&self) -> Result<Option<Vec<u8>>, TokenStoreError>;

    /// Tries once to take the refresh lock; `None` while another holds it.
    async fn try_lock(&self) -> Result<Option<Self::Lock>, TokenStoreError>;

    /// Releases the lock if it is still ours.
    async fn unlock(&self, lock: Self::Lock) -> Result<(), TokenStoreError>;

    /// A fencing generation above every generation stored so far.
    async fn next_generation(&self, lock: &Self::Lock) -> Result<u64, TokenStoreError>;

    /// Writes `sealed` as the record of `generation` unless the stored record
    /// has this generation or a newer one; true if written. Atomic against
    /// every other writer.
    async fn store_if_newer(
        &self,
        generation: u64,
        expires_in_ms: u64,
        sealed: Vec<u8>,
    ) -> Result<bool, TokenStoreError>;

    /// Deletes the record if it still has `generation`.
    async fn remove_if(&self, generation: u64) -> Result<(), TokenStoreError>;
}
