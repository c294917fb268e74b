//! The response cache for public reads: anonymous query results, kept in
//! Redis (shared by every instance) or in this process without Redis.
//!
//! Correct before fast. The data is split into three areas — the catalogue,
//! citizens' feedback, campaigns and awareness — each with a version number.
//! A cached response remembers which areas it read and their versions when
//! it was computed; any write bumps the versions of the areas it wrote, after
//! its transaction committed, so the next read of a response that depends on
//! them misses, on every instance at once. The time to live is only a safety
//! net. Concurrent misses for one key on one instance run the query once.
//!
//! When Redis cannot answer, nothing is cached or served from the cache
//! until it can, and areas written meanwhile are bumped as soon as it does.
//!
//! Three shortcuts keep a hit cheap. Each instance remembers which key the
//! exact bytes of a request led to, so a repeated request is answered without
//! parsing its JSON or GraphQL. With Redis, each instance keeps a near copy
//! of the bodies it has seen, so a hit needs no body from Redis; and it holds
//! the versions under a lease (see `leased_versions`), so a hit needs no
//! round trip at all. None changes what is fresh: a write returns only once
//! every instance answering from its own versions has taken it in.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use entity::data_version;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{metrics::CacheCounters, shared::SharedStore};

mod leased_versions;

use leased_versions::LeasedVersions;

/// The catalogue: plans, commitments, milestones, institutions, focal points.
pub const CATALOG: u8 = 1;
/// Citizens' feedback and official responses.
pub const FEEDBACK: u8 = 2;
/// Campaigns, their activities and figures, and the awareness pulse.
pub const AWARENESS: u8 = 4;
/// Every area: what an unknown read depends on, what an unknown write bumps.
pub const ALL: u8 = CATALOG | FEEDBACK | AWARENESS;
const AREAS: [(u8, &str); 3] = [
    (CATALOG, "catalog"),
    (FEEDBACK, "feedback"),
    (AWARENESS, "awareness"),
];

/// The version of each area, in the order of `AREAS`.
pub type Versions = [u64; 3];

/// A response as kept: its body, validator and freshness hint, and what it
/// read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedResponse {
    /// Shared, not copied, by every answer that sends it.
    #[serde(with = "body_text")]
    pub body: Bytes,
    /// The body gzip-compressed, for clients that accept it (browsers all
    /// do): compressed once when kept, then sent as is, about a tenth of a
    /// JSON body's bytes. Not kept in Redis: each instance compresses what
    /// it fetches from there, once, into its near copy. None for bodies too
    /// small to gain from it.
    #[serde(skip)]
    pub gzip: Option<Bytes>,
    pub etag: String,
    /// Seconds browsers may keep it without asking (the schema's hints).
    pub max_age: i32,
    /// The areas it read (bits).
    pub read: u8,
    /// Their versions when it was computed.
    pub versions: Versions,
}

impl CachedResponse {
    pub fn new(body: Bytes, max_age: i32, read: u8, versions: Versions) -> Self {
        let etag = etag_of(&body);
        let gzip = gzipped(&body);
        Self {
            body,
            gzip,
            etag,
            max_age,
            read,
            versions,
        }
    }

    fn fresh(&self, current: &Versions) -> bool {
        AREAS
            .iter()
            .enumerate()
            .all(|(index, (bit, _))| self.read & bit == 0 || self.versions[index] == current[index])
    }
}

/// Bodies shorter than this go out as they are: a few hundred bytes fit in
/// one packet either way, and compressing them costs more than it saves.
const GZIP_FROM_BYTES: usize = 1024;

/// `body` gzip-compressed, when it is long enough to gain from it.
fn gzipped(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;

    if body.len() < GZIP_FROM_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    let compressed = encoder.finish().ok()?;
    (compressed.len() < body.len()).then(|| Bytes::from(compressed))
}

/// A body kept in Redis as the JSON text it is, not as an array of bytes.
mod body_text {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => Err(serde::ser::Error::custom("a response body is not UTF-8")),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        String::deserialize(deserializer).map(Bytes::from)
    }
}

/// Characters that separate tokens by themselves: no space is needed
/// around them.
const PUNCTUATORS: &str = "{}()[]:=@!$|&";

/// A GraphQL document with insignificant characters (whitespace, commas,
/// comments) collapsed, so that the same query written twice shares one
/// cache entry. Strings are kept exactly.
pub fn normalize_document(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut chars = document.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if pending_space
                    && !out.is_empty()
                    && !out.ends_with(|p: char| PUNCTUATORS.contains(p))
                {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                let block = chars.peek() == Some(&'"') && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek() == Some(&'"')
                };
                if block {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                    let mut quotes = 0;
                    for c in chars.by_ref() {
                        out.push(c);
                        quotes = if c == '"' { quotes + 1 } else { 0 };
                        if quotes == 3 {
                            break;
                        }
                    }
                } else {
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        out.push(c);
                        if escaped {
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == '"' {
                            break;
                        }
                    }
                }
            }
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
                pending_space = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => pending_space = true,
            c => {
                let punctuator = PUNCTUATORS.contains(c);
                let after_punctuator = out.ends_with(|p: char| PUNCTUATORS.contains(p));
                if pending_space && !out.is_empty() && !punctuator && !after_punctuator {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// A strong validator of a body.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// What a look-up found.
pub enum Lookup {
    Hit(Arc<CachedResponse>),
    /// Not there (or stale): compute, then store with these versions.
    Miss(Versions),
    /// The cache cannot be used right now: compute, store nothing.
    Bypass,
}

enum Store {
    Local {
        entries: moka::future::Cache<String, Arc<CachedResponse>>,
        versions: [AtomicU64; 3],
    },
    Shared {
        store: Arc<SharedStore>,
        /// Bodies this instance has stored or fetched: a hit then needs no
        /// body from Redis.
        near: Entries,
        /// The versions held here, while the lease holds.
        leased: Arc<LeasedVersions>,
        /// The versions read from Redis, when the lease does not hold.
        versions: Arc<VersionReads>,
    },
}

/// The versions as Redis keeps them: an area never written is at 0.
fn versions_of(values: Vec<Option<u64>>) -> Versions {
    let mut current = [0u64; 3];
    for (slot, value) in current.iter_mut().zip(values) {
        *slot = value.unwrap_or(0);
    }
    current
}

/// Reads the versions from Redis for many look-ups at once. A look-up may
/// only use a read sent after it began (an earlier one could miss a write
/// that finished just before), so while a read is in flight new look-ups
/// wait for the next, which then answers all of them: under load one round
/// trip serves every look-up that arrived during the previous one.
struct VersionReads {
    store: Arc<SharedStore>,
    /// The version keys, in the order of `AREAS`.
    keys: Vec<String>,
    queue: std::sync::Mutex<VersionQueue>,
}

#[derive(Default)]
struct VersionQueue {
    waiting: Vec<tokio::sync::oneshot::Sender<Option<Versions>>>,
    reading: bool,
}

impl VersionReads {
    /// The current versions (`None`: Redis did not answer).
    async fn current(self: &Arc<Self>) -> Option<Versions> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let start_reading = {
            let mut queue = self.queue();
            queue.waiting.push(answer);
            !std::mem::replace(&mut queue.reading, true)
        };
        if start_reading {
            // A task of its own: a caller that goes away must not strand
            // the others.
            let reads = Arc::clone(self);
            tokio::spawn(async move { reads.read_while_asked().await });
        }
        answered.await.ok().flatten()
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VersionQueue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn read_while_asked(&self) {
        loop {
            let batch = {
                let mut queue = self.queue();
                if queue.waiting.is_empty() {
                    queue.reading = false;
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let versions = self.read().await;
            for waiter in batch {
                // A waiter that went away needs no answer.
                let _ = waiter.send(versions);
            }
        }
    }

    async fn read(&self) -> Option<Versions> {
        let outcome: Result<Vec<Option<u64>>, _> = redis::cmd("MGET")
            .arg(&self.keys)
            .query_async(&mut self.store.connection())
            .await;
        self.store.observe(&outcome);
        outcome.ok().map(versions_of)
    }
}

type Entries = moka::sync::Cache<String, Arc<CachedResponse>>;

/// The digest of a request's raw bytes (see `RawRequest` in `http`).
pub type RawDigest = [u8; 32];

pub struct ResponseCache {
    store: Store,
    ttl: Duration,
    /// The key each raw request led to, so a repeated request skips parsing.
    remembered: moka::sync::Cache<RawDigest, Arc<str>>,
    /// One lock per key being computed: concurrent misses wait for the first.
    flights: moka::sync::Cache<String, Arc<tokio::sync::Mutex<()>>>,
    /// Areas written while Redis could not be told.
    unannounced: AtomicU8,
    counts: CacheCounters,
    /// Whether look-ups may go ahead: cleared by `watch_external_writes`
    /// until its watcher has read the versions it compares with. A response
    /// cached before that read, and a write around the API between the two,
    /// would never be noticed: the watcher would take the write's version
    /// for where it started.
    baseline_known: AtomicBool,
    baseline_read: tokio::sync::Notify,
}

fn flights() -> moka::sync::Cache<String, Arc<tokio::sync::Mutex<()>>> {
    moka::sync::Cache::builder()
        .max_capacity(10_000)
        .time_to_idle(Duration::from_secs(60))
        .build()
}

fn remembered() -> moka::sync::Cache<RawDigest, Arc<str>> {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_idle(Duration::from_secs(600))
        .build()
}

/// Bodies up to `max_bytes`, kept at most `ttl`.
fn entries(ttl: Duration, max_bytes: u64) -> Entries {
    moka::sync::Cache::builder()
        .weigher(|key: &String, value| weight(key, value))
        .max_capacity(max_bytes)
        .time_to_live(ttl)
        .build()
}

fn weight(key: &str, value: &Arc<CachedResponse>) -> u32 {
    let gzip = value.gzip.as_ref().map_or(0, Bytes::len);
    u32::try_from(key.len() + value.body.len() + gzip).unwrap_or(u32::MAX)
}

impl ResponseCache {
    /// Kept in this process, up to `max_bytes` of bodies.
    pub fn in_process(ttl: Duration, max_bytes: u64, counts: CacheCounters) -> Self {
        let entries = moka::future::Cache::builder()
            .weigher(|key: &String, value| weight(key, value))
            .max_capacity(max_bytes)
            .time_to_live(ttl)
            .build();
        Self {
            store: Store::Local {
                entries,
                versions: Default::default(),
            },
            ttl,
            remembered: remembered(),
            flights: flights(),
            unannounced: AtomicU8::new(0),
            counts,
            baseline_known: AtomicBool::new(true),
            baseline_read: tokio::sync::Notify::new(),
        }
    }

    /// Kept in Redis, shared by every instance, with near copies of up to
    /// `near_bytes` of bodies in this process.
    pub fn shared(
        store: Arc<SharedStore>,
        ttl: Duration,
        near_bytes: u64,
        counts: CacheCounters,
    ) -> Self {
        let version_keys: Vec<String> = AREAS
            .iter()
            .map(|(_, name)| store.key(&format!("version:{name}")))
            .collect();
        let leased = LeasedVersions::follow(Arc::clone(&store), version_keys.clone());
        let versions = Arc::new(VersionReads {
            keys: version_keys,
            store: Arc::clone(&store),
            queue: Default::default(),
        });
        Self {
            store: Store::Shared {
                store,
                near: entries(ttl, near_bytes),
                leased,
                versions,
            },
            ttl,
            remembered: remembered(),
            flights: flights(),
            unannounced: AtomicU8::new(0),
            counts,
            baseline_known: AtomicBool::new(true),
            baseline_read: tokio::sync::Notify::new(),
        }
    }

    /// The key of a request: what the response depends on besides the data.
    pub fn key(parts: &[&str]) -> String {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hasher.finalize()[..20]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The key a request with these raw bytes led to before, if any.
    pub fn remembered_key(&self, raw: &RawDigest) -> Option<Arc<str>> {
        self.remembered.get(raw)
    }

    /// Remembers the key a request with these raw bytes leads to.
    pub fn remember_key(&self, raw: RawDigest, key: &str) {
        self.remembered.insert(raw, Arc::from(key));
    }

    /// Looks `key` up and checks it against the current versions.
    /// Waits for the watcher of external writes to know where it starts.
    async fn until_baseline_known(&self) {
        loop {
            let read = self.baseline_read.notified();
            if self.baseline_known.load(Ordering::Acquire) {
                return;
            }
            read.await;
        }
    }

    fn set_baseline_known(&self, known: bool) {
        self.baseline_known.store(known, Ordering::Release);
        if known {
            self.baseline_read.notify_waiters();
        }
    }

    pub async fn lookup(&self, key: &str) -> Lookup {
        self.look(key, true).await
    }

    /// Looks `key` up again after waiting for its computation: a miss here
    /// was counted by the first look-up already.
    pub async fn recheck(&self, key: &str) -> Lookup {
        self.look(key, false).await
    }

    async fn look(&self, key: &str, count_miss: bool) -> Lookup {
        if !self.baseline_known.load(Ordering::Acquire) {
            self.until_baseline_known().await;
        }
        let found = match &self.store {
            Store::Local { entries, versions } => {
                let current = versions.each_ref().map(|v| v.load(Ordering::Acquire));
                Some((entries.get(key).await, current))
            }
            Store::Shared {
                store,
                near,
                leased,
                versions,
            } => {
                let pending = self.unannounced.swap(0, Ordering::AcqRel);
                if pending != 0 && !self.announce(leased, pending).await {
                    self.counts.errors.inc();
                    return Lookup::Bypass;
                }
                let fresh_near = match near.get(key) {
                    Some(entry) => match self.versions_now(leased, versions).await {
                        Some(current) => entry.fresh(&current).then_some((entry, current)),
                        None => {
                            self.counts.errors.inc();
                            return Lookup::Bypass;
                        }
                    },
                    None => None,
                };
                match fresh_near {
                    Some((entry, current)) => Some((Some(entry), current)),
                    // Not here, or stale here: another instance may have
                    // stored a fresh one since.
                    None => {
                        self.counts.version_reads.inc();
                        Self::fetch(store, &versions.keys, key)
                            .await
                            .map(|(entry, current)| {
                                if let Some(entry) = &entry {
                                    near.insert(key.to_owned(), Arc::clone(entry));
                                }
                                (entry, current)
                            })
                    }
                }
            }
        };
        match found {
            None => {
                self.counts.errors.inc();
                Lookup::Bypass
            }
            Some((Some(entry), current)) if entry.fresh(&current) => {
                self.counts.hits.inc();
                Lookup::Hit(entry)
            }
            Some((_, current)) => {
                if count_miss {
                    self.counts.misses.inc();
                }
                Lookup::Miss(current)
            }
        }
    }

    /// The versions held here if the lease holds, else read from Redis.
    async fn versions_now(
        &self,
        leased: &LeasedVersions,
        versions: &Arc<VersionReads>,
    ) -> Option<Versions> {
        match leased.current() {
            Some(current) => Some(current),
            None => {
                self.counts.version_reads.inc();
                versions.current().await
            }
        }
    }

    /// The response kept under `key` in Redis, with the current versions.
    async fn fetch(
        store: &SharedStore,
        version_keys: &[String],
        key: &str,
    ) -> Option<(Option<Arc<CachedResponse>>, Versions)> {
        let outcome: Result<(Option<String>, Vec<Option<u64>>), _> = redis::pipe()
            .cmd("GET")
            .arg(store.key(&format!("response:{key}")))
            .cmd("MGET")
            .arg(version_keys)
            .query_async(&mut store.connection())
            .await;
        store.observe(&outcome);
        let (text, values) = outcome.ok()?;
        let current = versions_of(values);
        let entry = text
            .and_then(|text| serde_json::from_str::<CachedResponse>(&text).ok())
            .map(|mut entry| {
                // Only what will be sent is worth compressing.
                if entry.fresh(&current) {
                    entry.gzip = gzipped(&entry.body);
                }
                Arc::new(entry)
            });
        Some((entry, current))
    }

    /// Waits for any computation of `key` under way on this instance, and
    /// holds the key until the guard drops.
    pub async fn flight(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .flights
            .get_with(key.to_owned(), || Arc::new(tokio::sync::Mutex::new(())));
        lock.lock_owned().await
    }

    /// Keeps a computed response.
    pub async fn store(&self, key: &str, response: CachedResponse) {
        match &self.store {
            Store::Local { entries, .. } => {
                entries.insert(key.to_owned(), Arc::new(response)).await;
            }
            Store::Shared { store, near, .. } => {
                let Ok(text) = serde_json::to_string(&response) else {
                    return;
                };
                near.insert(key.to_owned(), Arc::new(response));
                let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
                let outcome: Result<(), _> = redis::cmd("SET")
                    .arg(store.key(&format!("response:{key}")))
                    .arg(text)
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async(&mut store.connection())
                    .await;
                store.observe(&outcome);
                if outcome.is_err() {
                    self.counts.errors.inc();
                }
            }
        }
    }

    /// Makes every response that read one of `areas` stale, everywhere.
    pub async fn bump(&self, areas: u8) {
        if areas == 0 {
            return;
        }
        match &self.store {
            Store::Local { versions, .. } => {
                for (index, (bit, _)) in AREAS.iter().enumerate() {
                    if areas & bit != 0 {
                        versions[index].fetch_add(1, Ordering::AcqRel);
                    }
                }
            }
            Store::Shared { leased, .. } => {
                if !self.announce(leased, areas).await {
                    // Told as soon as Redis answers again, before any look-up.
                    self.unannounced.fetch_or(areas, Ordering::AcqRel);
                }
            }
        }
    }

    async fn announce(&self, leased: &LeasedVersions, areas: u8) -> bool {
        leased.bump(areas).await.is_ok()
    }
}

/// How often each instance looks for writes made outside it.
const EXTERNAL_WRITES_EVERY: Duration = Duration::from_secs(1);

/// Records that `areas` changed through a way around the API (the command
/// line's imports), in the writer's transaction: running instances notice
/// within a second and drop what they cached.
pub async fn note_external_write<C: ConnectionTrait>(db: &C, areas: u8) -> Result<(), DbErr> {
    let names: Vec<&str> = AREAS
        .iter()
        .filter(|(bit, _)| areas & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    data_version::Entity::update_many()
        .col_expr(
            data_version::Column::Version,
            Expr::col(data_version::Column::Version).add(1),
        )
        .filter(data_version::Column::Area.is_in(names))
        .exec(db)
        .await?;
    Ok(())
}

async fn external_versions(db: &DatabaseConnection) -> Result<Vec<(String, i64)>, DbErr> {
    Ok(data_version::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.area, row.version))
        .collect())
}

/// Watches the versions written by `note_external_write` for as long as the
/// cache lives, and bumps the areas that moved.
///
/// Look-ups wait until the watcher has read where it starts. Should that read
/// fail, they go ahead, and the first read that succeeds counts every area
/// as moved.
pub fn watch_external_writes(cache: Weak<ResponseCache>, db: DatabaseConnection) {
    if let Some(cache) = cache.upgrade() {
        cache.set_baseline_known(false);
    }
    tokio::spawn(async move {
        let mut seen = external_versions(&db).await.ok();
        if let Some(cache) = cache.upgrade() {
            cache.set_baseline_known(true);
        }
        loop {
            tokio::time::sleep(EXTERNAL_WRITES_EVERY).await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            let Ok(now) = external_versions(&db).await else {
                continue;
            };
            let moved = AREAS
                .iter()
                .filter(|(_, name)| {
                    let version = |list: &Vec<(String, i64)>| {
                        list.iter().find(|(area, _)| area == name).map(|(_, v)| *v)
                    };
                    seen.as_ref()
                        .is_none_or(|seen| version(seen) != version(&now))
                })
                .fold(0, |areas, (bit, _)| areas | bit);
            if moved != 0 {
                cache.bump(moved).await;
            }
            seen = Some(now);
        }
    });
}

/// The areas a response reads when it resolves a field of `parent_type`
/// (the items of a list report the list's type, e.g. `[Milestone!]`).
/// Types not listed count as reading everything, so a new type is never
/// cached against too few areas.
pub fn areas_read(parent_type: &str) -> u8 {
    let parent_type = parent_type.trim_matches(|c| c == '[' || c == ']' || c == '!');
    const CATALOG_TYPES: [&str; 26] = [
        "Query",
        "ActionPlan",
        "ActionPlanConnection",
        "ActionPlanEdge",
        "ActionPlanTranslation",
        "Commitment",
        "CommitmentConnection",
        "CommitmentEdge",
        "CommitmentTranslation",
        "Country",
        "CountryConnection",
        "CountryEdge",
        "FocalPoint",
        "FocalPointConnection",
        "FocalPointEdge",
        "Institution",
        "InstitutionConnection",
        "InstitutionEdge",
        "InstitutionTranslation",
        "IrmReview",
        "Milestone",
        "MilestoneTranslation",
        "PageInfo",
        "PolicyArea",
        "PolicyAreaConnection",
        "PolicyAreaEdge",
    ];
    const FEEDBACK_TYPES: [&str; 6] = [
        "Feedback",
        "FeedbackConnection",
        "FeedbackEdge",
        "FeedbackSummary",
        "KindCount",
        "OfficialResponder",
    ];
    const AWARENESS_TYPES: [&str; 17] = [
        "AwarenessFigures",
        "AwarenessMetric",
        "AwarenessPoint",
        "AwarenessSeries",
        "AwarenessTrend",
        "Campaign",
        "CampaignActivity",
        "CampaignActivityConnection",
        "CampaignActivityEdge",
        "CampaignConnection",
        "CampaignEdge",
        "CampaignSummary",
        "ChannelCount",
        "ChannelFigures",
        "ChannelMetricTotal",
        "MetricValue",
        "Money",
    ];
    if CATALOG_TYPES.contains(&parent_type) {
        CATALOG
    } else if FEEDBACK_TYPES.contains(&parent_type) {
        FEEDBACK
    } else if AWARENESS_TYPES.contains(&parent_type) {
        AWARENESS
    } else {
        ALL
    }
}

/// The areas a mutation field writes. Mutations not listed bump every area.
pub fn areas_written(mutation: &str) -> u8 {
    match mutation {
        // Staff sessions change nothing a public response shows.
        "login" | "logout" | "createApiToken" | "revokeCredential" => 0,
        // Digest subscriptions are staff business, never in a public response.
        "subscribeToDigest" | "unsubscribeFromDigest" => 0,
        "submitFeedback"
        | "supportFeedback"
        | "reportFeedback"
        | "moderateFeedback"
        | "respondToFeedback"
        | "eraseFeedbackAuthorData" => FEEDBACK,
        "recordAwareness"
        | "createCampaign"
        | "updateCampaign"
        | "deleteCampaign"
        | "createCampaignActivity"
        | "updateCampaignActivity"
        | "deleteCampaignActivity"
        | "recordAwarenessMetrics"
        | "deleteAwarenessMetric" => AWARENESS,
        "createCommitment" | "updateCommitment" | "linkFocalPoint" | "unlinkFocalPoint"
        | "createMilestone" | "updateMilestone" | "createActionPlan" | "updateActionPlan"
        | "createInstitution" | "updateInstitution" | "createPolicyArea" | "renamePolicyArea"
        | "createFocalPoint" | "updateFocalPoint" => CATALOG,
        // Updates and meetings show on commitments and plans (catalogue
        // types); the alerts and ledgers that read them read every area.
        "postImplementationUpdate" | "recordMeeting" => CATALOG,
        _ => ALL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_to_an_area_makes_what_read_it_stale() {
        let counters = crate::metrics::Metrics::new().cache_counters();
        let cache = ResponseCache::in_process(Duration::from_secs(60), 1 << 20, counters);
        let Lookup::Miss(versions) = cache.lookup("k").await else {
            panic!("empty cache");
        };
        let body = Bytes::from_static(br#"{"data":{}}"#);
        let entry = CachedResponse::new(body, 0, CATALOG | FEEDBACK, versions);
        cache.store("k", entry).await;
        assert!(matches!(cache.lookup("k").await, Lookup::Hit(_)));
        cache.bump(AWARENESS).await;
        assert!(
            matches!(cache.lookup("k").await, Lookup::Hit(_)),
            "an area it did not read"
        );
        cache.bump(FEEDBACK).await;
        assert!(
            matches!(cache.lookup("k").await, Lookup::Miss(_)),
            "an area it read"
        );
    }

    #[test]
    fn documents_differing_in_layout_share_a_key() {
        let compact = normalize_document("{commitment(code:\"MO0018\"){title language}}");
        let spread = normalize_document(
            "# the title\n{\n  commitment(code: \"MO0018\") {\n    title,\n    language\n  }\n}\n",
        );
        assert_eq!(compact, spread);
        assert_eq!(compact, "{commitment(code:\"MO0018\"){title language}}");
        // Text inside strings is never touched.
        assert_ne!(
            normalize_document("{ a(s: \"x  y\") }"),
            normalize_document("{ a(s: \"x y\") }")
        );
        assert_eq!(
            normalize_document("{ a(s: \"\"\"x # y\"\"\") }"),
            "{a(s:\"\"\"x # y\"\"\")}"
        );
    }

    #[test]
    fn unknown_types_and_mutations_count_as_everything() {
        assert_eq!(areas_read("Commitment"), CATALOG);
        assert_eq!(areas_read("FeedbackEdge"), FEEDBACK);
        assert_eq!(areas_read("[Milestone!]"), CATALOG);
        assert_eq!(areas_read("SomethingNew"), ALL);
        assert_eq!(areas_written("submitFeedback"), FEEDBACK);
        assert_eq!(areas_written("somethingNew"), ALL);
        assert_eq!(areas_written("login"), 0);
    }
}
