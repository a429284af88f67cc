//! The XML-RPC methods the daemon answers (API version 3.0): names, signatures as
//! `system.methodSignature` returns them (`[return, params...]`), and a one-line help for
//! `system.methodHelp`. The aliases the reference keeps (`getVersion`, `readMainLog`,
//! `readProcessLog`, `tailProcessLog`, `clearProcessLog`) are listed too.

/// One method: name, signature, help.
pub type Method = (&'static str, &'static [&'static str], &'static str);

/// Every method, sorted by name (what `system.listMethods` returns).
pub const METHODS: &[Method] = &[
    ("supervisor.addProcessGroup", &["boolean", "string"], "Add the group named in the configuration read last; its autostart processes start."),
    ("supervisor.clearAllProcessLogs", &["array"], "Clear the stdout and stderr logs of every process; an array of result structs."),
    ("supervisor.clearLog", &["boolean"], "Clear the main log."),
    ("supervisor.clearProcessLog", &["boolean", "string"], "Alias of clearProcessLogs."),
    ("supervisor.clearProcessLogs", &["boolean", "string"], "Clear the stdout and stderr logs of the named process."),
    ("supervisor.getAPIVersion", &["string"], "The version of the RPC API (3.0)."),
    ("supervisor.getAllConfigInfo", &["array"], "A struct per configured process, sorted by name."),
    ("supervisor.getAllProcessInfo", &["array"], "A process info struct per process, by group then name."),
    ("supervisor.getIdentification", &["string"], "The identifier of this supervisord."),
    ("supervisor.getPID", &["int"], "The pid of supervisord."),
    ("supervisor.getProcessInfo", &["struct", "string"], "The info struct of the named process."),
    ("supervisor.getState", &["struct"], "The state of supervisord: statecode and statename."),
    ("supervisor.getSupervisorVersion", &["string"], "The version of supervisord (the reference's, 4.3.0)."),
    ("supervisor.getVersion", &["string"], "Alias of getAPIVersion."),
    ("supervisor.readLog", &["string", "int", "int"], "Read length bytes of the main log from offset (a negative offset: the last bytes)."),
    ("supervisor.readMainLog", &["string", "int", "int"], "Alias of readLog."),
    ("supervisor.readProcessLog", &["string", "string", "int", "int"], "Alias of readProcessStdoutLog."),
    ("supervisor.readProcessStderrLog", &["string", "string", "int", "int"], "Read length bytes of the named process's stderr log from offset."),
    ("supervisor.readProcessStdoutLog", &["string", "string", "int", "int"], "Read length bytes of the named process's stdout log from offset."),
    ("supervisor.reloadConfig", &["array"], "Read the configuration again; [[added, changed, removed]] group names. Nothing is applied."),
    ("supervisor.removeProcessGroup", &["boolean", "string"], "Remove a group whose processes are all stopped."),
    ("supervisor.restart", &["boolean"], "Stop everything and start again with the configuration file."),
    ("supervisor.sendProcessStdin", &["boolean", "string", "string"], "Write chars to the stdin of the named process."),
    ("supervisor.sendRemoteCommEvent", &["boolean", "string", "string"], "Raise a REMOTE_COMMUNICATION event of type with data."),
    ("supervisor.shutdown", &["boolean"], "Stop everything and exit."),
    ("supervisor.signalAllProcesses", &["array", "string"], "Send a signal to every signallable process; an array of result structs."),
    ("supervisor.signalProcess", &["boolean", "string", "string"], "Send a signal (name or number) to the named process."),
    ("supervisor.signalProcessGroup", &["array", "string", "string"], "Send a signal to the processes of a group; an array of result structs."),
    ("supervisor.startAllProcesses", &["array", "boolean"], "Start every process not running; with wait, answer once they run."),
    ("supervisor.startProcess", &["boolean", "string", "boolean"], "Start the named process (g:* for a group); with wait, answer once it runs."),
    ("supervisor.startProcessGroup", &["array", "string", "boolean"], "Start the processes of a group; an array of result structs."),
    ("supervisor.stopAllProcesses", &["array", "boolean"], "Stop every running process, level by level; an array of result structs."),
    ("supervisor.stopProcess", &["boolean", "string", "boolean"], "Stop the named process; with wait, answer once it stopped."),
    ("supervisor.stopProcessGroup", &["array", "string", "boolean"], "Stop the processes of a group; an array of result structs."),
    ("supervisor.tailProcessLog", &["array", "string", "int", "int"], "Alias of tailProcessStdoutLog."),
    ("supervisor.tailProcessStderrLog", &["array", "string", "int", "int"], "[bytes, offset, overflow] of the named process's stderr log."),
    ("supervisor.tailProcessStdoutLog", &["array", "string", "int", "int"], "[bytes, offset, overflow] of the named process's stdout log."),
    ("system.listMethods", &["array"], "The names of every method."),
    ("system.methodHelp", &["string", "string"], "The help of a method."),
    ("system.methodSignature", &["array", "string"], "The signature of a method: [return type, parameter types...]."),
    ("system.multicall", &["array", "array"], "Run [{methodName, params}...] in turn; each result or {faultCode, faultString}."),
];

/// The method named `name`.
pub fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.0 == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_and_found() {
        let names: Vec<&str> = METHODS.iter().map(|m| m.0).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(find("system.multicall").unwrap().1, &["array", "array"]);
        assert!(find("supervisor._private").is_none());
    }
}
