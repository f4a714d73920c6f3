package genainormalizeprocessor

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

var (
	logTrace = pcommon.TraceID{0xaa, 1}
	logSpan  = pcommon.SpanID{0xbb, 1}
)

// record appends a log record linked to logTrace/logSpan (unless noSpan).
func record(ld plog.Logs, name string, viaAttr bool, ms int64, body map[string]any, attrs map[string]any) plog.LogRecord {
	var sl plog.ScopeLogs
	if ld.ResourceLogs().Len() == 0 {
		sl = ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	} else {
		sl = ld.ResourceLogs().At(0).ScopeLogs().At(0)
	}
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTraceID(logTrace)
	lr.SetSpanID(logSpan)
	lr.SetTimestamp(pcommon.Timestamp(ms * 1e6))
	_ = lr.Attributes().FromRaw(attrs)
	if viaAttr {
		lr.Attributes().PutStr("event.name", name)
	} else {
		lr.SetEventName(name)
	}
	if body != nil {
		_ = lr.Body().SetEmptyMap().FromRaw(body)
	}
	return lr
}

func runLogs(t *testing.T, ctx context.Context, ld plog.Logs) []commit.Commit {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeLogs(ctx, ld); err != nil {
		t.Fatal(err)
	}
	var out []commit.Commit
	for _, l := range sink.AllLogs() {
		cs, err := commit.CommitsFromLogs(l)
		if err != nil {
			t.Fatalf("processor output is not commit records: %v", err)
		}
		out = append(out, cs...)
	}
	return out
}

// What @opentelemetry/instrumentation-openai sends for a chat call with a
// tool result in its history (semconv 1.28-style events: `event.name`
// attribute, the message in the body, one timestamp for every input
// message), plus a choice.
func openAIEvents() plog.Logs {
	ld := plog.NewLogs()
	sys := map[string]any{"gen_ai.system": "openai"}
	record(ld, "gen_ai.system.message", true, 1000, map[string]any{"content": "Be brief."}, sys)
	record(ld, "gen_ai.user.message", true, 1000, map[string]any{"content": "Weather in Paris?"}, sys)
	record(ld, "gen_ai.assistant.message", true, 1000, map[string]any{"tool_calls": []any{
		map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": `{"city":"Paris"}`}}}}, sys)
	record(ld, "gen_ai.tool.message", true, 1000, map[string]any{"id": "call_1", "content": `{"tempC":18}`}, sys)
	record(ld, "gen_ai.choice", true, 1002, map[string]any{"index": 0, "finish_reason": "stop",
		"message": map[string]any{"content": "18C and cloudy."}}, sys)
	return ld
}

type genaiData struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	GenAI struct {
		Seq           int               `json:"seq"`
		Input         []json.RawMessage `json:"input"`
		Output        []json.RawMessage `json:"output"`
		System        string            `json:"system"`
		FinishReasons []string          `json:"finishReasons"`
	} `json:"genai"`
}

func TestGenAILogEventsBecomeGenerationEvents(t *testing.T) {
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"repo-7"}})})
	cs := runLogs(t, ctx, openAIEvents())
	if len(cs) != 5 {
		t.Fatalf("%d commits, want 5", len(cs))
	}
	want := []string{
		`{"role":"system","content":"Be brief."}`,
		`{"role":"user","content":"Weather in Paris?"}`,
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`,
		`{"role":"tool","content":"{\"tempC\":18}","tool_call_id":"call_1"}`,
	}
	for i, c := range cs {
		if c.Repo != "repo-7" || c.Entity != commit.EntityGeneration || c.EntityID != logSpan.String() || c.Action != commit.ActionAddEvent {
			t.Fatalf("commit %d: %s %s/%s %s", i, c.Repo, c.Entity, c.EntityID, c.Action)
		}
		var d genaiData
		if err := json.Unmarshal(c.Data, &d); err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			if d.GenAI.Seq != i || len(d.GenAI.Input) != 1 || string(d.GenAI.Input[0]) != want[i] {
				t.Errorf("event %d (%s): seq %d input %s, want %s", i, d.Name, d.GenAI.Seq, d.GenAI.Input, want[i])
			}
			if c.Version != 1000*1e6 {
				t.Errorf("event %d version %d, want its timestamp", i, c.Version)
			}
			continue
		}
		if d.Name != "gen_ai.choice" || len(d.GenAI.Output) != 1 || string(d.GenAI.Output[0]) != `{"role":"assistant","content":"18C and cloudy."}` ||
			!reflect.DeepEqual(d.GenAI.FinishReasons, []string{"stop"}) {
			t.Errorf("choice: %s", c.Data)
		}
	}
	// A resent request (an exporter retry) is the same commits, versions
	// included: the store keeps one copy.
	again := runLogs(t, ctx, openAIEvents())
	for i := range cs {
		if cs[i].ID != again[i].ID || cs[i].Version != again[i].Version {
			t.Fatalf("resent record %d: id %s/%s version %d/%d", i, cs[i].ID, again[i].ID, cs[i].Version, again[i].Version)
		}
	}
}

// Semconv ≥1.37: the operation details event, name in the EventName field,
// messages as structured attribute values (what the Responses API
// instrumentation sends).
func TestOperationDetailsLogEvent(t *testing.T) {
	ld := plog.NewLogs()
	record(ld, "gen_ai.client.inference.operation.details", false, 5, nil, map[string]any{
		"gen_ai.provider.name":       "openai",
		"gen_ai.system_instructions": []any{map[string]any{"type": "text", "content": "Answer in French."}},
		"gen_ai.input.messages": []any{map[string]any{"role": "user", "parts": []any{
			map[string]any{"type": "text", "content": "Hi"}}}},
		"gen_ai.output.messages": `[{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"Bonjour"}]}]`,
	})
	cs := runLogs(t, context.Background(), ld)
	if len(cs) != 1 || cs[0].Repo != "default" {
		t.Fatalf("commits: %+v", cs)
	}
	var d genaiData
	_ = json.Unmarshal(cs[0].Data, &d)
	if d.Name != "gen_ai.client.inference.operation.details" || d.GenAI.System != "Answer in French." ||
		len(d.GenAI.Input) != 1 || string(d.GenAI.Input[0]) != `{"role":"user","content":"Hi"}` ||
		len(d.GenAI.Output) != 1 || string(d.GenAI.Output[0]) != `{"role":"assistant","content":"Bonjour"}` ||
		!reflect.DeepEqual(d.GenAI.FinishReasons, []string{"stop"}) {
		t.Fatalf("details event: %s", cs[0].Data)
	}
}

// A record of a span that is not a GenAI event is an event on the trace
// naming its span (the assembly shows it on that span's node); a record
// without a span is counted and dropped, never an error.
func TestOtherLogRecords(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), set, createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	lr := record(ld, "", false, 7, nil, map[string]any{"http.status": 503})
	lr.Body().SetStr("upstream retry")
	lr.SetSeverityText("WARN")
	record(ld, "gen_ai.user.message", true, 8, map[string]any{"content": "hi"}, nil)
	orphan := record(ld, "", false, 9, nil, nil)
	orphan.SetSpanID(pcommon.SpanID{})
	orphan.Body().SetStr("no span")
	if err := p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	cs, err := commit.CommitsFromLogs(sink.AllLogs()[0])
	if err != nil || len(cs) != 2 {
		t.Fatalf("%d commits (%v), want 2", len(cs), err)
	}
	c := cs[0]
	if c.Entity != commit.EntityTrace || c.EntityID != logTrace.String() || c.Action != commit.ActionAddEvent {
		t.Fatalf("plain log record: %s/%s %s", c.Entity, c.EntityID, c.Action)
	}
	var d map[string]any
	_ = json.Unmarshal(c.Data, &d)
	if d["spanId"] != logSpan.String() || d["name"] != "log" || d["body"] != "upstream retry" || d["severity"] != "WARN" ||
		d["metadata"].(map[string]any)["http.status"] != float64(503) {
		t.Fatalf("plain log record data: %s", c.Data)
	}
	m, err := tel.GetMetric("otelcol_genai_normalize_log_records")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		o, _ := dp.Attributes.Value("outcome")
		got[o.AsString()] = dp.Value
	}
	if !reflect.DeepEqual(got, map[string]int64{"span_event": 1, "genai_event": 1, "no_span": 1}) {
		t.Fatalf("log records by outcome = %v", got)
	}
	// Only records without a span: nothing left, and still no error.
	only := plog.NewLogs()
	record(only, "", false, 1, nil, nil).SetTraceID(pcommon.TraceID{})
	if err := p.ConsumeLogs(context.Background(), only); err != nil {
		t.Fatalf("a record without a span is an error for the client: %v", err)
	}
}

// Commit records pass through; they keep their repository when the
// request's key may write there or when there is no key, and are written
// into the request's repository otherwise (with a recomputed commit id).
func TestCommitRecordsKeepRepoOnlyWhenAllowed(t *testing.T) {
	mk := func() plog.Logs {
		return commit.LogsFromCommits([]commit.Commit{{Repo: "victim", Entity: commit.EntityTrace, EntityID: "t1",
			Action: commit.ActionCreate, Data: []byte(`{"name":"x"}`), Version: 5}})
	}
	md := client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"mine"}})
	for _, tc := range []struct {
		name string
		info client.Info
		want string
	}{
		{"no key", client.Info{Metadata: md}, "victim"},
		{"key for every repo", client.Info{Metadata: md, Auth: authRepos{"*"}}, "victim"},
		{"key for the named repo", client.Info{Metadata: md, Auth: authRepos{"victim", "mine"}}, "victim"},
		{"key for another repo", client.Info{Metadata: md, Auth: authRepos{"mine"}}, "mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := runLogs(t, client.NewContext(context.Background(), tc.info), mk())
			if len(cs) != 1 || cs[0].Repo != tc.want {
				t.Fatalf("commits %+v, want repo %s", cs, tc.want)
			}
			if cs[0].ID != commit.ComputeID(cs[0].Repo, cs[0].Entity, cs[0].EntityID, cs[0].Action, cs[0].Data) {
				t.Fatalf("commit id does not match the commit")
			}
		})
	}
}

// A commit record naming its repository nowhere — neither on the record nor
// on the resource — takes the request's repository. Reading the missing
// resource attribute used to panic: over gRPC the collector exited (found
// by the bad-input corpus, test/badinput).
func TestCommitRecordWithoutAnyRepoTakesTheRequests(t *testing.T) {
	logs := commit.LogsFromCommits([]commit.Commit{{Repo: "victim", Entity: commit.EntityTrace, EntityID: "t1",
		Action: commit.ActionCreate, Data: []byte(`{"name":"x"}`), Version: 5}})
	rl := logs.ResourceLogs().At(0)
	rl.Resource().Attributes().Remove(commit.AttrRepoID)
	lrs := rl.ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		lrs.At(i).Attributes().Remove(commit.AttrRepoID)
	}
	md := client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"mine"}})
	for _, info := range []client.Info{{Metadata: md}, {Metadata: md, Auth: authRepos{"mine"}}} {
		in := plog.NewLogs()
		logs.CopyTo(in)
		cs := runLogs(t, client.NewContext(context.Background(), info), in)
		if len(cs) != 1 || cs[0].Repo != "mine" {
			t.Fatalf("commits %+v, want one in repo mine", cs)
		}
	}
}
