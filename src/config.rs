//! Command line and environment: every flag can also be set through the
//! environment variable named in `--help`. Defaults run with nothing
//! installed: a SQLite file in the working directory.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

use crate::{
    accountability::{compliance::ComplianceRules, documents::DocumentStore},
    feedback::submit::FeedbackRules,
    graphql::Limits,
    language::Language,
    ratelimit::Limit,
};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://ogp-pulse.db";

#[derive(Debug, Parser)]
#[command(
    name = "ogp-pulse",
    version,
    about = "GraphQL service for Open Government Partnership national action plans"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE (created when missing) or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (GraphiQL at /, the API at /graphql).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Import a catalogue file (format: data/README.md), in one transaction.
    Import {
        /// Path of the JSON file.
        file: PathBuf,
    },
    /// Print the GraphQL schema (SDL) on standard output.
    ExportSchema,
    /// Manage staff accounts and their credentials.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Record campaign awareness figures.
    #[command(subcommand)]
    Metrics(MetricsCommand),
    /// Email digests to focal points.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Print documents assembled from the data.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write an action plan's open data (as `GET /export/…` serves it) to
    /// standard output or a file.
    Export(ExportArgs),
}

/// What `ogp-pulse export` writes.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The action plan's key, e.g. morocco-2018-2020.
    pub plan: String,
    /// commitments, milestones, updates, feedback, responses or awareness.
    pub dataset: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Language of the texts, where they exist in it (then English, then
    /// any).
    #[arg(long, default_value = "en", value_parser = parse_language)]
    pub language: Language,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Public address of the site, the base of document links.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Print the IRM evidence pack of one commitment: description,
    /// milestones and evidence, update history, feedback and responses,
    /// awareness, meetings, compliance alerts and verifiability, for a
    /// self-assessment or an IRM researcher.
    Commitment {
        /// The commitment's OGP code, e.g. MO0018.
        code: String,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Language of the texts, where they exist in it (then English,
        /// then any).
        #[arg(long, default_value = "en", value_parser = parse_language)]
        language: Language,
        /// Act as if it were this time (RFC 3339, e.g. 2026-11-30T08:00:00Z).
        #[arg(long, value_parser = parse_instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Public address of the site people read, the base of document links.
        #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
        public_url: String,
        #[command(flatten)]
        compliance: ComplianceArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// A complete HTML page.
    Html,
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Compose the digests due now, then deliver the outbox once
    /// (cron-friendly: the exit code is 1 when a delivery failed or was
    /// deferred for a retry).
    Run {
        /// Act as if it were this time (RFC 3339, e.g. 2026-11-30T08:00:00Z).
        #[arg(long, value_parser = parse_instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Print what would be composed; write and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Public address of the site people read, the base of links.
        #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
        public_url: String,
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        compliance: ComplianceArgs,
    },
    /// Print the digest a focal point would receive now, without sending it.
    Preview {
        /// The focal point: its key, number or id.
        #[arg(long)]
        focal_point: String,
        #[arg(long, value_enum, default_value = "text")]
        format: PreviewFormat,
        /// Act as if it were this time (RFC 3339).
        #[arg(long, value_parser = parse_instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Public address of the site people read, the base of links.
        #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
        public_url: String,
        #[command(flatten)]
        compliance: ComplianceArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PreviewFormat {
    Text,
    Html,
}

fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|_| format!("{text:?} is not an RFC 3339 time such as 2026-11-30T08:00:00Z"))
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Record figures from a CSV file with the columns activity, kind, value,
    /// period_start and optionally period_end and source; all rows or none.
    /// A figure for the same activity, kind and period corrects the one
    /// recorded before.
    Import {
        /// Path of the CSV file.
        file: PathBuf,
        /// Email of the staff account recording them (its permissions apply,
        /// and the audit log names it).
        #[arg(long)]
        staff: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account; prints its first API token as the last line.
    Add {
        /// The account's email (its login).
        #[arg(long)]
        email: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// admin, moderator or focal-point; repeat (or separate with commas)
        /// for several.
        #[arg(long = "role", required = true, value_delimiter = ',')]
        roles: Vec<String>,
        /// For focal-point: the focal point's key or id, or the code of a
        /// commitment that has exactly one focal point.
        #[arg(long)]
        focal_point: Option<String>,
        /// Read a password for the staff frontend's login from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create another API token for an account; prints it as the last line.
    Token {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "newsroom frontend".
        #[arg(long)]
        label: String,
        /// Make the token stop working after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List staff accounts with their roles (never tokens or hashes).
    List,
    /// Revoke every token and session of an account.
    Revoke {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "OGP_PULSE_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Start with an empty catalogue instead of loading the bundled Morocco
    /// 2018-2020 action plan into an empty database.
    #[arg(long, env = "OGP_PULSE_EMPTY")]
    pub empty: bool,

    /// Database connections the server keeps (default 8). A read request
    /// holds one while it runs, so this is how many requests the database
    /// works on at once; the others wait their turn in order.
    #[arg(long, env = "OGP_PULSE_DATABASE_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_pool_size: Option<u32>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Settings of the API itself, shared by `serve` and the tests.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// Language answered when a request asks for none (or for none we have).
    #[arg(long, env = "OGP_PULSE_DEFAULT_LANGUAGE", default_value = "en", value_parser = parse_language)]
    pub default_language: Language,

    /// Deepest field nesting a query may have.
    #[arg(long, env = "OGP_PULSE_MAX_DEPTH", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Complexity budget of a query (list fields cost their page size).
    #[arg(long, env = "OGP_PULSE_MAX_COMPLEXITY", default_value_t = Limits::default().max_complexity)]
    pub max_complexity: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "OGP_PULSE_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Browser origins allowed to call the API (CORS), e.g.
    /// `https://ogp.example.org`; repeat the flag or separate with commas.
    /// None given: any origin, which suits a public read API (no cookies
    /// are ever used).
    #[arg(
        long = "cors-allowed-origin",
        env = "OGP_PULSE_CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Reverse proxies (load balancers) in front of the service. With N > 0,
    /// the client address (for login throttling) is the one the nearest
    /// proxy saw, read from `X-Forwarded-For`; with 0 the header is ignored,
    /// since clients could forge it.
    #[arg(long, env = "OGP_PULSE_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,

    /// Feedback submissions one visitor, and one client address, may make
    /// per minute.
    #[arg(long, env = "OGP_PULSE_FEEDBACK_PER_MINUTE", default_value_t = 5)]
    pub feedback_per_minute: u32,

    /// … and per hour.
    #[arg(long, env = "OGP_PULSE_FEEDBACK_PER_HOUR", default_value_t = 30)]
    pub feedback_per_hour: u32,

    /// Distinct visitors whose reports hide a comment until a moderator
    /// reviews it.
    #[arg(long, env = "OGP_PULSE_REPORT_THRESHOLD", default_value_t = 3)]
    pub report_threshold: u64,

    /// Longest feedback body, in characters.
    #[arg(long, env = "OGP_PULSE_FEEDBACK_MAX_CHARS", default_value_t = 2000)]
    pub feedback_max_chars: usize,

    /// Secret mixed into visitor keys (hashes of a visitor's token and
    /// address). Give every instance the same one, and keep it across
    /// restarts; without it a random one is drawn at start.
    #[arg(long, env = "OGP_PULSE_VISITOR_SALT", hide_env_values = true)]
    pub visitor_salt: Option<String>,

    /// Longest a query may execute, in milliseconds.
    #[arg(long, env = "OGP_PULSE_EXECUTION_TIMEOUT_MS", default_value_t = 10_000)]
    pub execution_timeout_ms: u64,

    /// Redis shared by every instance (rate limits, live updates), e.g.
    /// `redis://127.0.0.1:6379`; without it they stay in this process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel, so deployments can share one
    /// Redis.
    #[arg(long, env = "OGP_PULSE_REDIS_PREFIX", default_value = "ogp-pulse:")]
    pub redis_prefix: String,

    /// Longest an anonymous response stays in the response cache, in seconds
    /// (a safety net: writes make cached responses stale at once); 0 turns
    /// the cache off.
    #[arg(
        long,
        env = "OGP_PULSE_RESPONSE_CACHE_TTL_SECONDS",
        default_value_t = 300
    )]
    pub response_cache_ttl_seconds: u64,

    /// Memory the response cache may use in this process, in MiB: all of it
    /// without Redis, near copies of Redis's bodies with it.
    #[arg(long, env = "OGP_PULSE_RESPONSE_CACHE_MIB", default_value_t = 64)]
    pub response_cache_mib: u64,

    /// Public address of the site people read, the base of links in emails.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,

    /// Folder where documents uploaded as evidence are kept.
    #[arg(long, env = "OGP_PULSE_UPLOADS_DIR", default_value = "uploads")]
    pub uploads_dir: PathBuf,

    /// Largest document that may be uploaded as evidence, in MiB.
    #[arg(long, env = "OGP_PULSE_MAX_UPLOAD_MIB", default_value_t = 20)]
    pub max_upload_mib: usize,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub compliance: ComplianceArgs,
}

/// The thresholds of the compliance clock (OGP's Participation &
/// Co-Creation Standards by default).
#[derive(Debug, Args, Clone)]
pub struct ComplianceArgs {
    /// Days after which a commitment (or plan) without newly published
    /// evidence is flagged: the repository is updated at least twice a year.
    #[arg(long, env = "OGP_PULSE_REPOSITORY_STALE_DAYS", default_value_t = ComplianceRules::default().repository_stale_days)]
    pub repository_stale_days: u32,

    /// Days after which a plan whose multi-stakeholder forum has not met is
    /// flagged.
    #[arg(long, env = "OGP_PULSE_FORUM_INTERVAL_DAYS", default_value_t = ComplianceRules::default().forum_interval_days)]
    pub forum_interval_days: u32,

    /// Implementation meetings a plan is expected to hold in 12 months.
    #[arg(long, env = "OGP_PULSE_IMPLEMENTATION_MEETINGS_PER_YEAR", default_value_t = ComplianceRules::default().implementation_meetings_per_year)]
    pub implementation_meetings_per_year: u32,

    /// Days a citizen's comment may wait for an official response.
    #[arg(long, env = "OGP_PULSE_RESPONSE_DUE_DAYS", default_value_t = ComplianceRules::default().response_due_days)]
    pub response_due_days: u32,
}

impl Default for ComplianceArgs {
    fn default() -> Self {
        let rules = ComplianceRules::default();
        Self {
            repository_stale_days: rules.repository_stale_days,
            forum_interval_days: rules.forum_interval_days,
            implementation_meetings_per_year: rules.implementation_meetings_per_year,
            response_due_days: rules.response_due_days,
        }
    }
}

impl ComplianceArgs {
    pub fn rules(&self) -> ComplianceRules {
        ComplianceRules {
            repository_stale_days: self.repository_stale_days,
            forum_interval_days: self.forum_interval_days,
            implementation_meetings_per_year: self.implementation_meetings_per_year,
            response_due_days: self.response_due_days,
        }
    }
}

/// Where email goes and as whom it is sent.
#[derive(Debug, Args, Clone)]
pub struct MailArgs {
    /// SMTP server that delivers email, e.g.
    /// `smtp://user:pass@host:587?tls=required`; without it emails are
    /// written as `.eml` files to the mail outbox folder.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of emails.
    #[arg(
        long,
        env = "OGP_PULSE_MAIL_FROM",
        default_value = "ogp-pulse <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// Folder of `.eml` files when there is no SMTP server.
    #[arg(long, env = "OGP_PULSE_MAIL_OUTBOX", default_value = "outbox")]
    pub mail_outbox_dir: PathBuf,
}

impl Default for MailArgs {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "ogp-pulse <no-reply@localhost>".to_owned(),
            mail_outbox_dir: PathBuf::from("outbox"),
        }
    }
}

impl Default for ApiArgs {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            default_language: Language::english(),
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
            max_body_bytes: limits.max_body_bytes,
            cors_allowed_origins: Vec::new(),
            trusted_proxies: 0,
            feedback_per_minute: 5,
            feedback_per_hour: 30,
            feedback_max_chars: 2000,
            report_threshold: 3,
            visitor_salt: None,
            execution_timeout_ms: u64::try_from(limits.execution_timeout.as_millis())
                .unwrap_or(u64::MAX),
            redis_url: None,
            redis_prefix: "ogp-pulse:".to_owned(),
            response_cache_ttl_seconds: 300,
            response_cache_mib: 64,
            public_url: "http://127.0.0.1:8000".to_owned(),
            uploads_dir: PathBuf::from("uploads"),
            max_upload_mib: 20,
            mail: MailArgs::default(),
            compliance: ComplianceArgs::default(),
        }
    }
}

impl ApiArgs {
    pub fn feedback_rules(&self) -> FeedbackRules {
        FeedbackRules {
            max_body_chars: self.feedback_max_chars,
            per_minute: Limit {
                max: self.feedback_per_minute,
                window: chrono::Duration::minutes(1),
            },
            per_hour: Limit {
                max: self.feedback_per_hour,
                window: chrono::Duration::hours(1),
            },
            report_threshold: self.report_threshold,
        }
    }

    pub fn documents(&self) -> DocumentStore {
        DocumentStore {
            dir: self.uploads_dir.clone(),
            max_bytes: self.max_upload_mib.saturating_mul(1 << 20),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_body_bytes: self.max_body_bytes,
            execution_timeout: Duration::from_millis(self.execution_timeout_ms),
        }
    }
}

fn parse_language(text: &str) -> Result<Language, String> {
    Language::parse_canonical(text)
        .ok_or_else(|| format!("{text:?} is not a language code such as \"en\" or \"fr\""))
}
