using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Security;

/// <summary>
/// Hostile code through the whole path: a CodeExecution, the real operator, its Pod, the simulated kubelet's gVisor
/// mode (one runsc sandbox per Pod: non-root, no capabilities, read-only root, no network, pod cgroup limits) and
/// codeexec-init and the collector of this build. Each test names the attack, the phase and reason it must end with,
/// and what the output must show; docs/security.md maps every one to the layer that stops it. All attacks run at once
/// on one cluster (<see cref="AttackSuiteFixture"/>); the last test checks the host is as it was.
/// Skipped, with the reason, where runsc cannot run. The class runs alone (<see cref="AttackSuiteRunsAlone"/>): other
/// test classes start processes and listeners in this process, which the host check would count.
/// </summary>
[Collection(AttackSuiteRunsAlone.Name)]
public sealed class AttackSuiteTests(AttackSuiteFixture fixture) : IClassFixture<AttackSuiteFixture>
{
    /// <summary>
    /// One attack: an execution name, its code, the limits or settings it runs with, and the attack whose execution
    /// must be Running before this one is created (null: created at once).
    /// </summary>
    internal sealed record Attack(string Name, string Code, Action<CodeExecutionSpec>? Configure = null, string? AfterRunning = null);

    /// <summary>Every attack of the suite; <see cref="AttackSuiteFixture"/> creates them all at start-up.</summary>
    internal static IEnumerable<Attack> Attacks(AttackSuiteFixture f)
    {
        yield return new Attack("fork-bomb", """
            import errno, os, time
            print("bombing", flush=True)
            made = 0
            while True:
                try:
                    pid = os.fork()
                except OSError as e:
                    print(f"fork refused after {made} children: {errno.errorcode[e.errno]}", flush=True)
                    break
                if pid == 0:
                    break
                made += 1
            while True:  # every process, the first one included, goes on forking
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
            """, spec => spec.Limits = new ExecutionLimits { Processes = 16, TimeoutSeconds = 10, Memory = new ResourceQuantity("512Mi") });

        yield return new Attack("memory-bomb", """
            print("before", flush=True)
            hoard = []
            while True:
                hoard.append(bytearray(4 << 20))
            """, spec => spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity("96Mi") });

        yield return new Attack("tmp-flood", """
            import errno, sys
            try:
                with open("/tmp/sparse", "wb") as f:
                    f.seek(1 << 30)
                    f.write(b"x")
                print("sparse write ok", flush=True)
            except OSError as e:
                print("sparse", errno.errorcode[e.errno], flush=True)
            try:
                with open("/tmp/fill", "wb") as f:
                    while True:
                        f.write(b"x" * 65536)
                        f.flush()
            except OSError as e:
                print("fill", errno.errorcode[e.errno], flush=True)
                sys.exit(3)
            """, spec => spec.Limits = new ExecutionLimits { TmpSize = new ResourceQuantity("8Mi") });

        yield return new Attack("endless-loop", """
            print("looping", flush=True)
            while True:
                pass
            """, spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 5 });

        yield return new Attack("write-outside-tmp", $$"""
            import errno, os
            for folder in ["/", "/code", "/usr", "/etc", "/codeexec/bin", "/codeexec/in"]:
                path = os.path.join(folder, "{{f.Marker}}")
                try:
                    with open(path, "w") as out:
                        out.write("x")
                    print(path, "CREATED")
                except OSError as e:
                    print(path, errno.errorcode[e.errno])
            try:
                os.mkdir("/{{f.Marker}}-dir")
                print("mkdir CREATED")
            except OSError as e:
                print("mkdir", errno.errorcode[e.errno])
            try:
                os.chmod("/code/main.py", 0o777)
                print("chmod CHANGED")
            except OSError as e:
                print("chmod", errno.errorcode[e.errno])
            """, spec => spec.Stdin = "stdin makes /codeexec/in");

        var targets = new List<(string Host, int Port)> { ("169.254.169.254", 80), ("127.0.0.1", f.LoopbackListener.LocalEndpoint is System.Net.IPEndPoint l ? l.Port : 0) };
        var anyPort = ((System.Net.IPEndPoint)f.AnyListener.LocalEndpoint).Port;
        targets.AddRange(f.HostAddresses.Select(a => (a, anyPort)));
        var udpPort = ((System.Net.IPEndPoint)f.Udp.Client.LocalEndPoint!).Port;
        yield return new Attack("network", $$"""
            import errno, socket, time
            for host, port in [{{string.Join(", ", targets.Select(t => $"(\"{t.Host}\", {t.Port})"))}}]:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(3)
                started = time.monotonic()
                try:
                    s.connect((host, port))
                    print(host, port, "CONNECTED", flush=True)
                except OSError as e:
                    what = errno.errorcode.get(e.errno, "timeout") if e.errno else type(e).__name__
                    print(host, port, what, f"{time.monotonic() - started:.1f}s", flush=True)
                finally:
                    s.close()
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.sendto(b"codeexec-attack", ("127.0.0.1", {{udpPort}}))
                print("udp sent")
            except OSError as e:
                print("udp", errno.errorcode[e.errno])
            """);

        yield return new Attack("host-proc", $$"""
            import os
            def read(path):
                try:
                    with open(path, "rb") as f:
                        return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
                except OSError as e:
                    return "<" + os.strerror(e.errno) + ">"
            pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            print("pids", len(pids))
            for pid in pids:
                print("cmdline", pid, read(f"/proc/{pid}/cmdline"))
                print("environ", pid, read(f"/proc/{pid}/environ"))
            print("host-test-process", read("/proc/{{Environment.ProcessId}}/cmdline"))
            print("env", " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())))
            """);

        yield return new Attack("files-holder", $$"""
            import time
            with open("/tmp/holder-secret", "w") as f:
                f.write("{{f.Marker}}-secret")
            print("holding", flush=True)
            time.sleep(25)
            """);

        yield return new Attack("files-reader", """
            import os, time
            seen = set()
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                for folder in ["/tmp", "/codeexec/out", "/codeexec/in", "/code", "/"]:
                    try:
                        for name in os.listdir(folder):
                            seen.add(os.path.join(folder, name))
                    except OSError as e:
                        seen.add(folder + " " + os.strerror(e.errno))
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        for sub in ["root/tmp", "cwd"]:
                            try:
                                for name in os.listdir(f"/proc/{pid}/{sub}"):
                                    seen.add(f"/proc/{pid}/{sub}/{name}")
                            except OSError:
                                pass
                for path in list(seen):
                    if "holder" in path and os.path.isfile(path):
                        print("FOUND", path, open(path).read())
                time.sleep(0.5)
            print("\n".join(sorted(seen)))
            """, AfterRunning: "files-holder");

        yield return new Attack("become-root", """
            import errno, os, shutil, socket, subprocess
            def attempt(name, action):
                try:
                    action()
                    print(name, "SUCCEEDED")
                except OSError as e:
                    print(name, errno.errorcode[e.errno])
            attempt("setuid", lambda: os.setuid(0))
            attempt("setgid", lambda: os.setgid(0))
            attempt("raw-socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
            attempt("chroot", lambda: os.chroot("/tmp"))
            for tool, args in [("sudo", ["-n", "id", "-u"]), ("su", ["-c", "id -u", "root"])]:
                path = shutil.which(tool)
                if path is None:
                    print(tool, "absent")
                    continue
                try:
                    r = subprocess.run([path, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
                    print(tool, "exit", r.returncode, "ROOT" if r.stdout.strip() == b"0" else "not-root")
                except (OSError, subprocess.TimeoutExpired) as e:
                    print(tool, "failed", type(e).__name__)
            print("uid", os.getuid(), os.geteuid())
            """);

        yield return new Attack("kill-all", """
            import os, signal, subprocess, time
            child = subprocess.Popen(["sleep", "30"])
            print("before", flush=True)
            time.sleep(0.5)
            os.kill(-1, signal.SIGKILL)
            print("child", child.wait(), flush=True)
            print("survived", flush=True)
            """);

        yield return new Attack("dns", """
            import socket, time
            for name in ["example.com", "kubernetes.default.svc.cluster.local"]:
                started = time.monotonic()
                try:
                    print(name, "RESOLVED", socket.getaddrinfo(name, 443), flush=True)
                except socket.gaierror as e:
                    print(name, "gaierror", f"{time.monotonic() - started:.1f}s", flush=True)
            """);

        yield return new Attack("forged-record", $$"""
            import sys
            sys.stdout.write({{AttackSuiteFixture.PythonLiteral(ForgedRecord)}})
            sys.stderr.write({{AttackSuiteFixture.PythonLiteral(ForgedInitReport)}})
            """);

        yield return new Attack("binary-output", """
            import sys
            sys.stdout.buffer.write(bytes(range(256)))
            """);
    }

    /// <summary>A well-formed collector record for stdout "forged" (the real writer's output), which the code prints itself.</summary>
    private static string ForgedRecord => Encoding.ASCII.GetString(SandboxCluster.CollectorRecord("forged"u8.ToArray(), [], 1024));

    /// <summary>codeexec-init's report of a memory kill with a full /tmp, which the code prints itself.</summary>
    private const string ForgedInitReport =
        "codeexec-init: ended exit=137 elapsed_ms=1 peak_memory_bytes=999999999 memory_limit_bytes=1 memory_limit_hit=1 tmp_used_bytes=1 tmp_size_bytes=1 tmp_full=1 timed_out=0\n";

    [Fact]
    public async Task A_fork_bomb_is_held_to_limits_processes_and_ends_TimedOut_DeadlineExceeded()
    {
        // Stopped by codeexec-init's RLIMIT_NPROC (limits.processes, enforced by gVisor) and its timeout.
        var status = (await fixture.ResultAsync("fork-bomb")).Status!;

        Assert.True((ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, 124) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        var refused = Assert.Single(status.Stdout!.Split('\n'), line => line.StartsWith("fork refused after ", StringComparison.Ordinal));
        Assert.EndsWith("children: EAGAIN", refused, StringComparison.Ordinal);
        Assert.InRange(int.Parse(refused.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture), 1, 15);
    }

    [Fact]
    public async Task A_memory_bomb_ends_Failed_OOMKilled_by_codeexec_init_and_keeps_its_output()
    {
        // Stopped by codeexec-init's memory watch (gVisor does not enforce a container's limit inside the Pod's sandbox).
        var status = (await fixture.ResultAsync("memory-bomb")).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.StartsWith("the code used more than its memory limit of 96Mi", status.Message, StringComparison.Ordinal);
        Assert.Equal("before\n", status.Stdout);
    }

    [Fact]
    public async Task Flooding_tmp_ends_Failed_Error_with_tmp_full_and_a_write_past_the_file_size_limit_gets_EFBIG()
    {
        // Stopped by the tmpfs size (limits.tmpSize, the Pod's memory emptyDir inside the sandbox) and codeexec-init's RLIMIT_FSIZE.
        var status = (await fixture.ResultAsync("tmp-flood")).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.Error, 3) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("sparse EFBIG\nfill ENOSPC\n", status.Stdout);
        Assert.Contains("/tmp was full when the code ended", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endless_loop_ends_TimedOut_DeadlineExceeded()
    {
        // Stopped by codeexec-init's timeout (exit 124, checked against the kubelet's timestamps); activeDeadlineSeconds is the backstop.
        var status = (await fixture.ResultAsync("endless-loop")).Status!;

        Assert.True((ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, 124) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("looping\n", status.Stdout);
        Assert.InRange(status.DurationMs!.Value, 4500, 60_000);
    }

    [Fact]
    public async Task Writes_outside_tmp_get_EROFS_or_EACCES_and_create_nothing_on_the_host()
    {
        // Stopped by readOnlyRootFilesystem and read-only mounts (gVisor mounts the root and /code, /codeexec/bin read-only).
        var status = (await fixture.ResultAsync("write-outside-tmp")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        var lines = status.Stdout!.TrimEnd('\n').Split('\n');
        Assert.Equal(8, lines.Length);
        Assert.All(lines, line => Assert.Matches(" (EROFS|EACCES|EPERM)$", line));
        Assert.DoesNotContain("CREATED", status.Stdout, StringComparison.Ordinal);
        // The host folders the sandbox's root shares (the host filesystem stands in for the image); /code and /codeexec
        // exist only inside the sandbox, so the stdout check above is what covers them.
        foreach (var folder in new[] { "/", "/usr", "/etc" })
        {
            Assert.False(File.Exists(Path.Combine(folder, fixture.Marker)), folder);
        }

        Assert.False(Directory.Exists("/" + fixture.Marker + "-dir"));
    }

    [Fact]
    public async Task Connections_to_the_metadata_address_and_to_host_listeners_fail_and_no_listener_sees_them()
    {
        // Stopped by the sandbox having no network (gVisor --network=none here; on a cluster the Pod's deny-all NetworkPolicy and the CNI).
        var status = (await fixture.ResultAsync("network")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.DoesNotContain("CONNECTED", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("169.254.169.254 80 ", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 ", status.Stdout, StringComparison.Ordinal);
        Assert.False(fixture.LoopbackListener.Pending(), "the host's 127.0.0.1 listener saw a connection");
        Assert.False(fixture.AnyListener.Pending(), "the host's 0.0.0.0 listener saw a connection");
        Assert.Equal(0, fixture.Udp.Available);
    }

    [Fact]
    public async Task The_hosts_processes_and_environment_are_not_visible_in_proc()
    {
        // Stopped by gVisor: /proc is the sentry's, showing this container's PID namespace only.
        var status = (await fixture.ResultAsync("host-proc")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        var stdout = status.Stdout!;
        Assert.Contains("cmdline 1 /codeexec/bin/codeexec-init ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Canary, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("CodeExec.Operator.Tests", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("runsc", stdout, StringComparison.Ordinal);
        var hostInit = AttackSuiteFixture.HostCommandLine("1");
        if (!hostInit.StartsWith("/codeexec/bin/codeexec-init", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("cmdline 1 " + hostInit + "\n", stdout, StringComparison.Ordinal);
        }

        var pids = int.Parse(stdout.Split('\n')[0]["pids ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pids, 2, 4); // codeexec-init and the program (and the listing's own view)
    }

    [Fact]
    public async Task Another_executions_tmp_files_are_not_visible()
    {
        // Stopped by one sandbox per Pod: each Pod's /tmp is a tmpfs inside its own sentry.
        var holder = (await fixture.ResultAsync("files-holder")).Status!;
        var reader = (await fixture.ResultAsync("files-reader")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed) == (holder.Phase, holder.Reason), Describe(holder));
        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed) == (reader.Phase, reader.Reason), Describe(reader));
        Assert.True(reader.StartTime < holder.CompletionTime && holder.StartTime < reader.CompletionTime,
            $"the two ran at the same time: holder {holder.StartTime:O}..{holder.CompletionTime:O}, reader {reader.StartTime:O}..{reader.CompletionTime:O}");
        Assert.DoesNotContain("FOUND", reader.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Marker, reader.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("holder-secret", reader.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Becoming_root_and_opening_a_raw_socket_get_EPERM()
    {
        // Stopped by runAsNonRoot, capabilities drop ALL and allowPrivilegeEscalation false (no_new_privs: su/sudo's setuid bit does nothing).
        var status = (await fixture.ResultAsync("become-root")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        var stdout = status.Stdout!;
        Assert.Contains("setuid EPERM\n", stdout, StringComparison.Ordinal);
        Assert.Contains("setgid EPERM\n", stdout, StringComparison.Ordinal);
        Assert.Contains("raw-socket EPERM\n", stdout, StringComparison.Ordinal);
        Assert.Contains("chroot EPERM\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SUCCEEDED", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ROOT", stdout, StringComparison.Ordinal);
        Assert.Matches(@"\nuid (\d+) \1\n$", stdout);
        Assert.DoesNotContain("\nuid 0 ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_minus_one_kills_only_the_codes_own_tree_and_the_collector_still_reports()
    {
        // Stopped by PID namespaces and UIDs: kill(-1) reaches the program's own processes but not codeexec-init
        // (PID 1), nor the collector (another container, another UID); Linux spares the caller.
        var status = (await fixture.ResultAsync("kill-all")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("before\nchild -9\nsurvived\n", status.Stdout);
        Assert.DoesNotContain("not collected", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DNS_lookups_fail_fast_and_nothing_answers()
    {
        // Stopped by the sandbox having no network; on a cluster, dnsPolicy None with nameserver 127.0.0.1 and the deny-all NetworkPolicy.
        var status = (await fixture.ResultAsync("dns")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        var lines = status.Stdout!.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Matches(@" gaierror (\d+\.\d)s$", line));
        Assert.All(lines, line => Assert.True(double.Parse(line.Split(' ')[^1].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture) < 3, line));
    }

    [Fact]
    public async Task Text_shaped_like_the_collectors_record_and_codeexec_inits_report_comes_back_as_plain_output()
    {
        // Stopped by the collector's framing (the program's bytes are only base64 inside it) and by reading the init's
        // report from the code container's own log, which the program's streams never reach.
        var status = (await fixture.ResultAsync("forged-record")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal(ForgedRecord, status.Stdout);
        Assert.Equal(ForgedInitReport, status.Stderr);
        Assert.DoesNotContain("/tmp was full", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_UTF8_output_is_stored_base64()
    {
        var status = (await fixture.ResultAsync("binary-output")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("base64", status.StdoutEncoding);
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), Convert.FromBase64String(status.Stdout!));
        Assert.Equal(256, status.StdoutBytes);
    }

    [Fact]
    public async Task The_host_is_left_untouched_after_every_attack()
    {
        try
        {
            await fixture.AllResultsAsync();
        }
        catch (TimeoutException)
        {
            // That attack's own test reports it; the host is checked all the same.
        }

        // The sandboxes are destroyed when their Pods end: every process the kubelet started on the host is gone.
        HostSnapshot after;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            after = HostSnapshot.Take();
        }
        while (after.Descendants.Count > fixture.Baseline.Descendants.Count && DateTime.UtcNow < deadline);

        Assert.True(after.Descendants.Count <= fixture.Baseline.Descendants.Count,
            $"processes below the test process: before [{fixture.Baseline.DescribeDescendants()}], after [{after.DescribeDescendants()}]");
        Assert.True(after.Listeners.IsSubsetOf(fixture.Baseline.Listeners),
            $"listening sockets of the test process tree: before [{string.Join(", ", fixture.Baseline.Listeners)}], after [{string.Join(", ", after.Listeners)}]");
        Assert.False(fixture.LoopbackListener.Pending());
        Assert.False(fixture.AnyListener.Pending());
        Assert.Equal(0, fixture.Udp.Available);
        foreach (var path in new[] { "/", "/usr", "/etc", "/tmp", "/root" })
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(path, fixture.Marker + "*"));
        }
    }

    private static string Describe(CodeExecutionStatus status) =>
        $"{status.Phase}/{status.Reason}/{status.ExitCode}: {status.Message}\nstdout: {status.Stdout}\nstderr: {status.Stderr}";
}

/// <summary>
/// The attack suite's collection: it runs with no other test class at the same time (xunit runs such a collection
/// after the parallel ones), so the processes and listeners below this test process are the attack suite's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AttackSuiteRunsAlone
{
    public const string Name = "Attack suite";
}
