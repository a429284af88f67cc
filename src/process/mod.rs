//! Process supervision as pure logic: no syscalls, no clock reads, no I/O (except the `stat`
//! in `spawn`). The daemon's loop feeds inputs and carries out the returned actions.
//!
//! - [`state`]: the states, with the reference's names and codes.
//! - [`backoff`]: the delay before an automatic restart (linear, exponential, jitter).
//! - [`machine`]: one process's state machine, `Process::on(input, now) -> actions`.
//! - [`wait_status`]: a reaped child's status, decoded.
//! - [`order`]: start, stop and status order; the level-by-level stop sequencer.
//! - [`plan`]: the spawn plan (argv, environment, identity) as data.
//! - [`spawn`]: building the spawn plan from a process's config.
//!
//! # Transitions (reference §3.2, with this project's differences marked *)
//!
//! | from | input | to | notes |
//! |---|---|---|---|
//! | STOPPED | AutoStart | STARTING | autostart, never started, mood Running; *at once* |
//! | STOPPED, EXITED, FATAL | Start | STARTING | backoff counter kept |
//! | STARTING | Spawned | (STARTING) | `spawned:`; startsecs=0: RUNNING at once |
//! | STARTING | SpawnFailed | BACKOFF | `spawnerr:` |
//! | STARTING | Deadline | RUNNING | up > startsecs; `success:`; backoff = 0 |
//! | STARTING | Exited | BACKOFF | *always* when up <= startsecs; `exited: ...; not expected` |
//! | BACKOFF | (entering) | FATAL | backoff > startretries; `gave up:`; backoff = 0 |
//! | BACKOFF | Deadline | STARTING | after `backoff` seconds, mood Running |
//! | RUNNING | Exited | EXITED | then STARTING at once if autorestart says so, mood Running |
//! | RUNNING, STARTING | Stop, Shutdown | STOPPING | stopsignal (to the group if stopasgroup) |
//! | BACKOFF | Stop | STOPPED | no signal |
//! | BACKOFF | Shutdown | FATAL | silent give-up |
//! | STOPPING | Deadline | (STOPPING) | SIGKILL (group if killasgroup), again every stopwaitsecs |
//! | STOPPING | Exited | STOPPED | `stopped:` |
//! | RUNNING, STARTING, STOPPING | KillFailed | UNKNOWN | CRIT; ESRCH is only logged |
//! | UNKNOWN | Exited | STOPPED or EXITED | STOPPED when a stop was wanted |
//!
//! # Desired state
//!
//! `Want::Up` from every spawn on, `Want::Down` from a stop request. The legal pairs:
//! STARTING, RUNNING, BACKOFF, EXITED and FATAL are `Up` (FATAL after a shutdown give-up is
//! `Down`); STOPPING is `Down`; STOPPED is `Down`; UNKNOWN is either, and decides whether its
//! exit counts as a stop or a crash. The daemon's mood is kept per process too: automatic
//! starts happen only while it is `Mood::Running`.

pub mod backoff;
pub mod machine;
pub mod order;
pub mod plan;
pub mod snapshot;
pub mod spawn;
pub mod state;
pub mod wait_status;
