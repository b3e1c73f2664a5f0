//! The HTTP simulators of UQPay and WooshPay, started in-process.

mod echo;
mod fault;
mod handle;
mod journal;
mod server;
pub(crate) mod uqpay;
pub(crate) mod wooshpay;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use refundkit_core::ProviderId;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use fault::{Calls, Fault, Route};
pub use handle::ProviderSim;
pub use journal::{JournalEntry, MASK};

use crate::idempotency::{Clock, IdempotencyStore, DEFAULT_IDEMPOTENCY_WINDOW};
use crate::ledger::{IdScheme, Ledger};
use crate::model::SettleMode;
use fault::FaultScript;
use journal::Journal;
use server::{Api, Reply};
use uqpay::TokenStore;
pub use uqpay::{SupersededAnswer, UQPAY};
pub use wooshpay::WOOSHPAY;

/// Default UQPay client id (`x-client-id`).
pub const DEFAULT_UQPAY_CLIENT_ID: &str = "sim-client";
/// Default UQPay API key (`x-api-key`).
pub const DEFAULT_UQPAY_API_KEY: &str = "sim-api-key";
/// Default WooshPay secret key (HTTP Basic user).
pub const DEFAULT_WOOSHPAY_SECRET_KEY: &str = "sk_test_simulator";
/// Default UQPay token lifetime: 30 minutes, as in production.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// The credentials a simulated provider accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimCredentials {
    /// UQPay: the token call checks both.
    UqPay {
        /// `x-client-id`.
        client_id: String,
        /// `x-api-key`.
        api_key: String,
    },
    /// WooshPay: HTTP Basic with the secret key as user, empty password.
    WooshPay {
        /// `sk_test_…` or `sk_live_…`.
        secret_key: String,
    },
}

/// Why a simulator did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot listen for {provider} on {addr}: {source}")]
    Bind {
        /// The provider being started.
        provider: ProviderId,
        /// The address asked for.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// A setting is unusable (names the setting, never a secret).
    #[error("invalid simulator setting: {0}")]
    Config(String),
}

/// The shared state behind one simulated provider.
pub(crate) struct SimCore {
    pub spec: &'static Spec,
    pub base_url: String,
    pub credentials: SimCredentials,
    pub ledger: Mutex<Ledger>,
    pub journal: Journal,
    pub faults: FaultScript,
    pub idempotency: Mutex<IdempotencyStore<serde_json::Value, Reply>>,
    pub tokens: Mutex<TokenStore>,
    /// The "echo secrets" mode ([`ProviderSim::echo_secrets`]).
    pub echo: echo::EchoSecrets,
}

/// What one simulated provider is: the id it serves as, its URL layout and
/// ids, its API, and the variables that point its adapter at it. Each
/// simulator module has one; the simulator starts them in a loop.
pub(crate) struct Spec {
    /// The provider id the simulator serves as (the adapter's id).
    pub id: ProviderId,
    /// The API's path under the server root (`/api`, or empty).
    pub path: &'static str,
    /// Its id prefixes.
    pub ids: IdScheme,
    /// A well-formed refund id no refund has.
    pub unknown_refund_id: &'static str,
    /// The credentials it accepts, from the builder's settings.
    pub credentials: fn(&SimulatorBuilder) -> SimCredentials,
    /// The port to listen on, from the builder's settings (0: any).
    pub port: fn(&SimulatorBuilder) -> u16,
    /// Its endpoints over `core`.
    pub api: fn(Arc<SimCore>) -> Arc<dyn Api>,
    /// The variables its adapter reads to talk to it (credentials and URL).
    pub variables: fn(&SimCore) -> Vec<(&'static str, String)>,
    /// A webhook delivery announcing `refund`'s state, signed with a secret.
    pub webhook: fn(&crate::model::SimRefund, &str) -> crate::webhook::SignedWebhook,
}

/// The simulated providers, in the order the simulator starts them.
const SPECS: [&Spec; 2] = [&uqpay::SPEC, &wooshpay::SPEC];

/// Settings for [`Simulator`]; start with [`Simulator::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SimulatorBuilder {
    host: IpAddr,
    pub(crate) uqpay_port: u16,
    pub(crate) wooshpay_port: u16,
    pub(crate) uqpay_client_id: String,
    pub(crate) uqpay_api_key: String,
    pub(crate) wooshpay_secret_key: String,
    token_ttl: Duration,
    superseded_answer: SupersededAnswer,
    settle_mode: SettleMode,
    idempotency_window: Duration,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            uqpay_port: 0,
            wooshpay_port: 0,
            uqpay_client_id: DEFAULT_UQPAY_CLIENT_ID.into(),
            uqpay_api_key: DEFAULT_UQPAY_API_KEY.into(),
            wooshpay_secret_key: DEFAULT_WOOSHPAY_SECRET_KEY.into(),
            token_ttl: DEFAULT_TOKEN_TTL,
            superseded_answer: SupersededAnswer::default(),
            settle_mode: SettleMode::Instant,
            idempotency_window: DEFAULT_IDEMPOTENCY_WINDOW,
        }
    }
}

impl SimulatorBuilder {
    /// UQPay's port (default 0: any free port).
    pub fn uqpay_port(mut self, port: u16) -> Self {
        self.uqpay_port = port;
        self
    }

    /// WooshPay's port (default 0: any free port).
    pub fn wooshpay_port(mut self, port: u16) -> Self {
        self.wooshpay_port = port;
        self
    }

    /// UQPay's client id and API key (default `sim-client` / `sim-api-key`).
    pub fn uqpay_credentials(
        mut self,
        client_id: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        self.uqpay_client_id = client_id.into();
        self.uqpay_api_key = api_key.into();
        self
    }

    /// WooshPay's secret key (default `sk_test_simulator`); must start with `sk_`.
    pub fn wooshpay_secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.wooshpay_secret_key = secret_key.into();
        self
    }

    /// UQPay token lifetime (default 30 minutes).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// UQPay: the 401 a token superseded by a newer mint gets (default
    /// [`SupersededAnswer::InvalidAuthToken`]). Either way it is refused.
    pub fn uqpay_superseded_answer(mut self, answer: SupersededAnswer) -> Self {
        self.superseded_answer = answer;
        self
    }

    /// How refunds settle at both providers (default [`SettleMode::Instant`]).
    pub fn settle_mode(mut self, mode: SettleMode) -> Self {
        self.settle_mode = mode;
        self
    }

    /// How long both providers remember an idempotency key after its first
    /// use (default [`DEFAULT_IDEMPOTENCY_WINDOW`], 24 hours). Once a key's
    /// window has passed, the same key and body make a **new** refund, as a
    /// real provider that has forgotten the key would; tests of recovery
    /// after the window set about a second. `Duration::ZERO` forgets every
    /// key as soon as its request completes.
    pub fn idempotency_window(mut self, window: Duration) -> Self {
        self.idempotency_window = window;
        self
    }

    /// Binds both providers on loopback and starts serving.
    pub async fn start(self) -> Result<Simulator, SimError> {
        if self.uqpay_client_id.is_empty() || self.uqpay_api_key.is_empty() {
            return Err(SimError::Config(
                "UQPay client id and API key must not be empty".into(),
            ));
        }
        if !self.wooshpay_secret_key.starts_with("sk_") || self.wooshpay_secret_key.len() <= 3 {
            return Err(SimError::Config(
                "the WooshPay secret key must start with sk_ (sk_test_… or sk_live_…)".into(),
            ));
        }
        let (shutdown, watch) = watch::channel(false);
        let mut listeners = Vec::with_capacity(SPECS.len());
        for spec in SPECS {
            listeners.push(self.bind(spec.id, (spec.port)(&self)).await?);
        }
        let mut started = SPECS
            .iter()
            .zip(listeners)
            .map(|(spec, listener)| self.launch(listener, spec, watch.clone()));
        let mut next = || {
            started
                .next()
                .unwrap_or_else(|| Err(SimError::Config("a simulator did not start".into())))
        };
        let providers = [next()?, next()?];
        Ok(Simulator {
            providers,
            _shutdown: shutdown,
        })
    }

    async fn bind(&self, provider: ProviderId, port: u16) -> Result<TcpListener, SimError> {
        let addr = SocketAddr::new(self.host, port);
        TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind {
                provider,
                addr,
                source,
            })
    }

    fn launch(
        &self,
        listener: TcpListener,
        spec: &'static Spec,
        shutdown: watch::Receiver<bool>,
    ) -> Result<ProviderSim, SimError> {
        let addr = server::local_addr(&listener).map_err(|source| SimError::Bind {
            provider: spec.id,
            addr: SocketAddr::new(self.host, 0),
            source,
        })?;
        let base_url = format!("http://{addr}{}", spec.path);
        let core = Arc::new(new_core(spec, base_url, (spec.credentials)(self), self));
        let api = (spec.api)(core.clone());
        tokio::spawn(server::serve(listener, api, core.clone(), shutdown));
        Ok(ProviderSim::new(core))
    }
}

fn new_core(
    spec: &'static Spec,
    base_url: String,
    credentials: SimCredentials,
    settings: &SimulatorBuilder,
) -> SimCore {
    SimCore {
        spec,
        base_url,
        credentials,
        ledger: Mutex::new(Ledger::new(spec.ids, settings.settle_mode)),
        journal: Journal::default(),
        faults: FaultScript::default(),
        idempotency: Mutex::new(IdempotencyStore::new(
            settings.idempotency_window,
            Clock::default(),
        )),
        tokens: Mutex::new({
            let mut tokens = TokenStore::new(settings.token_ttl);
            tokens.set_superseded_answer(settings.superseded_answer);
            tokens
        }),
        echo: echo::EchoSecrets::default(),
    }
}

/// Both simulated providers, serving on loopback until dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use refundkit_testkit::Simulator;
///
/// let sim = Simulator::start().await?;
/// assert!(sim.uqpay_base_url().ends_with("/api"));
/// assert_eq!(sim.uqpay_client_id(), "sim-client");
/// assert_eq!(sim.wooshpay_secret_key(), "sk_test_simulator");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Simulator {
    /// One per [`SPECS`] entry, in that order.
    providers: [ProviderSim; 2],
    /// Dropping the sender stops every server task and connection.
    _shutdown: watch::Sender<bool>,
}

impl Simulator {
    /// Starts both providers on free loopback ports with the default
    /// credentials (`sim-client` / `sim-api-key`, `sk_test_simulator`).
    pub async fn start() -> Result<Self, SimError> {
        SimulatorBuilder::default().start().await
    }

    /// Settings for ports, credentials, token lifetime, settle mode and
    /// idempotency window.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Every simulated provider, in the order they started.
    pub fn providers(&self) -> impl Iterator<Item = &ProviderSim> {
        self.providers.iter()
    }

    /// The simulator serving as provider `id`, if there is one.
    pub fn provider(&self, id: ProviderId) -> Option<&ProviderSim> {
        self.providers.iter().find(|sim| sim.id() == id)
    }

    /// Every simulated provider's variables together
    /// ([`ProviderSim::variables`]): what a process's environment needs to
    /// reach them all.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        self.providers
            .iter()
            .flat_map(ProviderSim::variables)
            .collect()
    }

    /// The UQPay simulator's controls.
    pub fn uqpay(&self) -> &ProviderSim {
        let [uqpay, _] = &self.providers;
        uqpay
    }

    /// The WooshPay simulator's controls.
    pub fn wooshpay(&self) -> &ProviderSim {
        let [_, wooshpay] = &self.providers;
        wooshpay
    }

    /// `http://127.0.0.1:PORT/api`.
    pub fn uqpay_base_url(&self) -> String {
        self.uqpay().base_url().to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn wooshpay_base_url(&self) -> String {
        self.wooshpay().base_url().to_string()
    }

    /// The UQPay client id accepted.
    pub fn uqpay_client_id(&self) -> &str {
        match self.uqpay().credentials() {
            SimCredentials::UqPay { client_id, .. } => client_id,
            SimCredentials::WooshPay { .. } => "",
        }
    }

    /// The UQPay API key accepted.
    pub fn uqpay_api_key(&self) -> &str {
        match self.uqpay().credentials() {
            SimCredentials::UqPay { api_key, .. } => api_key,
            SimCredentials::WooshPay { .. } => "",
        }
    }

    /// The WooshPay secret key accepted.
    pub fn wooshpay_secret_key(&self) -> &str {
        match self.wooshpay().credentials() {
            SimCredentials::WooshPay { secret_key } => secret_key,
            SimCredentials::UqPay { .. } => "",
        }
    }
}
