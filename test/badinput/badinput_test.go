package badinput

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

// The tenants of the overlay (testdata/overlay.yaml).
const (
	repoA    = "repo-a"
	repoB    = "repo-b"
	keyA     = "badinput-key-a"
	keyB     = "badinput-key-b"
	keyMulti = "badinput-key-multi" // repo-a and repo-c
	keyAll   = "badinput-key-all"   // "*"
)

// Bounds. requestTimeout is the client timeout of every request a class
// sends: a class that gets no answer within it has hung the server.
const (
	requestTimeout = 30 * time.Second
	// rssBoundMiB bounds the process's peak resident set over the whole
	// corpus (BADINPUT_RSS_MIB overrides it). The largest bodies the
	// receivers accept are 64 MiB (mxin) and 20 MiB (otlp), read whole;
	// a few such reads plus the store's caches fit well under it, while
	// a buffer sized by a declared Content-Length (256 MiB) does not.
	rssBoundMiB = 1024
)

// endpoint names one of the collector's listeners.
type endpoint int

const (
	mxinEP endpoint = iota
	otlpEP
	queryEP
	healthEP
)

// env is the running collector and what the classes share.
type env struct {
	t       *testing.T
	c       *harness.Collector
	addr    map[endpoint]string // host:port
	grpc    string              // OTLP/gRPC host:port
	client  *http.Client
	gconn   *grpc.ClientConn
	start   time.Time
	bTraces []string // every trace repo-b legitimately holds
	// canaries are the good traces sent alongside the classes; every one
	// must be readable at the end.
	canaries []string
}

// outcome is what one bad request got.
type outcome struct {
	status int        // HTTP status; 0 when no answer is expected or came
	code   codes.Code // gRPC classes
	grpc   bool
	msg    string // gRPC status message
	header http.Header
	body   []byte
}

func (o outcome) String() string {
	if o.grpc {
		return o.code.String()
	}
	if o.status == 0 {
		return "no answer"
	}
	return strconv.Itoa(o.status)
}

// class is one entry of the corpus.
type class struct {
	name string
	// do sends the bad input. id is unique per class: ids of entities
	// a class writes start with it, so checks can find them.
	do func(e *env, id string) (outcome, error)
	// want lists the acceptable HTTP statuses, wantCode the acceptable
	// gRPC codes; a class with neither expects no answer at all (held or
	// dropped connections).
	want     []int
	wantCode []codes.Code
	// check, when set, asserts more about the outcome and the data (the
	// good lines of the same body kept, the bad data readable or absent).
	check func(e *env, id string, o outcome) error
	// leaks are trace ids (given id) that must not exist in repo-b.
	leaks func(id string) []string
	// bare: the answer is net/http's own refusal of what is not HTTP/1.x,
	// a status line without a body.
	bare bool
	// awaits names the fix a class waits for, when it is known to fail
	// until that fix lands elsewhere: the class still runs and its failure
	// is reported as known, without failing the test; once it passes, the
	// test fails until awaits is removed.
	awaits string
}

// result is one row of the report.
type result struct {
	name, got, err string
	hwmMiB, rssMiB int64
	crashed        bool
	// known: a failure of a class that awaits a fix elsewhere.
	known bool
}

func TestBadInputCorpus(t *testing.T) {
	harness.Binary(t)
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": keyAll})
	c.Overlay("testdata/overlay.yaml")
	c.Start()
	e := newEnv(t, c)
	e.seedRepoB()

	bound := int64(rssBoundMiB)
	if v, err := strconv.ParseInt(os.Getenv("BADINPUT_RSS_MIB"), 10, 64); err == nil && v > 0 {
		bound = v
	}
	names := map[string]bool{}
	var results []result
	for i, cl := range corpus() {
		if names[cl.name] {
			t.Fatalf("class %q listed twice", cl.name)
		}
		names[cl.name] = true
		id := fmt.Sprintf("c%03d", i)
		var res result
		t.Run(cl.name, func(t *testing.T) {
			res = e.run(t, cl, id, bound)
		})
		if res.name != "" { // empty: filtered out by -run
			results = append(results, res)
		}
	}
	t.Run("final", func(t *testing.T) { e.final(t) })

	// The report: every class, what it got, and the memory high-water mark
	// after it.
	var b strings.Builder
	fmt.Fprintf(&b, "| # | class | got | result | VmRSS MiB | VmHWM MiB |\n|---|---|---|---|---|---|\n")
	failed, known := 0, 0
	for i, r := range results {
		verdict := "ok"
		switch {
		case r.known:
			verdict = "KNOWN FAILURE: " + strings.ReplaceAll(r.err, "\n", " ")
			known++
		case r.err != "":
			verdict = "FAIL: " + strings.ReplaceAll(r.err, "\n", " ")
			failed++
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d | %d |\n", i+1, r.name, r.got, verdict, r.rssMiB, r.hwmMiB)
	}
	var peak int64
	for _, r := range results {
		peak = max(peak, r.hwmMiB)
	}
	rss, _ := e.memory()
	fmt.Fprintf(&b, "\n%d classes, %d failed, %d known failures (awaiting fixes elsewhere); peak VmHWM %d MiB (bound %d MiB), VmRSS at the end %d MiB\n",
		len(results), failed, known, peak, bound, rss>>20)
	t.Log("\n" + b.String())
	if p := os.Getenv("BADINPUT_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

func newEnv(t *testing.T, c *harness.Collector) *env {
	e := &env{
		t: t, c: c, start: time.Now().UTC(),
		addr: map[endpoint]string{
			mxinEP:   c.Env["GENAI_MXIN_ENDPOINT"],
			otlpEP:   c.Env["GENAI_OTLP_HTTP_ENDPOINT"],
			queryEP:  c.Env["GENAI_QUERY_ENDPOINT"],
			healthEP: c.Env["GENAI_HEALTH_ENDPOINT"],
		},
		grpc: c.Env["GENAI_OTLP_GRPC_ENDPOINT"],
		client: &http.Client{
			Timeout: requestTimeout,
			// A redirect is an answer of its own: classes see it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				// Bodies are sent as given, never re-encoded.
				DisableCompression:  true,
				MaxIdleConnsPerHost: 8,
			},
		},
	}
	conn, err := grpc.NewClient(e.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("gRPC client: %v", err)
	}
	t.Cleanup(func() { _ = e.gconn.Close() })
	e.gconn = conn
	return e
}

// restart replaces a crashed or hung collector with a new process on the
// same data and ports, and the gRPC connection with a new one (the old
// one is backing off from the refused dials).
func (e *env) restart() {
	e.t.Helper()
	if !e.c.Exited() {
		e.c.Kill()
	}
	e.c.Start()
	_ = e.gconn.Close()
	conn, err := grpc.NewClient(e.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatalf("gRPC client: %v", err)
	}
	e.gconn = conn
}

func (e *env) url(ep endpoint, path string) string { return "http://" + e.addr[ep] + path }

// seedRepoB writes repo-b's own data, which no class may change or add to:
// a trace whose id repo-a reuses (classes write "shared-trace" into
// repo-a), and waits until search lists it.
func (e *env) seedRepoB() {
	e.t.Helper()
	body := sdkLines(
		`trace{id=shared-trace,action=create,data={"name":"b-original","startTimestamp":"`+e.ts(0)+`","sessionId":"b-session"}}`,
		`trace{id=shared-trace,action=end,data={"endTimestamp":"`+e.ts(time.Second)+`"}}`,
		`trace{id=b-only,action=create,data={"name":"b-only","startTimestamp":"`+e.ts(0)+`"}}`,
	)
	if err := e.pushOK(keyB, repoB, body, 3); err != nil {
		e.t.Fatalf("seeding repo-b: %v", err)
	}
	e.bTraces = []string{"shared-trace", "b-only"}
	if err := harness.Eventually(context.Background(), 30*time.Second, e.checkRepoB); err != nil {
		e.t.Fatalf("repo-b's seed never became searchable: %v", err)
	}
}

// ts is a timestamp of the run, offset by d.
func (e *env) ts(d time.Duration) string { return e.start.Add(d).Format(time.RFC3339Nano) }

// run sends one class and checks everything the corpus promises.
func (e *env) run(t *testing.T, cl class, id string, bound int64) (res result) {
	res = result{name: cl.name}
	fail := func(format string, args ...any) {
		if res.err != "" {
			res.err += "; "
		}
		res.err += fmt.Sprintf(format, args...)
	}
	defer e.verdict(t, cl, &res)

	// The bad input and a good canary trace, concurrently: good data
	// sent alongside must not suffer from it.
	type done struct {
		o   outcome
		err error
	}
	bad := make(chan done, 1)
	go func() {
		o, err := cl.do(e, id)
		bad <- done{o, err}
	}()
	canary := id + "-canary"
	canaryErr := e.pushOK(keyA, repoA, sdkLines(
		`trace{id=`+canary+`,action=create,data={"name":"`+canary+`","startTimestamp":"`+e.ts(0)+`"}}`,
		`trace{id=`+canary+`,action=end,data={"endTimestamp":"`+e.ts(time.Second)+`"}}`,
	), 2)
	d := <-bad
	res.got = d.o.String()

	// The process first: a dead collector explains everything else.
	if health := e.healthy(); health != nil {
		// A crash can take a moment to end the process: wait for the
		// exit (a condition) before calling it a hang.
		exited := harness.Eventually(context.Background(), 10*time.Second, func() error {
			if !e.c.Exited() {
				return errors.New("still running")
			}
			return nil
		}) == nil
		if exited {
			res.crashed = true
			fail("the collector exited: %s", tailLines(e.c.Logs(), 15))
		} else {
			fail("the collector is running but not healthy: %v", health)
		}
		e.restart() // the rest of the corpus runs on a fresh process (same data)
		return res
	}
	if d.err != nil {
		fail("%v", d.err)
	} else {
		e.checkOutcome(cl, d.o, fail)
		if cl.check != nil {
			if err := cl.check(e, id, d.o); err != nil {
				fail("%v", err)
			}
		}
	}
	if canaryErr != nil {
		fail("good data sent alongside was refused: %v", canaryErr)
	} else {
		e.canaries = append(e.canaries, canary)
		if err := e.traceName(keyA, repoA, canary, canary); err != nil {
			fail("good data sent alongside is not readable: %v", err)
		}
	}
	if err := e.checkRepoB(); err != nil {
		fail("repo-b changed: %v", err)
	}
	if cl.leaks != nil {
		for _, tid := range cl.leaks(id) {
			if err := e.absentInB(tid); err != nil {
				fail("%v", err)
			}
		}
	}
	rss, hwm := e.memory()
	res.hwmMiB, res.rssMiB = hwm>>20, rss>>20
	if res.hwmMiB > bound {
		fail("peak resident memory %d MiB over the %d MiB bound", res.hwmMiB, bound)
	}
	return res
}

// verdict fails the class with what went wrong. A class that awaits a
// fix elsewhere is a known failure: reported, not failed; and once it
// passes, its awaits must go (the known failure would hide a regression).
func (e *env) verdict(t *testing.T, cl class, res *result) {
	switch {
	case cl.awaits == "" && res.err != "":
		t.Error(res.err)
	case cl.awaits != "" && res.err != "":
		res.known = true
		t.Logf("known failure, awaits %s: %s", cl.awaits, res.err)
	case cl.awaits != "":
		res.err = "passes: remove its awaits (" + cl.awaits + ") from the corpus"
		t.Error(res.err)
	}
}

// checkOutcome asserts the status (or gRPC code) and that a refusal says
// why.
func (e *env) checkOutcome(cl class, o outcome, fail func(string, ...any)) {
	switch {
	case len(cl.wantCode) > 0:
		if !o.grpc {
			fail("want a gRPC status %v, got %s", cl.wantCode, o)
			return
		}
		if !slices.Contains(cl.wantCode, o.code) {
			fail("gRPC code %s (%q), want one of %v", o.code, o.msg, cl.wantCode)
		}
		if o.code != codes.OK && strings.TrimSpace(o.msg) == "" {
			fail("gRPC refusal %s without a message", o.code)
		}
	case len(cl.want) > 0:
		if o.status >= 500 {
			fail("status %d for the client's own input (a 5xx makes clients resend it): %.300s", o.status, o.body)
			return
		}
		if !slices.Contains(cl.want, o.status) {
			fail("status %d, want one of %v: %.300s", o.status, cl.want, o.body)
			return
		}
		if o.status >= 400 && !cl.bare {
			if err := clearError(o); err != nil {
				fail("%d without a clear error: %v", o.status, err)
			}
		}
	default:
		if o.status != 0 {
			fail("want no answer (the connection is the client's), got %s: %.300s", o, o.body)
		}
	}
}

// clearError checks that a refusal carries a message: a JSON body with a
// non-empty message or error, or (for the HTTP server's own refusals of
// malformed requests) a non-empty text.
func clearError(o outcome) error {
	b := bytes.TrimSpace(o.body)
	if len(b) == 0 {
		return errors.New("empty body")
	}
	if o.status == http.StatusForbidden {
		// Maxim's refusal everywhere; the query API may name the
		// repository in the message (its README).
		var r struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &r) != nil || r.Code != http.StatusForbidden || r.Message == "" {
			return fmt.Errorf(`a 403 is {"code":403,"message":…} everywhere, got %.200s`, b)
		}
		return nil
	}
	if b[0] != '{' {
		return nil // net/http's own text answers ("431 Request Header Fields Too Large")
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("body is not JSON: %.200s", b)
	}
	for _, k := range []string{"message", "error"} {
		switch x := v[k].(type) {
		case string:
			if x != "" {
				return nil
			}
		case map[string]any:
			if m, _ := x["message"].(string); m != "" {
				return nil
			}
		}
	}
	return fmt.Errorf("no message in %.200s", b)
}

// healthy checks the health endpoint and that the query API answers.
func (e *env) healthy() error {
	if st, err := e.get(healthEP, "/", ""); err != nil || st.status != http.StatusOK {
		return fmt.Errorf("health check: %v %s", err, st)
	}
	st, err := e.get(queryEP, "/api/v1/traces?limit=1&repo="+repoA, keyA)
	if err != nil || st.status != http.StatusOK {
		return fmt.Errorf("query API: %v %s %.200s", err, st, st.body)
	}
	return nil
}

// checkRepoB checks that repo-b's trace search lists exactly its own
// traces, read with repo-b's key.
func (e *env) checkRepoB() error {
	var page struct {
		Traces []struct {
			ID   string `json:"id"`
			Repo string `json:"repo"`
		} `json:"traces"`
	}
	if _, err := harness.GetJSON(context.Background(), e.url(queryEP, "/api/v1/traces?limit=500&repo="+repoB), keyB, &page); err != nil {
		return err
	}
	var got []string
	for _, tr := range page.Traces {
		got = append(got, tr.ID)
	}
	want := slices.Clone(e.bTraces)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("repo-b search lists %v, want exactly %v", got, want)
	}
	return nil
}

// absentInB checks that trace id does not exist in repo-b (read through
// the tree, which is assembled from the stored commits on every request).
func (e *env) absentInB(id string) error {
	o, err := e.get(queryEP, "/api/v1/traces/"+url.PathEscape(id)+"?repo="+repoB, keyB)
	if err != nil {
		return err
	}
	if o.status != http.StatusNotFound {
		return fmt.Errorf("trace %q is visible in repo-b (%d): %.300s", id, o.status, o.body)
	}
	return nil
}

// traceName reads trace id in repo and checks its name.
func (e *env) traceName(key, repo, id, want string) error {
	var tr struct {
		Trace *harness.Node `json:"trace"`
	}
	if _, err := harness.GetJSON(context.Background(), e.url(queryEP, "/api/v1/traces/"+url.PathEscape(id)+"?repo="+repo), key, &tr); err != nil {
		return err
	}
	if tr.Trace == nil || tr.Trace.Name != want {
		return fmt.Errorf("trace %s in %s: got %+v, want name %q", id, repo, tr.Trace, want)
	}
	return nil
}

// readTrace reads trace id of repo-a and returns the root.
func (e *env) readTrace(id string) (*harness.Node, error) {
	var tr struct {
		Trace *harness.Node `json:"trace"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := harness.GetJSON(ctx, e.url(queryEP, "/api/v1/traces/"+url.PathEscape(id)+"?repo="+repoA), keyA, &tr); err != nil {
		return nil, err
	}
	if tr.Trace == nil {
		return nil, fmt.Errorf("trace %s: empty answer", id)
	}
	return tr.Trace, nil
}

// final checks what only the end can: every canary is still readable and
// searchable (nothing acknowledged was lost, and the summary index caught
// up after the pathological classes), and repo-b, after a last write of
// its own is searchable, still holds only its own traces.
func (e *env) final(t *testing.T) {
	for _, id := range e.canaries {
		if err := e.traceName(keyA, repoA, id, id); err != nil {
			t.Errorf("canary lost: %v", err)
		}
	}
	pending := slices.Clone(e.canaries)
	err := harness.Eventually(context.Background(), 60*time.Second, func() error {
		for len(pending) > 0 {
			var page struct {
				Traces []struct {
					ID string `json:"id"`
				} `json:"traces"`
			}
			u := "/api/v1/traces?repo=" + repoA + "&name=" + url.QueryEscape(pending[0])
			if _, err := harness.GetJSON(context.Background(), e.url(queryEP, u), keyA, &page); err != nil {
				return err
			}
			if len(page.Traces) != 1 || page.Traces[0].ID != pending[0] {
				return fmt.Errorf("canary %s not searchable by name: %+v", pending[0], page.Traces)
			}
			pending = pending[1:]
		}
		return nil
	})
	if err != nil {
		t.Errorf("search: %v", err)
	}
	last := "b-last"
	if err := e.pushOK(keyB, repoB, sdkLines(`trace{id=`+last+`,action=create,data={"name":"b-last","startTimestamp":"`+e.ts(0)+`"}}`), 1); err != nil {
		t.Fatalf("repo-b's last write: %v", err)
	}
	e.bTraces = append(e.bTraces, last)
	if err := harness.Eventually(context.Background(), 60*time.Second, e.checkRepoB); err != nil {
		t.Errorf("repo-b at the end: %v", err)
	}
	if err := e.traceName(keyB, repoB, "shared-trace", "b-original"); err != nil {
		t.Errorf("repo-b's shared-trace changed: %v", err)
	}
}

// memory reads VmRSS and VmHWM (the peak) of the process, in bytes.
func (e *env) memory() (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.c.PID()))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n << 10
		case "VmHWM:":
			hwm = n << 10
		}
	}
	return rss, hwm
}

// ---- requests ----

// hreq is one HTTP request of a class, built by chaining.
type hreq struct {
	ep     endpoint
	method string
	path   func(id string) string
	hdr    [][2]string
	body   func(id string) []byte
}

func newReq(ep endpoint, method, path string) hreq {
	return hreq{ep: ep, method: method, path: func(string) string { return path }}
}

func post(ep endpoint, path string) hreq { return newReq(ep, http.MethodPost, path) }
func get(ep endpoint, path string) hreq  { return newReq(ep, http.MethodGet, path) }
func put(ep endpoint, path string) hreq  { return newReq(ep, http.MethodPut, path) }

func (h hreq) header(k, v string) hreq {
	h.hdr = append(slices.Clone(h.hdr), [2]string{k, v})
	return h
}
func (h hreq) key(k string) hreq { return h.header("x-maxim-api-key", k) }
func (h hreq) repo(r string) hreq {
	return h.header("x-maxim-repo-id", r)
}
func (h hreq) ctype(ct string) hreq { return h.header("Content-Type", ct) }
func (h hreq) encoding(enc string) hreq {
	return h.header("Content-Encoding", enc)
}
func (h hreq) pathf(f func(id string) string) hreq { h.path = f; return h }
func (h hreq) bytes(b []byte) hreq {
	h.body = func(string) []byte { return b }
	return h
}
func (h hreq) text(s string) hreq                     { return h.bytes([]byte(s)) }
func (h hreq) bodyf(f func(id string) []byte) hreq    { h.body = f; return h }
func (h hreq) lazy(f func() []byte) hreq              { h.body = func(string) []byte { return f() }; return h }
func (h hreq) run(e *env, id string) (outcome, error) { return e.send(h, id) }

func (e *env) send(h hreq, id string) (outcome, error) {
	var body io.Reader
	if h.body != nil {
		body = bytes.NewReader(h.body(id))
	}
	req, err := http.NewRequest(h.method, e.url(h.ep, h.path(id)), body)
	if err != nil {
		return outcome{}, err
	}
	for _, kv := range h.hdr {
		req.Header.Add(kv[0], kv[1])
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (outcome, error) {
	resp, err := e.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return outcome{}, fmt.Errorf("no answer within %s (hang): %w", requestTimeout, err)
		}
		return outcome{}, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return outcome{}, fmt.Errorf("reading the answer: %w", err)
	}
	return outcome{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (e *env) get(ep endpoint, path, key string) (outcome, error) {
	h := get(ep, path)
	if key != "" {
		h = h.key(key)
	}
	return e.send(h, "")
}

// pushOK pushes SDK lines and checks the push was accepted whole.
func (e *env) pushOK(key, repo string, body []byte, accepted int) error {
	o, err := e.send(post(mxinEP, "/api/sdk/v3/log?id="+url.QueryEscape(repo)).key(key).ctype("text/plain").bytes(body), "")
	if err != nil {
		return err
	}
	if o.status != http.StatusOK {
		return fmt.Errorf("push: %d %.300s", o.status, o.body)
	}
	var r pushReport
	if err := json.Unmarshal(o.body, &r); err != nil || r.Data.Accepted != accepted || r.Data.RejectedCount != 0 {
		return fmt.Errorf("push: want %d accepted, got %.300s", accepted, o.body)
	}
	return nil
}

// pushReport is the mxin receiver's answer to a push.
type pushReport struct {
	Data struct {
		Success       bool `json:"success"`
		Accepted      int  `json:"accepted"`
		RejectedCount int  `json:"rejectedCount"`
		PendingCount  int  `json:"pendingCount"`
		Rejected      []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"rejected"`
	} `json:"data"`
}

func sdkLines(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// ---- raw connections ----

// rawExchange writes b on a new connection to ep and reads the status line
// of the answer. With halfClose the write side is closed after b (the
// client says it has nothing more to send).
func (e *env) rawExchange(ep endpoint, b []byte, halfClose bool) (outcome, error) {
	conn, err := net.DialTimeout("tcp", e.addr[ep], 5*time.Second)
	if err != nil {
		return outcome{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(requestTimeout))
	if _, err := conn.Write(b); err != nil && !isReset(err) {
		return outcome{}, fmt.Errorf("write: %w", err)
	}
	if halfClose {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	return readAnswer(conn)
}

// readAnswer reads one HTTP answer from conn (status, headers, body up to
// a bound).
func readAnswer(conn net.Conn) (outcome, error) {
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return outcome{}, nil // closed without an answer
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return outcome{}, fmt.Errorf("no answer within %s (hang)", requestTimeout)
		}
		return outcome{}, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return outcome{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
