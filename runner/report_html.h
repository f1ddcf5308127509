/* report_html: private to the HTML reporter (runner/report_html*.c). The writer itself,
 * report_html_write, is declared in report.h with the other reporters. */
#ifndef H1XX_REPORT_HTML_H
#define H1XX_REPORT_HTML_H

/* The inline style sheet and script of every report (report_html_assets.c). Constants: no byte
 * from a run ever goes into them. */
extern const char report_html_css[];
extern const char report_html_js[];

/* Escaped bytes of one case's transcript kept in the page; past it, the head and the tail are
 * kept and the middle is elided (as the JUnit reporter does for system-out). */
#define HTML_TX_CAP (256 * 1024)
/* Raw bytes of one transcript line before it is broken onto a continuation line. */
#define HTML_TX_LINE 4096

#endif
