// Package tiers tests the gateway deployment end to end with the built
// binary: SDK and OTLP traffic into an agent (configs/agent-kafka.yaml) →
// Kafka (kfake on loopback) → an indexer (configs/gateway.yaml) → PostgreSQL
// → the query API. The indexer is killed with SIGKILL mid-stream and
// restarted; the trees must equal the ones a clean in-memory apply of the
// same commits gives: nothing lost, nothing duplicated.
package tiers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

const (
	repo   = "repo-tiers"
	apiKey = "tier-key"
)

func adminDSN() string {
	if dsn := os.Getenv("GENAI_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshDatabase creates a database for this test and returns its DSN.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminDSN())
	if err != nil {
		ci.Unavailable(t, "PostgreSQL not reachable at %s: %v", adminDSN(), err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("genai_tiers_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), adminDSN())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	cfg, err := pgx.ParseConfig(adminDSN())
	require.NoError(t, err)
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// body renders commits as one SDK push body (LF-joined, like the JS SDK).
func body(commits []commit.Commit) []byte {
	var b bytes.Buffer
	for i := range commits {
		b.Write(commit.FormatLine(&commits[i]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func push(t *testing.T, endpoint string, payload []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+endpoint+"/api/sdk/v3/log?id="+repo, bytes.NewReader(payload))
	require.NoError(t, err)
	req.Header.Set("x-maxim-api-key", apiKey)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "push answered %s", out)
}

// getJSON GETs path of the query API at endpoint (harness.GetJSON).
func getJSON(endpoint, path string, into any) (int, error) {
	return harness.GetJSON(context.Background(), "http://"+endpoint+path, apiKey, into)
}

// comparable strips what legitimately differs between two ingestions of
// the same commits: the versions (receive times) and what derives from them.
func comparable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch k {
			case "firstVersion", "lastVersion", "version", "lastActivity":
				continue
			}
			out[k] = comparable(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = comparable(x[i])
		}
		return out
	default:
		return v
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(comparable(v), "", " ")
	require.NoError(t, err)
	return string(b)
}

func TestKafkaTierSurvivesIndexerKill(t *testing.T) {
	harness.Binary(t)
	dsn := freshDatabase(t)

	brokerAddr := harness.FreeAddr(t)
	_, port, _ := strings.Cut(brokerAddr, ":")
	var portNum int
	fmt.Sscanf(port, "%d", &portNum)
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(portNum),
		kfake.SeedTopics(4, "genai_commits", "genai_spans"), kfake.AllowAutoTopicCreation())
	require.NoError(t, err)
	defer broker.Close()

	env := map[string]string{
		"GENAI_API_KEY":       apiKey,
		"GENAI_KAFKA_BROKERS": brokerAddr,
		"GENAI_POSTGRES_DSN":  dsn,
		// A static group member: the restarted indexer takes over the
		// killed one's partitions at once (see configs/gateway.yaml).
		"GENAI_KAFKA_INSTANCE_ID": "indexer-0",
	}
	agent := harness.NewCollector(t, "agent-kafka.yaml", env)
	indexer := harness.NewCollector(t, "gateway.yaml", env)
	agent.Start()
	indexer.Start()

	// Traffic: generated SDK traces (nested spans, generations with results,
	// tool calls, retrievals, errors, events, feedback, late mutations),
	// pushed in random-sized bodies, a third of the bodies twice (an SDK
	// replay after a failure).
	rng := rand.New(rand.NewPCG(7, 7))
	var cases []treegen.Case
	var all []commit.Commit
	for i := 0; i < 40; i++ {
		c := treegen.Generate(uint64(1000+i), treegen.DefaultOptions)
		for j := range c.Commits {
			c.Commits[j].Repo = repo
		}
		c.Trace.Repo = repo
		cases = append(cases, c)
		all = append(all, c.Commits...)
	}
	var bodies [][]commit.Commit
	for rest := all; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(120))
		bodies = append(bodies, rest[:n])
		rest = rest[n:]
	}
	// The pusher sends every body in order (as one SDK would) while the
	// indexer is killed and restarted underneath it, so the kill lands while
	// the indexer is consuming and writing.
	pushed := make(chan int, len(bodies))
	go func() {
		defer close(pushed)
		for i, b := range bodies {
			push(t, agent.Env["GENAI_MXIN_ENDPOINT"], body(b))
			if rng.IntN(3) == 0 {
				push(t, agent.Env["GENAI_MXIN_ENDPOINT"], body(b))
			}
			pushed <- i
			time.Sleep(20 * time.Millisecond)
		}
	}()
	sent := 0
	for i := range pushed {
		sent += len(bodies[i])
		switch i {
		case len(bodies) / 3:
			indexer.Kill()
		case 2 * len(bodies) / 3:
			indexer.Start()
		}
	}
	t.Logf("pushed %d commits in %d bodies through the agent; indexer killed at body %d, restarted at %d",
		sent, len(bodies), len(bodies)/3, 2*len(bodies)/3)

	otlpTraceID := sendOTLPGeneration(t, agent.Env["GENAI_OTLP_HTTP_ENDPOINT"])

	// The reference: the same commits, in the same order, applied to the
	// in-memory reference store and assembled by the same fold.
	ctx := context.Background()
	ref := memstore.New()
	v := commit.NewVersioner()
	for _, b := range bodies {
		cs := slices.Clone(b)
		first := v.Reserve(len(cs))
		var edges []store.Edge
		for i := range cs {
			cs[i].Version = first + int64(i)
			cs[i].Seal()
			edges = append(edges, tree.EdgesOf(&cs[i])...)
		}
		require.NoError(t, ref.Apply(ctx, cs, edges))
	}

	query := indexer.Env["GENAI_QUERY_ENDPOINT"]
	for _, c := range cases {
		want, err := tree.AssembleTrace(ctx, ref, c.Trace)
		require.NoError(t, err)
		var wantJSON any
		raw, _ := json.Marshal(want)
		require.NoError(t, json.Unmarshal(raw, &wantJSON))

		var got any
		err = harness.Eventually(ctx, 90*time.Second, func() error {
			if _, err := getJSON(query, "/api/v1/traces/"+c.Trace.ID+"?repo="+repo, &got); err != nil {
				return err
			}
			if canonical(t, got) != canonical(t, wantJSON) {
				return fmt.Errorf("trace %s differs from the reference", c.Trace.ID)
			}
			return nil
		})
		if err != nil {
			require.Equal(t, canonical(t, wantJSON), canonical(t, got), "trace %s (seed %d): %v", c.Trace.ID, c.Seed, err)
		}
	}

	// The OTLP span went agent → normalize → Kafka → indexer with its
	// repository intact and became a generation in the same tree model.
	var otlpTree struct {
		Trace struct {
			Children []struct {
				Kind  string `json:"kind"`
				Model string `json:"model"`
				Usage struct {
					TotalTokens int64 `json:"totalTokens"`
				} `json:"usage"`
			} `json:"children"`
		} `json:"trace"`
	}
	require.NoError(t, harness.Eventually(ctx, 60*time.Second, func() error {
		_, err := getJSON(query, "/api/v1/traces/"+otlpTraceID+"?repo="+repo, &otlpTree)
		return err
	}))
	require.Len(t, otlpTree.Trace.Children, 1)
	require.Equal(t, "generation", otlpTree.Trace.Children[0].Kind)
	require.Equal(t, "gpt-4o", otlpTree.Trace.Children[0].Model)
	require.EqualValues(t, 30, otlpTree.Trace.Children[0].Usage.TotalTokens)

	measureLatency(t, agent.Env["GENAI_MXIN_ENDPOINT"], query)
}

// sendOTLPGeneration posts one OTel GenAI chat span as OTLP/JSON to the
// agent, with the headers Maxim's OTLP endpoint uses.
func sendOTLPGeneration(t *testing.T, endpoint string) string {
	t.Helper()
	traceID := fmt.Sprintf("%032x", time.Now().UnixNano())
	now := time.Now()
	payload := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"tiers"}}]},
"scopeSpans":[{"scope":{"name":"tiers"},"spans":[{"traceId":%q,"spanId":"8f2c9c1c6e5d4b2a","name":"chat gpt-4o","kind":3,
"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[
{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
{"key":"gen_ai.system","value":{"stringValue":"openai"}},
{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
{"key":"gen_ai.usage.input_tokens","value":{"intValue":"20"}},
{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}]}]}]}]}`,
		traceID, now.UnixNano(), now.Add(time.Second).UnixNano())
	req, err := http.NewRequest(http.MethodPost, "http://"+endpoint+"/v1/traces", strings.NewReader(payload))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-maxim-api-key", apiKey)
	req.Header.Set("x-maxim-repo-id", repo)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "OTLP export answered %s", out)
	return traceID
}

// measureLatency reports commit-to-visible latency through the whole Kafka
// tier (SDK push acknowledged by the agent → trace readable from the
// indexer's query API). It logs numbers for the benchmark notes; it asserts
// only that every trace became visible.
func measureLatency(t *testing.T, mxin, query string) {
	t.Helper()
	const samples = 40
	var lat []time.Duration
	for i := 0; i < samples; i++ {
		id := fmt.Sprintf("lat-%d-%d", time.Now().UnixNano(), i)
		line := fmt.Sprintf(`trace{id=%s,action=create,data={"name":"latency","startTimestamp":%q}}`,
			id, time.Now().UTC().Format(time.RFC3339Nano))
		push(t, mxin, []byte(line))
		start := time.Now()
		var tr any
		for {
			if code, _ := getJSON(query, "/api/v1/traces/"+id+"?repo="+repo, &tr); code == http.StatusOK {
				break
			}
			require.Less(t, time.Since(start), 30*time.Second, "trace %s never became visible", id)
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("Kafka tier commit-to-visible latency over %d traces: p50=%s p99=%s max=%s",
		samples, lat[samples/2], lat[samples*99/100], lat[samples-1])
}
