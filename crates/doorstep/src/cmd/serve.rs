//! `doorstep serve`.

use std::process::ExitCode;

use super::common::{Failure, finish, log_applied, open, runtime, settings};

/// Arguments of `doorstep serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Load the demo data before serving (nothing changes if it is there).
    #[arg(long)]
    demo: bool,
    /// Do not apply pending migrations on start.
    #[arg(long)]
    no_migrate: bool,
    /// Listen on this address instead of server.address.
    #[arg(long)]
    address: Option<String>,
}

/// Runs `doorstep serve` until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(serve(args))))
}

async fn serve(args: Args) -> Result<(), Failure> {
    let settings = settings()?;
    let store = open(&settings).await?;
    if settings.server.migrate_on_start && !args.no_migrate {
        let applied = store
            .migrate_up()
            .await
            .map_err(|e| Failure::other(format!("migrations failed: {e}")))?;
        log_applied(&applied);
    }
    let catalog = doorstep_service::stations::load(std::path::Path::new(
        doorstep_service::stations::DEFAULT_DIR,
    ))
    .map_err(Failure::input)?;
    if args.demo {
        super::demo::load(&store, &catalog, &settings).await?;
    }
    let catalog = std::sync::Arc::new(catalog);
    let sender = super::mail::transport(&settings)?;
    tokio::spawn(mail_job(MailJob {
        store: store.clone(),
        catalog: catalog.clone(),
        settings: super::mail::mail_settings(&settings),
        sender,
        policy: super::mail::policy(&settings),
        tick: std::time::Duration::from_secs(settings.mail.tick_s.max(1)),
    }));
    if settings.planning.serve_jobs {
        tokio::spawn(planning_job(PlanningJob {
            store: store.clone(),
            catalog: catalog.clone(),
            options: doorstep_service::planning::area::WorkOptions {
                workers: super::common::planning_workers(&settings, settings.planning.workers()),
                run: None,
                poll: std::time::Duration::from_secs(settings.planning.poll_s.max(1)),
                keep_polling: true,
            },
        }));
    }
    let address = args.address.unwrap_or(settings.server.address);
    let listener = tokio::net::TcpListener::bind(&address).await.map_err(|e| {
        Failure::input(format!(
            "cannot listen on {address}: {e} (server.address / DOORSTEP__SERVER__ADDRESS)"
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::other(e.to_string()))?;
    println!("doorstep: listening on http://{local}");
    let app = doorstep_api::router(doorstep_api::AppState {
        store,
        catalog,
        planning: doorstep_api::PlanningDefaults {
            time_limit: std::time::Duration::from_secs_f64(settings.planning.time_limit_s),
            threads: settings.planning.threads(),
            area_time_limit: std::time::Duration::from_secs_f64(
                settings.planning.area_time_limit_s,
            ),
            page_iterations: (settings.planning.page_iterations > 0)
                .then_some(settings.planning.page_iterations),
        },
        secure_cookie: settings.server.secure_cookie,
        clock: doorstep_service::Clock::system(),
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|e| Failure::other(format!("server error: {e}")))
}

/// What the mail job needs.
struct MailJob {
    store: doorstep_service::Store,
    catalog: std::sync::Arc<doorstep_service::Catalog>,
    settings: doorstep_service::mail::MailSettings,
    sender: doorstep_mail::Transport,
    policy: doorstep_service::mail::SendPolicy,
    tick: std::time::Duration,
}

/// Every `tick`: decides the teams' due firings (each once, whatever the
/// number of processes), then sends what waits in the outbox — new lists,
/// due retries, and messages a dead sender left when its lease ran out.
async fn mail_job(job: MailJob) {
    use doorstep_service::mail;
    let mut interval = tokio::time::interval(job.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = chrono::Utc::now();
        match mail::firing::run_due(
            &job.store,
            &job.catalog,
            &job.settings,
            now,
            mail::firing::CATCH_UP,
        )
        .await
        {
            Ok(fired) => {
                for (firing, done) in fired {
                    tracing::info!(
                        team = firing.team_id,
                        kind = firing.kind.code(),
                        day = %firing.day(),
                        written = done.written,
                        updates = done.updates,
                        without_address = done.without_address,
                        "mail: fired"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "mail: the schedules could not be read"),
        }
        match mail::send_pending(&job.store, &job.sender, &job.policy, chrono::Utc::now).await {
            Ok(report) if report.sent + report.retrying + report.failed > 0 => tracing::info!(
                sent = report.sent,
                retrying = report.retrying,
                failed = report.failed,
                "mail: outbox"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "mail: the outbox could not be read"),
        }
    }
}

/// What the planning job needs.
struct PlanningJob {
    store: doorstep_service::Store,
    catalog: std::sync::Arc<doorstep_service::Catalog>,
    options: doorstep_service::planning::area::WorkOptions,
}

/// Works the areas' planning jobs, as `doorstep worker --wait` does, for as
/// long as the server runs; a database failure is logged and the loop
/// starts again after `poll`. Jobs held when the server stops are left to
/// their leases.
async fn planning_job(job: PlanningJob) {
    use doorstep_service::planning::area::{self, JobOutcome, JobReport};
    let stop = std::sync::atomic::AtomicBool::new(false);
    let clock = chrono::Utc::now;
    let on_job = |report: &JobReport| match &report.outcome {
        JobOutcome::Done { plan_id, figures } => tracing::info!(
            run = report.claim.run_id,
            team = report.claim.team_id,
            plan = ?plan_id,
            visits = figures.visits,
            "planning: team planned"
        ),
        JobOutcome::Failed { error, retried } => tracing::warn!(
            run = report.claim.run_id,
            team = report.claim.team_id,
            retried,
            %error,
            "planning: team not planned"
        ),
        JobOutcome::LeaseLost => {}
    };
    loop {
        if let Err(e) = area::work(
            &job.store,
            &job.catalog,
            &job.options,
            &clock,
            &stop,
            &on_job,
        )
        .await
        {
            tracing::warn!(error = %e, "planning: the jobs could not be worked");
        }
        tokio::time::sleep(job.options.poll).await;
    }
}

async fn shutdown() {
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
}
