// Package evaluate holds the online evaluators: deterministic checks
// (latency, token and cost budgets, tool-call errors, JSON validity and
// schema, regex/contains, empty output, refusals, PII) and an LLM judge
// against any OpenAI-compatible chat endpoint. An evaluator judges one
// Subject — one entity of a trace tree, flattened to what evaluators read —
// and returns a Result. The engine that picks entities off the store's
// change feed and writes results back as `evaluate` commits lives in the
// genai_eval component; this package knows nothing of stores or pipelines.
package evaluate

import "context"

// Subject is one entity to judge, flattened from its folded tree node.
type Subject struct {
	Repo     string
	TraceID  string
	EntityID string
	// Kind is the entity kind: trace, generation, tool_call, retrieval,
	// span or session (commit.Entity values).
	Kind string
	Name string

	Model    string
	Provider string

	// Input and Output are the entity's input and output as text: strings
	// as they are, messages rendered "role: content" one per line, other
	// JSON compacted.
	Input  string
	Output string
	// Messages are the conversation of a generation (input messages and
	// the completion), in order.
	Messages []Message
	// Context holds the documents retrieved in the same trace (retrieval
	// outputs), for faithfulness judges.
	Context []string
	// Expected is an expected output when the client sent one (evaluate
	// variables "expected_output"/"expected").
	Expected string
	// Variables are the evaluate variables the client sent for this entity.
	Variables map[string]string
	Tags      map[string]string

	// Error is the entity's error message when it failed ("" otherwise).
	Error string

	// LatencyMs is the entity's duration; HasLatency says it is known.
	LatencyMs  float64
	HasLatency bool
	// Token counts summed over the entity's leaf model calls (tree totals).
	InputTokens  int64
	OutputTokens int64
	TotalTokens  int64
	// CostUSD is the entity's total cost; HasCost says it is known.
	CostUSD float64
	HasCost bool
}

// Message is one chat message of a Subject.
type Message struct {
	Role    string
	Content string
}

// Result is an evaluator's verdict on one Subject.
type Result struct {
	// Evaluator is the configured evaluator name (e.g. "pii", "relevance").
	Evaluator string
	// Score is in [0, 1]; 1 is best.
	Score float64
	Pass  bool
	// Reason says why, in a sentence a person reads in the UI.
	Reason string
	// Judge is set for LLM-as-judge evaluations: the judge model and its
	// own usage and cost.
	Judge *JudgeUsage
}

// JudgeUsage is what an LLM judge spent on one evaluation.
type JudgeUsage struct {
	Model        string
	InputTokens  int64
	OutputTokens int64
	// CostUSD is computed from the usage with the price table; HasCost is
	// false when no price is known for the judge model.
	CostUSD float64
	HasCost bool
	// Attempts counts the calls made, retries included.
	Attempts int
}

// Add returns the spend of u and o together, for an evaluation that took
// several rounds of calls: calls and tokens summed, the later model, and a
// cost when some part had one and every part with usage had one (a part
// without usage, such as a round of 500s, cost nothing; a part whose model
// has no price makes the sum unknown). Either may be nil; nil when both are.
func (u *JudgeUsage) Add(o *JudgeUsage) *JudgeUsage {
	switch {
	case u == nil && o == nil:
		return nil
	case u == nil:
		c := *o
		return &c
	case o == nil:
		c := *u
		return &c
	}
	sum := JudgeUsage{Model: u.Model, InputTokens: u.InputTokens + o.InputTokens,
		OutputTokens: u.OutputTokens + o.OutputTokens, Attempts: u.Attempts + o.Attempts}
	if o.Model != "" {
		sum.Model = o.Model
	}
	priced := func(x *JudgeUsage) bool { return x.HasCost || (x.InputTokens == 0 && x.OutputTokens == 0) }
	if (u.HasCost || o.HasCost) && priced(u) && priced(o) {
		sum.CostUSD, sum.HasCost = u.CostUSD+o.CostUSD, true
	}
	return &sum
}

// Evaluator judges subjects. Implementations are safe for concurrent use.
// An error means no verdict could be reached (the judge kept failing, the
// context ended); the engine records it and may retry later, and it never
// blocks ingest.
type Evaluator interface {
	Name() string
	Evaluate(ctx context.Context, s Subject) (Result, error)
}
