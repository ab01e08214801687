/*
 * codeexec-init: the first process of a sandbox Pod's code container (see README.md beside this file).
 *
 *   codeexec-init [--stdin F] [--stdout F] [--stderr F] [--nproc N] [--fsize BYTES] [--memory BYTES]
 *                 [--tmp DIR --tmp-size BYTES] [--timeout SECONDS] [--grace SECONDS] [--env NAME=VALUE]...
 *                 -- PROGRAM ARGS...
 *       redirects the program's streams to the files, starts it with the inherited (image and operator) environment
 *       plus each --env applied in the child after the rlimits are set, reaps every zombie, forwards SIGTERM (and
 *       INT, HUP, QUIT) to the whole process tree, ends the tree at --timeout seconds after the program's start
 *       (SIGTERM, then SIGKILL after --grace seconds), and exits with the program's status.
 *       With --memory it watches the tree's memory (the resident memory of its processes, plus what the --tmp volume
 *       holds when that is a tmpfs of --tmp-size) and SIGKILLs the tree when it reaches BYTES.
 *
 * Its last line on its own stderr (the container log, which the program cannot write) is the report the operator
 * reads: "codeexec-init: ended exit=N elapsed_ms=N peak_memory_bytes=N memory_limit_bytes=N memory_limit_hit=0|1
 * tmp_used_bytes=N tmp_size_bytes=N tmp_full=0|1 timed_out=0|1".
 *
 * Exit status: the program's exit code; 128+N when a signal N ended it (a program that SIGKILLs itself: 137);
 * 124 when the timeout ended it (whatever the program's own status then was); 125 when a limit or a stream could not
 * be set up (nothing ran); 126 when the program cannot be executed; 127 when it does not exist.
 *
 * Single-threaded and static on purpose: after fork() the child may call malloc (setenv) safely, and no dynamic
 * loader reads LD_PRELOAD or similar variables of the container's environment.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TIMEOUT 124
#define EXIT_SETUP 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127
#define MAX_ENV 1024
#define TMPFS_MAGIC_NUMBER 0x01021994
#define MEMORY_POLL_MS 50

struct options {
    const char *stdin_path;
    const char *stdout_path;
    const char *stderr_path;
    long long nproc;     /* -1: not set */
    long long fsize;     /* -1: not set */
    long long memory;    /* -1: not set; the tree's memory limit, watched */
    const char *tmp_dir; /* NULL: none; the program's writable volume, counted as memory when it is a tmpfs */
    long long tmp_size;  /* -1: not set; the size the volume was given (the Pod's sizeLimit) */
    long long timeout_ms; /* -1: none */
    long long grace_ms;
    const char *env[MAX_ENV];
    int env_count;
    char **argv;
};

static pid_t child_pid = -1;

static void say(const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    if ((size_t)n > sizeof line - 2) {
        n = (int)(sizeof line - 2);
    }
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, "codeexec-init: ", 15);
    ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

static long long parse_number(const char *name, const char *text)
{
    if (text == NULL || *text == '\0') {
        say("%s needs a value", name);
        exit(EXIT_SETUP);
    }
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            say("%s: '%s' is not a non-negative integer", name, text);
            exit(EXIT_SETUP);
        }
    }
    errno = 0;
    long long value = strtoll(text, NULL, 10);
    if (errno != 0) {
        say("%s: '%s' is out of range", name, text);
        exit(EXIT_SETUP);
    }
    return value;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Calls visit(pid, arg) for every process of the program's tree and returns how many it found. As PID 1 of the
 * container's PID namespace (a real node, a gVisor sandbox) the tree is every other process of the namespace.
 * Otherwise (a test's process mode) it is every descendant of this process found in /proc: this process is a child
 * subreaper, so orphans of the tree are re-parented to it and stay its descendants.
 */
static size_t for_each_in_tree(void (*visit)(pid_t, void *), void *arg)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL) {
        return 0;
    }
    pid_t self = getpid();
    size_t capacity = 1024, count = 0;
    pid_t *pids = malloc(capacity * sizeof *pids);
    pid_t *parents = malloc(capacity * sizeof *parents);
    struct dirent *entry;
    while (pids != NULL && parents != NULL && (entry = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0])) {
            continue;
        }
        int ppid = 0;
        if (self != 1) {
            char path[300], stat[512];
            snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                continue;
            }
            ssize_t n = read(fd, stat, sizeof stat - 1);
            close(fd);
            if (n <= 0) {
                continue;
            }
            stat[n] = '\0';
            char *end = strrchr(stat, ')');
            char state;
            if (end == NULL || sscanf(end + 1, " %c %d", &state, &ppid) != 2) {
                continue;
            }
        }
        if (count == capacity) {
            capacity *= 2;
            pid_t *more = realloc(pids, capacity * sizeof *pids);
            if (more != NULL) {
                pids = more;
            }
            pid_t *more_parents = more == NULL ? NULL : realloc(parents, capacity * sizeof *parents);
            if (more_parents != NULL) {
                parents = more_parents;
            }
            if (more == NULL || more_parents == NULL) {
                break;
            }
        }
        pids[count] = (pid_t)atoi(entry->d_name);
        parents[count] = (pid_t)ppid;
        count++;
    }
    closedir(proc);
    size_t found = 0;
    char *mine = pids == NULL || parents == NULL ? NULL : calloc(count ? count : 1, 1);
    if (mine != NULL) {
        /* As PID 1: everything but this process. Otherwise: the ppid chains that end here. */
        int changed = 1;
        while (changed) {
            changed = 0;
            for (size_t i = 0; i < count; i++) {
                if (mine[i] || pids[i] == self) {
                    continue;
                }
                if (self == 1 || parents[i] == self) {
                    mine[i] = changed = 1;
                    continue;
                }
                for (size_t j = 0; j < count; j++) {
                    if (mine[j] && pids[j] == parents[i]) {
                        mine[i] = changed = 1;
                        break;
                    }
                }
            }
        }
        for (size_t i = 0; i < count; i++) {
            if (mine[i]) {
                visit(pids[i], arg);
                found++;
            }
        }
    }
    free(mine);
    free(pids);
    free(parents);
    return found;
}

static void kill_visit(pid_t pid, void *arg)
{
    kill(pid, *(int *)arg);
}

/*
 * Sends sig to every process of the program's tree: kill(-1) as PID 1 (every process of the namespace but this one,
 * which a setsid() cannot leave); otherwise the program's process group, then the descendants found in /proc, a few
 * passes for anything forked meanwhile.
 */
static void signal_tree(int sig)
{
    if (getpid() == 1) {
        kill(-1, sig);
        return;
    }
    if (child_pid > 0) {
        kill(-child_pid, sig);
    }
    for (int pass = 0; pass < 3; pass++) {
        if (for_each_in_tree(kill_visit, &sig) == 0) {
            return;
        }
    }
}

/*
 * Adds a process's resident memory minus its resident shared (file-backed) pages, from /proc/PID/statm, in bytes:
 * the memory the process itself holds. (gVisor reports no shared pages there, so under gVisor this is the whole RSS.)
 */
static void resident_visit(pid_t pid, void *arg)
{
    char path[64], statm[256];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ssize_t n = read(fd, statm, sizeof statm - 1);
    close(fd);
    if (n <= 0) {
        return;
    }
    statm[n] = '\0';
    unsigned long long size = 0, resident = 0, shared = 0;
    if (sscanf(statm, "%llu %llu %llu", &size, &resident, &shared) < 2) {
        return;
    }
    if (shared > resident) {
        shared = resident;
    }
    *(long long *)arg += (long long)((resident - shared) * (unsigned long long)sysconf(_SC_PAGESIZE));
}

/*
 * What the --tmp volume holds, in bytes, when it is the Pod's in-memory volume (a tmpfs no larger than --tmp-size,
 * rounded up to whole pages): its pages are memory, charged like the program's own (on runc nodes to the container's
 * memory cgroup, on gVisor to the sandbox). -1 when it is something else (a host folder in a test's process mode).
 */
static long long tmp_used(const struct options *o, long long *size)
{
    struct statfs fs;
    *size = -1;
    if (o->tmp_dir == NULL || o->tmp_size < 0 || statfs(o->tmp_dir, &fs) != 0 || fs.f_type != TMPFS_MAGIC_NUMBER) {
        return -1;
    }
    long long total = (long long)fs.f_blocks * (long long)fs.f_bsize;
    long long page = sysconf(_SC_PAGESIZE);
    if (total <= 0 || total > (o->tmp_size + page - 1) / page * page) {
        return -1;
    }
    *size = total;
    return ((long long)fs.f_blocks - (long long)fs.f_bfree) * (long long)fs.f_bsize;
}

/* The tree's memory now: resident memory of its processes plus the tmpfs volume's contents. */
static long long tree_memory(const struct options *o)
{
    long long total = 0, size;
    for_each_in_tree(resident_visit, &total);
    long long tmp = tmp_used(o, &size);
    return total + (tmp > 0 ? tmp : 0);
}

static int open_stream(const char *path, int flags, const char *name)
{
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd < 0) {
        say("cannot open %s %s: %s", name, path, strerror(errno));
        exit(EXIT_SETUP);
    }
    return fd;
}

static void set_limit(int resource, long long value, const char *name, int report_fd)
{
    if (value < 0) {
        return;
    }
    struct rlimit limit = {(rlim_t)value, (rlim_t)value};
    if (setrlimit(resource, &limit) != 0) {
        int error = errno;
        dprintf(report_fd, "codeexec-init: cannot set the %s limit to %lld: %s\n", name, value, strerror(error));
        _exit(EXIT_SETUP);
    }
}

/* The child: streams, rlimits, then the user's variables, then exec. Errors go to the program's stderr file. */
static void run_child(const struct options *o, int in, int out, int err, const sigset_t *original_mask)
{
    setpgid(0, 0);
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
        _exit(EXIT_SETUP);
    }
    for (int sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, original_mask, NULL);
    set_limit(RLIMIT_NPROC, o->nproc, "process", STDERR_FILENO);
    set_limit(RLIMIT_FSIZE, o->fsize, "file size", STDERR_FILENO);
    for (int i = 0; i < o->env_count; i++) {
        char *pair = strdup(o->env[i]);
        char *equals = pair == NULL ? NULL : strchr(pair, '=');
        if (equals == NULL || equals == pair) {
            dprintf(STDERR_FILENO, "codeexec-init: --env '%s' is not NAME=VALUE\n", o->env[i]);
            _exit(EXIT_SETUP);
        }
        *equals = '\0';
        if (setenv(pair, equals + 1, 1) != 0) {
            dprintf(STDERR_FILENO, "codeexec-init: cannot set %s: %s\n", pair, strerror(errno));
            _exit(EXIT_SETUP);
        }
        free(pair);
    }
    execvp(o->argv[0], o->argv);
    int error = errno;
    dprintf(STDERR_FILENO, "codeexec-init: cannot run %s: %s\n", o->argv[0], strerror(error));
    _exit(error == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

static void parse(int argc, char **argv, struct options *o)
{
    o->stdin_path = "/dev/null";
    o->stdout_path = NULL;
    o->stderr_path = NULL;
    o->nproc = o->fsize = o->memory = o->tmp_size = o->timeout_ms = -1;
    o->tmp_dir = NULL;
    o->grace_ms = 5000;
    o->env_count = 0;
    o->argv = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--") == 0) {
            o->argv = argv + i + 1;
            break;
        }
        if (value == NULL) {
            say("%s needs a value", arg);
            exit(EXIT_SETUP);
        }
        i++;
        if (strcmp(arg, "--stdin") == 0) {
            o->stdin_path = value;
        } else if (strcmp(arg, "--stdout") == 0) {
            o->stdout_path = value;
        } else if (strcmp(arg, "--stderr") == 0) {
            o->stderr_path = value;
        } else if (strcmp(arg, "--nproc") == 0) {
            o->nproc = parse_number(arg, value);
        } else if (strcmp(arg, "--fsize") == 0) {
            o->fsize = parse_number(arg, value);
        } else if (strcmp(arg, "--memory") == 0) {
            o->memory = parse_number(arg, value);
        } else if (strcmp(arg, "--tmp") == 0) {
            o->tmp_dir = value;
        } else if (strcmp(arg, "--tmp-size") == 0) {
            o->tmp_size = parse_number(arg, value);
        } else if (strcmp(arg, "--timeout") == 0) {
            o->timeout_ms = parse_number(arg, value) * 1000;
        } else if (strcmp(arg, "--grace") == 0) {
            o->grace_ms = parse_number(arg, value) * 1000;
        } else if (strcmp(arg, "--env") == 0) {
            if (o->env_count == MAX_ENV) {
                say("too many --env");
                exit(EXIT_SETUP);
            }
            o->env[o->env_count++] = value;
        } else {
            say("unknown option %s", arg);
            exit(EXIT_SETUP);
        }
    }
    if (o->argv == NULL || o->argv[0] == NULL) {
        say("usage: codeexec-init [options] -- PROGRAM ARGS...");
        exit(EXIT_SETUP);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);

    /* Same-UID code must not ptrace this process or open its /proc files (its fds, its memory). */
    prctl(PR_SET_DUMPABLE, 0);
    /* Orphans of the tree come back to this process, which reaps them (and can signal them outside PID 1). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    int in = open_stream(o.stdin_path, O_RDONLY, "stdin");
    int out = o.stdout_path ? open_stream(o.stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, "stdout") : dup(STDOUT_FILENO);
    int err = o.stderr_path ? open_stream(o.stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, "stderr") : dup(STDERR_FILENO);
    if (out < 0 || err < 0) {
        say("cannot duplicate the container's streams: %s", strerror(errno));
        return EXIT_SETUP;
    }

    /* Signals are taken synchronously with sigtimedwait: no handler runs, and what is not in the set keeps the
     * default action, which the kernel never applies to a namespace's PID 1 for a signal from inside it. */
    sigset_t wanted, original;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGHUP);
    sigaddset(&wanted, SIGQUIT);
    sigprocmask(SIG_BLOCK, &wanted, &original);
    signal(SIGPIPE, SIG_IGN);

    long long started = now_ms();
    child_pid = fork();
    if (child_pid < 0) {
        say("cannot start the program: %s", strerror(errno));
        return EXIT_SETUP;
    }
    if (child_pid == 0) {
        run_child(&o, in, out, err, &original);
    }
    close(in);
    close(out);
    close(err);

    long long deadline = o.timeout_ms >= 0 ? started + o.timeout_ms : -1;
    long long kill_at = -1;
    int timed_out = 0, memory_hit = 0, have_status = 0, status = 0;
    long long peak = 0;

    while (!have_status) {
        long long now = now_ms();
        if (o.memory >= 0 && !memory_hit) {
            long long memory = tree_memory(&o);
            if (memory > peak) {
                peak = memory;
            }
            if (memory >= o.memory) {
                /* As a memory cgroup's OOM killer would, but for the whole tree and before the pod runs out: on a
                 * gVisor node the container's own limit is not enforced inside the sandbox, and the collector shares
                 * the pod's memory. */
                memory_hit = 1;
                say("the program's memory (%lld bytes, resident plus /tmp) reached its limit of %lld bytes: killing it",
                    memory, o.memory);
                signal_tree(SIGKILL);
                kill_at = now + 1000;
            }
        }
        if (deadline >= 0 && now >= deadline && !timed_out) {
            timed_out = 1;
            say("the timeout of %llds is over: stopping the program", o.timeout_ms / 1000);
            signal_tree(SIGTERM);
            if (kill_at < 0) {
                kill_at = now + o.grace_ms;
            }
        }
        if (kill_at >= 0 && now >= kill_at) {
            signal_tree(SIGKILL);
            kill_at = now + 1000; /* again, for anything started meanwhile */
        }
        long long wait_ms = 60000;
        if (deadline >= 0 && !timed_out && deadline - now < wait_ms) {
            wait_ms = deadline - now;
        }
        if (kill_at >= 0 && kill_at - now < wait_ms) {
            wait_ms = kill_at - now;
        }
        if (o.memory >= 0 && !memory_hit && wait_ms > MEMORY_POLL_MS) {
            wait_ms = MEMORY_POLL_MS;
        }
        if (wait_ms < 0) {
            wait_ms = 0;
        }
        struct timespec wait = {(time_t)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000000};
        siginfo_t info;
        int sig = sigtimedwait(&wanted, &info, &wait);
        if (sig > 0 && sig != SIGCHLD && kill_at < 0) {
            /* The kubelet stops the container: pass SIGTERM on to the whole tree, SIGKILL after the grace period. */
            signal_tree(SIGTERM);
            kill_at = now_ms() + o.grace_ms;
        }
        for (;;) {
            int child_status;
            pid_t pid = waitpid(-1, &child_status, WNOHANG);
            if (pid <= 0) {
                break;
            }
            if (pid == child_pid) {
                status = child_status;
                have_status = 1;
            }
        }
    }

    /* The program is over: the rest of its tree ends with it, as a container's processes do when PID 1 exits. What
     * /tmp holds is measured first (it outlives the tree). */
    long long tmp_size;
    long long tmp = tmp_used(&o, &tmp_size);
    if (o.memory >= 0) {
        long long last = tree_memory(&o);
        if (last > peak) {
            peak = last;
        }
    }
    signal_tree(SIGKILL);
    long long give_up = now_ms() + 2000;
    while (now_ms() < give_up) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0) {
            break;
        }
        if (pid == 0) {
            struct timespec pause = {0, 10 * 1000000};
            nanosleep(&pause, NULL);
        }
    }

    int code;
    if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        code = 128 + WTERMSIG(status);
    } else {
        code = EXIT_SETUP;
    }
    /* The largest process's peak, kept by the kernel: a peak between two samples shows there. */
    struct rusage children;
    if (getrusage(RUSAGE_CHILDREN, &children) == 0 && (long long)children.ru_maxrss * 1024 > peak) {
        peak = (long long)children.ru_maxrss * 1024;
    }
    /* Full: less than 1% (at least 64 KiB) of the volume left, so the program's writes were failing with ENOSPC. */
    int tmp_full = tmp >= 0 && tmp_size > 0 && tmp_size - tmp < (tmp_size / 100 > 65536 ? tmp_size / 100 : 65536);
    /* The report starts on a line of its own and is the log's last line: whatever else reached the log before (a
     * partial line included) cannot be glued to it, and the operator reads only the last line. */
    ssize_t newline = write(STDERR_FILENO, "\n", 1);
    (void)newline;
    say("ended exit=%d elapsed_ms=%lld peak_memory_bytes=%lld memory_limit_bytes=%lld memory_limit_hit=%d "
        "tmp_used_bytes=%lld tmp_size_bytes=%lld tmp_full=%d timed_out=%d",
        timed_out ? EXIT_TIMEOUT : code, now_ms() - started, peak, o.memory, memory_hit, tmp, tmp_size, tmp_full, timed_out);
    return timed_out ? EXIT_TIMEOUT : code;
}
