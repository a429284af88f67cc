//! `supervisord`: parse the command line, load the config, then run the daemon (or just
//! report on the config with `--check-config`).

use crate::config::{self, json, summary, users, ConfigError, LoadContext};
use crate::options::{self, Command, Options};

/// Prints a usage error the reference's way and returns exit status 2.
fn usage_error(argv0: &str, line: &str) -> i32 {
    eprintln!("Error: {line}");
    eprintln!("For help, use {argv0} -h");
    2
}

fn config_error(argv0: &str, e: &ConfigError) -> i32 {
    usage_error(argv0, &e.located())
}

fn warn_root_search(opts: &Options) {
    if opts.configuration.is_none() && config::running_as_root() {
        eprintln!("UserWarning: {}", config::ROOT_SEARCH_WARNING);
    }
}

fn check(json_out: bool, opts: &Options, ctx: &LoadContext) -> i32 {
    warn_root_search(opts);
    let path = match config::find_config(opts, ctx) {
        Ok(p) => p,
        Err(e) => {
            if json_out {
                let report = config::LoadReport {
                    result: Err(e.clone()),
                    warnings: vec![],
                    infos: vec![],
                    files_read: vec![],
                    errors: vec![e],
                    reference_refusal: None,
                };
                println!("{}", json::report(&report).render());
                return 2;
            }
            return config_error(&opts.argv0, &e);
        }
    };
    let report = config::check_report(&path, ctx, opts);
    if json_out {
        println!("{}", json::report(&report).render());
        return if report.result.is_ok() { 0 } else { 2 };
    }
    match &report.result {
        Ok(c) => {
            print!("{}", summary::render(c));
            0
        }
        Err(_) => {
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            for e in &report.errors {
                eprintln!("Error: {}", e.located());
            }
            eprintln!("For help, use {} -h", opts.argv0);
            2
        }
    }
}

/// Runs supervisord with `args` (the arguments after `argv[0]`) and returns the exit code.
pub fn main(argv0: &str, args: &[String]) -> i32 {
    let mut argv = Vec::with_capacity(args.len() + 1);
    argv.push(argv0.to_string());
    argv.extend_from_slice(args);
    // The one user database of this process: NSS, so LDAP and other sources work.
    let users = users::nss();
    match options::parse(&argv, &*users) {
        Err(msg) => usage_error(argv0, &msg),
        Ok(Command::Help) => {
            print!("{}", options::usage(argv0));
            0
        }
        Ok(Command::Version) => {
            println!("{}", crate::VERSION);
            0
        }
        Ok(Command::CheckConfig { json, options }) => {
            check(json, &options, &LoadContext::from_process(users))
        }
        Ok(Command::Upgrade(options)) => {
            let ctx = LoadContext::from_process(users);
            match config::load_for_daemon(&options, &ctx) {
                Ok(cfg) => super::upgrade::run(&cfg, &ctx),
                Err(e) => config_error(argv0, &e),
            }
        }
        Ok(Command::Run(options)) => {
            // Before the config is loaded: the handover's variable must not reach children.
            let handover = crate::daemon::upgrade::take_handover();
            warn_root_search(&options);
            match config::load_for_daemon(&options, &LoadContext::from_process(users)) {
                Ok(cfg) => crate::daemon::run_with(options, cfg, handover),
                Err(e) => config_error(argv0, &e),
            }
        }
    }
}
