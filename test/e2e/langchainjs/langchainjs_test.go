// Package langchainjs drives LangChain.js (@langchain/core, @langchain/openai)
// traced by OpenInference (@arizeai/openinference-instrumentation-langchain)
// with the OTel JS SDK's OTLP trace exporter, over OTLP/HTTP and OTLP/gRPC,
// into the built distribution running configs/default.yaml; ChatOpenAI talks
// to the fake OpenAI server of ../fakeopenai. The stored trees, read through
// the query API, must hold what LangChain did: the retriever's documents,
// the chat model's messages and tool call (with its id, which OpenInference's
// flattened messages leave out), the executed tool with its LangChain
// ToolMessage unwrapped to its content, the streamed answer, usage and exact
// totals, the provider from LangChain's ls_provider hint, run metadata with
// its JSON types, the session, and a refused call as an error.
package langchainjs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repoID = "langchainjs-repo"
	apiKey = "langchainjs-key"
)

// node is a tree node as the query API returns it.
type node = harness.Node

func TestLangChainJSOpenInference(t *testing.T) {
	nodeBin := harness.NPMInstall(t, "@arizeai/openinference-instrumentation-langchain/package.json", "LangChain.js and its OpenInference instrumentation")
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	queryURL := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]
	headers := "x-maxim-api-key=" + apiKey + ",x-maxim-repo-id=" + repoID

	for _, run := range []struct{ transport, endpoint string }{
		{"http", "http://" + c.Env["GENAI_OTLP_HTTP_ENDPOINT"]},
		{"grpc", "http://" + c.Env["GENAI_OTLP_GRPC_ENDPOINT"]},
	} {
		t.Run(run.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, nodeBin, "drive.js", run.transport)
			cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+run.endpoint, "OTEL_EXPORTER_OTLP_HEADERS="+headers)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("drive.js %s: %v\n%s", run.transport, err, stderr.String())
			}
			var ids struct{ AgentTrace, ErrorTrace string }
			if err := json.Unmarshal(out, &ids); err != nil || ids.AgentTrace == "" || ids.ErrorTrace == "" {
				t.Fatalf("drive.js output %q: %v", out, err)
			}
			t.Run("agent", func(t *testing.T) { checkAgent(t, queryURL, ids.AgentTrace, "sess-langchainjs-"+run.transport) })
			t.Run("error", func(t *testing.T) { checkError(t, queryURL, ids.ErrorTrace) })
		})
	}
}

// dumpOnFailure logs the tree when the test failed.
func dumpOnFailure(t *testing.T, root *node) {
	if t.Failed() {
		b, _ := json.MarshalIndent(root, "", " ")
		t.Logf("tree:\n%s", b)
	}
}

func checkAgent(t *testing.T, queryURL, id, session string) {
	root := harness.WaitTrace(t, queryURL, repoID, apiKey, id, func(n *node) error {
		c := n.Totals.Counts
		if c["generation"] != 2 || c["tool_call"] != 1 || c["retrieval"] != 1 || c["span"] != 1 || n.Name != "weather-agent" {
			return fmt.Errorf("trace incomplete: name %q counts %v", n.Name, c)
		}
		return nil
	})
	defer dumpOnFailure(t, root)
	// The trace: LangChain's root run, its session (run metadata
	// session_id), its input and answer; exact totals: 50/14 for the tool
	// call, 61/9 for the streamed answer, nothing else counted.
	if root.SessionID != session || string(root.Input) != `"What is the weather in Paris?"` || string(root.Output) != `"It is 18C and cloudy in Paris."` {
		t.Errorf("trace session %q input %s output %s", root.SessionID, root.Input, root.Output)
	}
	if tt := root.Totals; tt.InputTokens != 111 || tt.OutputTokens != 23 || tt.TotalTokens != 134 || tt.Error {
		t.Errorf("totals %+v, want 111/23/134 without error", tt)
	}
	if len(root.Children) != 1 || root.Children[0].Kind != "span" || root.Children[0].Name != "weather-agent" {
		t.Fatalf("want the chain's span under the trace, got %d children", len(root.Children))
	}
	chain := root.Children[0]
	// Run metadata keeps its JSON types.
	if m := chain.Metadata; string(m["attempt"]) != "2" || string(m["flags"]) != `{"beta":true}` || string(m["user_tier"]) != `"gold"` {
		t.Errorf("chain metadata %v", m)
	}

	ret := chain.All("retrieval")[0]
	if ret.Name != "AtlasRetriever" || string(ret.Input) != `"What is the weather in Paris?"` ||
		string(ret.Output) != `["Paris is the capital of France.","Paris has an oceanic climate."]` {
		t.Errorf("retrieval %q input %s documents %s", ret.Name, ret.Input, ret.Output)
	}

	gens := chain.All("generation")
	var call, answer *node
	for _, g := range gens {
		if g.Completion != nil && len(g.Completion.ToolCalls) > 0 {
			call = g
		} else {
			answer = g
		}
	}
	if call == nil || answer == nil {
		t.Fatalf("want a tool-calling and an answering generation")
	}
	for _, g := range gens {
		// Provider from LangChain's ls_provider hint (OpenInference's
		// LangChain.js instrumentation writes no llm.provider); requested
		// model from the invocation parameters, answering model and
		// response id from LangChain's LLMResult.
		if g.Provider != "openai" || g.Model != "gpt-4o-mini" || g.Completion == nil || g.Completion.Model != "gpt-4o-mini-2024-07-18" {
			t.Errorf("generation %s: provider %q model %q completion %+v", g.ID, g.Provider, g.Model, g.Completion)
		}
		if string(g.Metadata["ls_provider"]) != `"openai"` || string(g.Metadata["attempt"]) != "2" || string(g.Metadata["ls_temperature"]) != "0.2" {
			t.Errorf("generation %s metadata %v", g.ID, g.Metadata)
		}
	}
	if want := `{"role":"system","content":"You are a weather assistant. Context: Paris is the capital of France. Paris has an oceanic climate."}` + "\n" +
		`{"role":"user","content":"What is the weather in Paris?"}`; call.MessageText() != want {
		t.Errorf("tool turn messages:\n%s\nwant\n%s", call.MessageText(), want)
	}
	if tc := string(call.Completion.ToolCalls[0]); len(call.Completion.ToolCalls) != 1 ||
		tc != `{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}` {
		t.Errorf("tool call %s (want its id, name and arguments)", tc)
	}
	if call.Completion.ID != "chatcmpl-1" || strings.Join(call.Completion.FinishReasons, ",") != "tool_calls" ||
		call.Usage == nil || call.Usage.InputTokens != 50 || call.Usage.OutputTokens != 14 || call.Usage.TotalTokens != 64 ||
		call.ModelParameters["temperature"] != 0.2 {
		t.Errorf("tool turn: completion %+v usage %+v params %v", call.Completion, call.Usage, call.ModelParameters)
	}

	// The tool LangChain executed: its ToolMessage unwrapped to the
	// content, linked to the model's call by id.
	tool := chain.All("tool_call")[0]
	if tool.Name != "get_weather" || string(tool.Output) != `"{\"city\":\"Paris\",\"tempC\":18,\"sky\":\"cloudy\"}"` ||
		string(tool.Metadata["maxim.tool.call_id"]) != `"call_1"` || len(tool.Errors) != 0 {
		t.Errorf("tool %q output %s metadata %v errors %v", tool.Name, tool.Output, tool.Metadata, tool.Errors)
	}
	// OpenInference's LangChain.js instrumentation records a tool input
	// with one string field as that string ({"city":"Paris"} → "Paris").
	if !strings.Contains(string(tool.Args), "Paris") {
		t.Errorf("tool args %s", tool.Args)
	}

	// The streamed answer: the whole history, the tool call and its
	// result linked by id, the text put together from the chunks.
	if len(answer.Messages) != 4 {
		t.Fatalf("answer messages:\n%s", answer.MessageText())
	}
	if m := string(answer.Messages[2]); m != `{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}` {
		t.Errorf("assistant turn in the history: %s", m)
	}
	if m := string(answer.Messages[3]); m != `{"role":"tool","content":"{\"city\":\"Paris\",\"tempC\":18,\"sky\":\"cloudy\"}","tool_call_id":"call_1"}` {
		t.Errorf("tool result in the history: %s", m)
	}
	if answer.Completion == nil || answer.Completion.Text != "It is 18C and cloudy in Paris." || answer.Completion.ID != "chatcmpl-stream" ||
		answer.Usage == nil || answer.Usage.InputTokens != 61 || answer.Usage.OutputTokens != 9 || string(answer.Metadata["maxim.stream"]) != `"true"` {
		t.Errorf("streamed answer %+v usage %+v stream %s", answer.Completion, answer.Usage, answer.Metadata["maxim.stream"])
	}
}

func checkError(t *testing.T, queryURL, id string) {
	root := harness.WaitTrace(t, queryURL, repoID, apiKey, id, func(n *node) error {
		if n.Totals.Counts["generation"] != 1 || n.Totals.Counts["span"] != 1 || !n.Totals.Error {
			return fmt.Errorf("trace incomplete: counts %v error %v", n.Totals.Counts, n.Totals.Error)
		}
		return nil
	})
	defer dumpOnFailure(t, root)
	if root.Name != "broken-chain" || root.Totals.InputTokens != 0 || root.Totals.TotalTokens != 0 {
		t.Errorf("trace %q totals %+v, want no tokens", root.Name, root.Totals)
	}
	g := root.All("generation")[0]
	if g.MessageText() != `{"role":"user","content":"Hi"}` || g.Model != "broken-model" || g.Provider != "openai" {
		t.Errorf("failed call: messages %s model %q provider %q", g.MessageText(), g.Model, g.Provider)
	}
	if len(g.Errors) != 1 || !strings.HasPrefix(g.Errors[0].Message, "400 The model `broken-model` does not exist") || g.Usage != nil {
		t.Errorf("failed call errors %+v usage %+v", g.Errors, g.Usage)
	}
	// The chain the error went through failed too; both count.
	chain := root.All("span")[0]
	if len(chain.Errors) != 1 || !strings.Contains(chain.Errors[0].Message, "broken-model") || root.Totals.Errors != 2 {
		t.Errorf("chain errors %+v, trace errors %d", chain.Errors, root.Totals.Errors)
	}
}
