// Package metrics drives the built distribution on configs/default.yaml with
// Maxim SDK lines and OTLP GenAI spans of known models and token counts and
// checks the two ways the numbers leave: the OpenTelemetry GenAI metrics on
// the Prometheus endpoint (genai_metrics connector → prometheus exporter;
// SDK traffic through the store's feed, OTLP straight from the pipeline)
// and the store's aggregates (GET /api/v1/stats). Both must show the same
// per-model token sums, and the SDK and OTLP halves must count alike.
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repo   = "metrics-repo"
	apiKey = "metrics-key"
)

// call is one model call sent once as SDK lines or as an OTLP span.
type call struct {
	model, provider string
	in, out         int64
}

// The traffic: per model, SDK and OTLP calls whose sums the test knows.
var (
	sdkCalls  = []call{{"gpt-4o", "openai", 1000, 500}, {"gpt-4o", "openai", 120, 30}, {"claude-3-5-sonnet-20241022", "anthropic", 200, 100}}
	otlpCalls = []call{{"gpt-4o", "openai", 300, 50}, {"gpt-4o-mini", "openai", 40, 10}}
)

func TestMetricsAndStatsAgree(t *testing.T) {
	harness.Binary(t)
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	ctx := context.Background()
	now := time.Now().UTC()

	// SDK: one trace per call, ended, so the feed emits it after its quiet
	// period.
	var lines []string
	for i, cl := range sdkCalls {
		tid, gid := fmt.Sprintf("sdk-trace-%d-%d", now.UnixNano(), i), fmt.Sprintf("sdk-gen-%d-%d", now.UnixNano(), i)
		start := now.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		end := now.Add(time.Duration(i)*time.Second + 800*time.Millisecond).Format(time.RFC3339Nano)
		lines = append(lines,
			fmt.Sprintf(`trace{id=%s,action=create,data={"name":"sdk-turn","startTimestamp":%q}}`, tid, start),
			fmt.Sprintf(`trace{id=%s,action=add-generation,data={"id":%q,"model":%q,"provider":%q,"messages":[{"role":"user","content":"hi"}],"modelParameters":{},"startTimestamp":%q}}`, tid, gid, cl.model, cl.provider, start),
			fmt.Sprintf(`generation{id=%s,action=result,data={"result":{"id":"r%d","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}}}`, gid, i, cl.model, cl.in, cl.out, cl.in+cl.out),
			fmt.Sprintf(`generation{id=%s,action=end,data={"endTimestamp":%q}}`, gid, end),
			fmt.Sprintf(`trace{id=%s,action=end,data={"endTimestamp":%q}}`, tid, end),
		)
	}
	post(t, "http://"+c.Env["GENAI_MXIN_ENDPOINT"]+"/api/sdk/v3/log?id="+repo, "text/plain", strings.Join(lines, "\n")+"\n", nil)

	// OTLP: one GenAI client span per call (OTLP/JSON over HTTP).
	var spans []string
	for i, cl := range otlpCalls {
		start := now.Add(time.Duration(i) * time.Second)
		spans = append(spans, fmt.Sprintf(`{"traceId":"%032x","spanId":"%016x","name":"chat %s","kind":3,
"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[
{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
{"key":"gen_ai.provider.name","value":{"stringValue":%q}},
{"key":"gen_ai.request.model","value":{"stringValue":%q}},
{"key":"gen_ai.response.model","value":{"stringValue":%q}},
{"key":"gen_ai.usage.input_tokens","value":{"intValue":"%d"}},
{"key":"gen_ai.usage.output_tokens","value":{"intValue":"%d"}}]}`,
			now.UnixNano()+int64(i), i+1, cl.model, start.UnixNano(), start.Add(600*time.Millisecond).UnixNano(),
			cl.provider, cl.model, cl.model, cl.in, cl.out))
	}
	payload := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"metrics-e2e"}}]},"scopeSpans":[{"scope":{"name":"e2e"},"spans":[` +
		strings.Join(spans, ",") + `]}]}]}`
	post(t, "http://"+c.Env["GENAI_OTLP_HTTP_ENDPOINT"]+"/v1/traces", "application/json", payload,
		map[string]string{"x-maxim-api-key": apiKey, "x-maxim-repo-id": repo})

	// What both sides must show: token sums per (model, token type), and
	// the number of calls per model.
	want := map[string][2]int64{}
	calls := map[string]uint64{}
	for _, cl := range append(append([]call{}, sdkCalls...), otlpCalls...) {
		w := want[cl.model]
		w[0] += cl.in
		w[1] += cl.out
		want[cl.model] = w
		calls[cl.model]++
	}

	// Prometheus: the semconv histograms, summed per model and token type
	// over every other label (repository, provider, operation).
	promURL := "http://" + c.Env["GENAI_PROMETHEUS_ENDPOINT"] + "/metrics"
	var got map[string][2]int64
	var gotCalls map[string]uint64
	err := harness.Eventually(ctx, 90*time.Second, func() error {
		families, err := scrape(promURL)
		if err != nil {
			return err
		}
		got, gotCalls = tokenSums(families)
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(gotCalls) != fmt.Sprint(calls) {
			return fmt.Errorf("token sums %v (calls %v), want %v (calls %v)", got, gotCalls, want, calls)
		}
		if n := durationCount(families); n != uint64(len(sdkCalls)+len(otlpCalls)) {
			return fmt.Errorf("gen_ai.client.operation.duration count %d, want %d", n, len(sdkCalls)+len(otlpCalls))
		}
		return nil
	})
	require.NoError(t, err, "prometheus endpoint %s", promURL)

	// The store's aggregates over the same hour, grouped by model.
	from := now.Add(-time.Hour).Truncate(time.Hour)
	to := now.Add(2 * time.Hour).Truncate(time.Hour)
	q := url.Values{"repo": {repo}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "step": {"1h"}, "by": {"model"}}
	var stats struct {
		Groups []struct {
			Key    string `json:"key"`
			Totals struct {
				Generations  int64   `json:"generations"`
				InputTokens  int64   `json:"inputTokens"`
				OutputTokens int64   `json:"outputTokens"`
				Cost         float64 `json:"cost"`
			} `json:"totals"`
		} `json:"groups"`
	}
	err = harness.Eventually(ctx, 60*time.Second, func() error {
		body, err := get("http://" + c.Env["GENAI_QUERY_ENDPOINT"] + "/api/v1/stats?" + q.Encode())
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &stats); err != nil {
			return fmt.Errorf("decode %s: %w", body, err)
		}
		fromStats := map[string][2]int64{}
		statCalls := map[string]uint64{}
		for _, g := range stats.Groups {
			if g.Totals.Generations == 0 {
				continue
			}
			fromStats[g.Key] = [2]int64{g.Totals.InputTokens, g.Totals.OutputTokens}
			statCalls[g.Key] = uint64(g.Totals.Generations)
		}
		if fmt.Sprint(fromStats) != fmt.Sprint(got) || fmt.Sprint(statCalls) != fmt.Sprint(gotCalls) {
			return fmt.Errorf("/api/v1/stats by model %v (calls %v), prometheus %v (calls %v)", fromStats, statCalls, got, gotCalls)
		}
		return nil
	})
	require.NoError(t, err)
	for _, g := range stats.Groups {
		if g.Key == "gpt-4o" && !(g.Totals.Cost > 0) {
			t.Fatalf("gpt-4o has usage but no cost in /api/v1/stats: %+v", g.Totals)
		}
	}
}

// tokenSums reads gen_ai.client.token.usage per (response model, token
// type): the sum of each histogram series, and the count of input
// observations (one per call).
func tokenSums(families map[string]*dto.MetricFamily) (map[string][2]int64, map[string]uint64) {
	sums := map[string][2]int64{}
	counts := map[string]uint64{}
	f := families["gen_ai_client_token_usage"]
	if f == nil {
		return sums, counts
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		mdl := labels["gen_ai_response_model"]
		if mdl == "" {
			mdl = labels["gen_ai_request_model"]
		}
		h := m.GetHistogram()
		s := sums[mdl]
		switch labels["gen_ai_token_type"] {
		case "input":
			s[0] += int64(h.GetSampleSum())
			counts[mdl] += h.GetSampleCount()
		case "output":
			s[1] += int64(h.GetSampleSum())
		}
		sums[mdl] = s
	}
	return sums, counts
}

func durationCount(families map[string]*dto.MetricFamily) uint64 {
	var n uint64
	if f := families["gen_ai_client_operation_duration_seconds"]; f != nil {
		for _, m := range f.Metric {
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}

func scrape(u string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func get(u string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-maxim-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b, nil
}

func post(t *testing.T, u, contentType, body string, headers map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("x-maxim-api-key", apiKey)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "POST %s: %s", u, out)
}
