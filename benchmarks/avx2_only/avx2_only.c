/*
 * Makes one process see an AVX2-only AMD EPYC (Zen 3 "Milan") on a newer x86 CPU, so that
 * every library in it picks the kernels it would pick on such a machine.
 *
 * Loaded with LD_PRELOAD (see ../avx2_only.sh). Limits given to each library separately
 * (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY, --xla_cpu_max_isa) miss the libraries that read
 * the CPU themselves: YNNPACK and XNNPACK in jaxlib, TensorFlow's choice to turn oneDNN on,
 * LLVM's host CPU in XLA. All of them ask the CPUID instruction, so this library makes CPUID
 * fault in every thread (Linux's ARCH_SET_CPUID, on CPUs with the cpuid_fault flag), runs the
 * real instruction in the SIGSEGV handler and clears the AVX-512, AMX, AVX-VNNI and GFNI bits
 * of the answer before handing it back. The flags line of /proc/cpuinfo is filtered the same
 * way for code that reads that file (keras_lord.utils.cpu does).
 *
 * What it does not change: the clock, caches and memory of the machine it runs on, and code
 * that chose its kernels before this library was loaded (glibc's string functions; see
 * GLIBC_TUNABLES in ../avx2_only.sh).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

/* CPUID leaf 1, EAX: family 19h, model 01h, stepping 1, as an EPYC 7003 reports. */
#define MILAN_SIGNATURE 0x00A00F11u

/* CPUID leaf 7 subleaf 0. */
#define LEAF7_EBX_CLEARED                                                              \
    (BIT(16) /* AVX512F */ | BIT(17) /* AVX512DQ */ | BIT(21) /* AVX512IFMA */ |       \
     BIT(26) /* AVX512PF */ | BIT(27) /* AVX512ER */ | BIT(28) /* AVX512CD */ |        \
     BIT(30) /* AVX512BW */ | BIT(31) /* AVX512VL */)
#define LEAF7_ECX_CLEARED                                                              \
    (BIT(1) /* AVX512_VBMI */ | BIT(6) /* AVX512_VBMI2 */ | BIT(8) /* GFNI */ |        \
     BIT(11) /* AVX512_VNNI */ | BIT(12) /* AVX512_BITALG */ |                         \
     BIT(14) /* AVX512_VPOPCNTDQ */)
#define LEAF7_EDX_CLEARED                                                              \
    (BIT(2) /* AVX512_4VNNIW */ | BIT(3) /* AVX512_4FMAPS */ |                         \
     BIT(8) /* AVX512_VP2INTERSECT */ | BIT(22) /* AMX_BF16 */ |                       \
     BIT(23) /* AVX512_FP16 */ | BIT(24) /* AMX_TILE */ | BIT(25) /* AMX_INT8 */)
/* CPUID leaf 7 subleaf 1. */
#define LEAF7_1_EAX_CLEARED                                                            \
    (BIT(4) /* AVX_VNNI */ | BIT(5) /* AVX512_BF16 */ | BIT(21) /* AMX_FP16 */ |       \
     BIT(23) /* AVX_IFMA */)
#define LEAF7_1_EDX_CLEARED                                                            \
    (BIT(4) /* AVX_VNNI_INT8 */ | BIT(5) /* AVX_NE_CONVERT */ |                        \
     BIT(10) /* AVX_VNNI_INT16 */ | BIT(19) /* AVX10 */)
/* CPUID leaf 0Dh subleaf 0, EAX: the XSAVE state components; AVX-512's are 5 - 7, AMX's
 * 17 - 18. */
#define XSAVE_STATES_CLEARED (BIT(5) | BIT(6) | BIT(7) | BIT(17) | BIT(18))

/* The /proc/cpuinfo flags an EPYC 7003 lacks, matched as prefixes of a flag. */
static const char *const hidden_flag_prefixes[] = {
    "avx512", "avx_vnni", "avx_ifma", "avx_ne_convert", "amx", "gfni", "avx10", NULL};

static struct sigaction application_segv_action;

static int set_cpuid_enabled(int enabled) {
    return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled);
}

static void masked_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int out[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(subleaf));
    if (leaf == 1) {
        out[0] = MILAN_SIGNATURE;
    } else if (leaf == 7 && subleaf == 0) {
        out[1] &= ~LEAF7_EBX_CLEARED;
        out[2] &= ~LEAF7_ECX_CLEARED;
        out[3] &= ~LEAF7_EDX_CLEARED;
    } else if (leaf == 7 && subleaf == 1) {
        out[0] &= ~LEAF7_1_EAX_CLEARED;
        out[3] &= ~LEAF7_1_EDX_CLEARED;
    } else if (leaf == 0xD && subleaf == 0) {
        out[0] &= ~XSAVE_STATES_CLEARED;
    } else if (leaf == 0x24) {
        out[0] = out[1] = out[2] = out[3] = 0; /* AVX10's own leaf */
    }
}

static int (*next_sigaction(void))(int, const struct sigaction *, struct sigaction *) {
    static int (*next)(int, const struct sigaction *, struct sigaction *);
    if (!next) next = dlsym(RTLD_NEXT, "sigaction");
    return next;
}

static void on_segv(int signal_number, siginfo_t *info, void *raw_context) {
    ucontext_t *context = raw_context;
    greg_t *registers = context->uc_mcontext.gregs;
    /* A faulting CPUID is a general protection fault (SI_KERNEL) at the bytes 0F A2; any
     * other fault belongs to the application's handler. */
    if (info->si_code == SI_KERNEL) {
        const unsigned char *instruction = (const unsigned char *)registers[REG_RIP];
        if (instruction[0] == 0x0F && instruction[1] == 0xA2) {
            unsigned int answer[4];
            set_cpuid_enabled(1);
            masked_cpuid((unsigned int)registers[REG_RAX], (unsigned int)registers[REG_RCX],
                         answer);
            set_cpuid_enabled(0);
            registers[REG_RAX] = answer[0];
            registers[REG_RBX] = answer[1];
            registers[REG_RCX] = answer[2];
            registers[REG_RDX] = answer[3];
            registers[REG_RIP] += 2;
            return;
        }
    }
    if (application_segv_action.sa_flags & SA_SIGINFO) {
        application_segv_action.sa_sigaction(signal_number, info, raw_context);
    } else if (application_segv_action.sa_handler != SIG_DFL &&
               application_segv_action.sa_handler != SIG_IGN) {
        application_segv_action.sa_handler(signal_number);
    } else {
        /* Returning re-runs the faulting instruction, which now gets the default action. */
        struct sigaction default_action = {.sa_handler = SIG_DFL};
        next_sigaction()(SIGSEGV, &default_action, NULL);
    }
}

/* The application's SIGSEGV handler is kept aside and called for faults that are not
 * CPUID, so that Python's faulthandler and the like still work. */
int sigaction(int signal_number, const struct sigaction *action, struct sigaction *previous) {
    if (signal_number != SIGSEGV) return next_sigaction()(signal_number, action, previous);
    if (previous) *previous = application_segv_action;
    if (action) application_segv_action = *action;
    return 0;
}

sighandler_t signal(int signal_number, sighandler_t handler) {
    struct sigaction action = {.sa_handler = handler}, previous;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(signal_number, &action, &previous) != 0) return SIG_ERR;
    return previous.sa_handler;
}

static int is_hidden_flag(const char *flag, size_t length) {
    for (const char *const *prefix = hidden_flag_prefixes; *prefix; ++prefix) {
        size_t prefix_length = strlen(*prefix);
        if (length >= prefix_length && strncmp(flag, *prefix, prefix_length) == 0) return 1;
    }
    return 0;
}

/* /proc/cpuinfo with the hidden flags removed, as an anonymous file open for reading. */
static int filtered_cpuinfo(int (*next_open)(const char *, int, ...)) {
    int source = next_open("/proc/cpuinfo", O_RDONLY);
    if (source < 0) return source;
    FILE *input = fdopen(source, "r");
    int filtered = memfd_create("cpuinfo", 0);
    FILE *output = fdopen(dup(filtered), "w");
    char *line = NULL;
    size_t capacity = 0;
    while (getline(&line, &capacity, input) > 0) {
        if (strncmp(line, "flags", 5) != 0) {
            fputs(line, output);
            continue;
        }
        char *values = strchr(line, ':');
        if (!values) {
            fputs(line, output);
            continue;
        }
        fwrite(line, 1, (size_t)(values + 1 - line), output);
        char *position = NULL;
        for (char *flag = strtok_r(values + 1, " \n", &position); flag;
             flag = strtok_r(NULL, " \n", &position)) {
            if (!is_hidden_flag(flag, strlen(flag))) fprintf(output, " %s", flag);
        }
        fputc('\n', output);
    }
    free(line);
    fclose(input);
    fclose(output);
    lseek(filtered, 0, SEEK_SET);
    return filtered;
}

static int opens_cpuinfo(const char *path, int flags) {
    return path && (flags & O_ACCMODE) == O_RDONLY && strcmp(path, "/proc/cpuinfo") == 0;
}

#define OPEN_WRAPPER(name)                                                             \
    int name(const char *path, int flags, ...) {                                      \
        static int (*next)(const char *, int, ...);                                    \
        if (!next) next = dlsym(RTLD_NEXT, #name);                                     \
        if (opens_cpuinfo(path, flags)) return filtered_cpuinfo(next);                 \
        va_list arguments;                                                             \
        va_start(arguments, flags);                                                    \
        mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(arguments, mode_t) : 0; \
        va_end(arguments);                                                             \
        return next(path, flags, mode);                                                \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name)                                                           \
    int name(int directory, const char *path, int flags, ...) {                        \
        static int (*next)(int, const char *, int, ...);                               \
        static int (*next_open)(const char *, int, ...);                               \
        if (!next) next = dlsym(RTLD_NEXT, #name);                                     \
        if (!next_open) next_open = dlsym(RTLD_NEXT, "open64");                        \
        if (opens_cpuinfo(path, flags)) return filtered_cpuinfo(next_open);            \
        va_list arguments;                                                             \
        va_start(arguments, flags);                                                    \
        mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(arguments, mode_t) : 0; \
        va_end(arguments);                                                             \
        return next(directory, path, flags, mode);                                     \
    }
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

__attribute__((constructor)) static void hide_avx512(void) {
    struct sigaction handler = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&handler.sa_mask);
    next_sigaction()(SIGSEGV, NULL, &application_segv_action);
    if (next_sigaction()(SIGSEGV, &handler, NULL) != 0 || set_cpuid_enabled(0) != 0) {
        fputs("avx2_only: this CPU or kernel cannot make CPUID fault (no cpuid_fault flag in "
              "/proc/cpuinfo); the process would see the real CPU, so it stops here.\n",
              stderr);
        _exit(3);
    }
}
