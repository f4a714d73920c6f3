package genaievalreceiver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
)

const repo = "repo-1"

// chat is one SDK trace: a generation whose answer leaks an e-mail
// address, and a slow trace.
const chat = `trace{id=t-1,action=create,data={"name":"support","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=t-1,action=update,data={"input":"How do I reach support?"}}
trace{id=t-1,action=add-generation,data={"id":"g-1","name":"answer","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"How do I reach support?"}],"startTimestamp":"2026-11-22T08:00:00.100Z"}}
generation{id=g-1,action=result,data={"result":{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Write to jane.doe@example.com"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}}}
generation{id=g-1,action=end,data={"endTimestamp":"2026-11-22T08:00:01.100Z"}}
trace{id=t-1,action=update,data={"output":"Write to jane.doe@example.com"}}
trace{id=t-1,action=end,data={"endTimestamp":"2026-11-22T08:00:03.000Z"}}`

// counting wraps an evaluator and counts its calls.
type counting struct {
	evaluate.Evaluator
	calls *atomic.Int64
}

func (c counting) Evaluate(ctx context.Context, s evaluate.Subject) (evaluate.Result, error) {
	c.calls.Add(1)
	return c.Evaluator.Evaluate(ctx, s)
}

// failing always fails, like a judge that is down.
type failing struct{ calls *atomic.Int64 }

func (failing) Name() string { return "flaky-judge" }
func (f failing) Evaluate(context.Context, evaluate.Subject) (evaluate.Result, error) {
	f.calls.Add(1)
	return evaluate.Result{}, errors.New("judge: 3 attempts: status 500")
}

// blocking holds its evaluation of entity id until release is closed,
// like a judge that does not answer; other entities pass at once.
type blocking struct {
	id      string
	started chan struct{}
	release chan struct{}
}

func (blocking) Name() string { return "slow-judge" }
func (b blocking) Evaluate(ctx context.Context, s evaluate.Subject) (evaluate.Result, error) {
	if s.EntityID == b.id {
		close(b.started)
		select {
		case <-b.release:
		case <-ctx.Done():
			return evaluate.Result{}, ctx.Err()
		}
	}
	return evaluate.Result{Evaluator: "slow-judge", Score: 1, Pass: true, Reason: "fine"}, nil
}

// spending is a judge that fails its first failFirst calls and then
// answers; every call spends two attempts, 100 + 10 tokens and $0.001.
type spending struct {
	name      string
	failFirst int64
	calls     *atomic.Int64
}

func (s spending) Name() string { return s.name }
func (s spending) Evaluate(context.Context, evaluate.Subject) (evaluate.Result, error) {
	use := &evaluate.JudgeUsage{Model: "judge-1", InputTokens: 100, OutputTokens: 10, CostUSD: 0.001, HasCost: true, Attempts: 2}
	if s.calls.Add(1) <= s.failFirst {
		return evaluate.Result{Evaluator: s.name, Judge: use}, errors.New("judge: invalid verdict: not a JSON object")
	}
	return evaluate.Result{Evaluator: s.name, Score: 0.8, Pass: true, Reason: "fine", Judge: use}, nil
}

type fixture struct {
	t *testing.T
	// override replaces the built evaluator of that name.
	override map[string]evaluate.Evaluator
	// remote puts the evaluator of that name in the judge pool.
	remote map[string]bool
	st     *indexer.Indexer
	clock  time.Time
	cfg    *Config
	v      *commit.Versioner
	calls  map[string]*atomic.Int64
	// records counts the verdict log records handed to the pipeline.
	records atomic.Int64
	mu      sync.Mutex
	ids     []string
	// logs are the verdict logs as handed to the pipeline.
	logs []plog.Logs
	// lazyIndex leaves indexing the verdicts to the test (Flush), as the
	// collector's indexer does it after the hand-off, on its own time.
	lazyIndex bool
	// holdVerdicts keeps the verdicts handed to the pipeline in held
	// instead of storing them, for the test to store when it likes.
	holdVerdicts bool
	held         []commit.Commit
	// tel holds the engine's own metrics.
	tel *componenttest.Telemetry
}

func newFixture(t *testing.T, b store.Backend) *fixture {
	ix, err := indexer.New(b, indexer.DefaultConfig(), indexer.Settings{})
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	cfg.QuietPeriod = 5 * time.Second
	cfg.Evaluators = []EvaluatorConfig{
		evCfg(t, evaluate.Config{Name: "pii", Type: evaluate.TypePII}, Filter{Kinds: []string{"generation", "trace"}}),
		evCfg(t, evaluate.Config{Name: "latency", Type: evaluate.TypeLatency, MaxMs: 2000}, Filter{Kinds: []string{"trace"}}),
	}
	fx := &fixture{t: t, st: ix, clock: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), cfg: cfg,
		calls:    map[string]*atomic.Int64{"pii": {}, "latency": {}, "flaky-judge": {}},
		override: map[string]evaluate.Evaluator{}, remote: map[string]bool{}}
	fx.v = commit.NewVersionerClock(func() time.Time { return fx.clock })
	return fx
}

func evCfg(t *testing.T, c evaluate.Config, f Filter) EvaluatorConfig {
	require.NoError(t, c.Validate())
	return EvaluatorConfig{eval: c, Rate: 1, Filter: f}
}

// pipeline is what the collector wires: the verdict logs go through the
// commit codec into the store, as the tracetree exporter does.
func (fx *fixture) pipeline() consumer.Logs {
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		cs, err := commit.CommitsFromLogs(ld)
		if err != nil {
			return err
		}
		fx.records.Add(int64(len(cs)))
		cp := plog.NewLogs()
		ld.CopyTo(cp)
		fx.mu.Lock()
		fx.logs = append(fx.logs, cp)
		for _, c := range cs {
			fx.ids = append(fx.ids, c.ID.String())
		}
		hold := fx.holdVerdicts
		if hold {
			fx.held = append(fx.held, cs...)
		}
		fx.mu.Unlock()
		if hold {
			return nil
		}
		if err := fx.st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			return err
		}
		if fx.lazyIndex {
			return nil
		}
		return fx.st.Flush(ctx)
	})
	require.NoError(fx.t, err)
	return next
}

func (fx *fixture) engine(st store.Store) *engine {
	if st == nil {
		st = fx.st
	}
	fx.tel = componenttest.NewTelemetry()
	fx.t.Cleanup(func() { _ = fx.tel.Shutdown(context.Background()) })
	tel, err := metadata.NewTelemetryBuilder(fx.tel.NewTelemetrySettings())
	require.NoError(fx.t, err)
	var evs []*evaluator
	for _, ec := range fx.cfg.Evaluators {
		var ev evaluate.Evaluator
		if o, ok := fx.override[ec.eval.Name]; ok {
			ev = o
		} else if ec.eval.Name == "flaky-judge" {
			ev = failing{calls: fx.calls["flaky-judge"]}
		} else {
			built, err := evaluate.New(ec.eval, evaluate.Settings{})
			require.NoError(fx.t, err)
			ev = counting{Evaluator: built, calls: fx.calls[ec.eval.Name]}
		}
		evs = append(evs, &evaluator{name: ec.eval.Name, ev: ev, rate: ec.Rate, filter: ec.Filter,
			remote: ec.eval.Type == evaluate.TypeLLMJudge || fx.remote[ec.eval.Name]})
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	e := newEngine(fx.cfg, st, fx.pipeline(), zaptest.NewLogger(fx.t), tel, "genai_eval", "owner-"+hex.EncodeToString(b[:]), evs)
	e.fl.Now = func() time.Time { return fx.clock }
	ctx, cancel := context.WithCancel(context.Background())
	fx.t.Cleanup(cancel)
	require.NoError(fx.t, e.fl.Start(ctx))
	return e
}

func (fx *fixture) push(body string) {
	cs, errs := commit.ParseBody(repo, []byte(body), fx.v)
	require.Empty(fx.t, errs)
	require.NoError(fx.t, fx.st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
	require.NoError(fx.t, fx.st.Flush(context.Background()))
}

// pushShortChats stores ended traces s-1 … s-n, each with one generation
// sg-i that reports no token usage.
func (fx *fixture) pushShortChats(n int) {
	for i := 1; i <= n; i++ {
		fx.push(fmt.Sprintf(`trace{id=s-%[1]d,action=create,data={"name":"n","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=s-%[1]d,action=add-generation,data={"id":"sg-%[1]d","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"startTimestamp":"2026-11-22T08:00:00.100Z"}}
generation{id=sg-%[1]d,action=result,data={"result":{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}}}
generation{id=sg-%[1]d,action=end,data={"endTimestamp":"2026-11-22T08:00:00.500Z"}}
trace{id=s-%[1]d,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`, i))
	}
}

// judgeAll steps e, a quiet period apart, until no ref is pending.
func (fx *fixture) judgeAll(e *engine) {
	fx.t.Helper()
	require.Eventually(fx.t, func() bool {
		e.wait()
		fx.clock = fx.clock.Add(6 * time.Second)
		fx.step(e)
		return len(e.fl.Pending) == 0
	}, 30*time.Second, time.Millisecond, "every trace judged")
}

// step steps e like its run loop would until it settles: a step starts
// evaluations on their own goroutines, the next one collects their
// outcome, so step waits for them and steps again until a step starts
// none.
func (fx *fixture) step(e *engine) {
	fx.t.Helper()
	require.NoError(fx.t, settle(e))
}

func settle(e *engine) error {
	for {
		before := e.startedCount()
		if err := e.step(context.Background()); err != nil {
			return err
		}
		if e.startedCount() == before {
			return nil
		}
		e.wait()
	}
}

// verdicts reads the verdicts of every node of a trace: "kind/id" →
// evaluator → evaluation.
// evaluationsCounted is otelcol_genai_eval_evaluations by (evaluator,
// outcome).
func (fx *fixture) evaluationsCounted() map[[2]string]int64 {
	m, err := fx.tel.GetMetric("otelcol_genai_eval_evaluations")
	require.NoError(fx.t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(fx.t, ok, "%T", m.Data)
	out := map[[2]string]int64{}
	for _, p := range sum.DataPoints {
		ev, _ := p.Attributes.Value("evaluator")
		o, _ := p.Attributes.Value("outcome")
		out[[2]string{ev.AsString(), o.AsString()}] += p.Value
	}
	return out
}

func (fx *fixture) verdicts(traceID string) map[string]map[string]tree.Evaluation {
	tr, err := tree.AssembleTrace(context.Background(), fx.st, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: traceID})
	require.NoError(fx.t, err)
	out := map[string]map[string]tree.Evaluation{}
	tree.Walk(tr.Root, func(n *tree.TreeNode) {
		for _, ev := range n.Evaluations {
			if ev.With != tree.EvaluationWithResult {
				continue
			}
			k := string(n.Kind) + "/" + n.ID
			if out[k] == nil {
				out[k] = map[string]tree.Evaluation{}
			}
			out[k][ev.Evaluator] = ev
		}
	})
	return out
}

func TestEngineJudgesQuietEndedEntities(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(nil)
	fx.push(chat)
	fx.step(e)
	assert.Zero(t, fx.records.Load(), "nothing before the quiet period")
	fx.clock = fx.clock.Add(4 * time.Second)
	fx.step(e)
	assert.Zero(t, fx.records.Load(), "still inside the quiet period")
	fx.clock = fx.clock.Add(2 * time.Second)
	fx.step(e)

	v := fx.verdicts("t-1")
	require.Contains(t, v, "generation/g-1")
	pii := v["generation/g-1"]["pii"]
	require.NotNil(t, pii.Pass)
	assert.False(t, *pii.Pass, "the answer leaks an e-mail address: %+v", pii)
	assert.NotEmpty(t, pii.Reason)
	assert.NotContains(t, v["generation/g-1"], "latency", "latency is filtered to traces")
	require.Contains(t, v, "trace/t-1")
	assert.False(t, *v["trace/t-1"]["pii"].Pass, "the trace output leaks it too")
	lat := v["trace/t-1"]["latency"]
	require.NotNil(t, lat.Pass)
	assert.False(t, *lat.Pass, "3 s trace over a 2 s budget")
	assert.Equal(t, int64(3), fx.records.Load(), "pii×2 + latency×1")
	assert.Equal(t, map[[2]string]int64{{"pii", "failed"}: 2, {"latency", "failed"}: 1}, fx.evaluationsCounted())

	// Our own verdicts change the trace; once quiet again nothing is
	// judged twice and the trace leaves the pending set.
	fx.step(e) // hears of the verdict commits
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(3), fx.records.Load())
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(2), fx.calls["pii"].Load())
	assert.Equal(t, int64(1), fx.calls["latency"].Load())
}

func TestEngineWaitsForTheEnd(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(nil)
	fx.push(`trace{id=t-2,action=create,data={"name":"open","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=t-2,action=update,data={"output":"call me at jane@example.org"}}`)
	fx.clock = fx.clock.Add(time.Minute)
	fx.step(e)
	assert.Zero(t, fx.records.Load(), "an open trace is not judged")
	ref := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "t-2"}
	require.Contains(t, e.fl.Pending, ref)
	fx.push(`trace{id=t-2,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	v := fx.verdicts("t-2")
	assert.False(t, *v["trace/t-2"]["pii"].Pass)
	assert.True(t, *v["trace/t-2"]["latency"].Pass)
}

// TestEngineRestartResumesWithoutDuplicates: a second engine on the same
// store (a restart: new owner id) judges what the first left and nothing
// it had judged; a third has nothing to do.
func TestEngineRestartResumesWithoutDuplicates(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e1 := fx.engine(nil)
	fx.push(chat)
	fx.step(e1)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e1)
	require.Equal(t, int64(3), fx.records.Load())
	fx.push(`trace{id=t-3,action=create,data={"name":"second","startTimestamp":"2026-11-22T08:01:00.000Z"}}
trace{id=t-3,action=end,data={"endTimestamp":"2026-11-22T08:01:01.000Z"}}`)
	fx.step(e1) // stops before t-3 is quiet

	e2 := fx.engine(nil)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e2)
	assert.Equal(t, int64(5), fx.records.Load(), "t-3 judged by pii and latency, t-1 not again")
	assert.Len(t, fx.verdicts("t-3")["trace/t-3"], 2)

	e3 := fx.engine(nil)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(e3)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(e3)
	assert.Equal(t, int64(5), fx.records.Load())
	assert.Equal(t, int64(3), fx.calls["pii"].Load())
}

// TestVerdictIDsAreDeterministic: the same judgement gives the same commit
// id whatever the judge said and when; another evaluator, entity or
// judged content gives another.
func TestVerdictIDsAreDeterministic(t *testing.T) {
	s := evaluate.Subject{Repo: repo, Kind: "generation", EntityID: "g-1", Output: "hi"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := verdictCommit(s, "relevance", evaluate.Result{Score: 0.9, Pass: true, Reason: "ok"}, nil, t0, 1)
	require.NoError(t, err)
	b, err := verdictCommit(s, "relevance", evaluate.Result{Score: 0.2, Reason: "off"}, nil, t0.Add(time.Hour), 2)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID)
	assert.NotEqual(t, string(a.Data), string(b.Data))
	c, _ := verdictCommit(s, "pii", evaluate.Result{}, nil, t0, 1)
	assert.NotEqual(t, a.ID, c.ID)
	s2 := s
	s2.EntityID = "g-2"
	d, _ := verdictCommit(s2, "relevance", evaluate.Result{}, nil, t0, 1)
	assert.NotEqual(t, a.ID, d.ID)
	s3 := s
	s3.Output = "hello"
	e, _ := verdictCommit(s3, "relevance", evaluate.Result{}, nil, t0, 1)
	assert.NotEqual(t, a.ID, e.ID)

	// Stored twice (a replay, two members): one commit, the first.
	ms := memstore.New()
	require.NoError(t, ms.Apply(context.Background(), []commit.Commit{a}, nil))
	require.NoError(t, ms.Apply(context.Background(), []commit.Commit{b}, nil))
	ref := commit.NodeRef{Repo: repo, Kind: "generation", ID: "g-1"}
	got, err := ms.Commits(context.Background(), []commit.NodeRef{ref})
	require.NoError(t, err)
	require.Len(t, got[ref], 1)
	assert.JSONEq(t, string(a.Data), string(got[ref][0].Data))

	// The record is the commit codec's (what mxin emits), and decodes back.
	ld := commit.LogsFromCommits([]commit.Commit{a})
	back, err := commit.CommitsFromLogs(ld)
	require.NoError(t, err)
	require.Len(t, back, 1)
	assert.Equal(t, a.ID, back[0].ID)
	assert.Equal(t, commit.ActionEvaluate, back[0].Action)
}

func TestSamplingIsDeterministic(t *testing.T) {
	const n = 20000
	hits := 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("g-%d", i)
		x := sampled("relevance", repo, "generation", id, 0.25)
		assert.Equal(t, x, sampled("relevance", repo, "generation", id, 0.25))
		if x {
			hits++
		}
	}
	assert.InDelta(t, 0.25, float64(hits)/n, 0.02)
	// A smaller rate samples a subset of a larger one.
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("g-%d", i)
		if sampled("relevance", repo, "generation", id, 0.1) {
			assert.True(t, sampled("relevance", repo, "generation", id, 0.5))
		}
	}
	assert.False(t, sampled("x", repo, "trace", "t", 0))
	assert.True(t, sampled("x", repo, "trace", "t", 1))
}

func TestFilters(t *testing.T) {
	gen := &tree.TreeNode{Node: tree.Node{Kind: "generation", ID: "g", Name: "answer", Model: "gpt-4o",
		Tags: map[string]string{"env": "prod", "team": "a"}}}
	cases := []struct {
		f    Filter
		repo string
		want bool
	}{
		{Filter{}, repo, true},
		{Filter{Repositories: []string{"other"}}, repo, false},
		{Filter{Repositories: []string{repo}}, repo, true},
		{Filter{Kinds: []string{"trace"}}, repo, false},
		{Filter{Kinds: []string{"trace", "generation"}}, repo, true},
		{Filter{Names: []string{"plan"}}, repo, false},
		{Filter{Names: []string{"answer"}}, repo, true},
		{Filter{Tags: map[string]string{"env": "prod"}}, repo, true},
		{Filter{Tags: map[string]string{"env": "dev"}}, repo, false},
		{Filter{Tags: map[string]string{"env": "prod", "team": "b"}}, repo, false},
		{Filter{Models: []string{"gpt-4o-mini"}}, repo, false},
		{Filter{Models: []string{"gpt-4o"}}, repo, true},
	}
	for i, c := range cases {
		ev := &evaluator{name: "e", rate: 1, filter: c.f}
		assert.Equal(t, c.want, ev.selects(c.repo, gen), "case %d: %+v", i, c.f)
	}
}

// TestEngineRateZeroJudgesNothing: sampling applies in the engine.
func TestEngineRateZeroJudgesNothing(t *testing.T) {
	fx := newFixture(t, memstore.New())
	for i := range fx.cfg.Evaluators {
		fx.cfg.Evaluators[i].Rate = 0
	}
	e := fx.engine(nil)
	fx.push(chat)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Zero(t, fx.records.Load())
	assert.Empty(t, e.fl.Pending)
}

// TestEngineRecordsJudgeFailures: a judge that keeps failing is retried
// error_retries more rounds (backoff by the clock), then its error is
// recorded as the verdict; ingest and the other evaluators go on.
func TestEngineRecordsJudgeFailures(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.ErrorRetries = 1
	fx.cfg.ErrorBackoff = 30 * time.Second
	fx.cfg.Evaluators = append(fx.cfg.Evaluators, evCfg(t, evaluate.Config{Name: "flaky-judge", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}))
	e := fx.engine(nil)
	fx.push(chat)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(1), fx.calls["flaky-judge"].Load())
	assert.NotContains(t, fx.verdicts("t-1")["generation/g-1"], "flaky-judge", "first failure is retried, not recorded")
	assert.Contains(t, fx.verdicts("t-1")["generation/g-1"], "pii", "other evaluators are not held back")
	fx.clock = fx.clock.Add(10 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(1), fx.calls["flaky-judge"].Load(), "waits for the backoff")
	fx.clock = fx.clock.Add(25 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(2), fx.calls["flaky-judge"].Load())
	ev := fx.verdicts("t-1")["generation/g-1"]["flaky-judge"]
	assert.Contains(t, ev.Error, "status 500")
	assert.Nil(t, ev.Pass)
	fx.step(e)
	fx.clock = fx.clock.Add(time.Hour)
	fx.step(e)
	assert.Equal(t, int64(2), fx.calls["flaky-judge"].Load(), "a recorded error is final")
	assert.Empty(t, e.fl.Pending)
}

// TestEnginesOnPostgresJudgeOnce: two engines (two collectors of a fleet)
// follow one PostgreSQL store and see the same traces; each (entity,
// evaluator) is judged by exactly one of them.
func TestEnginesOnPostgresJudgeOnce(t *testing.T) {
	dsn := os.Getenv("GENAI_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s is unreachable in CI: %v", dsn, err)
		}
		t.Skipf("needs PostgreSQL at %s (GENAI_POSTGRES_DSN): %v", dsn, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "genai_eval_t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		_ = conn.Close(context.Background())
	})
	open := func() *pgstore.Store {
		cfg := pgstore.DefaultConfig()
		cfg.DSN = configopaque.String(dsn)
		cfg.Schema = schema
		cfg.MaxConns = 4
		s, err := pgstore.New(ctx, cfg, zaptest.NewLogger(t))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	fx := newFixture(t, open())
	// Claims are for evaluators that call out (LLM judges): run these two
	// as judges.
	fx.remote["pii"], fx.remote["latency"] = true, true
	ix2, err := indexer.New(open(), indexer.DefaultConfig(), indexer.Settings{})
	require.NoError(t, err)
	e1 := fx.engine(nil)
	e2 := fx.engine(ix2)
	var body string
	for i := 0; i < 4; i++ {
		body += fmt.Sprintf(`trace{id=p-%d,action=create,data={"name":"n","output":"mail me: x%d@example.com","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=p-%d,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}
`, i, i, i)
	}
	fx.push(body)
	for i := 0; i < 4; i++ {
		// The second member has no live change (another process wrote):
		// it hears of the traces as the first does.
		e2.fl.Touch(ctx, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: fmt.Sprintf("p-%d", i)}, fx.clock, fx.clock)
	}
	fx.clock = fx.clock.Add(6 * time.Second)
	var wg sync.WaitGroup
	for _, e := range []*engine{e1, e2} {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, settle(e)) }()
	}
	wg.Wait()
	assert.Equal(t, int64(4), fx.calls["pii"].Load(), "each trace judged once by pii")
	assert.Equal(t, int64(4), fx.calls["latency"].Load(), "each trace judged once by latency")
	assert.Equal(t, int64(8), fx.records.Load())
	for i := 0; i < 4; i++ {
		assert.Len(t, fx.verdicts(fmt.Sprintf("p-%d", i))[fmt.Sprintf("trace/p-%d", i)], 2)
	}
}

// TestEngineSlowEvaluationHoldsNothingBack: evaluations run beside the
// follower, judges in a pool of their own, so while a judge call does not
// answer (and takes the only judge slot), the deterministic evaluators of
// its trace and of the next trace go on; the next trace's judge call waits
// for the slot.
func TestEngineSlowEvaluationHoldsNothingBack(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.Concurrency = 1
	fx.cfg.Evaluators = append(fx.cfg.Evaluators, evCfg(t, evaluate.Config{Name: "slow-judge", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}))
	slow := blocking{id: "g-1", started: make(chan struct{}), release: make(chan struct{})}
	fx.override["slow-judge"] = slow
	fx.remote["slow-judge"] = true
	e := fx.engine(nil)
	ctx := context.Background()
	fx.push(chat)
	require.NoError(t, e.step(ctx)) // hears of t-1
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(t, e.step(ctx))
	select {
	case <-slow.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow judge was not asked about g-1")
	}

	fx.push(`trace{id=t-4,action=create,data={"name":"next","startTimestamp":"2026-11-22T08:02:00.000Z"}}
trace{id=t-4,action=add-generation,data={"id":"g-4","name":"answer","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"startTimestamp":"2026-11-22T08:02:00.100Z"}}
generation{id=g-4,action=result,data={"result":{"id":"c4","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}}}
generation{id=g-4,action=end,data={"endTimestamp":"2026-11-22T08:02:00.500Z"}}
trace{id=t-4,action=end,data={"endTimestamp":"2026-11-22T08:02:01.000Z"}}`)
	require.NoError(t, e.step(ctx))
	fx.clock = fx.clock.Add(6 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		require.NoError(t, e.step(ctx))
		v4, v1 := fx.verdicts("t-4"), fx.verdicts("t-1")
		if len(v4["generation/g-4"]) == 1 && len(v4["trace/t-4"]) == 2 && len(v1["trace/t-1"]) == 2 && len(v1["generation/g-1"]) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "deterministic verdicts held back by a hanging judge: %v / %v", v4, v1)
		time.Sleep(5 * time.Millisecond)
		// Our verdicts are changes too: past their quiet period.
		fx.clock = fx.clock.Add(6 * time.Second)
	}
	assert.NotContains(t, fx.verdicts("t-1")["generation/g-1"], "slow-judge", "still held")
	assert.NotContains(t, fx.verdicts("t-4")["generation/g-4"], "slow-judge", "waits for the judge slot")

	close(slow.release)
	e.wait()
	for range 3 {
		fx.clock = fx.clock.Add(6 * time.Second)
		fx.step(e)
	}
	assert.True(t, *fx.verdicts("t-1")["generation/g-1"]["slow-judge"].Pass)
	assert.True(t, *fx.verdicts("t-4")["generation/g-4"]["slow-judge"].Pass)
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(8), fx.records.Load(), "per trace: pii on the trace and the generation, latency, slow-judge")
}

// TestEngineVerdictCarriesEveryRoundsSpend: a judge that failed rounds
// before it answered, or never answered, is recorded with the calls,
// tokens and cost of every round.
func TestEngineVerdictCarriesEveryRoundsSpend(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.ErrorRetries = 2
	fx.cfg.ErrorBackoff = 30 * time.Second
	fx.cfg.Evaluators = []EvaluatorConfig{
		evCfg(t, evaluate.Config{Name: "late", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}),
		evCfg(t, evaluate.Config{Name: "never", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}),
	}
	late, never := &atomic.Int64{}, &atomic.Int64{}
	fx.override["late"] = spending{name: "late", failFirst: 1, calls: late}
	fx.override["never"] = spending{name: "never", failFirst: 1 << 30, calls: never}
	e := fx.engine(nil)
	fx.push(chat)
	for i := 0; i < 4; i++ {
		fx.clock = fx.clock.Add(6 * time.Second)
		fx.step(e)
		fx.clock = fx.clock.Add(time.Minute) // past the longest backoff
		fx.step(e)
	}
	assert.Equal(t, int64(2), late.Load())
	assert.Equal(t, int64(3), never.Load(), "1 + error_retries rounds")
	v := fx.verdicts("t-1")["generation/g-1"]

	l := v["late"]
	require.NotNil(t, l.Judge)
	assert.Empty(t, l.Error)
	assert.Equal(t, 0.8, *l.Score)
	assert.Equal(t, 4, l.Judge.Attempts)
	assert.Equal(t, int64(200), l.Judge.InputTokens)
	assert.Equal(t, int64(20), l.Judge.OutputTokens)
	require.NotNil(t, l.Judge.Cost)
	assert.InDelta(t, 0.002, *l.Judge.Cost, 1e-12)

	n := v["never"]
	require.NotNil(t, n.Judge, "an errored verdict records what the judge cost")
	assert.Contains(t, n.Error, "invalid verdict")
	assert.Nil(t, n.Score)
	assert.Nil(t, n.Pass)
	assert.Equal(t, "judge-1", n.Judge.Model)
	assert.Equal(t, 6, n.Judge.Attempts)
	assert.Equal(t, int64(300), n.Judge.InputTokens)
	assert.Equal(t, int64(30), n.Judge.OutputTokens)
	require.NotNil(t, n.Judge.Cost)
	assert.InDelta(t, 0.003, *n.Judge.Cost, 1e-12)
}

// gated holds every evaluation until release is closed, then passes, or
// does not apply when na is set; it counts its calls.
type gated struct {
	name    string
	na      bool
	release chan struct{}
	calls   *atomic.Int64
}

func (g gated) Name() string { return g.name }
func (g gated) Evaluate(ctx context.Context, s evaluate.Subject) (evaluate.Result, error) {
	g.calls.Add(1)
	if g.release != nil {
		select {
		case <-g.release:
		case <-ctx.Done():
			return evaluate.Result{}, ctx.Err()
		}
	}
	if g.na {
		return evaluate.Result{}, fmt.Errorf("%w: nothing to judge on %s", evaluate.ErrNotApplicable, s.EntityID)
	}
	return evaluate.Result{Evaluator: g.name, Score: 1, Pass: true, Reason: "fine"}, nil
}

// TestEnginesLosingAClaimEndUp: two members of a fleet (one backend, and
// neither hears the other's writes live, as on PostgreSQL). The second
// loses both claims to the first, which is still judging; after claim_ttl
// it reads the trace again and finds the first member's verdict instead of
// retrying a claim that is done for ever, and an evaluator that did not
// apply released its claim, so the second decides that for itself. Both
// end with nothing pending and the verdict stored once.
func TestEnginesLosingAClaimEndUp(t *testing.T) {
	ms := memstore.New()
	fx := newFixture(t, ms)
	fx.cfg.ClaimTTL = time.Minute
	fx.cfg.Evaluators = []EvaluatorConfig{
		evCfg(t, evaluate.Config{Name: "judged", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"trace"}}),
		evCfg(t, evaluate.Config{Name: "inapt", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"trace"}}),
	}
	release := make(chan struct{})
	first := map[string]*atomic.Int64{"judged": {}, "inapt": {}}
	fx.override["judged"] = gated{name: "judged", release: release, calls: first["judged"]}
	fx.override["inapt"] = gated{name: "inapt", na: true, release: release, calls: first["inapt"]}
	fx.remote["judged"], fx.remote["inapt"] = true, true // judges take claims
	e1 := fx.engine(nil)
	second := map[string]*atomic.Int64{"judged": {}, "inapt": {}}
	fx.override["judged"] = gated{name: "judged", calls: second["judged"]}
	fx.override["inapt"] = gated{name: "inapt", na: true, calls: second["inapt"]}
	ix2, err := indexer.New(ms, indexer.DefaultConfig(), indexer.Settings{})
	require.NoError(t, err)
	e2 := fx.engine(ix2)
	ctx := context.Background()

	fx.push(`trace{id=f-1,action=create,data={"name":"n","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=f-1,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`)
	ref := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "f-1"}
	require.NoError(t, e1.step(ctx))
	e2.fl.Touch(ctx, ref, fx.clock, fx.clock)
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(t, e1.step(ctx)) // takes both claims; its evaluations wait
	require.Eventually(t, func() bool { return first["judged"].Load() == 1 && first["inapt"].Load() == 1 }, 10*time.Second, time.Millisecond)
	fx.step(e2) // loses both
	assert.Zero(t, second["judged"].Load()+second["inapt"].Load())

	close(release)
	e1.wait()
	fx.step(e1)
	require.Contains(t, fx.verdicts("f-1")["trace/f-1"], "judged")

	fx.clock = fx.clock.Add(2 * time.Minute) // past claim_ttl
	fx.step(e2)
	assert.Zero(t, second["judged"].Load(), "the first member's verdict is found, not judged again")
	assert.Equal(t, int64(1), second["inapt"].Load(), "a released claim is taken")
	assert.Empty(t, e2.fl.Pending, "the second member is done with the trace")
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e1)
	assert.Empty(t, e1.fl.Pending)
	assert.Equal(t, int64(1), fx.records.Load(), "one verdict stored")
}

// TestEngineShedsWaitingRunsPastTheBound: refs waiting for a slot past
// engine.maxHeld drop their jobs (what they hold of the tree), keep their
// place in the queue, and are read again when their turn comes. Nothing
// is judged twice or lost, and the deterministic evaluators of every
// trace go on meanwhile.
func TestEngineShedsWaitingRunsPastTheBound(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.Concurrency = 1
	fx.cfg.Evaluators = append(fx.cfg.Evaluators, evCfg(t, evaluate.Config{Name: "slow-judge", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}))
	release := make(chan struct{})
	calls := &atomic.Int64{}
	fx.override["slow-judge"] = gated{name: "slow-judge", release: release, calls: calls}
	fx.remote["slow-judge"] = true
	reads := &traceReads{Indexer: fx.st, n: map[string]int{}}
	e := fx.engine(reads)
	e.maxHeld = 1
	ctx := context.Background()
	const traces = 4
	fx.pushShortChats(traces)
	require.NoError(t, e.step(ctx)) // hears of them
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(t, e.step(ctx)) // s-1's judge call takes the slot; the others queue
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	e.mu.Lock()
	var shed, held []string
	for ref, run := range e.runs {
		switch {
		case run.shed:
			for _, js := range run.jobs {
				assert.NotEqual(t, poolJudge, poolOf(js.ev), "%s shed its judge jobs", ref.ID)
			}
			shed = append(shed, ref.ID)
		case e.queued[poolJudge][ref]:
			held = append(held, ref.ID)
		}
	}
	e.mu.Unlock()
	assert.Len(t, held, 1, "maxHeld refs keep their judge jobs")
	assert.Len(t, shed, traces-2, "the rest shed theirs")

	// The deterministic evaluators do not wait for the judge.
	require.Eventually(t, func() bool {
		if err := e.step(ctx); err != nil {
			return false
		}
		for i := 1; i <= traces; i++ {
			v := fx.verdicts(fmt.Sprintf("s-%d", i))
			if _, ok := v[fmt.Sprintf("generation/sg-%d", i)]["pii"]; !ok {
				return false
			}
			if _, ok := v[fmt.Sprintf("trace/s-%d", i)]["latency"]; !ok {
				return false
			}
		}
		return true
	}, 30*time.Second, time.Millisecond, "deterministic verdicts held back by the judge")
	assert.Equal(t, int64(1), calls.Load(), "the judge still holds its slot")
	// The refs stay pending behind the judge; their settled jobs keep
	// only what they are (key), not what they judged. (A verdict is in
	// the store a moment before its job records that it settled.)
	require.Eventually(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		settled := 0
		for _, run := range e.runs {
			settled += len(run.settled)
		}
		return settled == traces*3 // pii ×2, latency
	}, 10*time.Second, time.Millisecond, "the local jobs settle")
	e.mu.Lock()
	for ref, run := range e.runs {
		for key := range run.settled {
			assert.NotContains(t, run.jobs, key, "%s: settled %s keeps its job state", ref.ID, key)
		}
	}
	e.mu.Unlock()

	close(release)
	fx.judgeAll(e)
	for i := 1; i <= traces; i++ {
		assert.Contains(t, fx.verdicts(fmt.Sprintf("s-%d", i))[fmt.Sprintf("generation/sg-%d", i)], "slow-judge")
	}
	assert.Equal(t, int64(traces), calls.Load(), "each generation judged once")
	assert.Equal(t, int64(traces*4), fx.records.Load(), "per trace: pii ×2, latency, slow-judge")
	for _, id := range shed {
		assert.GreaterOrEqual(t, reads.count(id), 2, "%s was read again for its turn", id)
	}
}

// traceReads counts the reads of each trace's own node by id.
type traceReads struct {
	*indexer.Indexer
	mu sync.Mutex
	n  map[string]int
}

// ObserveTraces shows the engine no tree: every look is a read.
func (s *traceReads) ObserveTraces(indexer.TraceObserver) func() { return func() {} }

func (s *traceReads) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	s.mu.Lock()
	for _, r := range refs {
		if r.Kind == commit.EntityTrace {
			s.n[r.ID]++
		}
	}
	s.mu.Unlock()
	return s.Indexer.Commits(ctx, refs)
}

func (s *traceReads) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[id]
}

// TestSharedDigestKeepsVerdictIDs: the evaluators of one node share the
// subject's digest, and their verdicts keep the ids verdictID gives: the
// ids of verdicts already stored, so an upgrade judges nothing twice (the
// golden id pins them across releases).
func TestSharedDigestKeepsVerdictIDs(t *testing.T) {
	s := evaluate.Subject{Repo: repo, Kind: "generation", EntityID: "g-1", TraceID: "t-1", Input: "hi", Output: "hello", Context: []string{"doc"}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &subjectDigest{}
	for _, name := range []string{"pii", "relevance"} {
		c, err := verdictCommitOf(s, d.of(s), name, evaluate.Result{Score: 1, Pass: true}, nil, t0, 1)
		require.NoError(t, err)
		assert.Equal(t, verdictID(s, name), c.ID, name)
	}
	assert.Equal(t, "124e2054b010b3196d06a3a4ff5e7b97", verdictID(s, "relevance").String())
}

// TestSettledPairsAreNotRunAgainOnARead: a ref waiting for a judge slot
// is read again when something else changes it; a pair that settled
// without a verdict (the evaluator did not apply) is not run again then,
// although the new read plans it again (no verdict on the node).
func TestSettledPairsAreNotRunAgainOnARead(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.Concurrency = 1
	fx.cfg.Evaluators = append(fx.cfg.Evaluators,
		evCfg(t, evaluate.Config{Name: "tokens", Type: evaluate.TypeTokenBudget, MaxTokens: 100}, Filter{Kinds: []string{"generation"}}),
		evCfg(t, evaluate.Config{Name: "slow-judge", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"generation"}}))
	fx.calls["tokens"] = &atomic.Int64{}
	slow := blocking{id: "sg-1", started: make(chan struct{}), release: make(chan struct{})}
	fx.override["slow-judge"] = slow
	fx.remote["slow-judge"] = true
	e := fx.engine(nil)
	ctx := context.Background()
	fx.pushShortChats(2)            // no usage: the token budget does not apply
	require.NoError(t, e.step(ctx)) // hears of them
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(t, e.step(ctx)) // s-1's judge call takes the slot; s-2's waits
	select {
	case <-slow.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow judge was not asked about sg-1")
	}
	s2 := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "s-2"}
	require.Eventually(t, func() bool {
		if err := e.step(ctx); err != nil {
			return false
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		run := e.runs[s2]
		return run != nil && len(run.settled) == 4 // pii ×2, latency, tokens
	}, 30*time.Second, time.Millisecond, "s-2's local pairs settle")
	require.Equal(t, int64(2), fx.calls["tokens"].Load())

	// Another change to s-2 while it waits for the judge: read again.
	e.mu.Lock()
	readBefore := e.runs[s2].read
	e.mu.Unlock()
	fx.push(`trace{id=s-2,action=update,data={"metadata":{"k":"v"}}}`)
	require.Eventually(t, func() bool {
		if err := e.step(ctx); err != nil {
			return false
		}
		fx.clock = fx.clock.Add(time.Second)
		e.mu.Lock()
		defer e.mu.Unlock()
		run := e.runs[s2]
		return run != nil && run.read.After(readBefore)
	}, 30*time.Second, time.Millisecond, "s-2 is read again")
	for range 3 { // whatever the read queued gets its turn
		require.NoError(t, e.step(ctx))
	}
	assert.Equal(t, int64(2), fx.calls["tokens"].Load(), "a settled pair ran again")

	close(slow.release)
	fx.judgeAll(e)
	assert.Equal(t, int64(2), fx.calls["tokens"].Load())
	assert.Equal(t, int64(2), fx.evaluationsCounted()[[2]string{"tokens", metadata.OutcomeNotApplicable}])
}
