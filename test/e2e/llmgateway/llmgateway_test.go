// Package llmgateway drives a client → gateway → provider chain in which both
// hops record the same model call as a GenAI span (the pattern of every LLM
// gateway: Bifrost, LiteLLM, Portkey): an application instrumented with the
// official @opentelemetry/instrumentation-openai and instrumentation-undici
// from npm (CLIENT generation span, HTTP CLIENT span below it) calls a gateway
// process that records a SERVER span with usage continuing the trace, which
// calls the fake OpenAI server. The application exports over OTLP/HTTP and the
// gateway over OTLP/gRPC, then the other way round, into the built
// distribution running configs/default.yaml. Each call must count once: in
// the trace totals, in the search row, and in the genai_metrics connector's
// gen_ai.client.token.usage on the Prometheus endpoint.
package llmgateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repoID = "llmgateway-repo"
	apiKey = "llmgateway-key"
)

type node = harness.Node

func TestClientGatewayProviderCountsEachCallOnce(t *testing.T) {
	nodeBin := harness.NPMInstall(t, "@opentelemetry/instrumentation-undici/package.json", "the OpenTelemetry OpenAI and undici instrumentations")
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	queryURL := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]
	endpoint := map[string]string{
		"http": "http://" + c.Env["GENAI_OTLP_HTTP_ENDPOINT"],
		"grpc": "http://" + c.Env["GENAI_OTLP_GRPC_ENDPOINT"],
	}
	runs := []struct{ app, gateway string }{{"http", "grpc"}, {"grpc", "http"}}
	for _, run := range runs {
		t.Run("app-"+run.app+"-gateway-"+run.gateway, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, nodeBin, "drive.js", run.app, run.gateway)
			cmd.Env = append(os.Environ(),
				"APP_OTLP_ENDPOINT="+endpoint[run.app],
				"GATEWAY_OTLP_ENDPOINT="+endpoint[run.gateway],
				"OTEL_EXPORTER_OTLP_HEADERS=x-maxim-api-key="+apiKey+",x-maxim-repo-id="+repoID,
			)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("drive.js: %v\n%s", err, stderr.String())
			}
			var ids struct{ TraceID string }
			if err := json.Unmarshal(out, &ids); err != nil || ids.TraceID == "" {
				t.Fatalf("drive.js output %q: %v\n%s", out, err, stderr.String())
			}
			checkTrace(t, queryURL, ids.TraceID)
			checkSearchRow(t, queryURL, ids.TraceID)
		})
	}

	// The metrics: 2 calls per run, each once (the gateway's SERVER spans
	// are the `paired` outcome), 111 input and 23 output tokens per run.
	promURL := "http://" + c.Env["GENAI_PROMETHEUS_ENDPOINT"] + "/metrics"
	selfURL := "http://localhost:" + c.Env["GENAI_METRICS_PORT"] + "/metrics"
	n := int64(len(runs))
	err := harness.Eventually(context.Background(), 90*time.Second, func() error {
		in, err := scrapeSum(promURL, "gen_ai_client_token_usage_sum", `gen_ai_token_type="input"`)
		if err != nil {
			return err
		}
		outTok, err := scrapeSum(promURL, "gen_ai_client_token_usage_sum", `gen_ai_token_type="output"`)
		if err != nil {
			return err
		}
		calls, err := scrapeSum(promURL, "gen_ai_client_token_usage_count", `gen_ai_token_type="input"`)
		if err != nil {
			return err
		}
		paired, err := scrapeSum(selfURL, "otelcol_genai_metrics_spans", `outcome="paired"`)
		if err != nil {
			return err
		}
		if in != float64(111*n) || outTok != float64(23*n) || calls != float64(2*n) || paired != float64(2*n) {
			return fmt.Errorf("token usage input %v output %v over %v calls, %v paired spans; want %d, %d, %d calls, %d paired",
				in, outTok, calls, paired, 111*n, 23*n, 2*n, 2*n)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// checkTrace: the application's two CLIENT generations and the gateway's
// two SERVER generations are all in the tree; each server half is paired
// with its client half, and the totals hold each call once.
func checkTrace(t *testing.T, queryURL, id string) {
	t.Helper()
	root := harness.WaitTrace(t, queryURL, repoID, apiKey, id, func(n *node) error {
		gens := n.All("generation")
		if len(gens) != 4 {
			return fmt.Errorf("%d generations, want 2 client and 2 server halves", len(gens))
		}
		for _, g := range gens {
			if g.Usage == nil {
				return fmt.Errorf("generation %s has no usage yet", g.ID)
			}
		}
		if n.Name != "support-turn" {
			return fmt.Errorf("root span not in yet")
		}
		return nil
	})
	defer func() {
		if t.Failed() {
			b, _ := json.MarshalIndent(root, "", " ")
			t.Logf("tree:\n%s", b)
		}
	}()
	if root.Totals.InputTokens != 111 || root.Totals.OutputTokens != 23 || root.Totals.TotalTokens != 134 {
		t.Errorf("trace totals %d/%d/%d, want 111/23/134 (each call once)", root.Totals.InputTokens, root.Totals.OutputTokens, root.Totals.TotalTokens)
	}
	clients := map[string]*node{}
	var servers []*node
	for _, g := range root.All("generation") {
		switch g.SpanKind {
		case "client":
			clients[g.ID] = g
		case "server":
			servers = append(servers, g)
		default:
			t.Errorf("generation %s has span kind %q", g.ID, g.SpanKind)
		}
	}
	if len(clients) != 2 || len(servers) != 2 {
		t.Fatalf("%d client and %d server generations, want 2 and 2", len(clients), len(servers))
	}
	seen := map[string]bool{}
	for _, s := range servers {
		cl := clients[s.PairedWith]
		if cl == nil || seen[s.PairedWith] {
			t.Errorf("server generation %s paired with %q, want one client generation each", s.ID, s.PairedWith)
			continue
		}
		seen[s.PairedWith] = true
		if cl.Usage.InputTokens != s.Usage.InputTokens || cl.Usage.OutputTokens != s.Usage.OutputTokens {
			t.Errorf("pair %s/%s records different calls: %+v vs %+v", cl.ID, s.ID, cl.Usage, s.Usage)
		}
		if s.Totals.InputTokens != 0 {
			t.Errorf("server half %s counts %d input tokens in its totals", s.ID, s.Totals.InputTokens)
		}
	}
	for id, cl := range clients {
		if cl.PairedWith != "" || cl.Totals.InputTokens != cl.Usage.InputTokens {
			t.Errorf("client generation %s: pairedWith %q, totals %d of its %d input tokens", id, cl.PairedWith, cl.Totals.InputTokens, cl.Usage.InputTokens)
		}
	}
	// The application's HTTP client span is in the tree under its
	// generation (it is exported before the generation, in its own request).
	for _, cl := range clients {
		if len(cl.Children) != 1 || cl.Children[0].Kind != "span" || cl.Children[0].SpanKind != "client" {
			t.Errorf("client generation %s: want the HTTP client span below it, children %d", cl.ID, len(cl.Children))
		}
	}
}

// checkSearchRow: the trace's search row (the indexer's summary) has the
// same totals.
func checkSearchRow(t *testing.T, queryURL, id string) {
	t.Helper()
	u := queryURL + "/api/v1/traces?repo=" + url.QueryEscape(repoID) + "&limit=100"
	err := harness.Eventually(context.Background(), 30*time.Second, func() error {
		var page struct {
			Traces []struct {
				ID           string `json:"id"`
				InputTokens  int64  `json:"inputTokens"`
				OutputTokens int64  `json:"outputTokens"`
				TotalTokens  int64  `json:"totalTokens"`
			} `json:"traces"`
		}
		if _, err := harness.GetJSON(context.Background(), u, apiKey, &page); err != nil {
			return err
		}
		for _, r := range page.Traces {
			if r.ID == id {
				if r.InputTokens != 111 || r.OutputTokens != 23 || r.TotalTokens != 134 {
					return fmt.Errorf("search row %+v, want 111/23/134", r)
				}
				return nil
			}
		}
		return fmt.Errorf("trace %s not in the search rows yet", id)
	})
	if err != nil {
		t.Error(err)
	}
}

// scrapeSum sums the Prometheus samples of name whose labels contain label.
func scrapeSum(u, name, label string) (float64, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum, seen := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, label) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, err
		}
		sum, seen = sum+v, true
	}
	if !seen {
		return 0, fmt.Errorf("no %s{%s} sample yet", name, label)
	}
	return sum, sc.Err()
}
