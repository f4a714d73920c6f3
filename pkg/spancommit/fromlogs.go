package spancommit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// OTLP log records linked to a span (trace id + span id) become commits on
// the nodes FromTraces makes for that span, so they join their span whatever
// arrives first and in whichever request:
//
//   - A GenAI content event (semconv ≥1.28 gen_ai.{system,user,assistant,
//     tool}.message and gen_ai.choice, ≥1.37
//     gen_ai.client.inference.operation.details) is an `add-event` on the
//     generation whose id is the hex span id, carrying its canonical
//     messages under data.genai. The fold (internal/tree, genai.go) combines
//     them with the span's own messages by the precedence in
//     docs/tree-json.md.
//   - Any other record is an `add-event` on the trace (hex trace id) naming
//     its span in data.spanId: the trace assembly shows it on the node of
//     that span whatever that node's kind, or on the trace while the span
//     has not arrived.
//
// Everything in a commit is a function of the record (and of its position
// among the same span's records with the same timestamp in the request), so
// a resent request yields the same commits and the store deduplicates them.

// GenAIEventField is the add-event data key holding an event's canonical
// GenAI content.
const GenAIEventField = "genai"

// LogEvent is one span-linked log record in canonical form: what the
// normalizer read out of it, whatever convention it followed.
type LogEvent struct {
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	// Name is the event name (LogRecord EventName, else the `event.name`
	// attribute); "log" for a plain log record.
	Name string
	// Time is the record's timestamp, else its observed timestamp.
	Time pcommon.Timestamp
	// GenAI marks a GenAI content event; the fields below it hold its
	// canonical content (finish reasons in the GenAI enum).
	GenAI         bool
	Input         []Message
	Output        []Message
	System        string
	FinishReasons []string
	// Attributes and Body of a non-GenAI record, as JSON values.
	Attributes map[string]any
	Body       any
	Severity   string
}

// genaiContent is data.genai of a GenAI event commit.
type genaiContent struct {
	// Seq orders events of one span that share a timestamp (SDKs stamp
	// every message of one call with the same millisecond): the record's
	// position among them in its request.
	Seq           int       `json:"seq"`
	Input         []Message `json:"input,omitempty"`
	Output        []Message `json:"output,omitempty"`
	System        string    `json:"system,omitempty"`
	FinishReasons []string  `json:"finishReasons,omitempty"`
}

// FromLogEvents turns the span-linked events of one request into commits
// for repo. Versions are the records' times (deterministic, so a duplicate
// keeps the same commit, version included); a record without any time takes
// one from v.
func FromLogEvents(events []LogEvent, repo string, v *commit.Versioner) []commit.Commit {
	if repo == "" {
		repo = DefaultRepo
	}
	type group struct {
		trace pcommon.TraceID
		span  pcommon.SpanID
		t     pcommon.Timestamp
	}
	seqs := map[group]int{}
	out := make([]commit.Commit, 0, len(events))
	var untimed []int
	for i := range events {
		e := &events[i]
		g := group{e.TraceID, e.SpanID, e.Time}
		seq := seqs[g]
		seqs[g] = seq + 1
		c, ok := logEventCommit(e, repo, seq)
		if !ok {
			continue
		}
		if e.Time == 0 {
			untimed = append(untimed, len(out))
		} else {
			c.Version = int64(e.Time)
		}
		out = append(out, c)
	}
	if len(untimed) > 0 {
		base := v.Reserve(len(untimed))
		for k, i := range untimed {
			out[i].Version = base + int64(k)
		}
	}
	for i := range out {
		out[i].Seal()
	}
	return out
}

func logEventCommit(e *LogEvent, repo string, seq int) (commit.Commit, bool) {
	spanID, traceID := e.SpanID.String(), e.TraceID.String()
	ts := ts(e.Time)
	if e.GenAI {
		type addEvent struct {
			ID        string            `json:"id"`
			Name      string            `json:"name"`
			Timestamp string            `json:"timestamp,omitempty"`
			Tags      map[string]string `json:"tags"`
			GenAI     genaiContent      `json:"genai"`
		}
		g := genaiContent{Seq: seq, Input: e.Input, Output: e.Output, System: e.System}
		for _, f := range e.FinishReasons {
			// The spelling SDK results and span results carry.
			g.FinishReasons = append(g.FinishReasons, openAIFinish(f))
		}
		content, err := json.Marshal(g)
		if err != nil {
			return commit.Commit{}, false
		}
		data, err := json.Marshal(addEvent{ID: eventID("ge-", traceID, spanID, e.Name, e.Time, content), Name: e.Name,
			Timestamp: ts, Tags: map[string]string{}, GenAI: g})
		if err != nil {
			return commit.Commit{}, false
		}
		return commit.Commit{Repo: repo, Entity: commit.EntityGeneration, EntityID: spanID, Action: commit.ActionAddEvent, Data: data}, true
	}
	type addEvent struct {
		ID        string            `json:"id"`
		Name      string            `json:"name"`
		Timestamp string            `json:"timestamp,omitempty"`
		Tags      map[string]string `json:"tags"`
		SpanID    string            `json:"spanId"`
		Severity  string            `json:"severity,omitempty"`
		Metadata  map[string]any    `json:"metadata,omitempty"`
		Body      any               `json:"body,omitempty"`
	}
	a := addEvent{Name: e.Name, Timestamp: ts, Tags: map[string]string{}, SpanID: spanID, Severity: e.Severity,
		Metadata: metaMap(e.Attributes), Body: e.Body}
	content, err := json.Marshal(a)
	if err != nil {
		return commit.Commit{}, false
	}
	// The position keeps two identical lines logged in the same instant
	// apart; a resent request gives every record the same position again.
	a.ID = eventID("log-", traceID, spanID, e.Name, e.Time, append(content, byte(seq), byte(seq>>8), byte(seq>>16)))
	data, err := json.Marshal(a)
	if err != nil {
		return commit.Commit{}, false
	}
	return commit.Commit{Repo: repo, Entity: commit.EntityTrace, EntityID: traceID, Action: commit.ActionAddEvent, Data: data}, true
}

func eventID(prefix, traceID, spanID, name string, t pcommon.Timestamp, content []byte) string {
	h := sha256.New()
	for _, s := range []string{traceID, spanID, name} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t))
	h.Write(b[:])
	h.Write(content)
	return prefix + hex.EncodeToString(h.Sum(nil)[:12])
}
