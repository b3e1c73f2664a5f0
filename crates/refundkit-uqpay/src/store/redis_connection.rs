//! The connection of [`super::RedisTokenStore`]: a [`ConnectionManager`] to
//! a standalone server, or a cluster connection when the server is a Redis
//! Cluster node. Both reconnect by themselves.

use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::ClusterClient;
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, Cmd, Pipeline, RedisFuture, Value};

use super::error::TokenStoreError;
use super::redis::redis_error;
use super::STORE_TIMEOUT;

/// A standalone server's or a cluster's connection; both reconnect by
/// themselves and are cheap to clone.
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(connection) => connection.req_packed_command(cmd),
            Connection::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            Connection::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}

/// Whether an `INFO cluster` answer says the server is a cluster node.
pub(super) fn says_cluster_enabled(info: &str) -> bool {
    info.lines().any(|line| line.trim() == "cluster_enabled:1")
}

/// Opens the connection: asks the server `INFO cluster`, and follows the
/// slot map when it is a cluster node.
pub(super) async fn open(client: &Client) -> Result<Connection, TokenStoreError> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(STORE_TIMEOUT / 2))
        .set_response_timeout(Some(STORE_TIMEOUT))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500));
    let mut manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
        .map_err(redis_error("connecting"))?;
    let info: String = ::redis::cmd("INFO")
        .arg("cluster")
        .query_async(&mut manager)
        .await
        .map_err(redis_error("connecting"))?;
    if !says_cluster_enabled(&info) {
        return Ok(Connection::Single(manager));
    }
    let cluster = ClusterClient::builder([client.get_connection_info().clone()])
        .connection_timeout(STORE_TIMEOUT / 2)
        .response_timeout(STORE_TIMEOUT)
        .retries(1)
        .build()
        .map_err(redis_error("connecting to the cluster"))?
        .get_async_connection()
        .await
        .map_err(redis_error("connecting to the cluster"))?;
    Ok(Connection::Cluster(cluster))
}
