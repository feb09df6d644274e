/* Threads, time and Ctrl-C (see base.h). */
#include "cogmap/base.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's own knobs; declared here so that base does not need cblas.h. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

static int thread_count; /* 0: not set, OpenMP's default */

void cm_set_threads(int n)
{
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    thread_count = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
}

int cm_threads(void)
{
#ifdef _OPENMP
    return thread_count > 0 ? thread_count : omp_get_max_threads();
#else
    return thread_count > 0 ? thread_count : 1;
#endif
}

int cm_blas_hold(void)
{
    int held = openblas_get_num_threads();
    openblas_set_num_threads(1);
    return held;
}

void cm_blas_release(int held) { openblas_set_num_threads(held); }

double cm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile sig_atomic_t interrupt_flag;

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupt_flag) /* a second Ctrl-C: the user means it */
        _exit(130);
    interrupt_flag = 1;
}

void cm_interrupt_install(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void cm_interrupt_request(void) { interrupt_flag = 1; }

int cm_interrupted(void) { return interrupt_flag != 0; }

void cm_interrupt_reset(void) { interrupt_flag = 0; }
