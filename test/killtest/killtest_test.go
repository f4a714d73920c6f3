package killtest

import (
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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver"
)

// childEnv carries the config path to the re-executed test binary.
const childEnv = "KILLTEST_COLLECTOR_CONFIG"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		if err := runCollector(path); err != nil {
			fmt.Fprintln(os.Stderr, "collector:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCollector runs a collector built in-process from factories, the way
// an ocb-generated main does, until it is killed.
func runCollector(configPath string) error {
	factories := func() (otelcol.Factories, error) {
		var err error
		f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
		if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory(), mxinreceiver.NewFactory()); err != nil {
			return f, err
		}
		if f.Exporters, err = otelcol.MakeFactoryMap(tracetreeexporter.NewFactory()); err != nil {
			return f, err
		}
		f.Extensions, err = otelcol.MakeFactoryMap(tracetreestore.NewFactory(), tracetreequery.NewFactory())
		return f, err
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "killtest", Version: "test"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"file:" + configPath},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		return err
	}
	return col.Run(context.Background())
}

// The pipeline has no batch processor on purpose: it acknowledges before
// the export, so a 200 would not mean "stored". %[4]s is the receiver.
const configTemplate = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%[1]d
  mxin:
    endpoint: 127.0.0.1:%[5]d
    insecure_no_auth: true
exporters:
  tracetree:
    store: tracetree_store
extensions:
  tracetree_store:
    default_backend: main
    backends:
      main:
        pebble:
          directory: %[3]s
          sync: true
  tracetree_query:
    endpoint: 127.0.0.1:%[2]d
service:
  extensions: [tracetree_store, tracetree_query]
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%[4]s]
      exporters: [tracetree]
`

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type child struct {
	cmd *exec.Cmd
	// done is closed when the process has exited; err is its Wait result.
	done chan struct{}
	err  error
}

func startChild(t *testing.T, configPath, logPath string) *child {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+configPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// transport is how the test pushes commits: as OTLP logs carrying commit
// records (the codec), or as SDK bodies to the mxin receiver (what the
// Maxim SDKs do).
type transport struct {
	receiver string
	// url returns the push URL for the receiver's port.
	url func(port int) string
	// request encodes one batch; lines is the SDK body, cs its commits.
	request func(lines string, cs []commit.Commit) (contentType string, body []byte, err error)
}

var transports = []transport{
	{
		receiver: "otlp",
		url:      func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/v1/logs", port) },
		request: func(_ string, cs []commit.Commit) (string, []byte, error) {
			b, err := plogotlp.NewExportRequestFromLogs(commit.LogsFromCommits(cs)).MarshalProto()
			return "application/x-protobuf", b, err
		},
	},
	{
		receiver: "mxin",
		url:      func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/api/sdk/v3/log?id=%s", port, repo) },
		request: func(lines string, _ []commit.Commit) (string, []byte, error) {
			return "text/plain", []byte(lines), nil
		},
	},
}

// waitReady waits until the collector accepts pushes (receivers start
// last, after the store and the query API).
func waitReady(t *testing.T, c *child, tr transport, pushURL, logPath string) {
	t.Helper()
	ct, empty, err := tr.request("", nil)
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("collector exited during start: %v\n%s", c.err, b)
		default:
		}
		resp, err := http.Post(pushURL, ct, bytes.NewReader(empty))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("collector not ready in 30s\n%s", b)
}

// agentTurn is one trace of SDK commits: 10 commits on 4 nodes.
func agentTurn(sb *strings.Builder, tid string) {
	fmt.Fprintf(sb, `trace{id=%[1]s,action=create,data={"name":"turn","tags":{"env":"kill"},"startTimestamp":"2026-11-22T08:33:49.664Z","sessionId":"s-%[1]s"}}`+"\n", tid)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=update,data={"input":"where is my order %[1]s?"}}`+"\n", tid)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=add-span,data={"id":"%[1]s-sp","name":"answer","tags":{},"startTimestamp":"2026-11-22T08:33:49.700Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `span{id=%[1]s-sp,action=add-generation,data={"id":"%[1]s-g","messages":[{"role":"user","content":"where is my order?"}],"provider":"openai","model":"gpt-4o-mini","modelParameters":{},"tags":{},"startTimestamp":"2026-11-22T08:33:49.710Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `generation{id=%[1]s-g,action=result,data={"result":{"id":"c-%[1]s","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Thursday."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}}}`+"\n", tid)
	fmt.Fprintf(sb, `generation{id=%[1]s-g,action=end,data={"endTimestamp":"2026-11-22T08:33:50.910Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `span{id=%[1]s-sp,action=add-tool-call,data={"id":"%[1]s-tc","name":"lookup","description":"","args":"{}","startTimestamp":"2026-11-22T08:33:50.920Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `tool_call{id=%[1]s-tc,action=result,data={"result":"{\"eta\":\"Thursday\"}"}}`+"\n", tid)
	fmt.Fprintf(sb, `span{id=%[1]s-sp,action=end,data={"endTimestamp":"2026-11-22T08:33:50.950Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=end,data={"endTimestamp":"2026-11-22T08:33:51.000Z"}}`+"\n", tid)
}

// ledger records what the collector acknowledged.
type ledger struct {
	mu      sync.Mutex
	commits map[commit.NodeRef]map[string]bool // node → acknowledged commit ids
	traces  []string
	batches int
}

func (l *ledger) ack(cs []commit.Commit, traces []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range cs {
		n := c.Node()
		if l.commits[n] == nil {
			l.commits[n] = map[string]bool{}
		}
		l.commits[n][c.ID.String()] = true
	}
	l.traces = append(l.traces, traces...)
	l.batches++
}

func (l *ledger) count() (batches, commits int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ids := range l.commits {
		commits += len(ids)
	}
	return l.batches, commits
}

const repo = "kill-repo"

func TestKill9KeepsAcknowledgedCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 durability proof runs a collector in a child process; skipped with -short")
	}
	for _, tr := range transports {
		t.Run(tr.receiver, func(t *testing.T) { testKill9(t, tr) })
	}
}

func testKill9(t *testing.T, tr transport) {
	dir := t.TempDir()
	otlpPort, mxinPort, queryPort := freePort(t), freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	logPath := filepath.Join(dir, "collector.log")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, configTemplate,
		otlpPort, queryPort, filepath.Join(dir, "pebble"), tr.receiver, mxinPort), 0o600))
	pushURL := tr.url(otlpPort)
	if tr.receiver == "mxin" {
		pushURL = tr.url(mxinPort)
	}
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", queryPort)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("collector log:\n%s", b)
		}
	})

	first := startChild(t, cfgPath, logPath)
	waitReady(t, first, tr, pushURL, logPath)

	led := &ledger{commits: map[commit.NodeRef]map[string]bool{}}
	var failed, inFlightAtKill atomic.Int64
	var killed atomic.Bool
	v := commit.NewVersioner()
	const workers = 6
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				// 1-4 traces per request, so batches differ in size.
				n := 1 + (w+i)%4
				var sb strings.Builder
				var traces []string
				for k := range n {
					tid := fmt.Sprintf("w%d-b%d-t%d", w, i, k)
					traces = append(traces, tid)
					agentTurn(&sb, tid)
				}
				// Commit ids hash (repo, entity, id, action, data), not the
				// version, so the ids computed here are the ones the mxin
				// receiver computes for the same body.
				cs, errs := commit.ParseBody(repo, []byte(sb.String()), v)
				if len(errs) > 0 {
					t.Errorf("test data does not parse: %v", errs)
					return
				}
				ct, body, err := tr.request(sb.String(), cs)
				if err != nil {
					t.Error(err)
					return
				}
				wasKilled := killed.Load()
				resp, err := client.Post(pushURL, ct, bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					if !wasKilled && killed.Load() {
						inFlightAtKill.Add(1)
					}
					if killed.Load() {
						return
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					led.ack(cs, traces)
				} else {
					failed.Add(1)
				}
			}
		}()
	}

	// Kill mid-stream: once a good number of batches were acknowledged
	// (or after 8 s on a slow machine), while the workers keep pushing.
	start := time.Now()
	for {
		b, _ := led.count()
		if b >= 1000 || time.Since(start) > 8*time.Second {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed.Store(true)
	require.NoError(t, first.cmd.Process.Signal(os.Kill))
	<-first.done
	wg.Wait()
	batches, commits := led.count()
	t.Logf("acknowledged before SIGKILL: %d batches, %d commits, %d traces; %d requests failed (%d in flight at the kill) after %s",
		batches, commits, len(led.traces), failed.Load(), inFlightAtKill.Load(), time.Since(start))
	require.Positive(t, batches, "nothing was acknowledged before the kill")
	require.Positive(t, failed.Load(), "the kill did not interrupt the stream")

	// Restart on the same directory and read everything back through the
	// query API of the new process.
	second := startChild(t, cfgPath, logPath)
	waitReady(t, second, tr, pushURL, logPath)

	var missing atomic.Int64
	nodes := make(chan commit.NodeRef)
	var vwg sync.WaitGroup
	for range 4 {
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			for n := range nodes {
				got := entityCommits(t, apiURL, n)
				for id := range led.commits[n] {
					if !got[id] {
						missing.Add(1)
						t.Errorf("acknowledged commit %s on %s/%s is missing after restart", id, n.Kind, n.ID)
					}
				}
			}
		}()
	}
	for n := range led.commits {
		nodes <- n
	}
	close(nodes)
	vwg.Wait()
	assert.Zero(t, missing.Load())

	// The summaries catch up too (the indexer resumes from its checkpoint):
	// every acknowledged trace is findable by search.
	want := map[string]bool{}
	for _, id := range led.traces {
		want[id] = true
	}
	assert.Eventually(t, func() bool {
		found := searchAll(t, apiURL)
		for id := range want {
			if !found[id] {
				return false
			}
		}
		return true
	}, 20*time.Second, 200*time.Millisecond, "acknowledged traces missing from search after restart")
}

// entityCommits returns the commit ids the API holds for one node.
func entityCommits(t *testing.T, apiURL string, n commit.NodeRef) map[string]bool {
	t.Helper()
	u := fmt.Sprintf("%s/api/v1/entities/%s/%s?repo=%s", apiURL, n.Kind, url.PathEscape(n.ID), url.QueryEscape(n.Repo))
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
		return nil
	}
	var body struct {
		Commits []struct {
			CommitID string          `json:"commitId"`
			From     *commit.NodeRef `json:"from"`
		} `json:"commits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Errorf("GET %s: %v", u, err)
		return nil
	}
	out := map[string]bool{}
	for _, c := range body.Commits {
		if c.From == nil { // the node's own commits, not a parent's seed
			out[c.CommitID] = true
		}
	}
	return out
}

// searchAll pages through the trace search and returns every trace id.
func searchAll(t *testing.T, apiURL string) map[string]bool {
	t.Helper()
	found := map[string]bool{}
	cursor := ""
	for {
		u := fmt.Sprintf("%s/api/v1/traces?repo=%s&limit=500&cursor=%s", apiURL, repo, url.QueryEscape(cursor))
		resp, err := http.Get(u)
		if err != nil {
			return found
		}
		var page struct {
			Traces []struct {
				ID string `json:"id"`
			} `json:"traces"`
			NextCursor string `json:"nextCursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Logf("search: status %d: %v", resp.StatusCode, errors.Join(err))
			return found
		}
		for _, tr := range page.Traces {
			found[tr.ID] = true
		}
		if page.NextCursor == "" {
			return found
		}
		cursor = page.NextCursor
	}
}
