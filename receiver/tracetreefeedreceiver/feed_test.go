package tracetreefeedreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/otelcol-genai/otelcol-genai/internal/genaimsg"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

const repo = "repo-1"

// sdkSession is what the JS SDK sends for one chat turn: a session, a
// trace, a span holding a generation (with result) and a failing tool call.
const sdkSession = `session{id=sess-1,action=create,data={"name":"support-chat","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=6a1b2c3d-0000-4000-8000-000000000001,action=create,data={"name":"turn-1","tags":{"userId":"u-42"},"startTimestamp":"2026-11-22T08:00:00.000Z","sessionId":"sess-1"}}
trace{id=6a1b2c3d-0000-4000-8000-000000000001,action=update,data={"input":"weather in Paris?"}}
trace{id=6a1b2c3d-0000-4000-8000-000000000001,action=add-span,data={"id":"span-1","name":"agent","startTimestamp":"2026-11-22T08:00:00.100Z"}}
span{id=span-1,action=add-generation,data={"id":"gen-1","name":"plan","provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2,"max_tokens":256},"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"weather in Paris?"}],"startTimestamp":"2026-11-22T08:00:00.200Z"}}
generation{id=gen-1,action=result,data={"result":{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59}}}}
generation{id=gen-1,action=end,data={"endTimestamp":"2026-11-22T08:00:01.200Z"}}
span{id=span-1,action=add-tool-call,data={"id":"call_1","name":"get_weather","description":"weather lookup","args":"{\"city\":\"Paris\"}","startTimestamp":"2026-11-22T08:00:01.300Z"}}
tool_call{id=call_1,action=error,data={"error":{"message":"upstream timeout","code":"504","type":"TimeoutError"}}}
span{id=span-1,action=end,data={"endTimestamp":"2026-11-22T08:00:02.000Z"}}
trace{id=6a1b2c3d-0000-4000-8000-000000000001,action=update,data={"output":"It is 18C."}}
trace{id=6a1b2c3d-0000-4000-8000-000000000001,action=end,data={"endTimestamp":"2026-11-22T08:00:02.500Z"}}`

const traceID = "6a1b2c3d-0000-4000-8000-000000000001"

type fixture struct {
	t     *testing.T
	st    *indexer.Indexer
	sink  *consumertest.TracesSink
	clock time.Time
	cfg   *Config
	v     *commit.Versioner
	// reader, when set, is the store the feed reads through (fx.st below).
	reader store.Store
}

func newFixture(t *testing.T) *fixture {
	ix, err := indexer.New(memstore.New(), indexer.DefaultConfig(), indexer.Settings{})
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	cfg.QuietPeriod = 5 * time.Second
	cfg.IncompleteTimeout = time.Minute
	fx := &fixture{t: t, st: ix, sink: new(consumertest.TracesSink), clock: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), cfg: cfg}
	// Versions (and so the summaries' LastActivity) follow the test clock.
	fx.v = commit.NewVersionerClock(func() time.Time { return fx.clock })
	return fx
}

func (fx *fixture) feed(next consumer.Traces) *feed {
	tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(fx.t, err)
	if next == nil {
		next = fx.sink
	}
	var st store.Store = fx.st
	if fx.reader != nil {
		st = fx.reader
	}
	f := newFeed(fx.cfg, st, next, zaptest.NewLogger(fx.t), tel, "tracetree_feed")
	f.fl.Now = func() time.Time { return fx.clock }
	ctx, cancel := context.WithCancel(context.Background())
	fx.t.Cleanup(cancel)
	require.NoError(fx.t, f.start(ctx))
	return f
}

func (fx *fixture) push(body string) {
	cs, errs := commit.ParseBody(repo, []byte(body), fx.v)
	require.Empty(fx.t, errs)
	fx.apply(cs)
}

// apply writes commits and indexes them: the indexer publishes the change
// to live subscribers before Flush returns.
func (fx *fixture) apply(cs []commit.Commit) {
	require.NoError(fx.t, fx.st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
	require.NoError(fx.t, fx.st.Flush(context.Background()))
}

func (fx *fixture) step(f *feed) {
	require.NoError(fx.t, f.step(context.Background()))
}

// spansByName indexes every span the sink received by name.
func spansByName(t *testing.T, tds []ptrace.Traces) map[string]ptrace.Span {
	out := map[string]ptrace.Span{}
	for _, td := range tds {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				for k := 0; k < sss.At(j).Spans().Len(); k++ {
					sp := sss.At(j).Spans().At(k)
					_, dup := out[sp.Name()]
					assert.False(t, dup, "span %q emitted twice", sp.Name())
					out[sp.Name()] = sp
				}
			}
		}
	}
	return out
}

func str(sp ptrace.Span, k string) string {
	v, ok := sp.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func TestFeedEmitsCompletedTraceAsGenAISpans(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(sdkSession)

	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount(), "nothing before the quiet period")
	fx.clock = fx.clock.Add(4 * time.Second)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount(), "nothing before the quiet period")
	fx.clock = fx.clock.Add(2 * time.Second)
	fx.step(f)
	require.Equal(t, 4, fx.sink.SpanCount())

	spans := spansByName(t, fx.sink.AllTraces())
	root, agent, gen, tool := spans["turn-1"], spans["agent"], spans["chat gpt-4o-mini"], spans["execute_tool get_weather"]
	for name, sp := range map[string]ptrace.Span{"trace": root, "span": agent, "generation": gen, "tool": tool} {
		require.False(t, sp.SpanID().IsEmpty(), "%s span missing", name)
		assert.Equal(t, "6a1b2c3d000040008000000000000001", sp.TraceID().String(), "the SDK trace id is kept as the OTel trace id")
		assert.Equal(t, "sess-1", str(sp, "gen_ai.conversation.id"))
		assert.Equal(t, "support-chat", str(sp, "maxim.session.name"))
	}
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, root.SpanID(), agent.ParentSpanID())
	assert.Equal(t, agent.SpanID(), gen.ParentSpanID())
	assert.Equal(t, agent.SpanID(), tool.ParentSpanID())

	assert.Equal(t, "weather in Paris?", str(root, "maxim.input"))
	assert.Equal(t, "It is 18C.", str(root, "maxim.output"))
	assert.Equal(t, "u-42", str(root, "maxim.tags.userId"))
	assert.Equal(t, "true", str(root, "maxim.trace.ended"))
	assert.Equal(t, time.Date(2026, 11, 22, 8, 0, 2, 500_000_000, time.UTC), root.EndTimestamp().AsTime())

	assert.Equal(t, "chat", str(gen, "gen_ai.operation.name"))
	assert.Equal(t, "openai", str(gen, "gen_ai.provider.name"))
	assert.Equal(t, "gpt-4o-mini", str(gen, "gen_ai.request.model"))
	assert.Equal(t, "gpt-4o-mini-2024-07-18", str(gen, "gen_ai.response.model"))
	assert.Equal(t, "chatcmpl-1", str(gen, "gen_ai.response.id"))
	assert.Equal(t, "0.2", str(gen, "gen_ai.request.temperature"))
	assert.Equal(t, "256", str(gen, "gen_ai.request.max_tokens"))
	assert.Equal(t, "42", str(gen, "gen_ai.usage.input_tokens"))
	assert.Equal(t, "17", str(gen, "gen_ai.usage.output_tokens"))
	assert.Equal(t, `["tool_calls"]`, str(gen, "gen_ai.response.finish_reasons"))
	assert.Equal(t, ptrace.SpanKindClient, gen.Kind())
	assert.Equal(t, time.Second, gen.EndTimestamp().AsTime().Sub(gen.StartTimestamp().AsTime()))
	var in []genaimsg.Message
	require.NoError(t, json.Unmarshal([]byte(str(gen, "gen_ai.input.messages")), &in))
	require.Len(t, in, 1)
	assert.Equal(t, "user", in[0].Role)
	assert.Equal(t, "weather in Paris?", in[0].Parts[0].Content)
	assert.JSONEq(t, `[{"type":"text","content":"You are helpful."}]`, str(gen, "gen_ai.system_instructions"))
	assert.JSONEq(t, `[{"role":"assistant","finish_reason":"tool_calls","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]}]`,
		str(gen, "gen_ai.output.messages"))

	assert.Equal(t, "execute_tool", str(tool, "gen_ai.operation.name"))
	assert.Equal(t, "get_weather", str(tool, "gen_ai.tool.name"))
	assert.Equal(t, "call_1", str(tool, "gen_ai.tool.call.id"))
	assert.Equal(t, `{"city":"Paris"}`, str(tool, "gen_ai.tool.call.arguments"))
	assert.Equal(t, ptrace.StatusCodeError, tool.Status().Code())
	assert.Equal(t, "upstream timeout", tool.Status().Message())
	assert.Equal(t, "TimeoutError", str(tool, "error.type"))
	require.Equal(t, 1, tool.Events().Len())
	assert.Equal(t, "exception", tool.Events().At(0).Name())
	assert.Equal(t, ptrace.StatusCodeUnset, gen.Status().Code())

	// Handled: more steps emit nothing more.
	fx.clock = fx.clock.Add(time.Minute)
	fx.step(f)
	assert.Equal(t, 4, fx.sink.SpanCount())
	assert.Empty(t, f.fl.Pending)
}

func TestFeedLateFeedbackBecomesUpdateSpan(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(sdkSession)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 4, fx.sink.SpanCount())
	fx.sink.Reset()

	fx.push(`trace{id=` + traceID + `,action=add-feedback,data={"score":4,"comment":"useful"}}`)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount(), "late updates wait for the quiet period too")
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 1, fx.sink.SpanCount(), "only the changed node is re-sent")
	upd := spansByName(t, fx.sink.AllTraces())["update turn-1"]
	require.False(t, upd.SpanID().IsEmpty())
	assert.Equal(t, spanIDOf(repo, commit.EntityTrace, traceID), upd.ParentSpanID(), "child of the original trace span")
	assert.Equal(t, "true", str(upd, "maxim.update"))
	require.Equal(t, 1, upd.Events().Len())
	ev := upd.Events().At(0)
	assert.Equal(t, "maxim.feedback", ev.Name())
	score, _ := ev.Attributes().Get("maxim.feedback.score")
	assert.Equal(t, 4.0, score.Double())
	comment, _ := ev.Attributes().Get("maxim.feedback.comment")
	assert.Equal(t, "useful", comment.Str())

	// A second feedback: the update carries only the new one, with a new id.
	fx.sink.Reset()
	fx.push(`trace{id=` + traceID + `,action=add-feedback,data={"score":1,"comment":"wrong city"}}`)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 1, fx.sink.SpanCount())
	upd2 := spansByName(t, fx.sink.AllTraces())["update turn-1"]
	assert.NotEqual(t, upd.SpanID(), upd2.SpanID())
	require.Equal(t, 1, upd2.Events().Len())
	c2, _ := upd2.Events().At(0).Attributes().Get("maxim.feedback.comment")
	assert.Equal(t, "wrong city", c2.Str())

	// A node added after emission is an ordinary span under its parent.
	fx.sink.Reset()
	fx.push(`span{id=span-1,action=add-tool-call,data={"id":"call_2","name":"get_news","args":"{}","startTimestamp":"2026-11-22T08:00:03.000Z"}}
tool_call{id=call_2,action=result,data={"result":"marathon on sunday"}}`)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	spans := spansByName(t, fx.sink.AllTraces())
	news := spans["execute_tool get_news"]
	require.False(t, news.SpanID().IsEmpty(), "got %v", keys(spans))
	assert.Equal(t, spanIDOf(repo, commit.EntitySpan, "span-1"), news.ParentSpanID())
	assert.Equal(t, "marathon on sunday", str(news, "gen_ai.tool.call.result"))
	assert.NotContains(t, spans, "update agent", "gaining a child does not change the parent's own state")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFeedLateUpdatesDrop(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.LateUpdates = LateUpdatesDrop
	f := fx.feed(nil)
	fx.push(sdkSession)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 4, fx.sink.SpanCount())
	fx.push(`trace{id=` + traceID + `,action=add-feedback,data={"score":4}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	assert.Equal(t, 4, fx.sink.SpanCount())
	assert.Empty(t, f.fl.Pending)
}

func TestFeedWaitsForEndThenIncompleteTimeout(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	body := strings.Join(strings.Split(sdkSession, "\n")[:7], "\n") // no span/trace end
	fx.push(body)
	fx.step(f)
	fx.clock = fx.clock.Add(30 * time.Second)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount(), "an open trace waits for its end")
	require.Len(t, f.fl.Pending, 1)

	fx.clock = fx.clock.Add(31 * time.Second)
	fx.step(f)
	require.Equal(t, 3, fx.sink.SpanCount(), "emitted after incomplete_timeout")
	root := spansByName(t, fx.sink.AllTraces())["turn-1"]
	assert.Equal(t, "false", str(root, "maxim.trace.ended"))

	// The late end is a late update of the trace (and of the span).
	fx.sink.Reset()
	fx.push(`trace{id=` + traceID + `,action=end,data={"endTimestamp":"2026-11-22T08:00:09.000Z"}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	upd := spansByName(t, fx.sink.AllTraces())["update turn-1"]
	require.False(t, upd.SpanID().IsEmpty())
	assert.Equal(t, "true", str(upd, "maxim.trace.ended"))
}

func TestFeedWaitsForeverWithoutIncompleteTimeout(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.IncompleteTimeout = 0
	f := fx.feed(nil)
	fx.push(strings.Split(sdkSession, "\n")[1])
	fx.clock = fx.clock.Add(24 * time.Hour)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount())
	assert.Len(t, f.fl.Pending, 1)
}

// TestFeedRestart: a new feed on the same store neither re-emits what the
// first one sent nor loses what it had not sent yet.
func TestFeedRestart(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(sdkSession)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 4, fx.sink.SpanCount())

	// A second trace arrives; the receiver stops before its quiet period.
	fx.push(`trace{id=trace-two,action=create,data={"name":"turn-2","startTimestamp":"2026-11-22T08:01:00.000Z"}}
trace{id=trace-two,action=end,data={"endTimestamp":"2026-11-22T08:01:01.000Z"}}`)
	fx.step(f)
	assert.Equal(t, 4, fx.sink.SpanCount())

	// Restart (same store, same receiver id): only turn-2 goes out.
	fx.sink.Reset()
	f2 := fx.feed(nil)
	fx.step(f2)
	assert.Zero(t, fx.sink.SpanCount(), "quiet period restarts after a restart")
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f2)
	spans := spansByName(t, fx.sink.AllTraces())
	assert.Equal(t, []string{"turn-2"}, keys(spans))

	// And a third start has nothing to do at all.
	fx.sink.Reset()
	f3 := fx.feed(nil)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(f3)
	assert.Zero(t, fx.sink.SpanCount())
}

func TestFeedFirstStartSkipsHistory(t *testing.T) {
	fx := newFixture(t)
	fx.push(sdkSession) // written before the receiver ever ran
	f := fx.feed(nil)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount())
}

func TestFeedRetriesWhenPipelineFails(t *testing.T) {
	fx := newFixture(t)
	failing := &flakyConsumer{fail: 2, sink: fx.sink}
	f := fx.feed(failing)
	fx.push(sdkSession)
	for i := 0; i < 10 && fx.sink.SpanCount() == 0; i++ {
		fx.clock = fx.clock.Add(10 * time.Second)
		fx.step(f)
	}
	assert.Equal(t, 3, failing.calls)
	assert.Equal(t, 4, fx.sink.SpanCount())
}

type flakyConsumer struct {
	fail, calls int
	sink        *consumertest.TracesSink
}

func (c *flakyConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (c *flakyConsumer) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	c.calls++
	if c.calls <= c.fail {
		return errors.New("exporter queue full")
	}
	return c.sink.ConsumeTraces(ctx, td)
}

func TestFeedRepoFilter(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.Repos = []string{"other-repo"}
	f := fx.feed(nil)
	fx.push(sdkSession)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount())
	assert.Empty(t, f.fl.Pending)
}

// countedReads counts, per node, the reads of its commit set and of its
// children: assembling a tree reads both, deciding a trace's origin reads
// only its own node's commits.
type countedReads struct {
	store.Store
	mu       sync.Mutex
	commits  map[commit.NodeRef]int
	children map[commit.NodeRef]int
}

func newCountedReads(st store.Store) *countedReads {
	return &countedReads{Store: st, commits: map[commit.NodeRef]int{}, children: map[commit.NodeRef]int{}}
}

func (c *countedReads) count(m map[commit.NodeRef]int, refs []commit.NodeRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range refs {
		m[r]++
	}
}

func (c *countedReads) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	c.count(c.commits, refs)
	return c.Store.Commits(ctx, refs)
}

func (c *countedReads) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	c.count(c.children, refs)
	return c.Store.Children(ctx, refs)
}

// TestFeedSkipsOTLPTraces: spans that came in over OTLP were forwarded on
// their own pipeline; their commits in the store must not go out again.
// The SDK trace beside them is assembled, reading each node once.
func TestFeedSkipsOTLPTraces(t *testing.T) {
	fx := newFixture(t)
	reads := newCountedReads(fx.st)
	fx.reader = reads
	f := fx.feed(nil)

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	tid := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	root := ss.Spans().AppendEmpty()
	root.SetTraceID(tid)
	root.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	root.SetName("invoke_agent")
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(fx.clock))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(fx.clock.Add(time.Second)))
	root.Attributes().PutStr(spancommit.AttrRepo, repo)
	gen := ss.Spans().AppendEmpty()
	gen.SetTraceID(tid)
	gen.SetSpanID(pcommon.SpanID{2, 2, 2, 2, 2, 2, 2, 2})
	gen.SetParentSpanID(root.SpanID())
	gen.SetName("chat gpt-4o")
	gen.SetStartTimestamp(root.StartTimestamp())
	gen.SetEndTimestamp(root.EndTimestamp())
	gen.Attributes().PutBool(spancommit.AttrNormalized, true)
	gen.Attributes().PutStr(spancommit.AttrKind, spancommit.KindGeneration)
	gen.Attributes().PutStr(spancommit.AttrModel, "gpt-4o")
	gen.Attributes().PutStr(spancommit.AttrRepo, repo)
	cs, err := spancommit.FromTraces(td, fx.v)
	require.NoError(t, err)
	fx.apply(cs)

	// An SDK trace in the same store still goes out.
	fx.push(sdkSession)
	fx.step(f)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(f)
	spans := spansByName(t, fx.sink.AllTraces())
	assert.Len(t, spans, 4)
	assert.NotContains(t, spans, "invoke_agent")
	assert.NotContains(t, spans, "chat gpt-4o")
	assert.Empty(t, f.fl.Pending)
	// The OTLP trace was skipped on its own node's origin, without
	// assembling its tree; the SDK trace was assembled.
	reads.mu.Lock()
	defer reads.mu.Unlock()
	assert.Zero(t, reads.children[commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: tid.String()}], "OTLP trace assembled only to be skipped")
	assert.NotZero(t, reads.children[commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: traceID}])
	// The SDK trace node's commits, read to decide its origin, are the
	// ones its assembly folds: one read, like any other node's.
	assert.Equal(t, 1, reads.commits[commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: traceID}], "reads of the trace node's commits")
	assert.Equal(t, 1, reads.commits[commit.NodeRef{Repo: repo, Kind: commit.EntityGeneration, ID: "gen-1"}], "reads of a generation's commits")
}

func TestTraceAndSpanIDs(t *testing.T) {
	assert.Equal(t, "0123456789abcdef0123456789abcdef", traceIDOf("r", "0123456789abcdef0123456789abcdef").String())
	assert.Equal(t, "6a1b2c3d000040008000000000000001", traceIDOf("r", traceID).String())
	a, b := traceIDOf("r1", "trace-x"), traceIDOf("r2", "trace-x")
	assert.NotEqual(t, a, b, "hashed ids are scoped by repo")
	assert.Equal(t, a, traceIDOf("r1", "trace-x"), "stable")
	assert.NotEqual(t, spanIDOf("r", commit.EntitySpan, "x"), spanIDOf("r", commit.EntityGeneration, "x"))
	assert.Equal(t, "0123456789abcdef", spanIDOf("r", commit.EntitySpan, "0123456789abcdef").String())
}

func TestClipKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", maxAttrLen)
	c := clip(s)
	assert.LessOrEqual(t, len(c), maxAttrLen)
	assert.True(t, strings.HasPrefix(s, c))
	assert.Equal(t, "short", clip("short"))
}

// lossyStore is a store whose live feed the test controls.
type lossyStore struct {
	*indexer.Indexer
	ch chan store.Change
}

func (s lossyStore) Subscribe(context.Context, string) (<-chan store.Change, func()) {
	return s.ch, func() {}
}

// TestFeedResyncCatchesUp: when the live feed reports lost changes (a
// Change without nodes), the feed finds the traces it missed in the
// summaries.
func TestFeedResyncCatchesUp(t *testing.T) {
	fx := newFixture(t)
	ls := lossyStore{Indexer: fx.st, ch: make(chan store.Change, 4)}
	tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	f := newFeed(fx.cfg, ls, fx.sink, zaptest.NewLogger(t), tel, "tracetree_feed")
	f.fl.Now = func() time.Time { return fx.clock }
	require.NoError(t, f.start(context.Background()))

	fx.clock = fx.clock.Add(time.Minute)
	fx.push(sdkSession) // indexed, but the change never reaches the feed
	fx.step(f)
	fx.clock = fx.clock.Add(time.Minute)
	fx.step(f)
	assert.Zero(t, fx.sink.SpanCount(), "the change was lost")

	ls.ch <- store.Change{Repo: repo, At: fx.clock}
	fx.step(f)
	require.Len(t, f.fl.Pending, 1, "catch-up found the trace")
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	assert.Equal(t, 4, fx.sink.SpanCount())
}

// TestFeedRestartCatchesLateFeedback: feedback that arrives while the
// receiver is down goes out as an update span after the restart.
func TestFeedRestartCatchesLateFeedback(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(sdkSession)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	require.Equal(t, 4, fx.sink.SpanCount())
	fx.clock = fx.clock.Add(time.Minute)
	fx.step(f) // checkpoint moves on (nothing pending)

	// Down for an hour; feedback arrives meanwhile.
	fx.clock = fx.clock.Add(30 * time.Minute)
	fx.push(`trace{id=` + traceID + `,action=add-feedback,data={"score":2}}`)
	fx.clock = fx.clock.Add(30 * time.Minute)
	fx.sink.Reset()
	f2 := fx.feed(nil)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f2)
	spans := spansByName(t, fx.sink.AllTraces())
	assert.Equal(t, []string{"update turn-1"}, keys(spans))
}

// TestFeedRetrievalErrorEventsEvaluations covers the other entity kinds
// and sub-records: a retrieval, an add-error child, an SDK event and an
// evaluation.
func TestFeedRetrievalErrorEventsEvaluations(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(`trace{id=trace-r,action=create,data={"name":"rag","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=trace-r,action=add-retrieval,data={"id":"ret-1","name":"vector-search","startTimestamp":"2026-11-22T08:00:00.100Z"}}
retrieval{id=ret-1,action=update,data={"input":"refund policy"}}
retrieval{id=ret-1,action=end,data={"docs":["doc one","doc two"],"endTimestamp":"2026-11-22T08:00:00.300Z"}}
trace{id=trace-r,action=add-event,data={"id":"ev-1","name":"cache-miss","timestamp":"2026-11-22T08:00:00.050Z","tags":{"layer":"l1"}}}
trace{id=trace-r,action=add-error,data={"id":"err-1","message":"rate limited","code":"429","errorType":"RateLimit"}}
trace{id=trace-r,action=evaluate,data={"with":"evaluators","evaluators":["clarity"],"timestamp":"2026-11-22T08:00:00.400Z"}}
trace{id=trace-r,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	spans := spansByName(t, fx.sink.AllTraces())
	root, ret, errSpan := spans["rag"], spans["retrieval vector-search"], spans["error"]
	require.False(t, root.SpanID().IsEmpty(), "got %v", keys(spans))
	require.False(t, ret.SpanID().IsEmpty(), "got %v", keys(spans))
	require.False(t, errSpan.SpanID().IsEmpty(), "got %v", keys(spans))

	assert.Equal(t, root.SpanID(), ret.ParentSpanID())
	assert.Equal(t, "retrieval", str(ret, "gen_ai.operation.name"))
	assert.Equal(t, "refund policy", str(ret, "gen_ai.retrieval.query.text"))
	assert.JSONEq(t, `["doc one","doc two"]`, str(ret, "gen_ai.retrieval.documents"))
	assert.Equal(t, ptrace.SpanKindClient, ret.Kind())

	assert.Equal(t, root.SpanID(), errSpan.ParentSpanID())
	assert.Equal(t, ptrace.StatusCodeError, errSpan.Status().Code())
	assert.Equal(t, "rate limited", errSpan.Status().Message())
	assert.Equal(t, "RateLimit", str(errSpan, "error.type"))
	assert.Equal(t, "429", str(errSpan, "error.code"))

	names := map[string]ptrace.SpanEvent{}
	for i := 0; i < root.Events().Len(); i++ {
		names[root.Events().At(i).Name()] = root.Events().At(i)
	}
	require.Contains(t, names, "cache-miss")
	assert.Equal(t, time.Date(2026, 11, 22, 8, 0, 0, 50_000_000, time.UTC), names["cache-miss"].Timestamp().AsTime())
	layer, _ := names["cache-miss"].Attributes().Get("maxim.tags.layer")
	assert.Equal(t, "l1", layer.AsString())
	require.Contains(t, names, "maxim.evaluation")
	ev, _ := names["maxim.evaluation"].Attributes().Get("maxim.evaluation.evaluators")
	assert.Equal(t, `["clarity"]`, ev.AsString())
}

// TestFeedOpenTraceIsNotReassembledUntilItChanges: an open trace waiting
// for its end costs nothing per tick.
func TestFeedOpenTraceIsNotReassembledUntilItChanges(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(strings.Split(sdkSession, "\n")[1])
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	ref := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: traceID}
	require.Contains(t, f.fl.Pending, ref)
	assert.Equal(t, f.fl.Pending[ref].LastChange.Add(fx.cfg.IncompleteTimeout), f.fl.Pending[ref].RetryAt, "parked until the timeout")

	fx.push(`trace{id=` + traceID + `,action=end,data={"endTimestamp":"2026-11-22T08:00:09.000Z"}}`)
	fx.step(f)
	assert.True(t, f.fl.Pending[ref].RetryAt.IsZero(), "a change wakes it")
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	assert.Equal(t, 1, fx.sink.SpanCount())
	assert.Empty(t, f.fl.Pending)
}

// TestFeedVerdictsAsSemconvEvents: a genai_eval verdict reaches the vendor
// as a gen_ai.evaluation.result event on the span it judges when it is
// stored before the trace goes out, and on the "update <name>" span of
// that span when it comes later.
func TestFeedVerdictsAsSemconvEvents(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(`trace{id=trace-v,action=create,data={"name":"judged","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=trace-v,action=evaluate,data={"with":"result","evaluator":"latency","score":1,"pass":true,"reason":"1000 ms within 2000 ms","timestamp":"2026-11-22T08:00:02.000Z"}}
trace{id=trace-v,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	root := spansByName(t, fx.sink.AllTraces())["judged"]
	require.Equal(t, 1, root.Events().Len())
	ev := root.Events().At(0)
	assert.Equal(t, "gen_ai.evaluation.result", ev.Name())
	attrs := ev.Attributes().AsRaw()
	assert.Equal(t, "latency", attrs["gen_ai.evaluation.name"])
	assert.Equal(t, 1.0, attrs["gen_ai.evaluation.score.value"])
	assert.Equal(t, "pass", attrs["gen_ai.evaluation.score.label"])
	assert.Equal(t, "1000 ms within 2000 ms", attrs["gen_ai.evaluation.explanation"])

	fx.sink.Reset()
	fx.push(`trace{id=trace-v,action=evaluate,data={"with":"result","evaluator":"pii","score":0,"pass":false,"reason":"1 email","judge":{"model":"m"},"timestamp":"2026-11-22T08:00:09.000Z"}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(f)
	upd := spansByName(t, fx.sink.AllTraces())["update judged"]
	require.Equal(t, 1, upd.Events().Len(), "only the new verdict")
	attrs = upd.Events().At(0).Attributes().AsRaw()
	assert.Equal(t, "pii", attrs["gen_ai.evaluation.name"])
	assert.Equal(t, "fail", attrs["gen_ai.evaluation.score.label"])
	assert.Equal(t, "m", attrs["maxim.evaluation.judge.model"])
}

// TestFeedOriginIsExplicit: whether a trace came in over OTLP is the origin
// spancommit records, not the shape of its ids. An SDK trace whose ids
// look like OTLP ids (32 and 16 hex digits) still goes out.
func TestFeedOriginIsExplicit(t *testing.T) {
	fx := newFixture(t)
	f := fx.feed(nil)
	fx.push(`trace{id=0123456789abcdef0123456789abcdef,action=create,data={"name":"hex-ids","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=0123456789abcdef0123456789abcdef,action=add-generation,data={"id":"0123456789abcdef","model":"gpt-4o","provider":"openai","startTimestamp":"2026-11-22T08:00:00.100Z"}}
generation{id=0123456789abcdef,action=end,data={"endTimestamp":"2026-11-22T08:00:00.900Z"}}
trace{id=0123456789abcdef0123456789abcdef,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`)
	fx.step(f)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(f)
	spans := spansByName(t, fx.sink.AllTraces())
	assert.Contains(t, spans, "hex-ids", "an SDK trace is emitted whatever its ids look like")
	assert.Contains(t, spans, "chat gpt-4o")
	assert.Empty(t, f.fl.Pending)
}
