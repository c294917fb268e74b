//! The area versions, held in this process under a lease, so that a hit on
//! a near copy needs no round trip to Redis.
//!
//! The rule stays the one of the whole cache: a look-up sees every write
//! that finished before it began, on any instance. Holding the versions
//! locally keeps it because a write only finishes once every instance that
//! may be answering from its local versions has taken the write in:
//!
//! - Each instance registers a lease in Redis (a sorted set scored by its
//!   expiry, in Redis's clock) and renews it often. It answers from its local
//!   versions only while its lease holds, by its own clock, counted from
//!   before it asked for the lease and ending a margin early.
//! - A renewal publishes a heartbeat on the versions channel, and the lease
//!   counts only once this instance has heard its own heartbeat. Messages on
//!   one subscription arrive in the order Redis ran them, so hearing the
//!   heartbeat proves the subscription works and that every write announced
//!   before the renewal has been taken in.
//! - A write bumps the versions, publishes the new ones and lists the live
//!   leases in one script, then waits until each lease holder has
//!   acknowledged it (this instance acknowledges by taking the message in)
//!   or until that lease has lapsed. A holder that stopped answering costs a
//!   write at most one lease, never a stale answer: by the time its lease
//!   lapses in Redis it stopped answering locally, and any renewal after the
//!   write is heard after the write's message.
//!
//! When the subscription breaks, local answers stop at once and the lease is
//! given back; look-ups read the versions from Redis until a new lease is
//! confirmed. Versions are replaced, never merged, in the order Redis ran
//! the writes, so a Redis that restarted empty is followed too; an epoch
//! (set afresh in an empty Redis) keeps acknowledgements of the old
//! sequence from standing for the new one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError, Weak},
    time::Duration,
};

use futures_util::StreamExt;
use tokio::{
    sync::{Notify, watch},
    time::Instant,
};

use super::{AREAS, Versions};
use crate::shared::SharedStore;

/// How long a lease lasts, and so the longest a write waits for an
/// instance that stopped answering.
const LEASE: Duration = Duration::from_millis(2_000);
/// How often a lease is renewed: three renewals may fail before it lapses.
const RENEW_EVERY: Duration = Duration::from_millis(500);
/// How much earlier than Redis this instance considers its lease over, for
/// clocks that do not tick quite alike.
const LEASE_MARGIN: Duration = Duration::from_millis(250);
/// Pause before subscribing again after the subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(500);

/// Bumps the areas marked in ARGV[4..6], then, in the same step, announces
/// the new versions and lists the leases still live: the reply is the
/// bump's epoch and sequence number, then each live holder and the whole
/// milliseconds its lease has left (rounded up: never earlier than Redis).
const BUMP: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, 3 do
  if ARGV[3 + i] == '1' then redis.call('INCR', KEYS[i]) end
end
local epoch = redis.call('GET', KEYS[5])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[5], epoch)
end
local seq = redis.call('INCR', KEYS[4])
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
local versions = {}
for i = 1, 3 do versions[i] = v[i] or '0' end
redis.call('PUBLISH', ARGV[1],
  'b ' .. epoch .. ' ' .. seq .. ' ' .. ARGV[2] .. ' ' .. table.concat(versions, ' '))
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
local reply = {epoch, tostring(seq)}
local live = redis.call('ZRANGEBYSCORE', KEYS[6], '(' .. string.format('%d', now), '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  reply[#reply + 1] = live[i]
  reply[#reply + 1] = string.format('%d', math.max(0, math.ceil(tonumber(live[i + 1]) - now)))
end
return reply
";

/// Registers (or renews) the lease of ARGV[2], reads the versions at that
/// instant and publishes the heartbeat that confirms them.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[4], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[4], 2 * lease)
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[1], 'r ' .. ARGV[2] .. ' ' .. ARGV[3])
return {v[1] or '0', v[2] or '0', v[3] or '0'}
";

/// Where a write's sequence stands: the epoch of the Redis that numbered
/// it, and its number there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Position {
    epoch: String,
    seq: u64,
}

impl Position {
    fn covers(&self, other: &Position) -> bool {
        self.epoch == other.epoch && self.seq >= other.seq
    }
}

/// What this instance may answer from.
#[derive(Default)]
struct Local {
    versions: Versions,
    /// Until when the lease holds; `None`: not confirmed, or lost.
    valid_until: Option<Instant>,
}

/// How a write's announcement went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announced {
    /// Lease holders (this instance included) that took the write in.
    pub acknowledged: usize,
    /// Lease holders that did not answer before their lease lapsed.
    pub lapsed: usize,
}

pub struct LeasedVersions {
    store: Arc<SharedStore>,
    /// This process's name in the lease set and on the channel.
    instance: String,
    /// The version keys, in the order of `AREAS`.
    version_keys: Vec<String>,
    sequence_key: String,
    epoch_key: String,
    leases_key: String,
    channel: String,
    local: Mutex<Local>,
    /// The last position each instance acknowledged (this one included).
    acknowledged: Mutex<HashMap<String, Position>>,
    acknowledgement: Notify,
    /// Asks the follower to drop its subscription (tests of a broken one).
    resubscribe: Notify,
    /// The scripts, hashed once: Redis runs them by their SHA-1.
    bump_script: redis::Script,
    renew_script: redis::Script,
}

impl LeasedVersions {
    /// Starts following the versions; they are usable once the first lease
    /// is confirmed, a round trip or two later.
    pub fn follow(store: Arc<SharedStore>, version_keys: Vec<String>) -> Arc<Self> {
        let leased = Arc::new(Self {
            instance: random_name(),
            version_keys,
            sequence_key: store.key("versions:sequence"),
            epoch_key: store.key("versions:epoch"),
            leases_key: store.key("versions:leases"),
            channel: store.key("versions"),
            store,
            local: Mutex::default(),
            acknowledged: Mutex::default(),
            acknowledgement: Notify::new(),
            resubscribe: Notify::new(),
            bump_script: redis::Script::new(BUMP),
            renew_script: redis::Script::new(RENEW),
        });
        tokio::spawn(follow(Arc::downgrade(&leased)));
        leased
    }

    /// The versions, if this instance may answer from them right now.
    pub fn current(&self) -> Option<Versions> {
        let local = lock(&self.local);
        let valid_until = local.valid_until?;
        (Instant::now() < valid_until).then_some(local.versions)
    }

    /// Bumps `areas` and returns once every live lease holder took it in or
    /// lapsed. Fails only when Redis did not run the bump.
    pub async fn bump(&self, areas: u8) -> Result<Announced, redis::RedisError> {
        let mut script = self.bump_script.prepare_invoke();
        for key in &self.version_keys {
            script.key(key);
        }
        script
            .key(&self.sequence_key)
            .key(&self.epoch_key)
            .key(&self.leases_key)
            .arg(&self.channel)
            .arg(&self.instance)
            .arg(random_name());
        for (bit, _) in AREAS {
            script.arg(if areas & bit != 0 { "1" } else { "0" });
        }
        let outcome: Result<Vec<String>, _> =
            script.invoke_async(&mut self.store.connection()).await;
        self.store.observe(&outcome);
        let replied = Instant::now();
        let reply = outcome?;
        let Some((written, holders)) = parse_bump(&reply) else {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Parse,
                "unexpected reply to the version bump",
            )));
        };
        // Each holder's lease, as Redis saw it when the bump ran, ends no
        // later than this by our clock: the bump ran before its reply came.
        let mut waiting: Vec<(String, Instant)> = holders
            .into_iter()
            .map(|(holder, remaining_ms)| (holder, replied + Duration::from_millis(remaining_ms)))
            .collect();
        let mut announced = Announced::default();
        loop {
            let arrived = self.acknowledgement.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let now = Instant::now();
            {
                let acknowledged = lock(&self.acknowledged);
                waiting.retain(|(holder, until)| {
                    if acknowledged
                        .get(holder)
                        .is_some_and(|position| position.covers(&written))
                    {
                        announced.acknowledged += 1;
                        false
                    } else if now >= *until {
                        announced.lapsed += 1;
                        false
                    } else {
                        true
                    }
                });
            }
            let Some(next_lapse) = waiting.iter().map(|(_, until)| *until).min() else {
                if announced.lapsed > 0 {
                    tracing::warn!(
                        lapsed = announced.lapsed,
                        "response cache: a write waited for instances that stopped answering"
                    );
                }
                return Ok(announced);
            };
            tokio::select! {
                () = &mut arrived => {}
                () = tokio::time::sleep_until(next_lapse) => {}
            }
        }
    }

    fn acknowledge(&self, holder: &str, position: Position) {
        lock(&self.acknowledged).insert(holder.to_owned(), position);
        self.acknowledgement.notify_waiters();
    }

    /// The subscription broke: stop answering locally at once.
    fn lose(&self) {
        lock(&self.local).valid_until = None;
    }

    /// Drops the subscription as if it broke (tests of what follows).
    #[cfg(test)]
    pub fn break_subscription(&self) {
        self.resubscribe.notify_one();
    }
}

/// A name no other instance (or epoch) will pick: 64 random bits.
fn random_name() -> String {
    use rand_core::{OsRng, RngCore};
    format!("{:016x}", OsRng.next_u64())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The written position, and each live holder with the milliseconds its
/// lease had left, from a bump's reply. A holder that cannot be read makes
/// the whole reply unreadable: a write must not skip one.
fn parse_bump(reply: &[String]) -> Option<(Position, Vec<(String, u64)>)> {
    let [epoch, seq, live @ ..] = reply else {
        return None;
    };
    let written = Position {
        epoch: epoch.clone(),
        seq: seq.parse().ok()?,
    };
    if live.len() % 2 != 0 {
        return None;
    }
    let holders = live
        .chunks_exact(2)
        .map(|pair| Some((pair[0].clone(), pair[1].parse().ok()?)))
        .collect::<Option<_>>()?;
    Some((written, holders))
}

fn parse_versions<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Versions> {
    let mut versions = [0u64; 3];
    let mut values = values.into_iter();
    for slot in &mut versions {
        *slot = values.next()?.parse().ok()?;
    }
    Some(versions)
}

/// A message on the versions channel.
#[derive(Debug, PartialEq, Eq)]
enum Message<'a> {
    /// A write: its position, its writer, the versions after it.
    Bumped {
        at: Position,
        writer: &'a str,
        versions: Versions,
    },
    /// A lease renewal by `instance`, the `token`-th of its renewals.
    Renewed { instance: &'a str, token: u64 },
    /// `instance` took in every write up to `at`.
    Acknowledged { instance: &'a str, at: Position },
}

impl<'a> Message<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut words = text.split(' ');
        match words.next()? {
            "b" => {
                let epoch = words.next()?.to_owned();
                let seq = words.next()?.parse().ok()?;
                let writer = words.next()?;
                let versions = parse_versions(words)?;
                Some(Self::Bumped {
                    at: Position { epoch, seq },
                    writer,
                    versions,
                })
            }
            "r" => Some(Self::Renewed {
                instance: words.next()?,
                token: words.next()?.parse().ok()?,
            }),
            "a" => {
                let instance = words.next()?;
                let epoch = words.next()?.to_owned();
                let seq = words.next()?.parse().ok()?;
                Some(Self::Acknowledged {
                    instance,
                    at: Position { epoch, seq },
                })
            }
            _ => None,
        }
    }
}

/// A renewal sent and answered, waiting for its heartbeat.
struct Renewal {
    token: u64,
    sent: Instant,
    versions: Versions,
}

/// Keeps the lease and the local versions for as long as `leased` lives.
async fn follow(leased: Weak<LeasedVersions>) {
    let mut token = 0u64;
    loop {
        let Some(this) = leased.upgrade() else {
            return;
        };
        let store = Arc::clone(&this.store);
        let channel = this.channel.clone();
        let instance = this.instance.clone();
        let leases_key = this.leases_key.clone();
        drop(this);
        match store.client().get_async_pubsub().await {
            Ok(mut pubsub) => {
                let subscribed = pubsub.subscribe(&channel).await;
                store.observe(&subscribed);
                if subscribed.is_ok() {
                    let messages = pubsub.on_message();
                    if !listen(&leased, messages, &mut token).await {
                        return;
                    }
                }
            }
            Err(err) => store.observe::<()>(&Err(err)),
        }
        if let Some(this) = leased.upgrade() {
            this.lose();
        }
        // Give the lease back so that writes stop waiting for it.
        let given_back: Result<(), _> = redis::cmd("ZREM")
            .arg(&leases_key)
            .arg(&instance)
            .query_async(&mut store.connection())
            .await;
        store.observe(&given_back);
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

/// Follows one subscription until it breaks (`true`: subscribe again) or
/// the versions are no longer wanted (`false`).
async fn listen(
    leased: &Weak<LeasedVersions>,
    mut messages: impl futures_util::Stream<Item = redis::Msg> + Unpin,
    token: &mut u64,
) -> bool {
    let mut renew = tokio::time::interval(RENEW_EVERY);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending: Option<Renewal> = None;
    // Acknowledgements go out from a task of their own, so a burst of writes
    // costs one acknowledgement, not one each.
    let (acknowledge, to_acknowledge) = watch::channel(Position::default());
    if let Some(this) = leased.upgrade() {
        tokio::spawn(send_acknowledgements(
            Arc::clone(&this.store),
            this.channel.clone(),
            this.instance.clone(),
            to_acknowledge,
        ));
    }
    loop {
        let Some(this) = leased.upgrade() else {
            return false;
        };
        tokio::select! {
            _ = renew.tick() => {
                // A renewal whose heartbeat never came: the subscription
                // hears nothing, though it did not report an error.
                if pending.as_ref().is_some_and(|renewal| renewal.sent.elapsed() > LEASE) {
                    return true;
                }
                *token += 1;
                let sent = Instant::now();
                match renew_lease(&this, *token).await {
                    // An earlier renewal still unheard is superseded; its
                    // send time is kept, so a silent subscription shows.
                    Ok(versions) => {
                        let sent = pending.as_ref().map_or(sent, |renewal| renewal.sent);
                        pending = Some(Renewal { token: *token, sent, versions });
                    }
                    Err(err) => this.store.observe::<()>(&Err(err)),
                }
            }
            message = messages.next() => {
                let Some(message) = message else {
                    return true;
                };
                let Ok(text) = message.get_payload::<String>() else {
                    continue;
                };
                take_in(&this, Message::parse(&text), &mut pending, &acknowledge);
            }
            () = this.resubscribe.notified() => return true,
        }
    }
}

/// Applies one message to this instance's state.
fn take_in(
    this: &LeasedVersions,
    message: Option<Message<'_>>,
    pending: &mut Option<Renewal>,
    acknowledge: &watch::Sender<Position>,
) {
    match message {
        Some(Message::Bumped {
            at,
            writer,
            versions,
        }) => {
            lock(&this.local).versions = versions;
            this.acknowledge(&this.instance, at.clone());
            if writer != this.instance {
                acknowledge.send_replace(at);
            }
        }
        Some(Message::Renewed { instance, token }) if instance == this.instance => {
            if let Some(renewal) = pending.take_if(|renewal| renewal.token == token) {
                let mut local = lock(&this.local);
                local.versions = renewal.versions;
                local.valid_until = Some(renewal.sent + LEASE - LEASE_MARGIN);
            }
        }
        Some(Message::Acknowledged { instance, at }) => this.acknowledge(instance, at),
        Some(Message::Renewed { .. }) | None => {}
    }
}

async fn renew_lease(this: &LeasedVersions, token: u64) -> Result<Versions, redis::RedisError> {
    let mut script = this.renew_script.prepare_invoke();
    for key in &this.version_keys {
        script.key(key);
    }
    let lease_ms = u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX);
    let outcome: Result<Vec<String>, _> = script
        .key(&this.leases_key)
        .arg(&this.channel)
        .arg(&this.instance)
        .arg(token)
        .arg(lease_ms)
        .invoke_async(&mut this.store.connection())
        .await;
    this.store.observe(&outcome);
    parse_versions(outcome?.iter().map(String::as_str)).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::Parse,
            "unexpected reply to the lease renewal",
        ))
    })
}

/// Publishes this instance's newest position whenever it moves.
async fn send_acknowledgements(
    store: Arc<SharedStore>,
    channel: String,
    instance: String,
    mut positions: watch::Receiver<Position>,
) {
    while positions.changed().await.is_ok() {
        let at = positions.borrow_and_update().clone();
        let outcome: Result<(), _> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(format!("a {instance} {} {}", at.epoch, at.seq))
            .query_async(&mut store.connection())
            .await;
        store.observe(&outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response_cache::{ALL, CATALOG, FEEDBACK, versions_of};

    #[test]
    fn messages_read_back_as_written() {
        assert_eq!(
            Message::parse("b 9f3 12 inst-a 4 0 7"),
            Some(Message::Bumped {
                at: Position {
                    epoch: "9f3".into(),
                    seq: 12
                },
                writer: "inst-a",
                versions: [4, 0, 7],
            })
        );
        assert_eq!(
            Message::parse("r inst-b 3"),
            Some(Message::Renewed {
                instance: "inst-b",
                token: 3
            })
        );
        assert_eq!(
            Message::parse("a inst-b 9f3 12"),
            Some(Message::Acknowledged {
                instance: "inst-b",
                at: Position {
                    epoch: "9f3".into(),
                    seq: 12
                }
            })
        );
        assert_eq!(Message::parse("b 9f3 x inst-a 1 2 3"), None);
        assert_eq!(Message::parse("b 9f3 1 inst-a 1 2"), None);
        assert_eq!(Message::parse("z"), None);
    }

    #[test]
    fn an_acknowledgement_stands_only_within_its_epoch() {
        let written = Position {
            epoch: "new".into(),
            seq: 3,
        };
        let before_restart = Position {
            epoch: "old".into(),
            seq: 900,
        };
        assert!(!before_restart.covers(&written));
        assert!(
            Position {
                epoch: "new".into(),
                seq: 4
            }
            .covers(&written)
        );
        assert!(
            !Position {
                epoch: "new".into(),
                seq: 2
            }
            .covers(&written)
        );
    }

    #[test]
    fn a_bump_reply_gives_each_holder_its_remaining_lease() {
        let reply: Vec<String> = ["e", "5", "inst-a", "1500", "inst-b", "1"]
            .map(String::from)
            .to_vec();
        let (written, holders) = parse_bump(&reply).expect("a well-formed reply");
        assert_eq!(
            written,
            Position {
                epoch: "e".into(),
                seq: 5
            }
        );
        assert_eq!(holders, vec![("inst-a".into(), 1500), ("inst-b".into(), 1)]);
        assert_eq!(parse_bump(&reply[..1]), None);
        assert_eq!(parse_bump(&reply[..5]), None, "a holder without its lease");
        let mut unreadable = reply.clone();
        unreadable[5] = "soon".into();
        assert_eq!(
            parse_bump(&unreadable),
            None,
            "a holder must not be skipped"
        );
    }

    /// Two or more instances' view of one Redis: the URL and a prefix of
    /// their own, whose keys go when the test ends. `None` only outside CI
    /// when `TEST_REDIS_URL` is not set.
    struct TestRedis {
        url: String,
        prefix: String,
    }

    impl TestRedis {
        fn new() -> Option<Self> {
            let Ok(url) = std::env::var("TEST_REDIS_URL") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "TEST_REDIS_URL must be set in CI: Redis tests may not be skipped there"
                );
                eprintln!("TEST_REDIS_URL is not set: skipping this test");
                return None;
            };
            Some(Self {
                url,
                prefix: format!("ogp-pulse-test:{}:", random_name()),
            })
        }

        fn instance(&self) -> Arc<LeasedVersions> {
            let store =
                Arc::new(SharedStore::connect(&self.url, &self.prefix).expect("a valid Redis URL"));
            let keys = AREAS
                .iter()
                .map(|(_, name)| store.key(&format!("version:{name}")))
                .collect();
            LeasedVersions::follow(store, keys)
        }

        /// Two instances, once both hold their lease.
        async fn held_pair(&self) -> (Arc<LeasedVersions>, Arc<LeasedVersions>) {
            let (a, b) = (self.instance(), self.instance());
            until_held(&a).await;
            until_held(&b).await;
            (a, b)
        }

        fn connection(&self) -> redis::Connection {
            redis::Client::open(self.url.as_str())
                .and_then(|client| client.get_connection())
                .expect("the test Redis answers")
        }

        fn versions(&self) -> Versions {
            let keys: Vec<String> = AREAS
                .iter()
                .map(|(_, name)| format!("{}version:{name}", self.prefix))
                .collect();
            let values: Vec<Option<u64>> = redis::cmd("MGET")
                .arg(keys)
                .query(&mut self.connection())
                .expect("MGET");
            versions_of(values)
        }
    }

    impl Drop for TestRedis {
        fn drop(&mut self) {
            let mut connection = self.connection();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut connection)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut connection);
            }
        }
    }

    /// The versions once the lease is confirmed (a few round trips).
    async fn until_held(leased: &LeasedVersions) -> Versions {
        for _ in 0..500 {
            if let Some(versions) = leased.current() {
                return versions;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the lease was never confirmed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_holder_sees_a_write_the_moment_it_returns() {
        let Some(redis) = TestRedis::new() else {
            return;
        };
        let (a, b) = redis.held_pair().await;
        let mut seen_locally = 0;
        let mut both_acknowledged = 0;
        for round in 0..40 {
            let writer = if round % 2 == 0 { &a } else { &b };
            let areas = [CATALOG, FEEDBACK, ALL][round % 3];
            let announced = writer.bump(areas).await.expect("Redis runs the bump");
            assert_eq!(announced.lapsed, 0, "round {round}: {announced:?}");
            if announced.acknowledged == 2 {
                both_acknowledged += 1;
            }
            let expected = redis.versions();
            for (name, holder) in [("a", &a), ("b", &b)] {
                // A lease that lapsed under a loaded machine answers
                // nothing locally; one that holds must answer the write.
                if let Some(current) = holder.current() {
                    assert_eq!(
                        current, expected,
                        "round {round}: {name} answered stale versions"
                    );
                    seen_locally += 1;
                }
            }
        }
        assert!(seen_locally > 0, "no holder ever answered locally");
        assert!(both_acknowledged > 0, "no write waited for both holders");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_holder_that_stopped_answering_costs_a_write_its_lease_only() {
        let Some(redis) = TestRedis::new() else {
            return;
        };
        let a = redis.instance();
        until_held(&a).await;
        // A lease held by an instance that will never acknowledge anything
        // (it crashed without giving it back), with 300 ms left.
        let mut connection = redis.connection();
        let (seconds, micros): (u64, u64) =
            redis::cmd("TIME").query(&mut connection).expect("TIME");
        let expires = seconds * 1000 + micros / 1000 + 300;
        let _: i64 = redis::cmd("ZADD")
            .arg(format!("{}versions:leases", redis.prefix))
            .arg(expires)
            .arg("ghost")
            .query(&mut connection)
            .expect("ZADD");
        let announced = a.bump(FEEDBACK).await.expect("Redis runs the bump");
        assert_eq!(announced.lapsed, 1, "{announced:?}");
        assert_eq!(a.current(), Some(redis.versions()));
        // Its lease is gone now: the next write waits for nobody but `a`.
        let announced = a.bump(FEEDBACK).await.expect("Redis runs the bump");
        assert_eq!(announced.lapsed, 0, "{announced:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_broken_subscription_stops_local_answers_until_a_new_lease_is_heard() {
        let Some(redis) = TestRedis::new() else {
            return;
        };
        let (a, b) = redis.held_pair().await;
        a.break_subscription();
        let mut stopped = false;
        for _ in 0..200 {
            if a.current().is_none() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(stopped, "a kept answering locally without a subscription");
        // Written while `a` hears nothing: it must not answer with what it
        // held before, but with what it reads when its new lease is heard.
        let before = redis.versions();
        b.bump(ALL).await.expect("Redis runs the bump");
        let after = until_held(&a).await;
        assert_ne!(after, before);
        assert_eq!(after, redis.versions());
    }

    #[tokio::test]
    async fn without_redis_nothing_is_held_and_writes_report_the_failure() {
        let store =
            Arc::new(SharedStore::connect("redis://127.0.0.1:1", "test:").expect("a valid URL"));
        let leased = LeasedVersions::follow(store, vec!["a".into(), "b".into(), "c".into()]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(leased.current(), None);
        assert!(leased.bump(CATALOG).await.is_err());
        assert_eq!(leased.current(), None);
    }
}
