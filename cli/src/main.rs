//! `seam`: SeamDB's command line. Each subcommand lives in `commands/`, one file each.

#[macro_use]
mod out;
mod commands;
mod report;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// SeamDB: an embedded time-series database for ML traces.
///
/// A database is a directory. Components (inference, feedback, ...) hold events keyed by
/// trace ID; `seam ingest` loads CSV or JSON Lines into one, and the other commands inspect,
/// verify and maintain what is stored.
#[derive(Parser, Debug)]
#[command(name = "seam", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Demo(commands::demo::Args),
    Ingest(commands::ingest::Args),
    Query(commands::query::Args),
    Stats(commands::stats::Args),
    Check(commands::check::Args),
    Recover(commands::recover::Args),
    Trace(commands::trace::Args),
    Compact(commands::compact::Args),
    Retain(commands::retain::Args),
    Drop(commands::drop::Args),
    Serve(commands::serve::Args),
    Slo(commands::slo::Args),
    Report(commands::report::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Demo(a) => done(commands::demo::run(a)),
        Command::Ingest(a) => done(commands::ingest::run(a)),
        Command::Query(a) => done(commands::query::run(a)),
        Command::Stats(a) => done(commands::stats::run(a)),
        Command::Check(a) => done(commands::check::run(a)),
        Command::Recover(a) => done(commands::recover::run(a)),
        Command::Trace(a) => done(commands::trace::run(a)),
        Command::Compact(a) => done(commands::compact::run(a)),
        Command::Retain(a) => done(commands::retain::run(a)),
        Command::Drop(a) => done(commands::drop::run(a)),
        Command::Serve(a) => done(commands::serve::run(a)),
        Command::Report(a) => done(commands::report::run(a)),
        // Exit status 1 when an SLO is violated, for cron.
        Command::Slo(a) => commands::slo::run(a),
    };
    match result {
        Ok(code) => code,
        // The reader of our output has gone (`seam query ... | head`): a quiet end.
        Err(e) if out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
