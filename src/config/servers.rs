//! Control servers (`[inet_http_server*]`, `[unix_http_server*]`), the fallback
//! `SUPERVISOR_SERVER_URL`, and `[rpcinterface:x]` sections.

use super::error::ConfigError;
use super::expand::Names;
use super::ini::{Ini, Section};
use super::loader::Loader;
use super::model::{ServerAddress, ServerConfig};
use super::programs::importable;
use super::values;

/// The factory our daemon provides (the reference's `supervisor.*` API).
pub const MAIN_RPCINTERFACE: &str = "supervisor.rpcinterface:make_main_rpcinterface";
const FACTORY_KEY: &str = "supervisor.rpcinterface_factory";
const CTL_FACTORY_KEY: &str = "supervisor.ctl_factory";

/// `[rpcinterface:x]` names whose factory is Supervisor's own, checking each section. Extra
/// keys are expanded (their errors count) but otherwise unused.
///
/// Another factory names a Python plugin (supervisor_twiddler, supervisor_cache, ...), which
/// the reference imports and refuses the whole config when it cannot. We cannot load Python
/// code: the section is skipped with a warning, and the reference's error is kept for
/// `--check-config --json` (a deliberate difference). `[ctlplugin:x]` sections, supervisorctl's
/// Python plugins, are skipped with a warning too (the reference's supervisord ignores them).
pub(crate) fn rpcinterfaces(l: &mut Loader, ini: &Ini) -> Result<Vec<String>, ConfigError> {
    let none = Names::new();
    let mut out = Vec::new();
    for s in ini
        .sections()
        .filter(|s| s.name.starts_with("rpcinterface:"))
    {
        let name = s.name.split_once(':').map_or("", |(_, n)| n).to_string();
        let Some(factory) = l.get(s, FACTORY_KEY, &none)? else {
            return Err(ConfigError::at(
                format!("section [{}] does not specify a {FACTORY_KEY}", s.name),
                &s.file,
                s.line,
            ));
        };
        if !importable(&factory.value, MAIN_RPCINTERFACE) {
            let value = factory.value.trim().to_string();
            let refusal = format!("{} cannot be resolved within [{}]", factory.value, s.name);
            l.reference_refusal.get_or_insert(refusal);
            l.warnings
                .push(plugin_skipped(&s.name, FACTORY_KEY, &value));
            continue;
        }
        for e in s.entries().filter(|e| e.key != FACTORY_KEY) {
            l.get(s, &e.key, &none)?;
        }
        out.push(name);
    }
    for s in ini.sections().filter(|s| s.name.starts_with("ctlplugin:")) {
        let value = s
            .entries()
            .find(|e| e.key == CTL_FACTORY_KEY)
            .map_or(String::new(), |e| e.value.trim().to_string());
        l.warnings
            .push(plugin_skipped(&s.name, CTL_FACTORY_KEY, &value));
    }
    Ok(out)
}

/// The warning for a plugin section we skip.
fn plugin_skipped(section: &str, key: &str, factory: &str) -> String {
    let what = if factory.is_empty() {
        format!("[{section}]")
    } else {
        format!("[{section}] ({key} = {factory})")
    };
    format!("{what} names a Python plugin, which supervisor-rs cannot load; the section is ignored")
}

/// Sections whose names start with `prefix`, with the server name after `:` (if any).
fn named<'a>(ini: &'a Ini, prefix: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
    ini.sections().filter(move |s| s.name.starts_with(prefix))
}

/// Inet servers first, then unix servers, each in section order (as the reference lists them).
pub(crate) fn servers(l: &mut Loader, ini: &Ini) -> Result<Vec<ServerConfig>, ConfigError> {
    let mut out = Vec::new();
    for s in named(ini, "inet_http_server") {
        let r = inet(l, s);
        out.extend(l.keep(r)?);
    }
    for s in named(ini, "unix_http_server") {
        let r = unix(l, s);
        out.extend(l.keep(r)?);
    }
    Ok(out)
}

fn inet(l: &Loader, s: &Section) -> Result<ServerConfig, ConfigError> {
    let none = Names::new();
    super::access::refuse_on_inet(s)?;
    let (username, password) = credentials(l, s)?;
    let Some(port) = l.get(s, "port", &none)? else {
        return Err(missing(s, "port"));
    };
    let (host, port) = port.parse(values::inet_address)?;
    Ok(ServerConfig {
        section: s.name.clone(),
        name: s.name.clone(),
        address: ServerAddress::Inet { host, port },
        username,
        password,
        max_clients: max_clients(l, s)?,
        access: None,
    })
}

fn unix(l: &Loader, s: &Section) -> Result<ServerConfig, ConfigError> {
    let none = Names::new();
    let mut here = Names::new();
    here.set_str("here", &l.here);
    let Some(file) = l.get(s, "file", &here)? else {
        return Err(missing(s, "file"));
    };
    let file = l.paths().normalize(super::ini::py_strip(&file.value));
    let (username, password) = credentials(l, s)?;
    let chown = match l.get(s, "chown", &none)? {
        Some(g) => Some(g.parse(|v| {
            values::user_group(v, l.users).map_err(|_| format!("Invalid sockchown value {v}"))
        })?),
        None => None,
    };
    let chmod = match l.get(s, "chmod", &none)? {
        Some(g) => g.parse(|v| values::octal(v).map_err(|_| format!("Invalid chmod value {v}")))?,
        None => 0o700,
    };
    Ok(ServerConfig {
        section: s.name.clone(),
        name: s.name.clone(),
        address: ServerAddress::Unix { file, chmod, chown },
        username,
        password,
        max_clients: max_clients(l, s)?,
        access: super::access::access(l, s)?,
    })
}

/// `max_clients` of a server section, if set.
fn max_clients(l: &Loader, s: &Section) -> Result<Option<u32>, ConfigError> {
    let none = Names::new();
    Ok(l.parsed(s, "max_clients", &none, values::positive_count)?
        .map(|n| n as u32))
}

fn missing(s: &Section, key: &str) -> ConfigError {
    ConfigError::at(
        format!("section [{}] has no {key} value", s.name),
        &s.file,
        s.line,
    )
}

/// `username` and `password`: both or neither.
fn credentials(l: &Loader, s: &Section) -> Result<(Option<String>, Option<String>), ConfigError> {
    let none = Names::new();
    let username = l.get(s, "username", &none)?.map(|g| g.value);
    let password = l.get(s, "password", &none)?.map(|g| g.value);
    if username.is_some() != password.is_some() {
        return Err(ConfigError::at(
            format!(
                "Section [{}] contains incomplete authentication: If a username or a password is \
                 specified, both the username and password must be specified",
                s.name
            ),
            &s.file,
            s.line,
        ));
    }
    Ok((username, password))
}

/// The URL children get when their `serverurl` is AUTO: the first unix server, else the
/// last inet server (the reference's loop does not stop at the first), else none.
pub fn fallback_serverurl(servers: &[ServerConfig]) -> Option<String> {
    let unix = servers.iter().find_map(|s| match &s.address {
        ServerAddress::Unix { file, .. } => Some(format!("unix://{}", file.display())),
        ServerAddress::Inet { .. } => None,
    });
    unix.or_else(|| {
        servers.iter().rev().find_map(|s| match &s.address {
            ServerAddress::Inet { host, port } => {
                let host = if host.is_empty() { "localhost" } else { host };
                Some(format!("http://{host}:{port}"))
            }
            ServerAddress::Unix { .. } => None,
        })
    })
}

/// The credentials children get in `SUPERVISOR_USERNAME`/`SUPERVISOR_PASSWORD` with the
/// AUTO serverurl: those of the server that URL names, when its password is plain text (a
/// `{SHA}` password cannot be sent by a client).
pub fn fallback_credentials(servers: &[ServerConfig]) -> Option<(String, String)> {
    let url = fallback_serverurl(servers)?;
    let server = servers.iter().find(|s| match &s.address {
        ServerAddress::Unix { file, .. } => url == format!("unix://{}", file.display()),
        ServerAddress::Inet { port, .. } => url.ends_with(&format!(":{port}")),
    })?;
    let user = server.username.clone()?;
    let password = server.password.clone()?;
    (!password.starts_with("{SHA}")).then_some((user, password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn inet(host: &str, port: u16) -> ServerConfig {
        ServerConfig {
            section: "inet_http_server".into(),
            name: "inet_http_server".into(),
            address: ServerAddress::Inet {
                host: host.into(),
                port,
            },
            username: None,
            password: None,
            max_clients: None,
            access: None,
        }
    }

    #[test]
    fn fallback_prefers_unix_then_last_inet() {
        assert_eq!(fallback_serverurl(&[]), None);
        assert_eq!(
            fallback_serverurl(&[inet("", 9001), inet("h", 9002)]).as_deref(),
            Some("http://h:9002")
        );
        assert_eq!(
            fallback_serverurl(&[inet("", 9001)]).as_deref(),
            Some("http://localhost:9001")
        );
        let unix = ServerConfig {
            section: "unix_http_server".into(),
            name: "unix_http_server".into(),
            address: ServerAddress::Unix {
                file: PathBuf::from("/tmp/s.sock"),
                chmod: 0o700,
                chown: None,
            },
            username: None,
            password: None,
            max_clients: None,
            access: None,
        };
        assert_eq!(
            fallback_serverurl(&[inet("", 9001), unix]).as_deref(),
            Some("unix:///tmp/s.sock")
        );
    }
}
