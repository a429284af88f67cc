//! The annotated sample configuration that `echo_supervisord_conf` prints.
//!
//! Every section and option the loader knows, with its default (or an example where there is
//! none). The text is our own; it loads as printed (a unix control socket and the daemon's
//! files under `/tmp`), and uncommenting every `;option=` and `;[section]` line still gives a
//! valid config (`tests/echo_supervisord_conf.rs` checks both with `supervisord --check-config`).

/// The sample `supervisord.conf`, as `echo_supervisord_conf` prints it.
pub fn sample_config() -> String {
    SAMPLE.to_string()
}

const SAMPLE: &str = r#"; supervisord.conf: a starting point for a supervisor-rs configuration.
;
; Lines that begin with ";option=" are switched off; each one shows the value used when the
; option is left out (or, for options without a default, an example). Remove the ";" to set
; one. A ";" starts a comment only at the start of a line or after a space or tab.
;
; Values can refer to other values with %(name)s: %(here)s is the directory of this file,
; %(ENV_HOME)s any environment variable, and in program sections also %(program_name)s,
; %(process_num)d, %(group_name)s, %(numprocs)d and %(host_node_name)s. Write %% for a
; literal %. "~" and "$VAR" are not expanded.
;
; Check a config without starting anything:  supervisord --check-config -c FILE
; Manual: supervisord.conf(5).

; The control socket on the local filesystem. supervisorctl and, over HTTP, Supervisor's
; XML-RPC clients and web page use it.
[unix_http_server]
file=/tmp/supervisor.sock   ; where the socket is created (required in this section)
;chmod=0700                 ; permission bits of the socket file
;chown=nobody:nogroup       ; owner (user or user:group) of the socket file; default: unchanged
;username=user              ; clients must log in with this name; default: no login
;password=123               ; and this password, plain or "{SHA}" + hex SHA-1 digest
;max_clients=64             ; connections held at once; default: the daemon-wide cap
;readers=nobody,@nogroup    ; users/@groups who may only read (status, tail...); default: unset
;controllers=@root          ; users/@groups who may do everything; with either set, everyone
;                           ; else but root and the daemon's user is refused; default: unset

; A TCP control socket, off unless this section is present. Give it a username and a
; password unless it listens on a trusted address only.
;[inet_http_server]
;port=127.0.0.1:9001        ; host:port to listen on; "*:9001" or ":9001" for every address
;username=user              ; login name; default: no login
;password=123               ; password, plain or "{SHA}" + hex SHA-1 digest
;max_clients=64             ; connections held at once; default: the daemon-wide cap

; The daemon itself.
[supervisord]
logfile=/tmp/supervisord.log ; activity log; default: supervisord.log in the working directory
;logfile_maxbytes=50MB       ; rotate the activity log at this size; 0 never rotates
;logfile_backups=10          ; rotated activity logs to keep; 0 keeps none
;loglevel=info               ; critical, error, warn, info, debug, trace or blather
pidfile=/tmp/supervisord.pid ; default: supervisord.pid in the working directory
;nodaemon=false              ; true stays in the foreground (containers, systemd)
;silent=false                ; true keeps the activity log off stdout in the foreground
;minfds=1024                 ; refuse to start with fewer file descriptors than this
;minprocs=200                ; refuse to start with fewer processes allowed than this
;max_clients=256             ; control connections at once; default: min(1024, open files/4)
;umask=022                   ; umask of the daemon and, unless they set one, its children
;user=root                   ; switch to this user at startup (only when started as root)
;identifier=supervisor       ; name reported to XML-RPC clients
;directory=/tmp              ; change to this directory when daemonizing; default: stay
;nocleanup=false             ; true keeps old AUTO child logs at startup
;childlogdir=/tmp            ; directory of AUTO child logs; default: the system's temp dir
;environment=KEY="value"     ; KEY="value",KEY2="value2" added to every child's environment
;environment_file=-/etc/default/app ; KEY=VALUE files read at each spawn; - = may be missing
;strip_ansi=false            ; true removes ANSI escape sequences from child logs
;logfile_timestamps=false    ; true starts every child log line with its local time (ISO 8601)
;state_file=/tmp/supervisord.state ; keeps manual starts/stops across restarts; default: none

; Supervisor's XML-RPC interface (the supervisor.* methods). Keep this section: Python
; clients such as Supervisor's own supervisorctl, superlance and monitoring agents need it.
; Other [rpcinterface:x] factories are Python plugins, which are ignored with a warning.
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

; Settings for supervisorctl. serverurl may also be an http:// URL of an inet server, such
; as http://127.0.0.1:9001.
[supervisorctl]
serverurl=unix:///tmp/supervisor.sock ; the daemon to talk to; default: http://localhost:9001
;username=user              ; login name, if the server wants one
;password=123               ; password, plain (never the {SHA} form)
;prompt=supervisor          ; prompt of the interactive shell
;history_file=~/.sc_history ; the shell's history file; default: ~/.supervisorctl_history

; A program to run and watch. Copy the section once per program; the name after the
; colon is how supervisorctl and the logs refer to it.
;[program:example]
;command=/bin/cat            ; the program and its arguments (required); no shell is involved
;process_name=%(program_name)s ; process names; must contain %(process_num)s when numprocs > 1
;numprocs=1                  ; how many copies to run
;numprocs_start=0            ; first %(process_num)s value
;directory=/tmp              ; change to this directory before exec; default: the daemon's
;umask=022                   ; umask of the process; default: the daemon's
;priority=999                ; lower numbers start first and stop last
;autostart=true              ; start it when the daemon starts
;startsecs=1                 ; it must stay up this long to count as started (0: at once)
;startretries=3              ; failed start attempts before giving up (state FATAL); or unlimited
;autorestart=unexpected      ; restart after it exits: true, false or unexpected (exit code)
;exitcodes=0                 ; expected exit codes, comma-separated
;stopsignal=TERM             ; signal that stops it: a name (TERM, INT, HUP, ...) or number
;stopwaitsecs=10             ; wait this long after stopsignal, then send SIGKILL
;stopasgroup=false           ; send stopsignal to its whole process group
;killasgroup=false           ; send SIGKILL to its whole process group
;user=nobody                 ; run it as this user (daemon started as root only)
;redirect_stderr=false       ; true sends stderr into the stdout log
;stdout_logfile=AUTO         ; a file path, AUTO (under childlogdir) or NONE
;stdout_logfile_maxbytes=50MB ; rotate at this size; 0 never rotates
;stdout_logfile_backups=10   ; rotated logs to keep
;stdout_capture_maxbytes=0   ; buffer for PROCESS_COMMUNICATION events; 0 turns them off
;stdout_events_enabled=false ; emit PROCESS_LOG events for each stdout write
;stdout_syslog=false         ; also send stdout to syslog, tagged with the process name
;stdout_logfile_timestamps=false ; stamp lines with local time; default: logfile_timestamps
;stdout_logfile_mode=0644    ; exact mode of the log files created; default 0666 minus the umask
;stdout_logfile_owner=nobody ; owner (user or user:group) of the log files; default: the daemon's
;stderr_logfile=AUTO         ; the same options for stderr
;stderr_logfile_maxbytes=50MB
;stderr_logfile_backups=10
;stderr_capture_maxbytes=0
;stderr_events_enabled=false
;stderr_syslog=false
;stderr_logfile_timestamps=false
;stderr_logfile_mode=0644
;stderr_logfile_owner=nobody
;log_lifecycle=false         ; true also writes its spawned/exited lines into the stdout log
;environment=A="1",B="2"     ; added to the daemon's environment for this process
;environment_file=/etc/app.env ; KEY=VALUE files, comma-separated, read at each spawn
;serverurl=AUTO              ; SUPERVISOR_SERVER_URL given to the process; AUTO picks ours
; Readiness, start order, health checks and backoff (supervisor-rs; none in Supervisor):
;ready=startsecs             ; RUNNING once ready: startsecs, notify, tcp:HOST:PORT,
;                            ; http://HOST:PORT/PATH, exec:COMMAND, log:REGEX or exit
;ready_timeout=60            ; not ready this many seconds after the spawn: a failed start;
;                            ; 0 waits forever
;ready_interval=1            ; seconds between probes of a tcp:, http:// or exec: ready check
;depends_on=example-fcgi     ; spawn only once these are ready: programs, groups, group:process
;healthcheck=tcp:127.0.0.1:8080 ; probed while RUNNING: tcp:, http:// or exec:; default: none
;healthcheck_interval=10     ; seconds between health probes
;healthcheck_timeout=5       ; seconds one probe may take
;healthcheck_retries=3       ; failures in a row that restart it
;healthcheck_start_period=0  ; seconds after RUNNING in which failures do not count
;backoff=linear              ; restart delays: linear (1, 2, 3 s ...) or exponential (1, 2, 4 s
;                            ; ...); default: none (Supervisor's: 1, 2, 3 s after failed starts)
;backoff_max=60              ; longest delay, in seconds
;backoff_jitter=0.1          ; each delay moves by up to this fraction either way
;backoff_reset=60            ; RUNNING this many seconds resets the count
;fatal_retry=300             ; leave FATAL and start again after this many seconds; default: never

; An event listener pool: its processes read event notifications on stdin and answer on
; stdout. It takes the options of [program:x] except the capture_maxbytes ones, and
; redirect_stderr must stay false.
;[eventlistener:example-listener]
;command=/bin/cat            ; the listener (required)
;events=PROCESS_STATE        ; event types to receive, comma-separated (required)
;buffer_size=10              ; events queued while every listener is busy
;result_handler=supervisor.dispatchers:default_handler ; the only handler there is
;process_name=%(program_name)s
;numprocs=1
;priority=-1
;autostart=true
;autorestart=unexpected
;stdout_logfile=AUTO         ; the protocol runs on stdout: this log is mostly empty
;stderr_logfile=AUTO

; A FastCGI program: the daemon opens the socket and hands it to every process as fd 0.
; It takes the options of [program:x] too.
;[fcgi-program:example-fcgi]
;command=/bin/cat            ; the FastCGI server (required)
;socket=unix:///tmp/%(program_name)s.sock ; unix:///path or tcp://host:port (required)
;socket_backlog=1024         ; listen() backlog; default: the system's maximum (SOMAXCONN)
;socket_owner=nobody         ; owner (user or user:group) of a unix socket file
;socket_mode=0700            ; permission bits of a unix socket file
;process_name=%(program_name)s_%(process_num)s
;numprocs=1

; A group puts several programs under one name (supervisorctl start examples:*).
;[group:examples]
;programs=example            ; program or fcgi-program names, comma-separated (required)
;priority=999                ; start and stop order of the group

; More config files, read after this one. Paths are relative to this file's directory;
; patterns that match nothing are fine.
;[include]
;files=conf.d/*.conf         ; space-separated file names or glob patterns
"#;

#[cfg(test)]
mod tests {
    use super::sample_config;

    #[test]
    fn no_tabs_and_the_sections_that_are_always_on() {
        let s = sample_config();
        assert!(s.ends_with('\n'));
        for line in s.lines() {
            assert!(!line.contains('\t'), "tab in {line:?}");
        }
        assert!(s.contains("[supervisord]\n"));
        assert!(s.contains("[rpcinterface:supervisor]\n"));
    }

    /// Every option the loader reads, in its section (keep in step with `src/config/`).
    #[test]
    fn every_option_is_listed_in_its_section() {
        let s = sample_config();
        let section = |name: &str| -> String {
            let head = format!("[{name}]\n");
            let start = s.find(&head).unwrap_or_else(|| panic!("no {head}")) + head.len();
            let end = s[start..].find("\n;[").map_or(s.len(), |i| start + i);
            s[start..end].to_string()
        };
        let program = [
            "command",
            "process_name",
            "numprocs",
            "numprocs_start",
            "directory",
            "umask",
            "priority",
            "autostart",
            "startsecs",
            "startretries",
            "autorestart",
            "exitcodes",
            "stopsignal",
            "stopwaitsecs",
            "stopasgroup",
            "killasgroup",
            "user",
            "redirect_stderr",
            "stdout_logfile",
            "stdout_logfile_maxbytes",
            "stdout_logfile_backups",
            "stdout_capture_maxbytes",
            "stdout_events_enabled",
            "stdout_syslog",
            "stdout_logfile_timestamps",
            "stdout_logfile_mode",
            "stdout_logfile_owner",
            "stderr_logfile",
            "stderr_logfile_maxbytes",
            "stderr_logfile_backups",
            "stderr_capture_maxbytes",
            "stderr_events_enabled",
            "stderr_syslog",
            "stderr_logfile_timestamps",
            "stderr_logfile_mode",
            "stderr_logfile_owner",
            "log_lifecycle",
            "environment",
            "environment_file",
            "serverurl",
            "ready",
            "ready_timeout",
            "ready_interval",
            "depends_on",
            "healthcheck",
            "healthcheck_interval",
            "healthcheck_timeout",
            "healthcheck_retries",
            "healthcheck_start_period",
            "backoff",
            "backoff_max",
            "backoff_jitter",
            "backoff_reset",
            "fatal_retry",
        ];
        let cases: &[(&str, &[&str])] = &[
            (
                "unix_http_server",
                &[
                    "file",
                    "chmod",
                    "chown",
                    "username",
                    "password",
                    "max_clients",
                    "readers",
                    "controllers",
                ],
            ),
            (
                "inet_http_server",
                &["port", "username", "password", "max_clients"],
            ),
            (
                "supervisord",
                &[
                    "logfile",
                    "logfile_maxbytes",
                    "logfile_backups",
                    "loglevel",
                    "pidfile",
                    "nodaemon",
                    "silent",
                    "minfds",
                    "minprocs",
                    "max_clients",
                    "umask",
                    "user",
                    "identifier",
                    "directory",
                    "nocleanup",
                    "childlogdir",
                    "environment",
                    "environment_file",
                    "strip_ansi",
                    "logfile_timestamps",
                    "state_file",
                ],
            ),
            (
                "rpcinterface:supervisor",
                &["supervisor.rpcinterface_factory "],
            ),
            (
                "supervisorctl",
                &[
                    "serverurl",
                    "username",
                    "password",
                    "prompt",
                    "history_file",
                ],
            ),
            ("program:example", &program),
            (
                "eventlistener:example-listener",
                &["command", "events", "buffer_size", "result_handler"],
            ),
            (
                "fcgi-program:example-fcgi",
                &[
                    "command",
                    "socket",
                    "socket_backlog",
                    "socket_owner",
                    "socket_mode",
                ],
            ),
            ("group:examples", &["programs", "priority"]),
            ("include", &["files"]),
        ];
        for (name, options) in cases {
            let body = section(name);
            for o in *options {
                let o = o.trim_end();
                assert!(
                    body.lines()
                        .any(|l| l.trim_start_matches(';').starts_with(&format!("{o}="))
                            || l.starts_with(&format!("{o} ="))),
                    "[{name}] lacks {o}"
                );
            }
        }
    }
}
