/* case_client: private to case_client.c (client mode: the driver, its run and what it printed,
 * the content it sent) and case_client_wire.c (the fields it delivered, the driver's output). */
#ifndef H1XX_CASE_CLIENT_H
#define H1XX_CASE_CLIENT_H

#include "case_int.h"
#include "origin.h"

#define OUT_MAX (64 * 1024) /* what is kept of the driver's stdout (and of a posted result) */

typedef struct client_state {
    bool started;         /* the driver runs (or, with --serve, the case was announced) */
    bool external;        /* --serve: no driver; the client posts its result to rtoken */
    struct origin *org;
    char rtoken[64];      /* --serve: the token of the case's result URL */
    pid_t pid;            /* the driver (and its process group) */
    bool exited, killed, ended; /* ended: killed because the case was over */
    int status;           /* wait status once exited */
    int out_fd, err_fd;   /* unlinked temporary files holding its stdout and stderr */
    char body_path[96];   /* the upload content ({body}), removed at the case's end */
    char headers_path[96]; /* where the driver may write the final's fields ({headers}) */
    int64_t t_start, t_exit, deadline;
    char reply[40], reply_len[24];
    char reply2[40];      /* ${reply2}: the second request's final body */
    char want[80];        /* what the driver must print: reply, or reply then reply2 */
    bool second;          /* the case has a second request ({url2}) */
    bool upgrade;         /* the run asks the client to offer an upgrade ({upgrade}) */
    int last_conn;        /* the connection of the request before, and when the case let it go */
    int64_t t_released;
    bool last_req_close;  /* that request ended its connection (Connection: close, or 1.0) */
    int judged;           /* runs of the case whose final body was judged and delivered (kept
                           * across runs) */
    int gave_up;          /* interim responses written on the case's connection when h1xx first
                           * saw the client give up (driver exited, connection closed); -1 */
    char ws_accept[29];   /* ${client_ws_accept}: for the key of the client's last request */
} client_state;

#define NPH 6 /* placeholders: {url} {method} {body} {upgrade} {headers} {url2} */

/* case_client_driver.c (below case_client.c and case_client_body.c) */
/* A temporary file (TMPDIR, else /tmp) named in path; its fd, or -1. */
int client_temp_file(char *path, size_t n);
/* An unlinked temporary file for the driver's output; -1 on failure. */
int client_output_file(void);
/* s with every placeholder keys[i] replaced by vals[i]; malloc'd. */
char *client_fill(const char *s, const char *const keys[NPH], const char *const vals[NPH]);
/* Our environment plus H1XX_URL ... H1XX_URL2 and H1XX_CASE; client_free_strv frees it. */
char **client_driver_env(const char *const vals[NPH], const char *case_id);
void client_free_strv(char **v);
/* Starts argv in a new process group (stdin /dev/null, stdout and stderr to cl's files). */
int client_spawn(client_state *cl, char **argv, char **env);
/* Whether the driver has exited (or, --serve, its result was posted); reaps it then. */
bool client_driver_done(client_state *cl);
/* Kills the driver's process group and reaps it. */
void client_driver_kill(client_state *cl);
/* Waits until the driver exits or until deadline (absolute); -1 when interrupted. */
int client_driver_wait(client_state *cl, int64_t deadline);
/* "exit status 1", "death by signal 9", or "no exit within the driver's bound ..."; malloc'd. */
char *client_exit_text(const client_state *cl);
/* "; stderr: '...'" or ""; malloc'd. */
char *client_stderr_text(const client_state *cl);
/* "; the driver is still running" or "; the driver ended: exit status 1; stderr: '...'", for
 * the messages of steps that wait on the wire, after waiting up to grace_ns for it to end (the
 * client just closed its connection); malloc'd. */
char *client_driver_state(runner *R, int64_t grace_ns);
/* When the driver exited 77 ("this client cannot do this case"): ends the case as a skip
 * quoting the last line of its stderr, and returns true. Never waits. */
bool client_declined(runner *R);
/* origin content-starts / content-withheld */
void client_origin_content(runner *R, const step *st);
/* client quiet for DUR: the client sends nothing more on the case's connection meanwhile */
void client_quiet(runner *R, const step *st);

/* case_client_wire.c (below case_client.c: it calls nothing there) */
/* Up to max bytes of an output file; malloc'd and NUL-terminated, *n its length. */
char *client_read_output(int fd, size_t max, size_t *n);
/* s as one printable line of at most max characters (control bytes as \xHH); malloc'd. */
char *client_printable(const char *s, size_t n, size_t max);
/* Records what the origin read on oc from offset `from` on, chunk by chunk. */
void client_record_reads(runner *R, origin_conn *oc, size_t from);
/* client check header ...: the fields the driver wrote to {headers} */
void client_check(runner *R, const step *st);

#endif
