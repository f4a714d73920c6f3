package harness

import (
	"encoding/json"
	"strings"
)

// Node is a node of a trace tree as the query API returns it
// (docs/tree-json.md): the fields end-to-end tests assert on. Fields a test
// does not need are simply not decoded.
type Node struct {
	Kind            string            `json:"kind"`
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	SessionID       string            `json:"sessionId"`
	SpanKind        string            `json:"spanKind"`
	PairedWith      string            `json:"pairedWith"`
	Model           string            `json:"model"`
	Provider        string            `json:"provider"`
	ModelParameters map[string]any    `json:"modelParameters"`
	Messages        []json.RawMessage `json:"messages"`
	Completion      *struct {
		ID            string            `json:"id"`
		Model         string            `json:"model"`
		Text          string            `json:"text"`
		FinishReasons []string          `json:"finishReasons"`
		ToolCalls     []json.RawMessage `json:"toolCalls"`
	} `json:"completion"`
	Usage *struct {
		InputTokens  int64 `json:"inputTokens"`
		OutputTokens int64 `json:"outputTokens"`
		TotalTokens  int64 `json:"totalTokens"`
	} `json:"usage"`
	Cost *struct {
		Input  float64 `json:"input"`
		Output float64 `json:"output"`
		Total  float64 `json:"total"`
		Source string  `json:"source"`
	} `json:"cost"`
	Args     json.RawMessage            `json:"args"`
	Input    json.RawMessage            `json:"input"`
	Output   json.RawMessage            `json:"output"`
	Tags     map[string]string          `json:"tags"`
	Metadata map[string]json.RawMessage `json:"metadata"`
	Errors   []struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"errors"`
	Events []struct {
		Name     string                     `json:"name"`
		Metadata map[string]json.RawMessage `json:"metadata"`
		Extra    map[string]json.RawMessage `json:"extra"`
	} `json:"events"`
	Totals struct {
		InputTokens  int64          `json:"inputTokens"`
		OutputTokens int64          `json:"outputTokens"`
		TotalTokens  int64          `json:"totalTokens"`
		Counts       map[string]int `json:"counts"`
		Errors       int            `json:"errors"`
		Error        bool           `json:"error"`
	} `json:"totals"`
	Children []*Node `json:"children"`
}

// All returns the nodes of the given kind in n's subtree (n included),
// depth first.
func (n *Node) All(kind string) []*Node {
	var out []*Node
	if n.Kind == kind {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, c.All(kind)...)
	}
	return out
}

// MessageText is the node's messages, one JSON object a line.
func (n *Node) MessageText() string {
	var s []string
	for _, m := range n.Messages {
		s = append(s, string(m))
	}
	return strings.Join(s, "\n")
}
