"""Raw XML-RPC against a supervisord over its unix socket (tests/python_clients.rs).

Usage: python xmlrpc_calls.py DIR
DIR holds the daemon's config (supervisord.conf) and socket (s.sock). Prints one line per
call, `name: <normalized result>` or `name: FAULT <code> <string>`, with pids, times, the
temp dir and random log-name suffixes replaced by placeholders (see norm()). The output is
compared with tests/golden_py/xmlrpc.txt, recorded from Supervisor 4.3.0.
"""
import re
import socket
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import SupervisorTransport

DIR = sys.argv[1]
# The reference never answers an empty POST body (its parser waits for the body).
EMPTY_POST_MAY_HANG = '--empty-post-may-hang' in sys.argv[2:]
SOCK = DIR + '/s.sock'
transport = SupervisorTransport(None, None, 'unix://' + SOCK)
proxy = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=transport)
S = proxy.supervisor
DEADLINE = 20.0

INT_PLACEHOLDERS = {'pid': '{PID}', 'start': '{TIME}', 'stop': '{TIME}', 'now': '{TIME}'}


def norm_str(s):
    s = s.replace(DIR, '{DIR}')
    s = re.sub(r'---supervisor-[A-Za-z0-9_]+\.log', '---supervisor-{RAND}.log', s)
    s = re.sub(r'pid [0-9]+, uptime [0-9:]+( days?, [0-9:]+)?', 'pid {PID}, uptime {UPTIME}', s)
    s = re.sub(r'[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M', '{STOPTIME}', s)
    return s


def norm(v, key=None):
    """Placeholders keep the type: '{PID:int}' stands for a non-zero int pid."""
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, str):
        return norm_str(v)
    if key in INT_PLACEHOLDERS and type(v) is int and v != 0:
        return INT_PLACEHOLDERS[key][:-1] + ':int}'
    return v


def show(name, v, key=None):
    print('%s: %r' % (name, norm(v, key)), flush=True)


def call(name, fn, *args, key=None, unordered=False):
    """`unordered`: a list of per-process results in the order the processes finished
    (racy in the reference), sorted by group and name."""
    try:
        v = fn(*args)
        if unordered:
            v = sorted(v, key=lambda r: (r['group'], r['name']))
    except xmlrpc.client.Fault as f:
        print('%s: FAULT %d %r' % (name, f.faultCode, norm_str(f.faultString)), flush=True)
        return None
    show(name, v, key)
    return v


def wait_state(name, statename):
    end = time.time() + DEADLINE
    while time.time() < end:
        if S.getProcessInfo(name)['statename'] == statename:
            return
        time.sleep(0.05)
    raise SystemExit('%s never reached %s: %r' % (name, statename, S.getProcessInfo(name)))


def wait_exec(name):
    """Waits until the process has exec'd its command: a signal sent between fork and exec
    reaches the reference's forked Python, which only notes it."""
    end = time.time() + DEADLINE
    while time.time() < end:
        pid = S.getProcessInfo(name)['pid']
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                if b'sleep' in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit('%s never exec\'d' % name)


def wait_log(name, channel, text):
    read = S.readProcessStdoutLog if channel == 'stdout' else S.readProcessStderrLog
    end = time.time() + DEADLINE
    while time.time() < end:
        if text in read(name, 0, 1000):
            return
        time.sleep(0.05)
    raise SystemExit('%s %s never showed %r' % (name, channel, text))


# Identification and state.
call('getAPIVersion', S.getAPIVersion)
call('getVersion', S.getVersion)
call('getSupervisorVersion', S.getSupervisorVersion)
call('getIdentification', S.getIdentification)
call('getState', S.getState)
call('getPID', S.getPID, key='pid')
wait_state('sleeper', 'RUNNING')

# Process info: every key and its type, the legacy 'logfile' included.
infos = S.getAllProcessInfo()
show('getAllProcessInfo', infos)
for info in infos:
    print('types %s: %s' % (info['name'], sorted((k, type(v).__name__) for k, v in info.items())))
call('getProcessInfo', S.getProcessInfo, 'sleeper')
call('getProcessInfo_group_name', S.getProcessInfo, 'sleeper:sleeper')
call('getProcessInfo_bad', S.getProcessInfo, 'nosuch')
call('getProcessInfo_no_args', S.getProcessInfo)
call('getProcessInfo_too_many', S.getProcessInfo, 'sleeper', 'x')

# Starting and stopping.
call('startProcess_wait', S.startProcess, 'manual', True)
wait_exec('manual')
call('startProcess_already', S.startProcess, 'manual')
call('stopProcess', S.stopProcess, 'manual')
call('stopProcess_not_running', S.stopProcess, 'manual')
call('startProcess_nowait', S.startProcess, 'manual', False)
wait_state('manual', 'RUNNING')
wait_exec('manual')
call('stopProcess_nowait', S.stopProcess, 'manual', False)
wait_state('manual', 'STOPPED')
call('startProcess_bad', S.startProcess, 'nosuch')
call('startProcess_bad_group', S.startProcess, 'nosuch:*')
call('startProcess_nofile', S.startProcess, 'nofile')
call('startProcess_false', S.startProcess, 'false')
call('startProcessGroup', S.startProcessGroup, 'multi', unordered=True)
call('startProcessGroup_again', S.startProcessGroup, 'multi', unordered=True)
wait_exec('multi:multi_00')
wait_exec('multi:multi_01')
call('stopProcessGroup', S.stopProcessGroup, 'multi', unordered=True)
call('startProcessGroup_bad', S.startProcessGroup, 'nosuch')
call('startProcess_group_star', S.startProcess, 'multi:*', unordered=True)
wait_exec('multi:multi_00')
wait_exec('multi:multi_01')
call('stopProcess_group_star', S.stopProcess, 'multi:*', unordered=True)

# Signals.
call('signalProcess', S.signalProcess, 'sleeper', 'CONT')
call('signalProcess_number', S.signalProcess, 'sleeper', 18)
call('signalProcess_bad_signal', S.signalProcess, 'sleeper', 'FOO')
call('signalProcess_not_running', S.signalProcess, 'manual', 'HUP')
call('signalProcess_bad', S.signalProcess, 'nosuch', 'HUP')
call('signalProcessGroup', S.signalProcessGroup, 'sleeper', 'CONT', unordered=True)
call('signalAllProcesses', S.signalAllProcesses, 'CONT', unordered=True)

# Logs: 'echoer' writes "hello\n" to stdout and "err\n" to stderr.
call('startProcess_echoer', S.startProcess, 'echoer')
wait_log('echoer', 'stdout', 'hello\n')
wait_log('echoer', 'stderr', 'err\n')
wait_exec('echoer')
call('readProcessStdoutLog', S.readProcessStdoutLog, 'echoer', 0, 100)
call('readProcessStdoutLog_offset', S.readProcessStdoutLog, 'echoer', 1, 2)
call('readProcessStdoutLog_negative', S.readProcessStdoutLog, 'echoer', -3, 0)
call('readProcessStdoutLog_bad_args', S.readProcessStdoutLog, 'echoer', -1, 5)
call('readProcessStdoutLog_bad', S.readProcessStdoutLog, 'nosuch', 0, 100)
call('readProcessStdoutLog_nolog', S.readProcessStdoutLog, 'nolog', 0, 100)
call('readProcessLog_alias', S.readProcessLog, 'echoer', 0, 100)
call('readProcessStderrLog', S.readProcessStderrLog, 'echoer', 0, 100)
# tailFile's quirks: overflow moves the offset; an offset past the end returns nothing;
# a short read from offset 2 returns the whole log from 0.
call('tailProcessStdoutLog_overflow', S.tailProcessStdoutLog, 'echoer', 0, 3)
call('tailProcessStdoutLog_past_end', S.tailProcessStdoutLog, 'echoer', 10, 3)
call('tailProcessStdoutLog_short', S.tailProcessStdoutLog, 'echoer', 2, 100)
call('tailProcessStdoutLog_exact', S.tailProcessStdoutLog, 'echoer', 0, 6)
call('tailProcessStderrLog', S.tailProcessStderrLog, 'echoer', 0, 100)
call('tailProcessStdoutLog_nolog', S.tailProcessStdoutLog, 'nolog', 0, 100)
call('tailProcessStdoutLog_bad', S.tailProcessStdoutLog, 'nosuch', 0, 100)
call('clearProcessLogs', S.clearProcessLogs, 'echoer')
call('readProcessStdoutLog_cleared', S.readProcessStdoutLog, 'echoer', 0, 100)
call('clearProcessLogs_bad', S.clearProcessLogs, 'nosuch')
call('clearAllProcessLogs', S.clearAllProcessLogs, unordered=True)
main = S.readLog(0, 0)
print('readLog: %s' % ('INFO' in main and "spawned: 'sleeper'" in main), flush=True)
call('readLog_bad_args', S.readLog, -1, 5)

# Configuration.
call('getAllConfigInfo', S.getAllConfigInfo)
with open(DIR + '/supervisord.conf', 'a') as f:
    f.write('\n[program:added]\ncommand=/bin/sleep 1000\nautostart=false\n')
call('reloadConfig', S.reloadConfig)
call('addProcessGroup', S.addProcessGroup, 'added')
call('addProcessGroup_again', S.addProcessGroup, 'added')
call('addProcessGroup_bad', S.addProcessGroup, 'nosuch')
call('removeProcessGroup_running', S.removeProcessGroup, 'sleeper')
call('removeProcessGroup', S.removeProcessGroup, 'added')
call('removeProcessGroup_bad', S.removeProcessGroup, 'nosuch')
call('reloadConfig_again', S.reloadConfig)

# Communication.
call('sendProcessStdin_not_running', S.sendProcessStdin, 'manual', 'x')
call('sendProcessStdin', S.sendProcessStdin, 'sleeper', 'x\n')
call('sendProcessStdin_bad', S.sendProcessStdin, 'nosuch', 'x')
call('sendRemoteCommEvent', S.sendRemoteCommEvent, 'type', 'data')

# system.*
call('listMethods', proxy.system.listMethods)
# The help text is each implementation's own; what clients parse is its @return/@param tags.
tags = [l.strip() for l in proxy.system.methodHelp('supervisor.getState').splitlines()
        if l.strip().startswith('@')]
print('methodHelp tags: %r' % tags, flush=True)
call('methodHelp_bad', proxy.system.methodHelp, 'nosuch')
call('methodSignature', proxy.system.methodSignature, 'supervisor.getState')
call('methodSignature_args', proxy.system.methodSignature, 'supervisor.startProcess')
call('methodSignature_bad', proxy.system.methodSignature, 'nosuch')
call('multicall', proxy.system.multicall, [
    {'methodName': 'supervisor.getAPIVersion', 'params': []},
    {'methodName': 'supervisor.getProcessInfo', 'params': ['nosuch']},
    {'methodName': 'supervisor.getState'},
    {'methodName': 'nosuch.method', 'params': []},
    {'methodName': 'system.multicall', 'params': [[]]},
    {'params': []},
])
call('multicall_empty', proxy.system.multicall, [])
call('unknown_method', proxy.supervisor.nosuchMethod)
call('unknown_namespace', proxy.nosuch.getState)

# Stopping everything.
call('stopAllProcesses', S.stopAllProcesses, unordered=True)
call('startAllProcesses', S.startAllProcesses, True, unordered=True)
for name in ('sleeper', 'manual', 'echoer', 'multi:multi_00', 'multi:multi_01', 'nolog'):
    wait_exec(name)
call('stopAllProcesses_nowait', S.stopAllProcesses, False, unordered=True)
for name in ('sleeper', 'manual', 'echoer', 'multi:multi_00', 'multi:multi_01', 'nolog'):
    wait_state(name, 'STOPPED')
call('getAllProcessInfo_stopped', S.getAllProcessInfo)


# An empty POST body: the reference fails it (its parser raises); any answer that is an
# HTTP 4xx/5xx status, a fault, or closing the connection passes. A hang does not.
def empty_post():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(SOCK)
    s.sendall(b'POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: 0\r\n\r\n')
    data = b''
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return 'HANG %r' % data
    finally:
        s.close()
    if not data:
        return 'closed'
    status = data.split(b'\r\n', 1)[0].split()
    code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
    if 400 <= code < 600:
        return 'http error'
    if code == 200 and b'<fault>' in data:
        return 'fault'
    return 'BAD %r' % data[:200]


r = empty_post()
print('empty_post: %s' % r, file=sys.stderr)
ok = r in ('closed', 'http error', 'fault') or (EMPTY_POST_MAY_HANG and r == "HANG b''")
print('empty_post_acceptable: %s' % ok, flush=True)
call('getState_after_empty_post', S.getState)
