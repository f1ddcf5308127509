// h1xx client-mode driver for Go's net/http client (Debian's golang-go).
//
//	h1xx client -- go run drivers/go_get.go {url} {method} {body} {upgrade} {headers} {url2}
//	go build -o build/go-driver drivers/go_get.go   # what suite/interop.py runs
//
// One request with an http.Client on a clone of http.DefaultTransport. An upload asks for a
// 100 (Expect: 100-continue; the transport's ExpectContinueTimeout, 1 s by default, decides
// how long it waits). The final response's body on stdout and its fields in {headers}, exit 0
// whatever the final status; an error (or a 1xx handed over as the response) on stderr, exit 1.
// With a non-empty {url2} a GET of it follows with the same client (its transport keeps the
// connection when the first body was read to its end), and both bodies are printed in order.
// `--version` prints Go's version.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"time"
)

// bodyCap bounds what the driver reads: the cases' bodies are short tokens.
const bodyCap = 16 << 20

func fail(format string, a ...interface{}) int {
	fmt.Fprintf(os.Stderr, "go_get: "+format+"\n", a...)
	return 1
}

func arg(i int, def string) string {
	if len(os.Args) > i && os.Args[i] != "" {
		return os.Args[i]
	}
	return def
}

func newRequest(url, method, bodyPath, upgrade string) (*http.Request, error) {
	var content []byte
	if bodyPath != "" {
		b, err := os.ReadFile(bodyPath)
		if err != nil {
			return nil, err
		}
		content = b
	}
	var body io.Reader
	if len(content) > 0 {
		body = bytes.NewReader(content)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if len(content) > 0 {
		req.Header.Set("Expect", "100-continue")
	}
	if upgrade != "" {
		req.Header.Set("Upgrade", upgrade)
		req.Header.Set("Connection", "upgrade")
	}
	return req, nil
}

func writeFields(path string, h http.Header) error {
	var b bytes.Buffer
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

func run() int {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println("go", runtime.Version())
		return 0
	}
	if len(os.Args) < 2 {
		return fail("usage: go_get URL [METHOD] [BODY] [UPGRADE] [HEADERS]")
	}
	req, err := newRequest(os.Args[1], arg(2, "GET"), arg(3, ""), arg(4, ""))
	if err != nil {
		return fail("%v", err)
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(),
		Timeout: 30 * time.Second}
	out, header, err := do(client, req)
	if err != nil {
		return fail("%v", err)
	}
	if url2 := arg(6, ""); url2 != "" {
		req2, err := http.NewRequest("GET", url2, nil)
		if err != nil {
			return fail("%v", err)
		}
		out2, _, err := do(client, req2)
		if err != nil {
			return fail("second request: %v", err)
		}
		out = append(out, out2...)
	}
	if path := arg(5, ""); path != "" {
		if err := writeFields(path, header); err != nil {
			fmt.Fprintf(os.Stderr, "go_get: %v\n", err)
		}
	}
	if _, err := os.Stdout.Write(out); err != nil {
		return 1
	}
	return 0
}

// do makes one request: the final response's body (read to its end, so that the connection
// can be reused) and fields.
func do(client *http.Client, req *http.Request) ([]byte, http.Header, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		return nil, nil, fmt.Errorf("net/http returned interim %s as the response", resp.Status)
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, bodyCap))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the body: %v", err)
	}
	return out, resp.Header, nil
}

func main() {
	os.Exit(run())
}
