// Package otlpjslogs drives the official OpenTelemetry OpenAI
// instrumentation from npm (@opentelemetry/instrumentation-openai, message
// content captured, which it sends as OTLP log records linked to the span)
// with the OTel JS SDK's trace and log exporters, over OTLP/HTTP, OTLP/gRPC
// and mxin's /v1/otel, into the built distribution running
// configs/default.yaml, and asserts the stored trees through the query API
// (chat with a tool call and a streamed answer, a streamed tool call, the
// Responses API plain and streamed, a refused call):
// messages, tool calls, answers, usage, exact token totals per trace, errors,
// a plain log line on its span, and the count of dropped span-less records.
package otlpjslogs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repoID = "otlpjslogs-repo"
	apiKey = "otlpjslogs-key"
)

// node is a tree node as the query API returns it.
type node = harness.Node

// waitTree waits until ok accepts the trace (harness.WaitTrace).
func waitTree(t *testing.T, queryURL, id string, ok func(*node) error) *node {
	t.Helper()
	return harness.WaitTrace(t, queryURL, repoID, apiKey, id, ok)
}

func TestOpenAIInstrumentationLogEvents(t *testing.T) {
	nodeBin := harness.NPMInstall(t, "@opentelemetry/instrumentation-openai/package.json", "the OpenTelemetry OpenAI instrumentation")
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	queryURL := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]
	headers := "x-maxim-api-key=" + apiKey + ",x-maxim-repo-id=" + repoID

	runs := []struct{ name, transport, endpoint string }{
		{"otlp-http", "http", "http://" + c.Env["GENAI_OTLP_HTTP_ENDPOINT"]},
		{"otlp-grpc", "grpc", "http://" + c.Env["GENAI_OTLP_GRPC_ENDPOINT"]},
		// mxin serves /v1/otel/v1/traces and /v1/otel/v1/logs.
		{"mxin-http", "http", "http://" + c.Env["GENAI_MXIN_ENDPOINT"] + "/v1/otel"},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, nodeBin, "drive.js", run.transport)
			cmd.Env = append(os.Environ(),
				"OTEL_EXPORTER_OTLP_ENDPOINT="+run.endpoint,
				"OTEL_EXPORTER_OTLP_HEADERS="+headers,
				"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true",
			)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("drive.js %s: %v\n%s", run.transport, err, stderr.String())
			}
			var ids struct{ ChatTrace, StreamToolTrace, ResponsesTrace, ErrorTrace string }
			if err := json.Unmarshal(out, &ids); err != nil || ids.ChatTrace == "" || ids.StreamToolTrace == "" || ids.ResponsesTrace == "" || ids.ErrorTrace == "" {
				t.Fatalf("drive.js output %q: %v", out, err)
			}
			t.Run("chat", func(t *testing.T) { checkChat(t, queryURL, ids.ChatTrace) })
			t.Run("stream-tool", func(t *testing.T) { checkStreamTool(t, queryURL, ids.StreamToolTrace) })
			t.Run("responses", func(t *testing.T) { checkResponses(t, queryURL, ids.ResponsesTrace) })
			t.Run("error", func(t *testing.T) { checkError(t, queryURL, ids.ErrorTrace) })
		})
	}

	// Each run logged one line outside any span: counted, never stored.
	err := harness.Eventually(context.Background(), 20*time.Second, func() error {
		n, err := scrapeCounter("http://localhost:"+c.Env["GENAI_METRICS_PORT"]+"/metrics", "otelcol_genai_normalize_log_records", `outcome="no_span"`)
		if err != nil {
			return err
		}
		if n != float64(len(runs)) {
			return fmt.Errorf("no_span records = %v, want %d", n, len(runs))
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// twoGenerations waits until the trace holds two generations with their
// content, and returns the root, the one that called a tool and the other.
func twoGenerations(t *testing.T, queryURL, id string) (root, toolCalling, other *node) {
	t.Helper()
	root = waitTree(t, queryURL, id, func(n *node) error {
		gens := n.All("generation")
		if len(gens) != 2 {
			return fmt.Errorf("%d generations", len(gens))
		}
		for _, g := range gens {
			if len(g.Messages) == 0 || g.Completion == nil || (g.Completion.Text == "" && len(g.Completion.ToolCalls) == 0) {
				return fmt.Errorf("generation %s has no content yet", g.ID)
			}
		}
		return nil
	})
	for _, g := range root.All("generation") {
		if len(g.Completion.ToolCalls) > 0 {
			toolCalling = g
		} else {
			other = g
		}
	}
	if toolCalling == nil || other == nil {
		t.Fatalf("want one tool-calling and one other generation")
	}
	return root, toolCalling, other
}

func checkChat(t *testing.T, queryURL, id string) {
	root, toolTurn, answer := twoGenerations(t, queryURL, id)
	if root.Name != "chat-turn" {
		t.Errorf("trace name %q", root.Name)
	}
	// Exact totals: 50/14 for the tool call, 61/9 for the streamed answer.
	if root.Totals.InputTokens != 111 || root.Totals.OutputTokens != 23 || root.Totals.TotalTokens != 134 || root.Totals.Error {
		t.Errorf("totals %+v, want 111/23/134 without error", root.Totals)
	}
	if toolTurn.Model != "gpt-4o-mini" || toolTurn.Provider != "openai" || toolTurn.Usage == nil || toolTurn.Usage.InputTokens != 50 || toolTurn.Usage.OutputTokens != 14 {
		t.Errorf("tool turn: model %q provider %q usage %+v", toolTurn.Model, toolTurn.Provider, toolTurn.Usage)
	}
	// The requested model beside the one that answered, and the response id.
	if toolTurn.Completion.Model != "gpt-4o-mini-2024-07-18" || toolTurn.Completion.ID != "chatcmpl-1" || answer.Completion.ID != "chatcmpl-stream" {
		t.Errorf("response model %q ids %q %q", toolTurn.Completion.Model, toolTurn.Completion.ID, answer.Completion.ID)
	}
	if want := `{"role":"system","content":"You are a weather assistant."}` + "\n" + `{"role":"user","content":"What is the weather in Paris?"}`; toolTurn.MessageText() != want {
		t.Errorf("tool turn messages:\n%s\nwant\n%s", toolTurn.MessageText(), want)
	}
	if tc := string(toolTurn.Completion.ToolCalls[0]); !strings.Contains(tc, `"id":"call_1"`) || !strings.Contains(tc, `"name":"get_weather"`) ||
		!strings.Contains(tc, `{\"city\":\"Paris\"}`) || strings.Join(toolTurn.Completion.FinishReasons, ",") != "tool_calls" {
		t.Errorf("tool turn completion %s %v", tc, toolTurn.Completion.FinishReasons)
	}
	// The streamed answer: the whole history in order, the tool result
	// linked to its call, the text put together from the chunks.
	msgs := answer.MessageText()
	wantOrder := []string{`"role":"system"`, `"role":"user"`, `"tool_calls":[{"id":"call_1"`, `"role":"tool"`}
	at := 0
	for _, w := range wantOrder {
		i := strings.Index(msgs[at:], w)
		if i < 0 {
			t.Fatalf("answer messages out of order or incomplete (want %s after offset %d):\n%s", w, at, msgs)
		}
		at += i
	}
	if len(answer.Messages) != 4 || !strings.Contains(msgs, `"tool_call_id":"call_1"`) || !strings.Contains(msgs, `{\"tempC\":18,\"sky\":\"cloudy\"}`) {
		t.Errorf("answer messages:\n%s", msgs)
	}
	if answer.Completion.Text != "It is 18C and cloudy in Paris." || answer.Usage == nil || answer.Usage.InputTokens != 61 || answer.Usage.OutputTokens != 9 {
		t.Errorf("streamed answer %+v usage %+v", answer.Completion, answer.Usage)
	}
	for _, g := range root.All("generation") {
		if len(g.Events) != 0 {
			t.Errorf("generation %s lists its content events as events: %+v", g.ID, g.Events)
		}
	}
}

// checkStreamTool: the tool call came in stream deltas, the answer in one
// response.
func checkStreamTool(t *testing.T, queryURL, id string) {
	root, call, answer := twoGenerations(t, queryURL, id)
	if root.Totals.InputTokens != 111 || root.Totals.OutputTokens != 23 || root.Totals.TotalTokens != 134 || root.Totals.Error {
		t.Errorf("totals %+v, want 111/23/134 without error", root.Totals)
	}
	if call.MessageText() != `{"role":"user","content":"What is the weather in Paris?"}` {
		t.Errorf("streamed tool turn messages: %s", call.MessageText())
	}
	if tc := string(call.Completion.ToolCalls[0]); len(call.Completion.ToolCalls) != 1 ||
		tc != `{"id":"call_s_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}` ||
		strings.Join(call.Completion.FinishReasons, ",") != "tool_calls" || call.Completion.ID != "chatcmpl-stream" {
		t.Errorf("streamed tool call %s finish %v id %q", tc, call.Completion.FinishReasons, call.Completion.ID)
	}
	if call.Usage == nil || call.Usage.InputTokens != 50 || call.Usage.OutputTokens != 14 {
		t.Errorf("streamed tool turn usage %+v", call.Usage)
	}
	want := `{"role":"user","content":"What is the weather in Paris?"}` + "\n" +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_s_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}` + "\n" +
		`{"role":"tool","content":"{\"tempC\":18,\"sky\":\"cloudy\"}","tool_call_id":"call_s_1"}`
	if answer.MessageText() != want {
		t.Errorf("answer messages:\n%s\nwant\n%s", answer.MessageText(), want)
	}
	if answer.Completion.Text != "It is 18C and cloudy in Paris." || answer.Completion.ID != "chatcmpl-2" ||
		answer.Usage == nil || answer.Usage.InputTokens != 61 || answer.Usage.OutputTokens != 9 {
		t.Errorf("answer %+v usage %+v", answer.Completion, answer.Usage)
	}
}

func checkResponses(t *testing.T, queryURL, id string) {
	root, call, plain := twoGenerations(t, queryURL, id)
	if root.Totals.InputTokens != 50 || root.Totals.OutputTokens != 13 || root.Totals.TotalTokens != 63 || root.Totals.Error {
		t.Errorf("totals %+v, want 50/13/63", root.Totals)
	}
	// Instructions and input: the operation details event's input messages
	// (the instructions also arrive as gen_ai.system_instructions on the span).
	if want := `{"role":"system","content":"Answer in French."}` + "\n" + `{"role":"user","content":"Say hello."}`; plain.MessageText() != want {
		t.Errorf("responses messages:\n%s\nwant\n%s", plain.MessageText(), want)
	}
	if plain.Completion.Text != "Bonjour!" || plain.Usage == nil || plain.Usage.InputTokens != 20 || plain.Usage.OutputTokens != 5 {
		t.Errorf("responses answer %+v usage %+v", plain.Completion, plain.Usage)
	}
	if call.MessageText() != `{"role":"user","content":"Weather in Lyon?"}` {
		t.Errorf("streamed responses input: %s", call.MessageText())
	}
	if tc := string(call.Completion.ToolCalls[0]); len(call.Completion.ToolCalls) != 1 ||
		tc != `{"id":"call_r_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Lyon\"}"}}` {
		t.Errorf("streamed function call %s", tc)
	}
	if plain.Completion.ID != "resp_1" || call.Completion.ID != "resp_s" || plain.Model != "gpt-4o-mini" || plain.Completion.Model != "gpt-4o-mini-2024-07-18" {
		t.Errorf("responses ids %q %q, model %q answered by %q", plain.Completion.ID, call.Completion.ID, plain.Model, plain.Completion.Model)
	}
	if call.Usage == nil || call.Usage.InputTokens != 30 || call.Usage.OutputTokens != 8 {
		t.Errorf("streamed responses usage %+v", call.Usage)
	}
}

func checkError(t *testing.T, queryURL, id string) {
	root := waitTree(t, queryURL, id, func(n *node) error {
		if len(n.All("generation")) != 1 || len(n.All("span")) != 1 || len(n.All("span")[0].Events) == 0 {
			return fmt.Errorf("tree incomplete")
		}
		g := n.All("generation")[0]
		if len(g.Messages) == 0 || len(g.Errors) == 0 {
			return fmt.Errorf("generation has no messages or error yet")
		}
		return nil
	})
	g := root.All("generation")[0]
	if g.MessageText() != `{"role":"user","content":"Hi"}` {
		t.Errorf("failed call messages: %s", g.MessageText())
	}
	if g.Errors[0].Type != "BadRequestError" || !strings.Contains(g.Errors[0].Message, "broken-model") {
		t.Errorf("error record %+v", g.Errors)
	}
	if !root.Totals.Error || root.Totals.InputTokens != 0 || root.Totals.TotalTokens != 0 {
		t.Errorf("totals %+v, want an error and no tokens", root.Totals)
	}
	// The application's log line in the span is an event on the span's node.
	span := root.All("span")[0]
	ev := span.Events[0]
	if len(span.Events) != 1 || ev.Name != "log" || string(ev.Extra["body"]) != `"calling a model that may not exist"` ||
		string(ev.Extra["severity"]) != `"WARN"` || string(ev.Metadata["attempt"]) != "1" {
		t.Errorf("span events %+v", span.Events)
	}
	if len(root.Events) != 0 {
		t.Errorf("trace keeps events that found their span: %+v", root.Events)
	}
}

// scrapeCounter sums the Prometheus samples of a counter whose labels
// contain label.
func scrapeCounter(url, name, label string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum, seen := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || !strings.Contains(line, label) {
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
