package badinput

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the gzip compressor, for grpc/gzip-bomb
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

// Checks and request flows of more than one plain request.

// ---- checks ----

type checkFunc = func(e *env, id string, o outcome) error

func all(cs ...checkFunc) checkFunc {
	return func(e *env, id string, o outcome) error {
		for _, c := range cs {
			if err := c(e, id, o); err != nil {
				return err
			}
		}
		return nil
	}
}

func parseReport(o outcome) (pushReport, error) {
	var r pushReport
	if err := json.Unmarshal(o.body, &r); err != nil || !r.Data.Success {
		return r, fmt.Errorf("not an accepted push: %.300s", o.body)
	}
	return r, nil
}

// reportOnly checks a push's counts of accepted and rejected lines.
func reportOnly(accepted, rejected int) checkFunc {
	return func(_ *env, _ string, o outcome) error {
		r, err := parseReport(o)
		if err != nil {
			return err
		}
		if r.Data.Accepted != accepted || r.Data.RejectedCount != rejected {
			return fmt.Errorf("push accepted %d and rejected %d lines, want %d and %d: %.300s",
				r.Data.Accepted, r.Data.RejectedCount, accepted, rejected, o.body)
		}
		if rejected > 0 && (len(r.Data.Rejected) == 0 || r.Data.Rejected[0].Reason == "") {
			return fmt.Errorf("rejected lines without a reason: %.300s", o.body)
		}
		return nil
	}
}

// report checks the counts and that the body's good line (mixed) is kept
// and readable.
func report(accepted, rejected int) checkFunc { return all(reportOnly(accepted, rejected), keepsGood) }

// keepsGood checks that a push was accepted and its good line (goodLine)
// is readable, whatever else the body held.
func keepsGood(e *env, id string, o outcome) error {
	if _, err := parseReport(o); err != nil {
		return err
	}
	return e.traceName(keyA, repoA, id+"-good", id+"-good")
}

// readable checks that trace <id><suffix> of repo-a can be read (the tree
// assembles within the client timeout).
func readable(suffix string) checkFunc {
	return func(e *env, id string, _ outcome) error {
		_, err := e.readTrace(id + suffix)
		return err
	}
}

// readableOTLP checks that the class's OTLP trace can be read.
func readableOTLP() checkFunc {
	return func(e *env, id string, _ outcome) error {
		_, err := e.readTrace(traceHex(id, "t"))
		return err
	}
}

// smallAnswer bounds the answer's size: a body of a million bad lines must
// not produce an answer of the same size.
func smallAnswer(max int) checkFunc {
	return func(_ *env, _ string, o outcome) error {
		if len(o.body) > max {
			return fmt.Errorf("answer of %d bytes", len(o.body))
		}
		return nil
	}
}

// suffixes lists trace ids <id><suffix> for leaks.
func suffixes(ss ...string) func(id string) []string {
	return func(id string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = id + s
		}
		return out
	}
}

// ---- raw HTTP ----

// rawHTTP is an HTTP/1.1 request as bytes. A Content-Length matching the
// body is added unless the headers set Content-Length or
// Transfer-Encoding themselves.
func rawHTTP(method, path string, headers []string, body string) []byte {
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: badinput\r\n")
	framed := false
	for _, h := range headers {
		l := strings.ToLower(h)
		framed = framed || strings.HasPrefix(l, "content-length:") || strings.HasPrefix(l, "transfer-encoding:")
		b.WriteString(h + "\r\n")
	}
	if !framed && body != "" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

func rawDo(ep endpoint, req func(id string) []byte, halfClose bool) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) { return e.rawExchange(ep, req(id), halfClose) }
}

// overLimit streams a chunked body of size bytes after the request head
// and reads the answer concurrently: the server answers 413 while the
// client is still sending, which a client must be able to read.
func overLimit(ep endpoint, method string, path func(e *env, id string) (string, error), headers []string, size int) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		p, err := path(e, id)
		if err != nil {
			return outcome{}, err
		}
		conn, err := net.DialTimeout("tcp", e.addr[ep], 5*time.Second)
		if err != nil {
			return outcome{}, err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(requestTimeout))
		go func() {
			head := rawHTTP(method, p, append(headers, "Transfer-Encoding: chunked"), "")
			if _, err := conn.Write(head); err != nil {
				return
			}
			chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 64<<10, make([]byte, 64<<10)))
			for sent := 0; sent < size; sent += 64 << 10 {
				if _, err := conn.Write(chunk); err != nil {
					return // the server stopped reading: expected
				}
			}
			_, _ = conn.Write([]byte("0\r\n\r\n"))
		}()
		return readAnswer(conn)
	}
}

func fixedPath(p string) func(*env, string) (string, error) {
	return func(*env, string) (string, error) { return p, nil }
}

// ---- gRPC ----

// rawCodec sends and receives message bytes as they are, so classes can
// send what no generated client would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// grpcDo calls method with the class's message bytes and the key and
// repository as metadata (empty: not sent), compressed with compressor
// when one is named.
func grpcDo(method, key, repo string, msg func(id string) []byte, compressor ...string) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		var md []string
		if key != "" {
			md = append(md, "x-maxim-api-key", key)
		}
		if repo != "" {
			md = append(md, "x-maxim-repo-id", repo)
		}
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
		in, out := msg(id), []byte(nil)
		opts := []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}
		if len(compressor) > 0 {
			opts = append(opts, grpc.UseCompressor(compressor[0]))
		}
		err := e.gconn.Invoke(ctx, method, &in, &out, opts...)
		st, _ := status.FromError(err)
		if st.Code() == codes.DeadlineExceeded {
			return outcome{}, fmt.Errorf("no answer within %s (hang)", requestTimeout)
		}
		return outcome{grpc: true, code: st.Code(), msg: st.Message()}, nil
	}
}

// ---- uploads ----

// mint asks for an upload URL for key with repo-a's key and returns its
// path and query.
func (e *env) mint(apiKey, key string) (string, error) {
	o, err := e.get(mxinEP, uploadURL+"?key="+key+"&mimeType=text/plain&size=10", apiKey)
	if err != nil {
		return "", err
	}
	var r struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	if o.status != http.StatusOK || json.Unmarshal(o.body, &r) != nil || r.Data.URL == "" {
		return "", fmt.Errorf("upload-url: %d %.200s", o.status, o.body)
	}
	u, err := url.Parse(r.Data.URL)
	if err != nil {
		return "", err
	}
	return u.RequestURI(), nil
}

// signedPut mints an upload URL for repo-a/large-logs/<id>-blob, changes
// its query with edit (nil: none) and PUTs to it, the request shaped by
// shape (nil: the body "data").
func signedPut(edit func(q map[string]string), shape func(hreq) hreq) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		p, err := e.signedPath(id, edit)
		if err != nil {
			return outcome{}, err
		}
		h := put(mxinEP, p).text("data")
		if shape != nil {
			h = shape(h)
		}
		return e.send(h, id)
	}
}

func (e *env) signedPath(id string, edit func(q map[string]string)) (string, error) {
	p, err := e.mint(keyA, repoA+"/large-logs/"+id+"-blob")
	if err != nil {
		return "", err
	}
	path, rawQuery, _ := strings.Cut(p, "?")
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", err
	}
	q := map[string]string{}
	for k := range vals {
		q[k] = vals.Get(k)
	}
	if edit != nil {
		edit(q)
	}
	out := url.Values{}
	for k, v := range q {
		out.Set(k, v)
	}
	return path + "?" + out.Encode(), nil
}

// signedRaw sends req, given a validly signed upload path, on a raw
// connection (to declare what the body does not hold).
func signedRaw(req func(path string) []byte) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		p, err := e.signedPath(id, nil)
		if err != nil {
			return outcome{}, err
		}
		return e.rawExchange(mxinEP, req(p), false)
	}
}

// largeLog uploads line as the large log repo-a/large-logs/<id> the way
// the SDKs do, then pushes the pointer to it followed by a good line.
func largeLog(line func(id string) string) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		key := repoA + "/large-logs/" + id
		p, err := e.mint(keyA, key)
		if err != nil {
			return outcome{}, err
		}
		o, err := e.send(put(mxinEP, p).text(line(id)), id)
		if err != nil {
			return outcome{}, err
		}
		if o.status != http.StatusOK {
			return outcome{}, fmt.Errorf("uploading the large log: %d %.200s", o.status, o.body)
		}
		return e.send(push(lines(`storage{id=@@-ptr,action=process-large-log,data={"key":"`+key+`"}}`, goodLine("@@"))), id)
	}
}

// attachmentOfB uploads an attachment into repo-b with repo-b's key, then
// reads it through the query API with repo-a's key. The same read with
// repo-b's key must work, or the refusal would prove nothing.
func attachmentOfB() func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		key := repoB + "/trace/b-only/files/original/" + id
		p, err := e.mint(keyB, key)
		if err != nil {
			return outcome{}, err
		}
		if o, err := e.send(put(mxinEP, p).text("b's secret"), id); err != nil || o.status != http.StatusOK {
			return outcome{}, fmt.Errorf("uploading repo-b's attachment: %v %s", err, o)
		}
		path := "/api/v1/attachments/" + key
		if o, err := e.get(queryEP, path, keyB); err != nil || o.status != http.StatusOK || string(o.body) != "b's secret" {
			return outcome{}, fmt.Errorf("repo-b cannot read its own attachment: %v %s %.100s", err, o, o.body)
		}
		for _, q := range []string{"?repo=" + repoB, "?repo=" + repoA} {
			o, err := e.get(queryEP, path+q, keyA)
			if err != nil {
				return outcome{}, err
			}
			if o.status == http.StatusOK {
				return o, fmt.Errorf("repo-a's key read repo-b's attachment (%s): %.100s", q, o.body)
			}
		}
		return e.get(queryEP, path, keyA)
	}
}

// ---- live feed ----

// openLive opens a live stream on a raw connection and waits for the
// server's ": connected".
func (e *env) openLive(key, repo string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.DialTimeout("tcp", e.addr[queryEP], 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(requestTimeout))
	if _, err := conn.Write(rawHTTP("GET", "/api/v1/live?repo="+repo, []string{"x-maxim-api-key: " + key}, "")); err != nil {
		conn.Close()
		return nil, nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, nil, fmt.Errorf("live: %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		if strings.HasPrefix(l, ": connected") {
			return conn, br, nil
		}
	}
}

// liveFlood holds n live streams open while good data goes in.
func liveFlood(n int) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < n; i++ {
			c, _, err := e.openLive(keyA, repoA)
			if err != nil {
				return outcome{}, fmt.Errorf("stream %d: %w", i, err)
			}
			conns = append(conns, c)
		}
		if err := e.goodWhileHeld(id); err != nil {
			return outcome{}, err
		}
		return outcome{status: http.StatusOK}, nil
	}
}

// liveIsolation subscribes to repo-a's feed, writes to repo-b, then to
// repo-a, and reads the feed until repo-a's write shows: repo-b's must
// never have appeared on it.
func liveIsolation() func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		conn, br, err := e.openLive(keyA, repoA)
		if err != nil {
			return outcome{}, err
		}
		defer conn.Close()
		bTrace, sentinel := id+"-blive", id+"-sentinel"
		if err := e.pushOK(keyB, repoB, sdkLines(`trace{id=`+bTrace+`,action=create,data={"name":"`+bTrace+`","startTimestamp":"`+stamp(0)+`"}}`), 1); err != nil {
			return outcome{}, err
		}
		e.bTraces = append(e.bTraces, bTrace)
		// The runner then checks repo-b's search lists exactly its traces:
		// wait for the index to list this one.
		if err := harness.Eventually(context.Background(), 30*time.Second, e.checkRepoB); err != nil {
			return outcome{}, err
		}
		if err := e.pushOK(keyA, repoA, sdkLines(`trace{id=`+sentinel+`,action=create,data={"name":"`+sentinel+`"}}`), 1); err != nil {
			return outcome{}, err
		}
		event := ""
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return outcome{}, fmt.Errorf("live feed ended before repo-a's write showed: %w", err)
			}
			if ev, ok := strings.CutPrefix(l, "event: "); ok {
				event = strings.TrimSpace(ev)
				continue
			}
			data, ok := strings.CutPrefix(l, "data: ")
			if !ok || event != "change" {
				continue // heartbeats, resync (data {})
			}
			var ev struct {
				Repo   string   `json:"repo"`
				Traces []string `json:"traces"`
			}
			if json.Unmarshal([]byte(data), &ev) != nil {
				continue
			}
			if ev.Repo != repoA || strings.Contains(data, bTrace) {
				return outcome{}, fmt.Errorf("repo-a's live feed showed %s", strings.TrimSpace(data))
			}
			for _, t := range ev.Traces {
				if t == sentinel {
					return outcome{status: http.StatusOK}, nil
				}
			}
		}
	}
}

// ---- connections ----

// goodWhileHeld pushes and reads back a trace while a class holds
// connections open: held connections must not stall anyone else.
func (e *env) goodWhileHeld(id string) error {
	tid := id + "-held"
	if err := e.pushOK(keyA, repoA, sdkLines(`trace{id=`+tid+`,action=create,data={"name":"`+tid+`"}}`), 1); err != nil {
		return fmt.Errorf("while connections are held: %w", err)
	}
	if err := e.traceName(keyA, repoA, tid, tid); err != nil {
		return fmt.Errorf("while connections are held: %w", err)
	}
	if o, err := e.get(healthEP, "/", ""); err != nil || o.status != http.StatusOK {
		return fmt.Errorf("health while connections are held: %v %s", err, o)
	}
	return nil
}

// hold opens n connections to ep, writes head(i) on each and keeps them
// open while good data goes in, then closes them. It expects no answer.
func hold(ep endpoint, n int, head func(i int) []byte) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < n; i++ {
			c, err := net.DialTimeout("tcp", e.addr[ep], 5*time.Second)
			if err != nil {
				return outcome{}, fmt.Errorf("connection %d: %w", i, err)
			}
			conns = append(conns, c)
			if _, err := c.Write(head(i)); err != nil {
				return outcome{}, fmt.Errorf("connection %d: %w", i, err)
			}
		}
		if err := e.goodWhileHeld(id); err != nil {
			return outcome{}, err
		}
		return outcome{}, nil
	}
}

// slowloris holds n requests whose headers never end.
func slowloris(ep endpoint, n int) func(e *env, id string) (outcome, error) {
	return hold(ep, n, func(i int) []byte {
		return []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: badinput\r\nX-Slow-%d: ", pushA, i))
	})
}

// slowBodies holds n requests that declare a body of declared bytes and
// send 10.
func slowBodies(ep endpoint, path string, n, declared int) func(e *env, id string) (outcome, error) {
	return hold(ep, n, func(i int) []byte {
		return rawHTTP("POST", path, []string{"x-maxim-api-key: " + keyA, "x-maxim-repo-id: " + repoA,
			"Content-Type: application/x-protobuf", "Content-Length: " + strconv.Itoa(declared)}, "0123456789")
	})
}

// idleConns holds n connections that send nothing.
func idleConns(n int) func(e *env, id string) (outcome, error) {
	return hold(mxinEP, n, func(int) []byte { return nil })
}

// pipelined writes n requests at once on one connection and reads n
// answers.
func pipelined(n int) func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		conn, err := net.DialTimeout("tcp", e.addr[queryEP], 5*time.Second)
		if err != nil {
			return outcome{}, err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(requestTimeout))
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, rawHTTP("GET", "/api/v1/traces?limit=1&repo="+repoA, []string{"x-maxim-api-key: " + keyA}, "")...)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = conn.Write(b) }()
		defer wg.Wait()
		r := bufio.NewReader(conn)
		for i := 0; i < n; i++ {
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				return outcome{}, fmt.Errorf("answer %d of %d: %w", i+1, n, err)
			}
			_, _ = bufio.NewReader(resp.Body).WriteTo(discard{})
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return outcome{status: resp.StatusCode}, nil
			}
		}
		return outcome{status: http.StatusOK}, nil
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// resetMidBody sends half a push and resets the connection.
func resetMidBody() func(e *env, id string) (outcome, error) {
	return func(e *env, id string) (outcome, error) {
		for i := 0; i < 20; i++ {
			conn, err := net.DialTimeout("tcp", e.addr[mxinEP], 5*time.Second)
			if err != nil {
				return outcome{}, err
			}
			_, err = conn.Write(rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: 1048576"}, strings.Repeat(goodLine(id)+"\n", 20)))
			tc := conn.(*net.TCPConn)
			_ = tc.SetLinger(0) // close sends RST
			_ = tc.Close()
			if err != nil && !errors.Is(err, net.ErrClosed) {
				return outcome{}, err
			}
		}
		return outcome{}, nil
	}
}
