/* coro: coroutines for the event loop (loop.c). A coroutine runs a function on a stack of its
 * own, and gives the thread back (coro_yield) wherever it would block; the loop resumes it when
 * its socket is ready or its deadline passes. A coroutine is only ever resumed by the thread
 * that created it.
 *
 * Stacks: by default every coroutine runs on its worker's one large run stack, and at each
 * yield the part it uses (usually a few hundred bytes to a few KiB) is copied to the heap and
 * back on resume, so 10,000 parked cases cost what they use, not a stack each. A pointer to a
 * suspended coroutine's stack variables is therefore only good inside that coroutine: what
 * another thread or coroutine reads must live on the heap. Under AddressSanitizer (whose
 * shadow memory cannot follow a copied stack) and under valgrind each coroutine has its own
 * mmap'd stack with a guard page instead. */
#ifndef H1XX_CORO_H
#define H1XX_CORO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct coro coro;
typedef struct coro_stack coro_stack;

/* The run stack shared by a thread's coroutines (one per worker thread); NULL on failure. */
coro_stack *coro_stack_new(void);
void coro_stack_free(coro_stack *s);

/* A coroutine that will run fn(arg) on s's stack when first resumed; NULL on failure. */
coro *coro_new(coro_stack *s, void (*fn)(void *), void *arg);
/* Runs c until it yields or returns. Called from the thread's own (non-coroutine) context. */
void coro_resume(coro *c);
/* Inside a coroutine: back to whoever resumed it. */
void coro_yield(void);
/* Whether fn has returned. */
bool coro_done(const coro *c);
void coro_free(coro *c);
/* The coroutine running on this thread, or NULL. */
coro *coro_current(void);
/* Bytes of stack the coroutine keeps while suspended (copied stacks only; 0 otherwise). */
size_t coro_saved_bytes(const coro *c);

#endif
