package tree

import (
	"encoding/json"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Node is the materialized state of one node: the fold of its commit set
// (plus the add-* commits of its parent that created it). Every map is
// marshalled with sorted keys and every slice has a defined order, so the
// JSON of a Node is a pure function of the commit set. The shape is
// documented in docs/tree-json.md.
type Node struct {
	Kind commit.Entity `json:"kind"`
	ID   string        `json:"id"`
	Name string        `json:"name,omitempty"`

	// StartTimestamp and EndTimestamp are normalized to RFC 3339 UTC with
	// up to nanosecond precision (naive Python timestamps are read as UTC).
	// A value that does not parse as a time is kept as sent.
	StartTimestamp string `json:"startTimestamp,omitempty"`
	EndTimestamp   string `json:"endTimestamp,omitempty"`
	// DurationMs is End-Start when both parse.
	DurationMs *float64 `json:"durationMs,omitempty"`
	// Ended is true once any end commit was seen (several are normal).
	Ended bool `json:"ended"`

	SessionID string `json:"sessionId,omitempty"`

	// Where the node came from and its OpenTelemetry identity, for nodes
	// written from OTLP spans (pkg/spancommit); absent for SDK commits.
	// Origin is commit.OriginOTLP on such a trace. SpanKind is the span's kind
	// (client, server, internal, producer, consumer); ParentSpanID is the
	// OTLP parent span id, also when the node hangs under the trace
	// because its parent is remote. The totals rule reads both to count
	// a CLIENT/SERVER pair of one model call once (totals.go).
	Origin       string `json:"origin,omitempty"`
	SpanKind     string `json:"spanKind,omitempty"`
	ParentSpanID string `json:"parentSpanId,omitempty"`
	// Links are the span's links to spans of other (or the same) traces,
	// e.g. an agent hand-off, in the order the span lists them.
	Links []Link `json:"links,omitempty"`

	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`

	// Generation fields.
	Model                string          `json:"model,omitempty"`
	Provider             string          `json:"provider,omitempty"`
	ModelParameters      map[string]any  `json:"modelParameters,omitempty"`
	MaximPromptID        string          `json:"maximPromptId,omitempty"`
	MaximPromptVersionID string          `json:"maximPromptVersionId,omitempty"`
	Messages             []RawJSON       `json:"messages,omitempty"`
	Result               json.RawMessage `json:"result,omitempty"`
	Completion           *Completion     `json:"completion,omitempty"`
	Usage                *Usage          `json:"usage,omitempty"`
	Cost                 *Cost           `json:"cost,omitempty"`

	// Tool call fields.
	Description string          `json:"description,omitempty"`
	Args        json.RawMessage `json:"args,omitempty"`

	// Error node fields (from add-error).
	Message   string `json:"message,omitempty"`
	Code      string `json:"code,omitempty"`
	ErrorType string `json:"errorType,omitempty"`

	Tags     map[string]string          `json:"tags,omitempty"`
	Metadata map[string]json.RawMessage `json:"metadata,omitempty"`
	Metrics  map[string]float64         `json:"metrics,omitempty"`

	// Sub-records: sets keyed by their id or, where the SDK sends none, a
	// content hash.
	Errors      []ErrorRecord `json:"errors,omitempty"`
	Events      []Event       `json:"events,omitempty"`
	Feedback    []Feedback    `json:"feedback,omitempty"`
	Evaluations []Evaluation  `json:"evaluations,omitempty"`
	Attachments []Attachment  `json:"attachments,omitempty"`

	// Extra holds data keys the fold does not know (last writer wins per
	// key), e.g. the arbitrary data of sessionEnd(id, data) or
	// ToolCall.update(data): kept and shown, never dropped.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
	// Unknown lists commits whose action the fold does not know (or that it
	// could not use), so new SDK features surface instead of vanishing.
	Unknown []UnknownCommit `json:"unknown,omitempty"`

	// CommitCount is how many distinct commits were folded (own commits and
	// the parent's add-* commits naming this node); FirstVersion and
	// LastVersion bound their versions.
	CommitCount  int   `json:"commitCount"`
	FirstVersion int64 `json:"firstVersion"`
	LastVersion  int64 `json:"lastVersion"`

	start, end time.Time
}

// Link is an OTLP span link: the linked span's trace and span id (lowercase
// hex, the ids of that trace's nodes when it came in over OTLP) and the
// link's attributes.
type Link struct {
	TraceID    string                     `json:"traceId"`
	SpanID     string                     `json:"spanId,omitempty"`
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
}

// RawJSON is a JSON value kept verbatim (compacted) in the output.
type RawJSON = json.RawMessage

// Completion is what the fold reads out of a generation result: enough for
// a list view without parsing the raw result again.
type Completion struct {
	// Object is the result's `object` (chat.completion, text_completion,
	// response) or "error" for the error form.
	Object        string    `json:"object,omitempty"`
	ID            string    `json:"id,omitempty"`
	Model         string    `json:"model,omitempty"`
	FinishReasons []string  `json:"finishReasons,omitempty"`
	Text          string    `json:"text,omitempty"`
	ToolCalls     []RawJSON `json:"toolCalls,omitempty"`
}

// Usage is token usage from a generation result, in one convention
// whatever the provider's: InputTokens includes cache reads and writes,
// OutputTokens includes reasoning; the detail counts are subsets of them
// (omitted when the result did not report them). See usage.go for the
// result shapes read.
type Usage struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	TotalTokens      int64 `json:"totalTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens,omitempty"`
	CacheWriteTokens int64 `json:"cacheWriteTokens,omitempty"`
	ReasoningTokens  int64 `json:"reasoningTokens,omitempty"`
}

// Cost is a generation's cost in USD: the one the client sent (result.cost,
// Python's add-cost, OTLP cost attributes), which always wins, or the one
// computed from the usage and a price table at read time (cost.go).
type Cost struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
	Total  float64 `json:"total"`
	// Source is CostSent or CostComputed.
	Source string `json:"source"`
	// Price is the price a computed cost used (absent for a sent cost).
	Price *PriceRef `json:"price,omitempty"`
}

// Cost sources.
const (
	CostSent     = "sent"
	CostComputed = "computed"
)

// PriceRef says which price a computed cost used and where it came from:
// the provider and model as the price table names them, the table's source
// (the price data's version, a data file, or "config" for an override) and
// the prices applied, keyed as genai-prices keys them (input_mtok,
// cache_read_mtok, output_mtok, …: USD per million tokens; requests_kcount:
// USD per thousand requests).
type PriceRef struct {
	Provider string             `json:"provider,omitempty"`
	Model    string             `json:"model"`
	Source   string             `json:"source"`
	Prices   map[string]float64 `json:"prices,omitempty"`
}

// ErrorRecord is an error reported on a node: a generation error result, a
// tool_call/generation `error` commit, or `update {error}`.
type ErrorRecord struct {
	Key     string `json:"key"`
	Source  string `json:"source"` // the action that reported it
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
	Type    string `json:"type,omitempty"`
	version int64
}

// Event is an add-event sub-record.
type Event struct {
	ID        string                     `json:"id"`
	Name      string                     `json:"name,omitempty"`
	Timestamp string                     `json:"timestamp,omitempty"`
	Tags      map[string]string          `json:"tags,omitempty"`
	Metadata  map[string]json.RawMessage `json:"metadata,omitempty"`
	Extra     map[string]json.RawMessage `json:"extra,omitempty"`
	ts        time.Time
}

// Feedback is an add-feedback sub-record (keyed by content hash).
type Feedback struct {
	Key     string                     `json:"key"`
	Score   json.RawMessage            `json:"score,omitempty"`
	Comment string                     `json:"comment,omitempty"`
	Extra   map[string]json.RawMessage `json:"extra,omitempty"`
	version int64
}

// Evaluation is an evaluate sub-record. A request for evaluation (the
// SDKs' with "evaluators" or "variables") is keyed by content hash. A
// verdict (with "result", written by the collector's own evaluators) is
// keyed by its evaluator, so each entity holds at most one verdict per
// evaluator whatever was replayed or judged twice: of two verdicts of one
// evaluator the one with the smaller content hash is kept, which no
// arrival order can change.
type Evaluation struct {
	Key        string                     `json:"key"`
	With       string                     `json:"with,omitempty"`
	Evaluators []string                   `json:"evaluators,omitempty"`
	Variables  map[string]json.RawMessage `json:"variables,omitempty"`
	Timestamp  string                     `json:"timestamp,omitempty"`

	// Verdict fields (with "result").
	Evaluator string           `json:"evaluator,omitempty"`
	Score     *float64         `json:"score,omitempty"`
	Pass      *bool            `json:"pass,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Judge     *EvaluationJudge `json:"judge,omitempty"`
	// Error says why no verdict could be reached (the judge kept failing);
	// Score and Pass are absent then.
	Error string `json:"error,omitempty"`

	ts      time.Time
	content string
}

// EvaluationWithResult marks an evaluate commit that carries a verdict.
const EvaluationWithResult = "result"

// EvaluationJudge is what an LLM judge spent on a verdict.
type EvaluationJudge struct {
	Model        string   `json:"model,omitempty"`
	InputTokens  int64    `json:"inputTokens,omitempty"`
	OutputTokens int64    `json:"outputTokens,omitempty"`
	Cost         *float64 `json:"cost,omitempty"`
	Attempts     int      `json:"attempts,omitempty"`
}

// Attachment is an add-attachment sub-record keyed by its id. Both SDK
// spellings are normalized: type file_data → fileData, mime_type → mimeType.
// Key points into the blob store (url attachments have nothing uploaded).
type Attachment struct {
	ID        string                     `json:"id"`
	Type      string                     `json:"type,omitempty"`
	Name      string                     `json:"name,omitempty"`
	MimeType  string                     `json:"mimeType,omitempty"`
	Size      *int64                     `json:"size,omitempty"`
	URL       string                     `json:"url,omitempty"`
	Key       string                     `json:"key,omitempty"`
	Timestamp string                     `json:"timestamp,omitempty"`
	Tags      map[string]string          `json:"tags,omitempty"`
	Metadata  map[string]json.RawMessage `json:"metadata,omitempty"`
	Extra     map[string]json.RawMessage `json:"extra,omitempty"`
}

// UnknownCommit is a commit the fold kept but could not interpret.
type UnknownCommit struct {
	Action   commit.Action   `json:"action"`
	CommitID commit.ID       `json:"commitId"`
	Version  int64           `json:"version"`
	Data     json.RawMessage `json:"data"`
	Reason   string          `json:"reason,omitempty"`
}

// Start and End return the parsed timestamps (zero if absent or unparsable).
func (n *Node) Start() time.Time { return n.start }

// End returns the parsed end timestamp.
func (n *Node) End() time.Time { return n.end }

// HasError reports whether the node itself records an error.
func (n *Node) HasError() bool {
	return len(n.Errors) > 0 || n.Kind == commit.EntityError
}
