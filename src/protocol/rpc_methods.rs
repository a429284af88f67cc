//! The XML-RPC methods the daemon answers (API version 3.0): names, parameter and return
//! types, and help. `system.methodSignature` returns `[return, params...]`;
//! `system.methodHelp` returns a summary followed by `@param TYPE NAME` and `@return TYPE
//! TEXT` lines, the tags clients parse. The aliases the reference keeps (`getVersion`,
//! `readMainLog`, `readProcessLog`, `tailProcessLog`, `clearProcessLog`) are listed too.

/// One method.
#[derive(Debug)]
pub struct Method {
    /// `namespace.method`.
    pub name: &'static str,
    /// Return type.
    pub returns: &'static str,
    /// What it returns.
    pub returns_doc: &'static str,
    /// (type, name) of each parameter.
    pub params: &'static [(&'static str, &'static str)],
    /// One line on what it does.
    pub summary: &'static str,
}

impl Method {
    /// `[return, params...]`.
    pub fn signature(&self) -> Vec<&'static str> {
        std::iter::once(self.returns)
            .chain(self.params.iter().map(|p| p.0))
            .collect()
    }

    /// The summary and the tags.
    pub fn help(&self) -> String {
        let mut h = format!("{}\n\n", self.summary);
        for (t, n) in self.params {
            h.push_str(&format!("@param {t} {n}\n"));
        }
        h.push_str(&format!("@return {} {}\n", self.returns, self.returns_doc));
        h
    }

    /// How many parameters it takes: (required, at most). A trailing `wait` is optional.
    pub fn arity(&self) -> (usize, usize) {
        let n = self.params.len();
        match self.params.last() {
            Some((_, "wait")) => (n - 1, n),
            _ => (n, n),
        }
    }
}

/// Every method, sorted by name (what `system.listMethods` returns).
pub const METHODS: &[Method] = &[
    Method {
        name: "supervisor.addProcessGroup",
        returns: "boolean",
        returns_doc: "result true if successful",
        params: &[("string", "name")],
        summary: "Add the group named in the configuration read last; its autostart processes start.",
    },
    Method {
        name: "supervisor.clearAllProcessLogs",
        returns: "array",
        returns_doc: "result An array of process status info structs",
        params: &[],
        summary: "Clear the stdout and stderr logs of every process; an array of result structs.",
    },
    Method {
        name: "supervisor.clearLog",
        returns: "boolean",
        returns_doc: "result always returns True unless error",
        params: &[],
        summary: "Clear the main log.",
    },
    Method {
        name: "supervisor.clearProcessLog",
        returns: "boolean",
        returns_doc: "result Always True unless error",
        params: &[("string", "name")],
        summary: "Alias of clearProcessLogs.",
    },
    Method {
        name: "supervisor.clearProcessLogs",
        returns: "boolean",
        returns_doc: "result Always True unless error",
        params: &[("string", "name")],
        summary: "Clear the stdout and stderr logs of the named process.",
    },
    Method {
        name: "supervisor.getAPIVersion",
        returns: "string",
        returns_doc: "version id",
        params: &[],
        summary: "The version of the RPC API (3.0).",
    },
    Method {
        name: "supervisor.getAllConfigInfo",
        returns: "array",
        returns_doc: "result An array of process config info structs",
        params: &[],
        summary: "A struct per configured process, sorted by name.",
    },
    Method {
        name: "supervisor.getAllProcessInfo",
        returns: "array",
        returns_doc: "result An array of process status results",
        params: &[],
        summary: "A process info struct per process, by group then name.",
    },
    Method {
        name: "supervisor.getIdentification",
        returns: "string",
        returns_doc: "identifier identifying string",
        params: &[],
        summary: "The identifier of this supervisord.",
    },
    Method {
        name: "supervisor.getPID",
        returns: "int",
        returns_doc: "PID",
        params: &[],
        summary: "The pid of supervisord.",
    },
    Method {
        name: "supervisor.getProcessInfo",
        returns: "struct",
        returns_doc: "result A structure containing data about the process",
        params: &[("string", "name")],
        summary: "The info struct of the named process.",
    },
    Method {
        name: "supervisor.getState",
        returns: "struct",
        returns_doc: "A struct with keys int statecode, string statename",
        params: &[],
        summary: "The state of supervisord: statecode and statename.",
    },
    Method {
        name: "supervisor.getSupervisorVersion",
        returns: "string",
        returns_doc: "version id",
        params: &[],
        summary: "The version of supervisord (the reference's, 4.3.0).",
    },
    Method {
        name: "supervisor.getVersion",
        returns: "string",
        returns_doc: "version id",
        params: &[],
        summary: "Alias of getAPIVersion.",
    },
    Method {
        name: "supervisor.readLog",
        returns: "string",
        returns_doc: "result Bytes of log",
        params: &[("int", "offset"), ("int", "length")],
        summary: "Read length bytes of the main log from offset (a negative offset: the last bytes).",
    },
    Method {
        name: "supervisor.readMainLog",
        returns: "string",
        returns_doc: "result Bytes of log",
        params: &[("int", "offset"), ("int", "length")],
        summary: "Alias of readLog.",
    },
    Method {
        name: "supervisor.readProcessLog",
        returns: "string",
        returns_doc: "result Bytes of log",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "Alias of readProcessStdoutLog.",
    },
    Method {
        name: "supervisor.readProcessStderrLog",
        returns: "string",
        returns_doc: "result Bytes of log",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "Read length bytes of the named process's stderr log from offset.",
    },
    Method {
        name: "supervisor.readProcessStdoutLog",
        returns: "string",
        returns_doc: "result Bytes of log",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "Read length bytes of the named process's stdout log from offset.",
    },
    Method {
        name: "supervisor.reloadConfig",
        returns: "array",
        returns_doc: "result [[added, changed, removed]]",
        params: &[],
        summary: "Read the configuration again; [[added, changed, removed]] group names. Nothing is applied.",
    },
    Method {
        name: "supervisor.removeProcessGroup",
        returns: "boolean",
        returns_doc: "result Indicates whether the removal was successful",
        params: &[("string", "name")],
        summary: "Remove a group whose processes are all stopped.",
    },
    Method {
        name: "supervisor.restart",
        returns: "boolean",
        returns_doc: "result always return True unless error",
        params: &[],
        summary: "Stop everything and start again with the configuration file.",
    },
    Method {
        name: "supervisor.sendProcessStdin",
        returns: "boolean",
        returns_doc: "result Always return True unless error",
        params: &[("string", "name"), ("string", "chars")],
        summary: "Write chars to the stdin of the named process.",
    },
    Method {
        name: "supervisor.sendRemoteCommEvent",
        returns: "boolean",
        returns_doc: "Always return True unless error",
        params: &[("string", "type"), ("string", "data")],
        summary: "Raise a REMOTE_COMMUNICATION event of type with data.",
    },
    Method {
        name: "supervisor.shutdown",
        returns: "boolean",
        returns_doc: "result always returns True unless error",
        params: &[],
        summary: "Stop everything and exit.",
    },
    Method {
        name: "supervisor.signalAllProcesses",
        returns: "array",
        returns_doc: "An array of process status info structs",
        params: &[("string", "signal")],
        summary: "Send a signal to every signallable process; an array of result structs.",
    },
    Method {
        name: "supervisor.signalProcess",
        returns: "boolean",
        returns_doc: "",
        params: &[("string", "name"), ("string", "signal")],
        summary: "Send a signal (name or number) to the named process.",
    },
    Method {
        name: "supervisor.signalProcessGroup",
        returns: "array",
        returns_doc: "",
        params: &[("string", "name"), ("string", "signal")],
        summary: "Send a signal to the processes of a group; an array of result structs.",
    },
    Method {
        name: "supervisor.startAllProcesses",
        returns: "array",
        returns_doc: "result An array of process status info structs",
        params: &[("boolean", "wait")],
        summary: "Start every process not running; with wait, answer once they run.",
    },
    Method {
        name: "supervisor.startProcess",
        returns: "boolean",
        returns_doc: "result Always true unless error",
        params: &[("string", "name"), ("boolean", "wait")],
        summary: "Start the named process (g:* for a group); with wait, answer once it runs.",
    },
    Method {
        name: "supervisor.startProcessGroup",
        returns: "array",
        returns_doc: "result An array of process status info structs",
        params: &[("string", "name"), ("boolean", "wait")],
        summary: "Start the processes of a group; an array of result structs.",
    },
    Method {
        name: "supervisor.stopAllProcesses",
        returns: "array",
        returns_doc: "result An array of process status info structs",
        params: &[("boolean", "wait")],
        summary: "Stop every running process, level by level; an array of result structs.",
    },
    Method {
        name: "supervisor.stopProcess",
        returns: "boolean",
        returns_doc: "result Always return True unless error",
        params: &[("string", "name"), ("boolean", "wait")],
        summary: "Stop the named process; with wait, answer once it stopped.",
    },
    Method {
        name: "supervisor.stopProcessGroup",
        returns: "array",
        returns_doc: "result An array of process status info structs",
        params: &[("string", "name"), ("boolean", "wait")],
        summary: "Stop the processes of a group; an array of result structs.",
    },
    Method {
        name: "supervisor.tailProcessLog",
        returns: "array",
        returns_doc: "result [string bytes, int offset, bool overflow]",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "Alias of tailProcessStdoutLog.",
    },
    Method {
        name: "supervisor.tailProcessStderrLog",
        returns: "array",
        returns_doc: "result [string bytes, int offset, bool overflow]",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "[bytes, offset, overflow] of the named process's stderr log.",
    },
    Method {
        name: "supervisor.tailProcessStdoutLog",
        returns: "array",
        returns_doc: "result [string bytes, int offset, bool overflow]",
        params: &[("string", "name"), ("int", "offset"), ("int", "length")],
        summary: "[bytes, offset, overflow] of the named process's stdout log.",
    },
    Method {
        name: "system.listMethods",
        returns: "array",
        returns_doc: "result An array of method names available (strings).",
        params: &[],
        summary: "The names of every method.",
    },
    Method {
        name: "system.methodHelp",
        returns: "string",
        returns_doc: "result The documentation for the method name.",
        params: &[("string", "name")],
        summary: "The help of a method.",
    },
    Method {
        name: "system.methodSignature",
        returns: "array",
        returns_doc: "result The result.",
        params: &[("string", "name")],
        summary: "The signature of a method: [return type, parameter types...].",
    },
    Method {
        name: "system.multicall",
        returns: "array",
        returns_doc: "result An array of results",
        params: &[("array", "calls")],
        summary: "Run [{methodName, params}...] in turn; each result or {faultCode, faultString}.",
    },
];

/// The method named `name`.
pub fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_and_found() {
        let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        let m = find("supervisor.startProcess").unwrap();
        assert_eq!(m.signature(), ["boolean", "string", "boolean"]);
        assert_eq!(m.arity(), (1, 2));
        assert!(find("supervisor.getState")
            .unwrap()
            .help()
            .contains("@return struct A struct with keys int statecode, string statename"));
        assert!(find("supervisor._private").is_none());
    }
}
