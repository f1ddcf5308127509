/* loop: one event loop per worker thread (epoll, a timer heap, a wake-up eventfd), running
 * tasks as coroutines (coro.h). A task's blocking calls (loop_wait_fd, loop_sleep_until,
 * loop_wait_wake, loop_blocking) park it until its descriptor is ready, its deadline passes,
 * another thread wakes it, or the run is interrupted; meanwhile the thread runs other tasks.
 * Called outside a task (the main thread's probe, unit tests) the same calls simply block.
 *
 * Interruption is process-wide: a pipe that becomes readable on SIGINT/SIGTERM. Every loop
 * watches it, and every parked task wakes with LOOP_INTR. */
#ifndef H1XX_LOOP_H
#define H1XX_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum loop_status {
    LOOP_READY = 0,   /* the descriptor is ready, the wake came, or the sleep is over */
    LOOP_TIMEOUT = 1, /* the deadline passed */
    LOOP_INTR = 2,    /* the run was interrupted */
} loop_status;

/* Process-wide: the read end of the interrupt pipe (never read: it stays readable). */
void loop_set_interrupt_fd(int fd);
bool loop_interrupted(void);

typedef struct loop loop;
typedef struct task task;

/* A loop for the calling thread; NULL when the system refuses (epoll, eventfd). */
loop *loop_new(void);
void loop_free(loop *l);
/* Adds a task running fn(arg); it starts when loop_run runs. Returns -1 when out of memory. */
int loop_spawn(loop *l, void (*fn)(void *), void *arg);
/* Runs until every task has returned. */
void loop_run(loop *l);

/* The running task, or NULL outside one. */
task *loop_self(void);
/* Waits until fd is ready for reading (out false) or writing (out true), or the deadline. */
loop_status loop_wait_fd(int fd, bool out, int64_t deadline_ns);
/* Gives the thread to the other ready tasks when this one has run for a while without waiting
 * (a server that floods the connection never makes its reader wait). */
void loop_share(void);
/* Sleeps until the deadline: LOOP_READY, or LOOP_INTR early. */
loop_status loop_sleep_until(int64_t deadline_ns);
/* Waits until some thread calls loop_wake(t) for this task, or the deadline. A wake that came
 * while the task was busy is kept for its next wait. */
loop_status loop_wait_wake(int64_t deadline_ns);
/* From any thread. The waker must know the task is still alive (e.g. it holds a lock under
 * which the task withdraws itself before it ends). */
void loop_wake(task *t);
/* Runs fn(arg) on a helper thread while the task waits (for calls that block inside libraries:
 * name resolution, TLS handshakes, libcurl transfers). arg and everything fn touches must not
 * live on the task's stack (see coro.h). Outside a task fn runs on the calling thread. */
void loop_blocking(void (*fn)(void *), void *arg);
/* Ends the helper threads once no task needs them (the scheduler, after its run). */
void loop_helpers_stop(void);

#endif
