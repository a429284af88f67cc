//! Table-driven tests of the whole loader (`load`), on small configs written to a temp dir.

use std::path::{Path, PathBuf};

use super::load::{load, load_report, LoadContext};
use super::model::{AutoRestart, Config, GroupKind, LogTarget, ServerAddress};
use super::users::FakeUserDb;
use crate::options::Options;

/// A unique temp dir for one test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("sv-load-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The users of every test load: `ldapper`, `toor` and the `devs` group exist only here (as
/// with an LDAP directory), so they resolve only if the loader asks the injected database.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
    ldapper:*:5001:5001:LDAP user:/home/ldapper:/bin/sh\n\
    toor:x:0:0:same uid as root:/root:/bin/sh\n";
const GROUP: &str = "root:x:0:\nstaff:x:50:ldapper\nldapper:x:5001:\ndevs:x:7000:other,ldapper\n";

fn ctx(dir: &Path) -> LoadContext {
    LoadContext {
        env: vec![
            ("HOME".into(), "/root".into()),
            ("PATH".into(), "/bin".into()),
        ],
        hostname: "box".into(),
        cwd: dir.to_path_buf(),
        users: FakeUserDb::parse(PASSWD, GROUP).shared(),
        euid: 0,
    }
}

const HEAD: &str = "[supervisord]\nlogfile=/tmp/sv-t.log\npidfile=/tmp/sv-t.pid\n";

fn load_text(tag: &str, body: &str) -> Result<Config, String> {
    let d = TempDir::new(tag);
    let p = d.write("s.conf", &format!("{HEAD}{body}"));
    load(&p, &ctx(&d.0)).map_err(|e| e.message.replace(&d.0.display().to_string(), "{dir}"))
}

/// (group name, process name, command) of every process, in order.
fn processes(c: &Config) -> Vec<(String, String, String)> {
    c.groups
        .iter()
        .flat_map(|g| {
            g.processes
                .iter()
                .map(|p| (g.name.clone(), p.name.clone(), p.command.clone()))
        })
        .collect()
}

#[test]
fn process_names_and_commands() {
    // (config body, expected (group, process, command) triples)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "[program:w]\ncommand=/w --slot %(process_num)d/%(numprocs)d\n\
             process_name=%(program_name)s_%(process_num)02d\nnumprocs=3\nnumprocs_start=8\n",
            &[
                ("w", "w_08", "/w --slot 8/3"),
                ("w", "w_09", "/w --slot 9/3"),
                ("w", "w_10", "/w --slot 10/3"),
            ],
        ),
        (
            "[program:p]\ncommand=/bin/sh -c\n    \"echo a;\n     echo b\"\n",
            &[("p", "p", "/bin/sh -c\n\"echo a;\necho b\"")],
        ),
        (
            "[program:p]\ncommand=/bin/echo 100%% ; cut\n",
            &[("p", "p", "/bin/echo 100%")],
        ),
        (
            "[program:p]\ncommand=/bin/echo a;b #c\n",
            &[("p", "p", "/bin/echo a;b")],
        ),
        (
            "[program:p]\ncommand=%(here)s/run %(host_node_name)s %(ENV_HOME)s\n",
            &[("p", "p", "{dir}/run box /root")],
        ),
        (
            "[group:g]\nprograms=b,a\npriority=1\n[program:a]\ncommand=a\npriority=2\n\
             [program:b]\ncommand=b %(group_name)s\npriority=3\n[program:c]\ncommand=c\n\
             priority=0\n",
            &[("c", "c", "c"), ("g", "b", "b g"), ("g", "a", "a")],
        ),
        (
            "[DEFAULT]\ncommand=/bin/%(program_name)s\n[program:x]\n[program:y]\ncommand=/y\n",
            &[("x", "x", "/bin/x"), ("y", "y", "/y")],
        ),
        ("[program:z]\ncommand=z\nnumprocs=0\n", &[]),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let c = load_text(&format!("names{i}"), body).unwrap_or_else(|e| panic!("{body}: {e}"));
        let d = std::env::temp_dir().join(format!("sv-load-names{i}-{}", std::process::id()));
        let got: Vec<(String, String, String)> = processes(&c)
            .into_iter()
            .map(|(g, p, cmd)| (g, p, cmd.replace(&d.display().to_string(), "{dir}")))
            .collect();
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(g, p, c)| (g.to_string(), p.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want, "case {i}: {body}");
    }
}

#[test]
fn errors_and_their_precedence() {
    let cases: &[(&str, &str)] = &[
        ("[program:a]\n", "program section program:a does not specify a command in section 'program:a' (file: '{dir}/s.conf')"),
        (
            "[program:a]\ncommand=x\nnumprocs=2\n",
            "%(process_num) must be present within process_name when numprocs > 1 in section 'program:a' (file: '{dir}/s.conf')",
        ),
        ("[program:a]\ncommand=x\npriority=high\n", "invalid literal for int() with base 10: 'high'"),
        (
            "[program:b]\ncommand=x\nstartsecs=s\n[group:g]\nprograms=zz\n",
            "[group:g] names unknown program or fcgi-program zz",
        ),
        (
            "[program:a]\ncommand=%(nope)s\n",
            "Format string '%(nope)s' for 'program:a.command' contains names ('nope') which cannot be expanded. Available names: ENV_HOME, ENV_PATH, group_name, here, host_node_name, numprocs, process_num, program_name in section 'program:a' (file: '{dir}/s.conf')",
        ),
        ("[inet_http_server]\nport=:0\n", "0 is below lower bound (1)"),
        ("[unix_http_server]\nchmod=0700\n", "section [unix_http_server] has no file value"),
        ("[include]\n", ".ini file has [include] section, but no files setting"),
        ("[supervisord]\nuser=no-such-user-here\n", "Invalid user name no-such-user-here"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let err = load_text(&format!("err{i}"), body).expect_err(body);
        assert_eq!(err, *want, "case {i}");
    }
}

#[test]
fn python_plugin_sections_are_skipped_with_a_warning() {
    let c = load_text(
        "plugins",
        "[rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [rpcinterface:twiddler]\n\
         supervisor.rpcinterface_factory = supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface\n\
         extra = %(nope)s\n\
         [ctlplugin:quick]\n\
         supervisor.ctl_factory = supervisor_quick:make_quick_controllerplugin\n\
         [program:a]\ncommand=x\n",
    )
    .unwrap();
    assert_eq!(c.rpcinterfaces, vec!["supervisor".to_string()]);
    assert_eq!(processes(&c).len(), 1);
    assert_eq!(
        c.reference_refusal.as_deref(),
        Some(
            "supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface cannot be resolved \
             within [rpcinterface:twiddler]"
        )
    );
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("[rpcinterface:twiddler] (supervisor.rpcinterface_factory = supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface) names a Python plugin"));
    assert!(c.warnings[1].starts_with("[ctlplugin:quick] (supervisor.ctl_factory = supervisor_quick:make_quick_controllerplugin) names a Python plugin"));
    // A plugin section without its factory is still the reference's error.
    let err = load_text("plugins2", "[rpcinterface:x]\nfoo=1\n").unwrap_err();
    assert_eq!(
        err,
        "section [rpcinterface:x] does not specify a supervisor.rpcinterface_factory"
    );
    // Supervisor's own interface alone: no refusal, no warning.
    let c = load_text(
        "plugins3",
        "[rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
    )
    .unwrap();
    assert_eq!((c.reference_refusal, c.warnings.len()), (None, 0));
}

#[test]
fn values_environment_and_servers() {
    let c = load_text(
        "values",
        "environment=A=\"1\",B=2\n[program:p]\ncommand=x\nenvironment=B=\"b\",C=%(ENV_A)s\n\
         autorestart=true\nstopsignal=int\nexitcodes=0,3\nstdout_logfile=NONE\n\
         redirect_stderr=true\nuser=0\n[unix_http_server]\nfile=/tmp/sv-t.sock\n",
    )
    .unwrap();
    let p = &c.groups[0].processes[0];
    assert_eq!(
        p.environment,
        vec![
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "b".to_string()),
            ("C".to_string(), "1".to_string())
        ]
    );
    assert_eq!(p.autorestart, AutoRestart::Always);
    assert_eq!(p.stopsignal, 2);
    assert_eq!(p.exitcodes, vec![0, 3]);
    assert_eq!(p.stdout.logfile, LogTarget::None);
    assert_eq!(p.stderr.logfile, LogTarget::None);
    assert_eq!((p.uid, p.gid), (Some(0), Some(0)));
    assert_eq!(c.groups[0].kind, GroupKind::Program);
    assert_eq!(c.serverurl.as_deref(), Some("unix:///tmp/sv-t.sock"));
    assert_eq!(c.supervisord.loglevel.config_name(), "info");
}

#[test]
fn includes_are_relative_to_the_main_file_and_here_is_per_file() {
    let d = TempDir::new("inc");
    d.write("conf.d/b.conf", "[program:b]\ncommand=%(here)s/b\n");
    d.write("conf.d/a.conf", "[program:a]\ncommand=%(here)s/a\n");
    let main = d.write(
        "etc/s.conf",
        &format!("{HEAD}[include]\nfiles=../conf.d/*.conf none-*.conf\n[program:m]\ncommand=%(here)s/m\n"),
    );
    let r = load_report(&main, &ctx(&d.0), &Options::default());
    let c = r.result.unwrap();
    let root = d.0.display().to_string();
    let cmds: Vec<String> = processes(&c).into_iter().map(|p| p.2).collect();
    assert_eq!(
        cmds,
        vec![
            format!("{root}/conf.d/a"),
            format!("{root}/conf.d/b"),
            format!("{root}/etc/m")
        ]
    );
    assert_eq!(
        r.infos,
        vec![
            format!("Included extra file \"{root}/etc/../conf.d/a.conf\" during parsing"),
            format!("Included extra file \"{root}/etc/../conf.d/b.conf\" during parsing"),
        ]
    );
    assert_eq!(
        r.warnings,
        vec![format!(
            "No file matches via include \"{root}/etc/none-*.conf\""
        )]
    );
    assert_eq!(r.files_read.len(), 3);
}

#[test]
fn command_line_overrides_win() {
    let d = TempDir::new("opts");
    let p = d.write("s.conf", &format!("{HEAD}loglevel=debug\nnodaemon=false\n"));
    let opts = Options {
        nodaemon: Some(true),
        loglevel: Some(super::model::LogLevel::Warn),
        logfile: Some(PathBuf::from("rel.log")),
        ..Options::default()
    };
    let c = load_report(&p, &ctx(&d.0), &opts).result.unwrap();
    assert!(c.supervisord.nodaemon);
    assert_eq!(c.supervisord.loglevel.config_name(), "warn");
    assert_eq!(c.supervisord.logfile, d.0.join("rel.log"));
}

#[test]
fn users_resolve_once_through_the_injected_database() {
    let c = load_text(
        "users",
        "user=ldapper\n[program:byname]\ncommand=x\nuser=ldapper\n\
         [program:byuid]\ncommand=x\nuser=5001\n[program:alias]\ncommand=x\nuser=toor\n\
         [program:plain]\ncommand=x\n\
         [fcgi-program:f]\ncommand=x\nsocket=unix:///tmp/sv-t-fcgi.sock\nuser=ldapper\n\
         [unix_http_server]\nfile=/tmp/sv-t.sock\nchown=ldapper:devs\n",
    )
    .unwrap();
    let sd = &c.supervisord;
    assert_eq!((sd.uid, sd.gid), (Some(5001), Some(5001)));
    assert_eq!(sd.groups, vec![5001, 50, 7000]);
    let p = |name: &str| {
        c.groups
            .iter()
            .flat_map(|g| &g.processes)
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no process {name}"))
    };
    for name in ["byname", "byuid"] {
        let p = p(name);
        assert_eq!((p.uid, p.gid), (Some(5001), Some(5001)), "{name}");
        assert_eq!(p.groups, vec![5001, 50, 7000], "{name}");
        assert_eq!(p.login.as_deref(), Some("ldapper"), "{name}");
    }
    assert_eq!(p("byuid").user.as_deref(), Some("5001"));
    // Like the reference's spawn: the uid's entry decides, whatever name was written.
    let alias = p("alias");
    assert_eq!((alias.uid, alias.gid), (Some(0), Some(0)));
    assert_eq!(
        (alias.login.as_deref(), &alias.groups[..]),
        (Some("root"), &[0][..])
    );
    let plain = p("plain");
    assert_eq!(
        (plain.uid, plain.gid, plain.login.as_ref()),
        (None, None, None)
    );
    assert!(plain.groups.is_empty());
    let fcgi = c.groups.iter().find_map(|g| g.fcgi.as_ref()).unwrap();
    assert_eq!(fcgi.socket_owner, Some((5001, 5001)));
    let ServerAddress::Unix { chown, .. } = &c.servers[0].address else {
        panic!("not unix: {:?}", c.servers[0]);
    };
    assert_eq!(*chown, Some((5001, 7000)));
}

#[test]
fn fcgi_sockets_of_our_own_user_keep_their_owner() {
    let d = TempDir::new("fcgi-own");
    let p = d.write(
        "s.conf",
        &format!(
            "{HEAD}[fcgi-program:f]\ncommand=x\nsocket=unix:///tmp/sv-t-fcgi.sock\nuser=ldapper\n"
        ),
    );
    let mut cx = ctx(&d.0);
    cx.euid = 5001;
    let c = load(&p, &cx).unwrap();
    assert_eq!(c.groups[0].fcgi.as_ref().unwrap().socket_owner, None);
}

#[test]
fn unknown_users_are_the_references_errors_with_their_place() {
    let d = TempDir::new("ghost");
    let cases = [
        (
            "[program:a]\ncommand=x\nuser=ghost\n",
            "Invalid user name ghost in section 'program:a' (file: '{file}')",
            6,
        ),
        (
            "[program:a]\ncommand=x\n\nuser=4242\n",
            "Invalid user id 4242 in section 'program:a' (file: '{file}')",
            7,
        ),
        ("user=ghost\n", "Invalid user name ghost", 4),
        (
            "[unix_http_server]\nfile=/tmp/sv-t.sock\nchown=ldapper:ghosts\n",
            "Invalid sockchown value ldapper:ghosts",
            6,
        ),
        (
            "[unix_http_server]\nfile=/tmp/sv-t.sock\nreaders=ldapper,@devs\ncontrollers=ghost\n",
            "Invalid user name ghost",
            7,
        ),
        (
            "[unix_http_server]\nfile=/tmp/sv-t.sock\nreaders=@ghosts\n",
            "Invalid group name ghosts",
            6,
        ),
        (
            "[inet_http_server]\nport=127.0.0.1:9001\nreaders=ldapper\n",
            "readers applies to [unix_http_server] only: a TCP client has no identity to check",
            6,
        ),
    ];
    for (body, message, line) in cases {
        let p = d.write("s.conf", &format!("{HEAD}{body}"));
        let e = load(&p, &ctx(&d.0)).expect_err(body);
        let message = message.replace("{file}", &p.display().to_string());
        assert_eq!(e.message, message, "{body}");
        assert_eq!(
            (e.file.as_deref(), e.line),
            (Some(&*p), Some(line)),
            "{body}"
        );
    }
    // The real system database is not asked: users it has are unknown to the fake.
    let p = d.write(
        "s.conf",
        &format!("{HEAD}[program:a]\ncommand=x\nuser=daemon\n"),
    );
    assert_eq!(
        load(&p, &ctx(&d.0)).unwrap_err().message,
        format!(
            "Invalid user name daemon in section 'program:a' (file: '{}')",
            p.display()
        )
    );
}

#[test]
fn readers_and_controllers_resolve_at_load() {
    use super::model::{Principal, ServerAccess};
    let c = load_text(
        "access",
        "[unix_http_server]\nfile=/tmp/sv-t.sock\nreaders = ldapper, @staff\ncontrollers=@devs\n",
    )
    .unwrap();
    let want = ServerAccess {
        readers: vec![
            Principal::User {
                name: "ldapper".into(),
                uid: 5001,
            },
            Principal::Group {
                name: "staff".into(),
                gid: 50,
            },
        ],
        controllers: vec![Principal::Group {
            name: "devs".into(),
            gid: 7000,
        }],
    };
    assert_eq!(c.servers[0].access.as_ref(), Some(&want));
    let d = TempDir::new("access-json");
    let p = d.write(
        "s.conf",
        &format!("{HEAD}[unix_http_server]\nfile=/tmp/sv-t.sock\nreaders=@staff\n"),
    );
    let json = super::json::report(&load_report(&p, &ctx(&d.0), &Options::default())).render();
    let flat: String = json.split_whitespace().collect();
    assert!(
        flat.contains(r#""readers":[{"group":"staff","gid":50}],"controllers":[]"#),
        "{json}"
    );
    // Neither key: no identity check, and the document has no such keys.
    let c = load_text("noaccess", "[unix_http_server]\nfile=/tmp/sv-t.sock\n").unwrap();
    assert_eq!(c.servers[0].access, None);
    // One key alone turns the check on; the other list is empty.
    let c = load_text(
        "onlyreaders",
        "[unix_http_server]\nfile=/tmp/sv-t.sock\nreaders=ldapper\n",
    )
    .unwrap();
    assert!(c.servers[0].access.as_ref().unwrap().controllers.is_empty());
}

#[test]
fn environment_file_paths() {
    let d = TempDir::new("envfile");
    // Relative paths are relative to the file that holds the key, not to the working
    // directory; nothing is opened at load (the files do not exist).
    d.write(
        "conf.d/p.conf",
        "[program:p]\ncommand=x\nenvironment=K=1\n\
         environment_file = %(program_name)s.env, -~/x.env,-/etc/%(ENV_A)s.env ,sub/../y.env\n\
         [program:q]\ncommand=x\n",
    );
    let p = d.write(
        "s.conf",
        &format!(
            "{HEAD}environment=A=a\nenvironment_file=-common.env\n\
             [include]\nfiles=conf.d/*.conf\n"
        ),
    );
    let c = load(&p, &ctx(Path::new("/"))).unwrap();
    let dir = d.0.display().to_string();
    let shown = |files: &[super::model::EnvFilePath]| -> Vec<String> {
        files
            .iter()
            .map(|f| {
                let p = f.path.display().to_string().replace(&dir, "{dir}");
                if f.optional {
                    format!("-{p}")
                } else {
                    p
                }
            })
            .collect()
    };
    assert_eq!(
        shown(&c.supervisord.environment_file),
        vec!["-{dir}/common.env"]
    );
    let p = &c.groups[0].processes[0];
    assert_eq!(
        shown(&p.environment_files.program),
        vec![
            "{dir}/conf.d/p.env",
            "-/root/x.env",
            "-/etc/a.env",
            "{dir}/conf.d/y.env"
        ]
    );
    assert_eq!(
        shown(&p.environment_files.supervisord),
        vec!["-{dir}/common.env"]
    );
    assert_eq!(p.environment_files.program_keys, vec!["K".to_string()]);
    // Without its own files a program still gets [supervisord]'s.
    let q = &c.groups[1].processes[0];
    assert_eq!(
        shown(&q.environment_files.supervisord),
        vec!["-{dir}/common.env"]
    );
    assert!(q.environment_files.program.is_empty());
    assert!(q.environment_files.program_keys.is_empty());

    for (value, error) in [
        ("a.env,", "environment_file: empty path in 'a.env,'"),
        ("-", "environment_file: empty path in '-'"),
        (
            &"a,".repeat(17)[..33],
            "environment_file: more than 16 paths",
        ),
    ] {
        let e = load_text(
            "envfile-bad",
            &format!("[program:p]\ncommand=x\nenvironment_file={value}\n"),
        )
        .unwrap_err();
        assert!(e.starts_with(error), "{value}: {e}");
    }
}
