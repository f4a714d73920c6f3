// Package treegen generates random but realistic SDK commit streams for
// property tests and benchmarks: sessions, traces with nested spans,
// generations with every result form, tool calls, retrievals, errors with
// and without ids, events, feedback, evaluations, attachments in both SDK
// spellings, tags/metadata/metrics in both shapes, mutations after end,
// unknown actions and traces moved between sessions. The same seed always
// yields the same commits.
package treegen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Case is one generated scenario.
type Case struct {
	Seed  uint64
	Repo  string
	Trace commit.NodeRef
	// Sessions the trace was ever attached to (its final one last).
	Sessions []commit.NodeRef
	// Commits in the order an SDK would send them, versions assigned in
	// that order (as one receiver would).
	Commits []commit.Commit
	// Depth of the node each commit mutates (trace 0, its children 1, …;
	// sessions -1), for children-first orderings.
	Depth []int
}

// Options bound the size of a case.
type Options struct {
	MaxChildren int // per container
	MaxDepth    int // span nesting
	MaxNodes    int // total nodes
}

// DefaultOptions make small-to-medium trees (a few to ~60 nodes).
var DefaultOptions = Options{MaxChildren: 5, MaxDepth: 3, MaxNodes: 60}

type gen struct {
	rng     *rand.Rand
	repo    string
	py      bool // Python dialect for this case
	lines   []string
	depths  []int
	nodes   int
	opts    Options
	clock   time.Time
	idSeq   int
	late    []pendingLine // mutations emitted after the parent ended
	traceID string
}

type pendingLine struct {
	line  string
	depth int
}

// Generate builds a case from seed.
func Generate(seed uint64, opts Options) Case {
	g := &gen{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		repo:  "repo-" + strconv.Itoa(int(seed%3)),
		opts:  opts,
		clock: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC).Add(time.Duration(seed%1000) * time.Minute),
	}
	g.py = g.rng.IntN(3) == 0
	g.traceID = g.id("trace")
	c := Case{Seed: seed, Repo: g.repo, Trace: commit.NodeRef{Repo: g.repo, Kind: commit.EntityTrace, ID: g.traceID}}

	var sess []string
	if g.rng.IntN(4) != 0 {
		sess = append(sess, g.id("sess"))
		g.emit(-1, "session", sess[0], "create", fmt.Sprintf(`{"name":%q,"tags":{"channel":"web"},"startTimestamp":%q}`, "s-"+sess[0], g.ts()))
	}
	create := fmt.Sprintf(`{"name":"turn","tags":{"userId":"u-%d"},"startTimestamp":%q`, g.rng.IntN(100), g.ts())
	if len(sess) > 0 && g.rng.IntN(2) == 0 {
		create += fmt.Sprintf(`,"sessionId":%q`, sess[0])
	}
	g.emit(0, "trace", g.traceID, "create", create+"}")
	if len(sess) > 0 && !strings.Contains(create, "sessionId") {
		g.emit(0, "trace", g.traceID, "update", fmt.Sprintf(`{"sessionId":%q}`, sess[0]))
	}
	g.emit(0, "trace", g.traceID, "update", fmt.Sprintf(`{"input":%q}`, "question "+strconv.Itoa(g.rng.IntN(1000))))
	g.container("trace", g.traceID, 0)
	g.subRecords("trace", g.traceID, 0)
	g.emit(0, "trace", g.traceID, "update", `{"output":"answer"}`)
	g.emit(0, "trace", g.traceID, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
	// Late mutations after end: ordinary commits.
	g.emit(0, "trace", g.traceID, "update", fmt.Sprintf(`{"tags":{"late":"%d"}}`, g.rng.IntN(5)))
	for _, p := range g.late {
		g.lines = append(g.lines, p.line)
		g.depths = append(g.depths, p.depth)
	}
	if len(sess) > 0 && g.rng.IntN(5) == 0 {
		// Move the trace to another session: the old one must drop it.
		sess = append(sess, g.id("sess"))
		g.emit(-1, "session", sess[1], "create", fmt.Sprintf(`{"name":"moved","tags":{},"startTimestamp":%q}`, g.ts()))
		g.emit(0, "trace", g.traceID, "update", fmt.Sprintf(`{"sessionId":%q}`, sess[1]))
	}
	for _, s := range sess {
		g.emit(-1, "session", s, "update", `{"metrics":{"turns":2}}`)
		if g.rng.IntN(2) == 0 {
			g.emit(-1, "session", s, "add-feedback", fmt.Sprintf(`{"score":%d}`, g.rng.IntN(5)))
		}
		g.emit(-1, "session", s, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
		c.Sessions = append(c.Sessions, commit.NodeRef{Repo: g.repo, Kind: commit.EntitySession, ID: s})
	}
	if g.rng.IntN(6) == 0 {
		g.emit(0, "trace", g.traceID, "frobnicate", `{"x":1}`) // unknown action: kept, surfaced
	}

	v := commit.NewVersionerClock(func() time.Time { return time.Unix(0, int64(seed%1e6)*1e9+1e18) })
	body := strings.Join(g.lines, "\n")
	commits, errs := commit.ParseBody(g.repo, []byte(body), v)
	if len(errs) > 0 {
		panic(fmt.Sprintf("treegen produced an unparsable line: %v", errs[0]))
	}
	c.Commits = commits
	c.Depth = g.depths
	return c
}

func (g *gen) id(prefix string) string {
	g.idSeq++
	return fmt.Sprintf("%s-%d-%d", prefix, g.idSeq, g.rng.IntN(1000))
}

func (g *gen) ts() string {
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(50)) * time.Millisecond)
	if g.py {
		if g.rng.IntN(4) == 0 {
			return g.clock.Format("2006-01-02T15:04:05.000000") // naive
		}
		return g.clock.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return g.clock.Format("2006-01-02T15:04:05.000Z07:00")
}

func (g *gen) emit(depth int, entity, id, action, data string) {
	g.lines = append(g.lines, entity+"{id="+id+",action="+action+",data="+data+"}")
	g.depths = append(g.depths, depth)
}

func (g *gen) emitLate(depth int, entity, id, action, data string) {
	g.late = append(g.late, pendingLine{entity + "{id=" + id + ",action=" + action + ",data=" + data + "}", depth})
}

func (g *gen) container(entity, id string, depth int) {
	n := g.rng.IntN(g.opts.MaxChildren + 1)
	for i := 0; i < n && g.nodes < g.opts.MaxNodes; i++ {
		g.nodes++
		switch k := g.rng.IntN(10); {
		case k < 3 && depth < g.opts.MaxDepth:
			g.span(entity, id, depth+1)
		case k < 6:
			g.generation(entity, id, depth+1)
		case k < 8:
			g.toolCall(entity, id, depth+1)
		case k < 9:
			g.retrieval(entity, id, depth+1)
		default:
			g.addError(entity, id, depth+1)
		}
	}
}

func (g *gen) span(parentEntity, parentID string, depth int) {
	id := g.id("span")
	start := g.ts()
	if !g.py {
		g.emit(depth, "span", id, "create", fmt.Sprintf(`{"name":"step","tags":{},"startTimestamp":%q}`, start))
		g.emit(depth-1, parentEntity, parentID, "add-span", fmt.Sprintf(`{"id":%q,"name":"step","tags":{},"startTimestamp":%q}`, id, start))
	} else {
		extra := ""
		if parentEntity == "span" {
			extra = fmt.Sprintf(`, "spanId": %q`, parentID)
		}
		g.emit(depth-1, parentEntity, parentID, "add-span", fmt.Sprintf(`{"id": %q, "name": "step", "tags": {}, "startTimestamp": %q%s}`, id, start, extra))
		g.emit(depth, "span", id, "update", `{"input": {"type": "text", "value": "span input"}}`)
	}
	g.container("span", id, depth)
	g.subRecords("span", id, depth)
	if g.rng.IntN(2) == 0 {
		g.emit(depth, "span", id, "update", fmt.Sprintf(`{"metadata":{"step":"%d"}}`, g.rng.IntN(9)))
	}
	g.emit(depth, "span", id, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
	if g.rng.IntN(4) == 0 {
		g.emitLate(depth, "span", id, "update", fmt.Sprintf(`{"tags":{"afterEnd":"%d"}}`, g.rng.IntN(3)))
	}
}

func (g *gen) generation(parentEntity, parentID string, depth int) {
	id := g.id("gen")
	params := `{"temperature":0.2,"max_tokens":256}`
	if g.py {
		params = `{"temperature": "0.1", "stream": "false", "stop": "END"}`
	}
	g.emit(depth-1, parentEntity, parentID, "add-generation", fmt.Sprintf(
		`{"id":%q,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"q%d"}],"name":"llm","tags":{},"startTimestamp":%q,"provider":"openai","model":"gpt-4o-mini","modelParameters":%s}`,
		id, g.rng.IntN(50), g.ts(), params))
	if g.rng.IntN(2) == 0 {
		g.emit(depth, "generation", id, "update", fmt.Sprintf(`{"messages":[{"role":"user","content":"more %d"}]}`, g.rng.IntN(9)))
	}
	if g.rng.IntN(2) == 0 {
		g.emit(depth, "generation", id, "update", fmt.Sprintf(`{"metrics":{"ttft_ms":%d}}`, g.rng.IntN(500)))
	}
	if g.rng.IntN(3) == 0 {
		g.emit(depth, "generation", id, "update", `{"model":"gpt-4o"}`)
	}
	in, out := 1+g.rng.IntN(500), 1+g.rng.IntN(200)
	switch g.rng.IntN(5) {
	case 0, 1:
		g.emit(depth, "generation", id, "result", fmt.Sprintf(
			`{"result":{"id":"chatcmpl-%d","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"a%d"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}}`,
			g.rng.IntN(1e6), g.rng.IntN(9), in, out, in+out))
	case 2:
		g.emit(depth, "generation", id, "result", fmt.Sprintf(
			`{"result":{"id":"cmpl-%d","object":"text_completion","created":1735689600,"model":"davinci","choices":[{"index":0,"text":"t","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"cost":{"input":0.001,"output":0.002,"total":0.003}}}`,
			g.rng.IntN(1e6), in, out, in+out))
	case 3:
		g.emit(depth, "generation", id, "result", fmt.Sprintf(
			`{"result":{"id":"resp_%d","object":"response","created_at":1735689600,"status":"completed","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"r"}]}],"usage":{"input_tokens":%d,"output_tokens":%d,"total_tokens":%d}}}`,
			g.rng.IntN(1e6), in, out, in+out))
	default:
		g.emit(depth, "generation", id, "result", `{"result":{"error":{"message":"rate limited","code":"429","type":"rate_limit_error"},"id":"e"}}`)
	}
	if g.py && g.rng.IntN(2) == 0 {
		g.emit(depth, "generation", id, "add-cost", `{"cost": {"input": 0.001, "output": 0.002, "total": 0.003}}`)
	}
	g.emit(depth, "generation", id, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
	if g.rng.IntN(3) == 0 {
		g.emitLate(depth, "generation", id, "update", fmt.Sprintf(`{"tags":{"reviewed":"%d"}}`, g.rng.IntN(3)))
	}
	if g.rng.IntN(4) == 0 {
		g.emit(depth, "generation", id, "evaluate", fmt.Sprintf(`{"with":"evaluators","evaluators":["clarity"],"timestamp":%q}`, g.ts()))
	}
}

func (g *gen) toolCall(parentEntity, parentID string, depth int) {
	id := g.id("call")
	g.emit(depth-1, parentEntity, parentID, "add-tool-call", fmt.Sprintf(
		`{"id":%q,"name":"get_weather","tags":{"kind":"http"},"startTimestamp":%q,"description":"weather","args":"{\"city\":\"Paris\"}"}`, id, g.ts()))
	if g.py {
		g.emit(depth, "tool_call", id, "update", `{"metrics": {"name": "calls", "value": 1}}`)
	}
	if g.rng.IntN(4) == 0 {
		g.emit(depth, "tool_call", id, "error", `{"error":{"message":"timeout","code":"ETIMEDOUT","type":"network"}}`)
	} else {
		g.emit(depth, "tool_call", id, "result", fmt.Sprintf(`{"result":"{\"tempC\":%d}"}`, g.rng.IntN(30)))
	}
	g.emit(depth, "tool_call", id, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
}

func (g *gen) retrieval(parentEntity, parentID string, depth int) {
	id := g.id("ret")
	g.emit(depth-1, parentEntity, parentID, "add-retrieval", fmt.Sprintf(`{"id":%q,"name":"kb","tags":{"index":"v2"},"startTimestamp":%q}`, id, g.ts()))
	g.emit(depth, "retrieval", id, "update", `{"input":"query text"}`)
	if g.py {
		g.emit(depth, "retrieval", id, "update", `{"metrics": {"name": "k", "value": 5}}`)
		g.emit(depth, "retrieval", id, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
		g.emit(depth, "retrieval", id, "update", fmt.Sprintf(`{"docs": ["d1", "d2"], "endTimestamp": %q}`, g.ts()))
	} else {
		g.emit(depth, "retrieval", id, "update", `{"metrics":{"k":3}}`)
		g.emit(depth, "retrieval", id, "end", fmt.Sprintf(`{"docs":["doc A","doc B"],"endTimestamp":%q}`, g.ts()))
	}
	g.emit(depth, "retrieval", id, "end", fmt.Sprintf(`{"endTimestamp":%q}`, g.ts()))
}

func (g *gen) addError(parentEntity, parentID string, depth int) {
	if g.py {
		g.emit(depth-1, parentEntity, parentID, "add-error", fmt.Sprintf(`{"startTimestamp": %q, "message": "boom %d", "code": "E1", "errorType": "x"}`, g.ts(), g.rng.IntN(5)))
		return
	}
	id := g.id("err")
	g.emit(depth-1, parentEntity, parentID, "add-error", fmt.Sprintf(`{"id":%q,"name":"Fail","tags":{},"startTimestamp":%q,"message":"partial","code":"E_P","errorType":"app"}`, id, g.ts()))
	if g.rng.IntN(3) == 0 {
		g.emit(depth, "error", id, "update", `{"tags":{"sev":"high"}}`)
	}
}

func (g *gen) subRecords(entity, id string, depth int) {
	if g.rng.IntN(2) == 0 {
		g.emit(depth, entity, id, "add-event", fmt.Sprintf(`{"id":%q,"name":"checkpoint","timestamp":%q,"tags":{"a":"b"},"metadata":{"n":"1"}}`, g.id("evt"), g.ts()))
	}
	if g.rng.IntN(3) == 0 {
		g.emit(depth, entity, id, "add-feedback", fmt.Sprintf(`{"score":%d,"comment":"c"}`, g.rng.IntN(5)))
	}
	if g.rng.IntN(3) == 0 {
		g.emit(depth, entity, id, "evaluate", fmt.Sprintf(`{"with":"variables","variables":{"expected":"x"},"evaluators":["bias"],"timestamp":%q}`, g.ts()))
	}
	if g.rng.IntN(3) == 0 {
		if g.py {
			g.emit(depth, entity, id, "add-attachment", fmt.Sprintf(`{"id": %q, "type": "file_data", "name": "h.txt", "key": "k/%s", "mime_type": "text/plain", "mimeType": "text/plain"}`, g.id("att"), id))
		} else {
			g.emit(depth, entity, id, "add-attachment", fmt.Sprintf(`{"type":"url","id":%q,"url":"https://example.com/a.png","key":"k/%s","name":"a.png","mimeType":"image/png"}`, g.id("att"), id))
		}
	}
	g.emit(depth, entity, id, "update", fmt.Sprintf(`{"tags":{"t%d":"v%d"}}`, g.rng.IntN(3), g.rng.IntN(3)))
	if g.rng.IntN(2) == 0 {
		g.emit(depth, entity, id, "update", fmt.Sprintf(`{"metrics":{"latency_ms":%d.5}}`, g.rng.IntN(900)))
	}
}
