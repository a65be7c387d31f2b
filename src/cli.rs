//! The `minqing` command line: one binary, several subcommands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::domain::access::Role;
use crate::domain::calendar::parse_ics;
use crate::domain::deadline::{TimeLimit, due_at};
use crate::service::{Clock, Hub, HubConfig, auth, places};
use crate::storage::{Db, redact_url};

mod understanding;

#[derive(Debug, Parser)]
#[command(name = "minqing", version, about = "民情枢纽: the appeal hub for county grassroots governance")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives: a SQLite file under the data directory, or a database URL.
#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// Directory for the embedded database and other files.
    #[arg(long, env = "MINQING_DATA_DIR", default_value = "minqing-data")]
    pub data_dir: PathBuf,
    /// `postgres://USER@HOST/DB` for PostgreSQL, or `sqlite://PATH`; defaults to
    /// DATA_DIR/minqing.db.
    #[arg(long, env = "MINQING_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The county this deployment serves (its 6-digit code).
    #[arg(long, env = "MINQING_COUNTY", default_value = "511824")]
    pub county: String,
}

/// The hub's clock: business hours, the scheduler that sweeps deadlines, delivery channels.
#[derive(Debug, Args, Clone)]
pub struct ClockArgs {
    /// Business hours that count as working time, e.g. `09:00-12:00,13:30-17:30` (the default).
    #[arg(long, env = "MINQING_BUSINESS_HOURS")]
    pub business_hours: Option<String>,
    /// Seconds between two sweeps of due deadlines and runs of queued jobs; 0 turns the
    /// scheduler off on this node (another node may run it).
    #[arg(long, env = "MINQING_SWEEP_INTERVAL_SECS", default_value_t = 60)]
    pub sweep_interval_secs: u64,
    /// Channels beyond the inbox whose messages are only written to the log and the delivery
    /// log for now (comma-separated, e.g. `sms,wechat`), until a gateway is plugged in.
    #[arg(long, env = "MINQING_NOTIFY_LOG_CHANNELS", default_value = "")]
    pub notify_log_channels: String,
    /// POST every notification, signed, to this `http://` URL (channel `webhook`).
    #[arg(long, env = "MINQING_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Send SMS through the county's gateway at this `http://` URL (channel `sms`).
    #[arg(long, env = "MINQING_SMS_WEBHOOK_URL")]
    pub sms_webhook_url: Option<String>,
    /// The shared secret webhooks are signed with (HMAC-SHA256).
    #[arg(long, env = "MINQING_WEBHOOK_SECRET", hide_env_values = true, default_value = "")]
    pub webhook_secret: String,
    /// Send email through the county's mail relay at `HOST:PORT` (channel `email`; plain
    /// SMTP on the local network, no STARTTLS or AUTH).
    #[arg(long, env = "MINQING_SMTP_RELAY")]
    pub smtp_relay: Option<String>,
    /// The sender address of email notifications (required with --smtp-relay).
    #[arg(long, env = "MINQING_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// A text file of `unit:ID address` / `user:ID address` lines: who is reached by email,
    /// and where (read at start; recipients not in it get no email).
    #[arg(long, env = "MINQING_SMTP_ADDRESSES")]
    pub smtp_addresses: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrations are applied on start).
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// On an empty database, load the demo county 石棉县 with users and appeals.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        clock: ClockArgs,
        #[command(flatten)]
        web: crate::web::WebArgs,
    },
    /// Apply the embedded database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Import places: regions (CSV or CSV.gz), region outlines or grids (GeoJSON).
    Import {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Create users.
    User {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Create API tokens.
    Token {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Verify the hash chains of every appeal's history.
    Audit {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Write a consistent, checked snapshot of the embedded database (safe while serving).
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The backup file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the embedded database with a checked backup (the old one is kept beside it).
    Restore {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The backup file.
        file: PathBuf,
        /// Restore even though a running server holds the database (restart it afterwards).
        #[arg(long)]
        force: bool,
    },
    /// Working-time calendar: compute deadlines, import holidays.
    Calendar {
        #[command(subcommand)]
        action: CalendarCommand,
    },
    /// Benchmarks and data generation (see docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        what: crate::bench::BenchCommand,
    },
    /// The appeal classifier: train it, measure it.
    Classify {
        #[command(subcommand)]
        action: understanding::ClassifyCommand,
    },
    /// Hot spots: scan for clusters of appeals and raise warnings.
    Hotspots {
        #[command(subcommand)]
        action: understanding::HotspotCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A region CSV (`code,name,parent,level` or the national layouts; .gz accepted).
    Regions { file: PathBuf },
    /// Region outlines from GeoJSON; features carry the region code in a property.
    Outlines {
        file: PathBuf,
        #[arg(long, default_value = "code")]
        code_property: String,
    },
    /// Grids from a GeoJSON FeatureCollection (properties: id, region_code, name?, parent_id?).
    Grids { file: PathBuf },
    /// Historical appeals from another 12345 system's CSV or XLSX export, through a column
    /// mapping (see docs/import-example.toml). All rows or none; exit 1 if any row is rejected.
    Appeals {
        file: PathBuf,
        /// The column mapping (TOML).
        #[arg(long)]
        mapping: PathBuf,
        /// Check every row and report what would be rejected; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user in a unit with roles; the password is read from MINQING_PASSWORD.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The unit's exact name.
        #[arg(long)]
        unit: String,
        /// Comma-separated roles, e.g. `dispatcher,handler`.
        #[arg(long)]
        roles: String,
        #[arg(long, env = "MINQING_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a long-lived API token for a user and print it once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every appeal's event chain; exit 1 if any break is found.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the deadline N working days or H working hours after an instant.
    Deadline {
        /// An RFC 3339 instant, e.g. 2026-02-13T10:00:00+08:00.
        #[arg(long)]
        from: String,
        #[arg(long, conflicts_with = "working_hours", required_unless_present = "working_hours")]
        working_days: Option<u32>,
        #[arg(long)]
        working_hours: Option<u32>,
        /// An iCalendar file of holidays to use on top of the shipped ones.
        #[arg(long)]
        ics: Option<PathBuf>,
    },
    /// Import holidays and make-up working days from an iCalendar file into the database.
    Import {
        #[command(flatten)]
        database: DatabaseArgs,
        file: PathBuf,
    },
}

impl DatabaseArgs {
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|error| anyhow::anyhow!("cannot create the data directory {}: {error}", self.data_dir.display()))?;
        Ok(format!("sqlite://{}?mode=rwc", self.data_dir.join("minqing.db").display()))
    }

    /// Connects and migrates.
    pub async fn open(&self) -> anyhow::Result<Db> {
        let url = self.url()?;
        let db = Db::connect(&url).await.map_err(|error| anyhow::anyhow!("cannot open the database {}: {error}", redact_url(&url)))?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn hub(&self) -> anyhow::Result<Hub> {
        let db = self.open().await?;
        let config = HubConfig { county_code: self.county.clone(), ..HubConfig::default() };
        Ok(Hub::new(db, config, Clock::System).await?)
    }
}

/// Runs a parsed command line. Returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve { database, listen, demo, clock, web } => serve(database, listen, demo, clock, web).await,
        Command::Migrate { database } => {
            let url = database.url()?;
            let db = Db::connect(&url).await?;
            let applied = db.migrate().await?;
            println!("migrations applied: {applied:?} ({} at {})", db.dialect.name(), redact_url(&url));
            Ok(0)
        }
        Command::Import { database, what: ImportCommand::Appeals { file, mapping, dry_run } } => {
            let hub = database.hub().await?;
            let bytes = std::fs::read(&file).map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
            let file_name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            let report = crate::service::import::import_appeals(&hub, &file_name, &bytes, &read_text(&mapping)?, dry_run).await?;
            for line in crate::service::import::report_lines(&report) {
                println!("{line}");
            }
            Ok(if report.is_clean() { 0 } else { 1 })
        }
        Command::Import { database, what } => {
            let hub = database.hub().await?;
            let count = match what {
                ImportCommand::Regions { file } => places::import_regions_file(&hub.db, &file).await?,
                ImportCommand::Outlines { file, code_property } => {
                    places::import_region_outlines(&hub, &read_text(&file)?, &code_property).await?
                }
                ImportCommand::Grids { file } => places::import_grids(&hub, &read_text(&file)?).await?,
                ImportCommand::Appeals { .. } => anyhow::bail!("appeals are imported by their own command"),
            };
            println!("imported {count}");
            Ok(0)
        }
        Command::User { database, action: UserCommand::Create { username, display_name, unit, roles, password } } => {
            let hub = database.hub().await?;
            let unit = hub.db.unit_by_name(&unit).await?.ok_or_else(|| anyhow::anyhow!("no unit is named {unit}"))?;
            let roles = roles.split(',').map(|role| role.trim().parse::<Role>()).collect::<Result<Vec<_>, _>>()?;
            let id = auth::create_user(&hub, &username, display_name.as_deref().unwrap_or(&username), unit.id, &roles, &password).await?;
            println!("created user {username} (id {id}) in {}", unit.name);
            Ok(0)
        }
        Command::Token { database, action: TokenCommand::Create { user, label } } => {
            let hub = database.hub().await?;
            let token = auth::create_api_token(&hub, &user, &label).await?;
            println!("{token}");
            Ok(0)
        }
        Command::Audit { database, action: AuditCommand::Verify } => {
            let db = database.open().await?;
            audit_verify(&db).await
        }
        Command::Calendar { action } => calendar(action).await,
        Command::Bench { what } => crate::bench::run(what).await,
        Command::Backup { database, out } => crate::service::backup::run_backup(&database.url()?, &out).await,
        Command::Restore { database, file, force } => crate::service::backup::run_restore(&database.url()?, &file, force).await,
        Command::Classify { action } => understanding::classify(action).await,
        Command::Hotspots { action } => understanding::hotspots(action).await,
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))
}

/// Recomputes every chain and prints each break. Exit code 1 when history was altered.
pub async fn audit_verify(db: &Db) -> anyhow::Result<i32> {
    let mut breaks = Vec::new();
    let mut events = 0usize;
    let appeals = db
        .all_chains(|number, head, chain| {
            events += chain.len();
            breaks.extend(crate::domain::history::verify_chain(number, &chain, head));
        })
        .await?;
    // The programmes' work items use the same chain; the points ledger must balance.
    let work_items = db
        .all_work_chains(|number, head, chain| {
            events += chain.len();
            breaks.extend(crate::domain::history::verify_chain(number, &chain, head));
        })
        .await?;
    let ledger_problems = db.audit_points().await?;
    for problem in &ledger_problems {
        println!("BROKEN {problem}");
    }
    for found in &breaks {
        println!("BROKEN {} event {}: {}", found.appeal_number, found.seq, found.problem);
    }
    if !ledger_problems.is_empty() {
        return Ok(1);
    }
    println!("ok: {work_items} programme work items chained, points ledger balanced");
    if breaks.is_empty() {
        println!("ok: {appeals} appeals, {events} events, every chain intact");
        Ok(0)
    } else {
        println!("FAILED: {} breaks in {appeals} appeals", breaks.len());
        Ok(1)
    }
}

async fn calendar(action: CalendarCommand) -> anyhow::Result<i32> {
    match action {
        CalendarCommand::Deadline { from, working_days, working_hours, ics } => {
            let from: jiff::Timestamp =
                from.parse().map_err(|error| anyhow::anyhow!("--from must be RFC 3339 like 2026-02-13T10:00:00+08:00: {error}"))?;
            let mut calendar = crate::domain::calendar::WorkingCalendar::china_default()?;
            if let Some(path) = ics {
                calendar.merge_days(&parse_ics(&read_text(&path)?)?);
            }
            let limit = match (working_days, working_hours) {
                (Some(days), _) => TimeLimit::WorkingDays(days),
                (None, Some(hours)) => TimeLimit::WorkingHours(hours),
                (None, None) => anyhow::bail!("give --working-days N or --working-hours H"),
            };
            let due = due_at(&calendar, from, limit);
            println!("{}", crate::service::view::rfc3339(due.as_millisecond()));
            Ok(0)
        }
        CalendarCommand::Import { database, file } => {
            let days = parse_ics(&read_text(&file)?)?;
            let db = database.open().await?;
            db.upsert_calendar_days(&days).await?;
            println!("imported {} days off and make-up working days", days.len());
            Ok(0)
        }
    }
}

async fn serve(database: DatabaseArgs, listen: SocketAddr, demo: bool, clock: ClockArgs, web: crate::web::WebArgs) -> anyhow::Result<i32> {
    let _server_lock = crate::service::backup::hold_server_lock_for_url(&database.url()?)?;
    let mut hub = database.hub().await?;
    hub.config.tile_url = web.tile_url()?;
    if let Some(hours) = &clock.business_hours {
        let hours = crate::domain::calendar::BusinessHours::parse(hours).map_err(|error| anyhow::anyhow!("--business-hours: {error}"))?;
        hub.calendar = std::sync::Arc::new((*hub.calendar).clone().with_hours(hours));
    }
    for channel in clock.notify_log_channels.split(',').map(str::trim).filter(|channel| !channel.is_empty()) {
        crate::service::notifications::register_sender(std::sync::Arc::new(crate::service::notifications::LoggingSender {
            channel: channel.to_string(),
        }));
    }
    for (channel, url) in [("webhook", &clock.webhook_url), ("sms", &clock.sms_webhook_url)] {
        if let Some(url) = url {
            if clock.webhook_secret.is_empty() {
                anyhow::bail!("set MINQING_WEBHOOK_SECRET so the {channel} webhook can be signed");
            }
            let sender = crate::service::webhook::WebhookSender::new(channel, url, clock.webhook_secret.as_bytes())
                .map_err(|error| anyhow::anyhow!(error))?;
            crate::service::notifications::register_sender(std::sync::Arc::new(sender));
        }
    }
    if let Some(relay) = &clock.smtp_relay {
        let from = clock.smtp_from.as_deref().ok_or_else(|| anyhow::anyhow!("--smtp-relay needs --smtp-from ADDRESS"))?;
        let path = clock
            .smtp_addresses
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("--smtp-relay needs --smtp-addresses FILE (who gets email, and where)"))?;
        let text = std::fs::read_to_string(path).map_err(|error| anyhow::anyhow!("--smtp-addresses {}: {error}", path.display()))?;
        let directory = crate::service::smtp::EmailDirectory::parse(&text)
            .map_err(|error| anyhow::anyhow!("--smtp-addresses {}: {error}", path.display()))?;
        tracing::info!(relay = %relay, recipients = directory.len(), "email notifications enabled");
        let sender = crate::service::smtp::SmtpSender::new(relay, from, directory).map_err(|error| anyhow::anyhow!(error))?;
        crate::service::notifications::register_sender(std::sync::Arc::new(sender));
    }
    tracing::info!(database = %redact_url(&database.url()?), dialect = hub.db.dialect.name(), "database ready");
    if demo {
        load_demo_if_empty(&hub).await?;
    }
    understanding::spawn_background(&hub);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|error| anyhow::anyhow!("cannot listen on {listen}: {error}"))?;
    let address = listener.local_addr()?;
    println!("minqing is listening on http://{address}");
    tracing::info!(%address, "listening");
    let (stop_scheduler, scheduler_stopped) = tokio::sync::watch::channel(false);
    let scheduler = (clock.sweep_interval_secs > 0).then(|| {
        crate::service::jobs::spawn_scheduler(hub.clone(), std::time::Duration::from_secs(clock.sweep_interval_secs), scheduler_stopped)
    });
    axum::serve(listener, crate::http::router(hub)).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_scheduler.send(true);
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    Ok(0)
}

/// Loads the demo county into an empty database and prints the demo users.
async fn load_demo_if_empty(hub: &Hub) -> anyhow::Result<()> {
    // DEMO_HOOK: wired by the web branch for its browser test; main's version wins on merge.
    if crate::demo::seed::is_empty(hub).await {
        let summary = crate::demo::seed::load_demo(hub).await.map_err(|error| anyhow::anyhow!("loading the demo failed: {error}"))?;
        println!(
            "demo loaded: {} grids, {} units, {} appeals; password {}",
            summary.grids,
            summary.units,
            summary.appeals,
            crate::demo::seed::DEMO_PASSWORD
        );
        for user in &summary.users {
            println!("demo user {} ({}, {})", user.username, user.role_zh, user.unit);
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
