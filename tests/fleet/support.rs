//! Test support: temporary directories, and Redis for the tests that need
//! it — the shared server `.ci/run` starts (`REFUNDKIT_TEST_REDIS_URL`), or
//! a private `redis-server` process a test may stop and restart. Without
//! them a test prints why it is skipped; under CI (`CI=true`) it fails.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The variable naming the shared test Redis.
pub const REDIS_URL_VAR: &str = "REFUNDKIT_TEST_REDIS_URL";

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// `None` (with a printed reason) when there is no test Redis; a panic under CI.
pub fn shared_redis_url(test: &str) -> Option<String> {
    match std::env::var(REDIS_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if under_ci() => {
            panic!("{test}: {REDIS_URL_VAR} is not set under CI (.ci/run starts Redis)")
        }
        _ => {
            eprintln!("skipped {test}: {REDIS_URL_VAR} is not set (.ci/run sets it)");
            None
        }
    }
}

/// A unique name for this process and call.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A directory removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("temp dir {path:?}: {e}"));
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A private `redis-server` on a loopback port, no persistence.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    password: Option<String>,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// `None` (with a printed reason) when `redis-server` is not installed;
    /// a panic under CI.
    pub fn start(test: &str, password: Option<&str>) -> Option<Self> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            if under_ci() {
                panic!("{test}: redis-server is not installed under CI (.ci/run installs it)");
            }
            eprintln!(
                "skipped {test}: redis-server is not installed (apt-get install redis-server)"
            );
            return None;
        }
        let mut server = Self {
            port: free_port(),
            password: password.map(str::to_string),
            dir: TempDir::new("redis"),
            child: None,
        };
        server.restart();
        Some(server)
    }

    /// `redis://[:password@]127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// Stops the server (its data is gone: no persistence).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting redis-server: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private three-primary Redis Cluster on loopback ports, no persistence.
#[derive(Debug)]
pub struct RedisCluster {
    ports: Vec<u16>,
    _dir: TempDir,
    children: Vec<Child>,
}

impl RedisCluster {
    /// `None` (with a printed reason) when `redis-server` or `redis-cli` is
    /// not installed; a panic under CI.
    pub fn start(test: &str) -> Option<Self> {
        let installed = |program: &str| {
            Command::new(program)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if !installed("redis-server") || !installed("redis-cli") {
            if under_ci() {
                panic!("{test}: redis-server or redis-cli is not installed under CI");
            }
            eprintln!("skipped {test}: redis-server or redis-cli is not installed");
            return None;
        }
        let dir = TempDir::new("redis-cluster");
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut children = Vec::new();
        for port in &ports {
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap_or_else(|e| panic!("{e}"));
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting redis-server: {e}"));
            children.push(child);
        }
        let cluster = Self {
            ports,
            _dir: dir,
            children,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in &cluster.ports {
            while TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(Instant::now() < deadline, "redis-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(created, "redis-cli --cluster create failed");
        loop {
            let ok = cluster.ports.iter().all(|port| {
                Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .is_ok_and(|out| {
                        String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok")
                    })
            });
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(cluster)
    }

    /// The URL of the first node (the seed).
    pub fn url(&self) -> String {
        format!(
            "redis://127.0.0.1:{}/",
            self.ports.first().copied().unwrap_or(0)
        )
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
